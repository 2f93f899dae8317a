"""QEMU as a device: boots a firmware image with exact instruction counting and exposes
its UART as a loopback TCP socket (SPEC §5, PLATFORM.md's QEMU facts)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from tinyedge.qemu import QemuError, qemu_command, require_qemu

# TE_FAULT_EXIT_CODE in firmware/include/te_platform.h: the fault handler's exit status.
FAULT_EXIT_CODE = 0xFA


class EmulatorError(QemuError):
    """QEMU is missing, failed to start, or ran past its time limit."""


@dataclass(frozen=True)
class QemuConfig:
    machine: str
    kernel: Path
    icount_shift: int
    preload: tuple[Path, int] | None = None  # raw file loaded at an address before boot
    time_limit_s: float = 3600.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class QemuProcess:
    """A running emulator; ``url`` is its serial port for pyserial. Always stopped on
    exit, and killed if it outlives ``time_limit_s``."""

    def __init__(self, config: QemuConfig) -> None:
        require_qemu(EmulatorError)
        self.config = config
        self.port = free_port()
        self.url = f"socket://127.0.0.1:{self.port}"
        self._deadline = time.monotonic() + config.time_limit_s
        # stderr goes to a file: a pipe nobody reads could fill up and stall QEMU.
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as QEMU
        self._scratch = Path(tempfile.mkdtemp(prefix="tinyedge-qemu-"))
        self.monitor = self._scratch / "monitor.sock"
        command = qemu_command(config.machine, config.kernel, config.icount_shift,
                               where="the board file", serial_port=self.port,
                               monitor=self.monitor, preload=config.preload)
        self.process = subprocess.Popen(command,
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=self._log, preexec_fn=_die_with_parent)
        self.expired = False
        # The time limit is enforced, not just checked: a watchdog kills QEMU at the
        # deadline even when nobody calls check_alive (a host blocked in a read).
        self._watchdog = threading.Timer(config.time_limit_s, self._expire)
        self._watchdog.daemon = True
        self._watchdog.start()
        self._wait_listening()

    def _expire(self) -> None:
        if self.process.poll() is None:
            self.expired = True
            self.process.kill()

    def _wait_listening(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EmulatorError(f"QEMU exited at start ({self.log_tail() or 'no message'})")
            # Connecting would take QEMU's one client slot; look for the listener instead.
            if _listening(self.port):
                return
            time.sleep(0.05)
        self.stop()
        raise EmulatorError("QEMU did not open its serial socket within 20 s")

    def check_alive(self) -> None:
        if self.expired or time.monotonic() > self._deadline:
            self.stop()
            raise EmulatorError(f"QEMU ran past its {self.config.time_limit_s:g} s limit and "
                                "was stopped; raise the limit or evaluate fewer images")
        code = self.process.poll()
        if code == FAULT_EXIT_CODE:
            raise EmulatorError(f"the firmware faulted and stopped the emulator (exit code "
                                f"{code}); this is a tinyedge bug: report it with the model")
        if code is not None:
            raise EmulatorError(f"QEMU stopped unexpectedly (exit code {code}"
                                f"{': ' + self.log_tail() if self.log_tail() else ''})")

    def stop(self) -> None:
        self._watchdog.cancel()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        shutil.rmtree(self._scratch, ignore_errors=True)

    def reset(self) -> None:
        """Reset the emulated board (as its reset button would): the firmware reboots."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(str(self.monitor))
            sock.sendall(b"system_reset\n")
            time.sleep(0.1)  # let the monitor read the command before the socket closes

    def log_tail(self) -> str:
        """The last line QEMU wrote to stderr (empty once the emulator was stopped)."""
        if self._log.closed:
            return ""
        self._log.seek(0)
        lines = self._log.read().decode(errors="replace").strip().splitlines()
        return lines[-1] if lines else ""

    def __enter__(self) -> QemuProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _die_with_parent() -> None:
    """In the QEMU child: ask Linux to kill it when the host process dies (SIGKILL
    included), so a killed evaluation never leaves an emulator behind."""
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(pr_set_pdeathsig, signal.SIGKILL)


def _listening(port: int) -> bool:
    """Whether something listens on 127.0.0.1:``port`` (from /proc, without connecting)."""
    hex_port = f"{port:04X}"
    try:
        lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return False
    for line in lines:
        fields = line.split()
        if fields[1].endswith(f":{hex_port}") and fields[3] == "0A":  # 0A = LISTEN
            return True
    return False
