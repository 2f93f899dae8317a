"""A minimal double of the Joulescope's *native driver* (``pyjoulescope_driver.Driver``).

The ``joulescope`` package ships no device simulator, so this double stands in for the one
layer that talks USB. Everything above it is the real package: ``joulescope.scan()``, its
driver wrapper, ``DeviceJs220`` (open, parameter_set, start, stop, close) and its
``StreamBuffer``; tinyedge's adapter only sees those. The double's methods have the real
driver's signatures (tests/device/test_power_monitors.py checks them against the installed
binding), and it publishes sample data the way the JS220 does: per stream topic
(``s/i/``, ``s/v/``, ``s/p/``, ``s/i/range/``, ``s/gpi/0/``, ``s/gpi/1/``) a dict with
``field_id``, ``index``, ``sample_id`` (at the 2 MHz input rate), ``sample_rate``,
``decimate_factor`` and ``data`` (float32, or the general-purpose inputs as bits packed
little-endian into bytes).

The profile: ``idle_a`` with IN0 low and ``active_a`` with IN0 high for each scheduled
window. ``unplug()`` announces the device's removal as the driver does (``@/!remove``).
"""

from __future__ import annotations

import threading

import numpy as np

INPUT_RATE = 2_000_000
# topic → (field_id, index) in the JS220's stream, as joulescope.v1's StreamBuffer keys them
STREAMS = {"s/i/": (1, 0), "s/v/": (2, 0), "s/p/": (3, 0), "s/i/range/": (4, 0),
           "s/gpi/0/": (5, 0), "s/gpi/1/": (5, 1)}


class JoulescopeDriverDouble:
    """Stands in for ``pyjoulescope_driver.Driver``: one JS220 at ``u/js220/<serial>``."""

    def __init__(self, idle_a: float, active_a: float, serial: str = "000415",
                 supply_v: float = 3.3) -> None:
        self.path = f"u/js220/{serial}"
        self.idle_a, self.active_a, self.supply_v = idle_a, active_a, supply_v
        self.log_level = "INFO"
        self.published: list[tuple[str, object]] = []
        self.opened = self.closed = 0
        self._subscribers: dict[str, list] = {}
        self._streaming: set[str] = set()
        self._fs = 1_000_000
        self._sample_id = 0
        self._lock = threading.Lock()

    # --- the driver API tinyedge reaches through joulescope --------------------------------

    def subscribe(self, topic: str, flags, fn, timeout=None):
        self._subscribers.setdefault(topic, []).append(fn)

    def unsubscribe(self, topic, fn, timeout=None):
        fns = self._subscribers.get(topic, [])
        if fn in fns:
            fns.remove(fn)

    def unsubscribe_all(self, fn, timeout=None):
        for fns in self._subscribers.values():
            if fn in fns:
                fns.remove(fn)

    def device_paths(self, timeout=None):
        return [self.path]

    def open(self, device_prefix, mode=None, timeout=None):
        self.opened += 1
        return 0

    def close(self, device_prefix, timeout=None):
        self.closed += 1
        return 0

    def publish(self, topic: str, value, timeout=None):
        self.published.append((topic, value))
        local = topic.removeprefix(self.path + "/")
        if local == "h/fs":
            self._fs = int(value)
        elif local.endswith("ctrl") and local[:-4] in STREAMS:
            (self._streaming.add if value else self._streaming.discard)(local[:-4])
        return 0

    def query(self, topic: str, timeout=None):
        return 0

    def finalize(self, timeout=None):
        self._subscribers.clear()

    # --- the test's side ------------------------------------------------------------------

    def stream(self, pins: np.ndarray) -> None:
        """Publish one block of samples at the output rate, IN0 = ``pins``."""
        pins = np.asarray(pins, dtype=bool)
        n = len(pins)
        assert n % 8 == 0, "the general-purpose inputs arrive packed 8 per byte"
        current = np.where(pins, self.active_a, self.idle_a).astype(np.float32)
        voltage = np.full(n, self.supply_v, dtype=np.float32)
        data = {"s/i/": current, "s/v/": voltage, "s/p/": current * voltage,
                "s/i/range/": np.full(n, 2, dtype=np.uint8),
                "s/gpi/0/": np.packbits(pins, bitorder="little"),
                "s/gpi/1/": np.zeros(n // 8, dtype=np.uint8)}
        decimate = INPUT_RATE // self._fs
        with self._lock:
            for topic, (field_id, index) in STREAMS.items():
                if topic not in self._streaming:
                    continue
                value = {"field_id": field_id, "index": index, "sample_id": self._sample_id,
                         "sample_rate": INPUT_RATE, "decimate_factor": decimate,
                         "data": data[topic]}
                for fn in list(self._subscribers.get(f"{self.path}/{topic}!data", [])):
                    fn(f"{self.path}/{topic}!data", value)
            self._sample_id += n * decimate

    def unplug(self) -> None:
        """The USB cable is pulled: the driver announces the removal."""
        for fn in list(self._subscribers.get("@/!remove", [])):
            fn("@/!remove", self.path)
