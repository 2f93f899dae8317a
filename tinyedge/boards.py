"""Boards are data: ``boards/<name>.toml`` loaded into frozen, validated dataclasses.

Adding a board means adding a TOML file (and, only for a new kind of chip, a platform
layer in ``firmware/platform/``); no Python changes. Validation errors name the file and
the field, e.g. ``boards/x.toml: [memory] ram_bytes must be a positive integer``.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tinyedge import resources
from tinyedge.clocktree import CLOCK_SOURCES, WEIGHT_PLACEMENTS, Clock, Pll, check_clock
from tinyedge.errors import TinyedgeError

# -mfpu values each core can carry; the board picks the one its silicon has.
CORE_FPUS = {
    "cortex-m4": ("fpv4-sp-d16",),
    "cortex-m7": ("fpv5-sp-d16", "fpv5-d16"),
}
# Cores that implement the DSP extension (SMLAD, SXTB16, ...: ARMv7E-M); a board may say
# `dsp = false` (e.g. to force the reference kernels) but never claim it on a core without it.
DSP_CORES = ("cortex-m4", "cortex-m7")
QEMU_MACHINES = ("mps2-an386", "mps2-an500", "netduinoplus2")
FLASH_METHODS = ("openocd", "pyocd", "mass-storage")


class BoardError(TinyedgeError):
    """A board that is unknown, or a board file that is missing or malformed."""


@dataclass(frozen=True)
class Memory:
    flash_origin: int
    flash_bytes: int
    ram_origin: int
    ram_bytes: int  # the contiguous RAM region the linker uses
    sram_total_bytes: int  # all SRAM on the part, for reference
    stack_bytes: int  # reserved at the top of RAM
    ram_note: str


@dataclass(frozen=True)
class Uart:
    peripheral: str
    base: int
    pins: str
    connection: str
    baud: int
    # Structured pins and clocking for the generated board header (STM32 boards):
    tx: str | None = None  # "PD8"
    rx: str | None = None
    af: int | None = None  # GPIO alternate function number
    bus: str | None = None  # the bus whose clock feeds the peripheral: "apb1", "apb2"
    enable: str | None = None  # RCC enable bit, "APB1ENR.18"
    kind: str = "usart"  # "usart" (BRR = fck / baud) or "lpuart" (BRR = 256 fck / baud)


# A GPIO pin name: port letter and pin number, "PB0".
PIN_PATTERN = re.compile(r"P([A-K])([0-9]|1[0-5])")
ENABLE_PATTERN = re.compile(r"([A-Z0-9]+ENR[0-9L]?)\.([0-9]|[12][0-9]|3[01])")


@dataclass(frozen=True)
class FlashMethod:
    method: str
    openocd_config: str | None
    pyocd_target: str | None
    mass_storage: bool


@dataclass(frozen=True)
class Emulator:
    """How the emulator stands in for the board: QEMU machine, the platform layer built
    for it, where the board's flash and RAM sizes are placed in its memory map, and how
    its counter converts to instructions (``-icount shift``)."""

    qemu_machine: str
    platform: str
    flash_origin: int
    ram_origin: int
    icount_shift: int
    counter_hz: int
    renode_platform: str | None
    preload_origin: int | None  # emulator-only memory for preloaded inputs (batch runs)
    preload_bytes: int

    def instructions(self, ticks: int) -> int:
        """Counter ticks → executed instructions: with ``-icount shift=s`` each instruction
        takes 2**s ns of virtual time and the counter runs at counter_hz."""
        return round(ticks * 1_000_000_000 / (self.counter_hz * 2**self.icount_shift))


@dataclass(frozen=True)
class Power:
    supply_v: float
    run_current_ma: float
    conditions: str
    source: str

    @property
    def run_power_mw(self) -> float:
        return self.supply_v * self.run_current_ma


@dataclass(frozen=True)
class Board:
    name: str
    description: str
    mcu: str
    core: str
    fpu: str
    clock_hz: int
    platform: str
    memory: Memory
    uart: Uart
    flash: FlashMethod
    emulator: Emulator
    power: Power | None  # None for FPGA/emulator-only boards with no datasheet figure
    path: Path
    dsp: bool = False  # the core's DSP extension: selects the cortexm_dsp kernels
    clock: Clock | None = None  # [clock]: the clock tree the firmware brings up
    inference_pin: str | None = None  # [gpio] inference_active: high while inferring

    @property
    def cflags(self) -> tuple[str, ...]:
        """arm-none-eabi-gcc target flags for this board's core and FPU."""
        return (f"-mcpu={self.core}", "-mthumb", f"-mfpu={self.fpu}", "-mfloat-abi=hard")

    def summary(self) -> dict[str, Any]:
        """The row ``tinyedge boards`` prints."""
        return {
            "name": self.name, "mcu": self.mcu, "core": self.core, "fpu": self.fpu,
            "clock_hz": self.clock_hz, "flash_bytes": self.memory.flash_bytes,
            "ram_bytes": self.memory.ram_bytes, "emulator": self.emulator.qemu_machine,
        }


def boards_dir() -> Path:
    """``$TINYEDGE_BOARDS`` or the ``boards/`` folder next to the package."""
    env = os.environ.get("TINYEDGE_BOARDS")
    return Path(env) if env else resources.boards_dir()


def board_names(root: Path | None = None) -> list[str]:
    return sorted(p.stem for p in (root or boards_dir()).glob("*.toml"))


def load_board(name: str, root: Path | None = None) -> Board:
    """The validated board ``name`` (a file stem in the boards folder)."""
    folder = root or boards_dir()
    path = folder / f"{name}.toml"
    if not path.is_file():
        known = ", ".join(board_names(folder)) or "none"
        raise BoardError(f"unknown board {name!r}; known boards: {known}")
    return load_board_file(path)


def all_boards(root: Path | None = None) -> list[Board]:
    return [load_board(n, root) for n in board_names(root)]


MAX_BOARD_FILE_BYTES = 1024 * 1024  # a board file is a few hundred bytes


def load_board_file(path: Path) -> Board:
    if not path.is_file():
        raise BoardError(f"{path}: not a regular file; a board file is boards/<name>.toml")
    if path.stat().st_size > MAX_BOARD_FILE_BYTES:
        raise BoardError(f"{path}: {path.stat().st_size:,} bytes is far too large for a board "
                         "file; fix the file")
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError) as exc:
        raise BoardError(f"{path}: cannot read board file ({exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise BoardError(f"{path}: not valid TOML ({exc}); fix the file") from exc
    return _Reader(path, data).board()


class _Reader:
    """Typed field access that names the file and field in every error."""

    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        self.data = data

    def fail(self, table: str | None, key: str, problem: str) -> BoardError:
        where = f"[{table}] {key}" if table else key
        return BoardError(f"{self.path}: {where} {problem}; fix the board file")

    def table(self, name: str, required: bool = True) -> dict[str, Any] | None:
        value = self.data.get(name)
        if value is None and not required:
            return None
        if not isinstance(value, dict):
            raise self.fail(None, f"[{name}]", "is missing (must be a table)")
        return value

    def get(self, table: str | None, key: str, kind: type, required: bool = True) -> Any:
        src = self.data if table is None else self.data[table]
        if key not in src:
            if required:
                raise self.fail(table, key, "is missing")
            return None
        value = src[key]
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value, ok = float(value), True
        if not ok:
            raise self.fail(table, key, f"must be {kind.__name__}, got {value!r}")
        if kind is float and not math.isfinite(value):
            raise self.fail(table, key, f"must be a finite number, got {value!r}")
        return value

    def positive(self, table: str | None, key: str) -> int:
        value = self.get(table, key, int)
        if value <= 0:
            raise self.fail(table, key, f"must be a positive integer, got {value}")
        return value

    def choice(self, table: str | None, key: str, allowed: tuple[str, ...]) -> str:
        value = self.get(table, key, str)
        if value not in allowed:
            raise self.fail(table, key, f"must be one of {', '.join(allowed)}, got {value!r}")
        return value

    def board(self) -> Board:
        name = self.get(None, "name", str)
        if name != self.path.stem:
            raise self.fail(None, "name", f"must equal the file name {self.path.stem!r}")
        core = self.choice(None, "core", tuple(CORE_FPUS))
        fpu = self.choice(None, "fpu", CORE_FPUS[core])
        for table in ("memory", "uart", "flash", "emulator"):
            self.table(table)
        return Board(
            name=name, description=self.get(None, "description", str),
            mcu=self.get(None, "mcu", str), core=core, fpu=fpu,
            clock_hz=self.positive(None, "clock_hz"),
            platform=self.platform(None, "platform"),
            memory=self.memory(), uart=self.uart(), flash=self.flash(),
            emulator=self.emulator(), power=self.power(), path=self.path,
            dsp=self.dsp(core), clock=self.clock(), inference_pin=self.gpio(),
        )

    def dsp(self, core: str) -> bool:
        value = self.get(None, "dsp", bool, required=False)
        if value is None:
            return core in DSP_CORES
        if value and core not in DSP_CORES:
            raise self.fail(None, "dsp", f"is true but {core} has no DSP extension")
        return value

    def platform(self, table: str | None, key: str) -> str:
        value = self.get(table, key, str)
        root = resources.firmware_dir() / "platform"
        if not (root / value / "platform.c").is_file():
            raise self.fail(table, key, f"names no platform layer in {root}")
        return value

    def memory(self) -> Memory:
        t = "memory"
        m = Memory(
            flash_origin=self.get(t, "flash_origin", int),
            flash_bytes=self.positive(t, "flash_bytes"),
            ram_origin=self.get(t, "ram_origin", int),
            ram_bytes=self.positive(t, "ram_bytes"),
            sram_total_bytes=self.positive(t, "sram_total_bytes"),
            stack_bytes=self.positive(t, "stack_bytes"),
            ram_note=self.get(t, "ram_note", str),
        )
        if m.stack_bytes % 8 or m.stack_bytes >= m.ram_bytes:
            raise self.fail(t, "stack_bytes", "must be a multiple of 8 smaller than ram_bytes")
        if m.ram_bytes > m.sram_total_bytes:
            raise self.fail(t, "ram_bytes", "must not exceed sram_total_bytes")
        return m

    def uart(self) -> Uart:
        t = "uart"
        u = Uart(self.get(t, "peripheral", str), self.get(t, "base", int),
                 self.get(t, "pins", str), self.get(t, "connection", str),
                 self.positive(t, "baud"),
                 tx=self.pin(t, "tx"), rx=self.pin(t, "rx"),
                 af=self.get(t, "af", int, required=False),
                 bus=self.get(t, "bus", str, required=False),
                 enable=self.get(t, "enable", str, required=False),
                 kind=self.get(t, "kind", str, required=False) or "usart")
        if u.af is not None and not 0 <= u.af <= 15:
            raise self.fail(t, "af", f"must be within 0..15, got {u.af}")
        if u.bus is not None and u.bus not in ("apb1", "apb2", "apb3", "apb4"):
            raise self.fail(t, "bus", f"must be one of apb1, apb2, apb3, apb4, got {u.bus!r}")
        if u.enable is not None and not ENABLE_PATTERN.fullmatch(u.enable):
            raise self.fail(t, "enable", f"must name an RCC enable register and bit like "
                                         f"\"APB1ENR.18\", got {u.enable!r}")
        if u.kind not in ("usart", "lpuart"):
            raise self.fail(t, "kind", f"must be usart or lpuart, got {u.kind!r}")
        return u

    def pin(self, table: str, key: str) -> str | None:
        value = self.get(table, key, str, required=False)
        if value is not None and not PIN_PATTERN.fullmatch(value):
            raise self.fail(table, key, f"must be a GPIO pin like \"PB0\", got {value!r}")
        return value

    def gpio(self) -> str | None:
        if self.table("gpio", required=False) is None:
            return None
        return self.pin("gpio", "inference_active")

    def clock(self) -> Clock | None:
        t = "clock"
        if self.table(t, required=False) is None:
            return None
        source = self.choice(t, "source", CLOCK_SOURCES)
        weights = self.choice(t, "weights", WEIGHT_PLACEMENTS)
        pll = None
        table = self.data[t].get("pll")
        if table is not None:
            if not isinstance(table, dict):
                raise self.fail(t, "pll", "must be a table ([clock.pll])")
            values = {}
            for key in ("m", "n", "p", "q", "r", "rev_y_n"):
                value = table.get(key)
                if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                          or value <= 0):
                    raise self.fail(t, f"pll.{key}", f"must be a positive integer, got {value!r}")
                values[key] = value
            for key in ("m", "n"):
                if values[key] is None:
                    raise self.fail(t, f"pll.{key}", "is missing")
            pll = Pll(**values)
        divs = {}
        for bus in ("apb1", "apb2", "apb3", "apb4"):
            value = self.get(t, f"{bus}_div", int, required=False)
            if value is not None:
                divs[bus] = value
        clock = Clock(source=source, hse_hz=self.get(t, "hse_hz", int, required=False),
                      voltage=self.get(t, "voltage", str, required=False),
                      flash_wait_states=self.get(t, "flash_wait_states", int, required=False),
                      ahb_div=self.get(t, "ahb_div", int, required=False) or 1,
                      apb_divs=divs, caches=bool(self.get(t, "caches", bool, required=False)),
                      weights=weights, pll=pll)
        if clock.caches and self.data.get("core") != "cortex-m7":
            raise self.fail(t, "caches", "is true but only the Cortex-M7 has L1 caches")
        platform = self.data.get("platform")
        for field, problem in check_clock(str(platform), clock, self.data.get("clock_hz", 0)):
            raise self.fail(t, field, problem)
        return clock

    def flash(self) -> FlashMethod:
        t = "flash"
        method = self.choice(t, "method", FLASH_METHODS)
        f = FlashMethod(method, self.get(t, "openocd_config", str, required=False),
                        self.get(t, "pyocd_target", str, required=False),
                        bool(self.get(t, "mass_storage", bool, required=False)))
        if method == "openocd" and f.openocd_config is None:
            raise self.fail(t, "openocd_config", "is missing (method is openocd)")
        if method == "pyocd" and f.pyocd_target is None:
            raise self.fail(t, "pyocd_target", "is missing (method is pyocd)")
        return f

    def emulator(self) -> Emulator:
        t = "emulator"
        shift = self.get(t, "icount_shift", int)
        if not 0 <= shift <= 10:
            raise self.fail(t, "icount_shift", f"must be within 0…10, got {shift}")
        return Emulator(
            qemu_machine=self.choice(t, "qemu_machine", QEMU_MACHINES),
            platform=self.platform(t, "platform"),
            flash_origin=self.get(t, "flash_origin", int),
            ram_origin=self.get(t, "ram_origin", int),
            icount_shift=shift, counter_hz=self.positive(t, "counter_hz"),
            renode_platform=self.get(t, "renode_platform", str, required=False),
            preload_origin=self.get(t, "preload_origin", int, required=False),
            preload_bytes=self.get(t, "preload_bytes", int, required=False) or 0,
        )

    def power(self) -> Power | None:
        t = "power"
        if self.table(t, required=False) is None:
            return None
        p = Power(self.get(t, "supply_v", float), self.get(t, "run_current_ma", float),
                  self.get(t, "conditions", str), self.get(t, "source", str))
        if p.supply_v <= 0 or p.run_current_ma <= 0:
            raise self.fail(t, "run_current_ma", "and supply_v must be positive")
        return p
