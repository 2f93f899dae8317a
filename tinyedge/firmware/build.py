"""Cross-compile a model into firmware for a board (or for the board's emulator stand-in).

Steps: compile the model (AOT) for the board's kernel variant (``cortexm_dsp`` on cores
with the DSP extension, ``reference`` otherwise; its per-layer scratch is planned in the
arena), check that it fits the board *before* running any compiler, generate
``model.c``/``model.h``, compile the platform layer, the app and the kernels with
arm-none-eabi-gcc, link with the board's memory regions, and report flash and
RAM use from the ELF's sections.

Section accounting (see ``firmware/platform/common/linker.ld.in``):
  flash code    = .text (vectors, code, const data outside the model) + .ARM.exidx
                  + the .data load image
  flash weights = .te_weights (model.o's read-only data: weights, biases, quantization,
                  layer tables)
  RAM arena     = .te_arena;  RAM static = .data + .bss;  RAM stack = .stack (reserved)
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tinyedge import protocol
from tinyedge.boards import Board, load_board
from tinyedge.errors import TinyedgeError
from tinyedge.firmware import kernel_constants
from tinyedge.firmware.board_header import board_header
from tinyedge.firmware.compiler import CompiledModel
from tinyedge.firmware.host import compile_model, firmware_root, kernel_sources
from tinyedge.firmware.memory_plan import plan_report
from tinyedge.layout import (
    BUILD_DIR,
    FIRMWARE_BIN,
    FIRMWARE_ELF,
    MEMORY_JSON,
    build_folder,
    model_name,
    stored_path,
)

Target = Literal["board", "emulator"]
# smoke: run the model once on a zero image, print outputs and counts, exit
# (firmware/app/smoke). protocol: the serial protocol loop (top level of firmware/app).
App = Literal["smoke", "protocol"]
# Kernel variant per board: the Cortex-M DSP kernels where the core has the extension,
# the reference kernels (the oracle) elsewhere. host_simd is for host builds only.
FIRMWARE_VARIANTS = ("reference", "cortexm_dsp")
# Flash the firmware needs besides the model's const data: platform (with the clock
# bring-up), app, kernels, libc pieces. Measured for MobileNetV2 (every kernel in use) with
# the cortexm_dsp kernels at -O3: 35.3-35.5 KB on every STM32 board; budgeted with headroom.
CODE_BUDGET_BYTES = 40 * 1024
# .data + .bss besides the arena (measured: under 100 bytes) plus headroom.
STATIC_BUDGET_BYTES = 2 * 1024
# te_frame_decoder: TE_FRAME_MAX_PAYLOAD + state and header bytes (tinyedge.protocol).
FRAME_RECEIVER_BYTES = protocol.REQUEST_MAX_PAYLOAD + protocol.FRAME_DECODER_OVERHEAD
# Per layer: params struct, dims, quant table pointers, the layer table entry.
LAYER_CONST_BYTES = 96
CFLAGS = ("-std=c11", "-O2", "-ffunction-sections", "-fdata-sections", "-Wall", "-Wextra")
# Extra flags for the kernel files of each variant (appended, so the last -O wins).
# Chosen by measurement on QEMU (exact instructions per inference, untrained 100-class
# ScaleCNN c=8 / MobileNetV2 m=0.35, cortexm_dsp kernels, arm-none-eabi-gcc 12.2):
#   Cortex-M7 (mps2-an500): -Os 7.00 / 21.85 M, -O2 6.92 / 21.12 M,
#                           -O2 -funroll-loops 6.86 / 19.99 M, -O3 6.80 / 19.55 M
#   Cortex-M4 (mps2-an386): -Os 7.00 / 21.85 M, -O2 6.89 / 20.91 M,
#                           -O2 -funroll-loops 6.84 / 20.07 M, -O3 6.75 / 19.71 M
# so -O3 on both cores (the rest of the firmware stays at -O2).
KERNEL_CFLAGS = {"reference": (), "cortexm_dsp": ("-O3",)}
LDFLAGS = ("-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs", "-Wl,--gc-sections")


class FitError(TinyedgeError):
    """A model that does not fit the board's flash or RAM."""


class ToolchainError(TinyedgeError):
    """The cross toolchain is missing or failed."""


@dataclass(frozen=True)
class MemoryReport:
    """Flash and RAM use in bytes against the board's limits."""

    flash_limit: int
    flash_code: int
    flash_weights: int
    ram_limit: int
    ram_arena: int
    ram_static: int
    ram_stack: int

    @property
    def flash_used(self) -> int:
        return self.flash_code + self.flash_weights

    @property
    def ram_used(self) -> int:
        return self.ram_arena + self.ram_static + self.ram_stack

    def to_dict(self) -> dict[str, dict[str, int]]:
        return {
            "flash": {"limit": self.flash_limit, "used": self.flash_used,
                      "code": self.flash_code, "weights": self.flash_weights},
            "ram": {"limit": self.ram_limit, "used": self.ram_used, "arena": self.ram_arena,
                    "static": self.ram_static, "stack": self.ram_stack},
        }

    def lines(self) -> list[str]:
        """The human-readable report the CLI prints."""
        def pct(used: int, limit: int) -> str:
            return f"{100 * used / limit:5.1f}%"

        return [
            f"flash {self.flash_used:>10,} of {self.flash_limit:>10,} bytes "
            f"({pct(self.flash_used, self.flash_limit)}): code {self.flash_code:,}, "
            f"weights {self.flash_weights:,}",
            f"RAM   {self.ram_used:>10,} of {self.ram_limit:>10,} bytes "
            f"({pct(self.ram_used, self.ram_limit)}): arena {self.ram_arena:,}, "
            f"static {self.ram_static:,}, stack {self.ram_stack:,} (reserved)",
        ]


@dataclass(frozen=True)
class BuildResult:
    board: Board
    target: Target
    model_name: str
    out_dir: Path
    elf: Path
    bin: Path
    memory_json: Path
    memory: MemoryReport
    estimate: MemoryReport


@dataclass(frozen=True)
class _Layout:
    """What differs between a board build and its emulator build."""

    platform: str
    flash_origin: int
    ram_origin: int
    count_unit: str
    count_num: int
    count_den: int


def default_out_dir(board: Board, name: str, target: Target, model_sha256: str = "",
                    root: str | Path = BUILD_DIR) -> Path:
    """Where a build goes by default (:func:`tinyedge.layout.build_folder`)."""
    emulator = None if target == "board" else board.emulator.qemu_machine
    return build_folder(board.name, name, model_sha256, emulator=emulator, root=root)


def format_bytes(n: int) -> str:
    """1048576 -> '1 MB', 61440 -> '60 KB', 4928307 -> '4.7 MB' (binary units)."""
    for unit, size in (("MB", 2**20), ("KB", 2**10)):
        if n >= size:
            return f"{n / size:.1f}".rstrip("0").rstrip(".") + f" {unit}"
    return f"{n} B"


def protocol_static_bytes(compiled: CompiledModel) -> int:
    """Static RAM of the serial-protocol app (firmware/app/te_protocol.c): the frame
    receiver (TE_FRAME_MAX_PAYLOAD + header), the host's input kept apart from the arena,
    and the per-layer profile reply (12 bytes a layer)."""
    input_bytes = compiled.graph.tensors[compiled.graph.inputs[0]].nbytes
    return FRAME_RECEIVER_BYTES + input_bytes + protocol.PROFILE_ENTRY.size * len(compiled.layers)


def estimate_memory(board: Board, compiled: CompiledModel, app: App = "protocol"
                    ) -> MemoryReport:
    """Flash and RAM the firmware will need, from the compiled model alone."""
    weights = sum(a.nbytes for layer in compiled.layers for a in layer.consts.values())
    weights += LAYER_CONST_BYTES * len(compiled.layers)
    arena = math.ceil(compiled.arena_size / 16) * 16
    static = STATIC_BUDGET_BYTES + (protocol_static_bytes(compiled) if app == "protocol" else 0)
    return MemoryReport(board.memory.flash_bytes, CODE_BUDGET_BYTES, weights,
                        board.memory.ram_bytes, arena, static, board.memory.stack_bytes)


def fits(estimate: MemoryReport) -> bool:
    return (estimate.flash_used <= estimate.flash_limit
            and estimate.ram_used <= estimate.ram_limit)


def check_fit(board: Board, name: str, estimate: MemoryReport) -> None:
    """Raise :class:`FitError` with the numbers when the estimate exceeds the board."""
    fb = format_bytes
    if estimate.flash_used > estimate.flash_limit:
        raise FitError(
            f"{name} needs {fb(estimate.flash_used)} flash (weights "
            f"{fb(estimate.flash_weights)} + code {fb(estimate.flash_code)}), {board.name} has "
            f"{fb(estimate.flash_limit)}; pick a smaller width or a board with more flash")
    if estimate.ram_used > estimate.ram_limit:
        raise FitError(
            f"{name} needs {fb(estimate.ram_used)} RAM (arena {fb(estimate.ram_arena)} + "
            f"static {fb(estimate.ram_static)} + stack {fb(estimate.ram_stack)}), {board.name} "
            f"has {fb(estimate.ram_limit)} in its linker RAM region; pick a smaller width or a "
            f"board with more RAM")


def kernel_variant(board: Board) -> str:
    """The kernel variant a firmware build for ``board`` uses by default."""
    return "cortexm_dsp" if board.dsp else "reference"


def check_variant(board: Board, variant: str) -> None:
    if variant not in FIRMWARE_VARIANTS:
        raise TinyedgeError(f"unknown firmware kernel variant {variant!r}; choose one of "
                            f"{', '.join(FIRMWARE_VARIANTS)}")
    if variant == "cortexm_dsp" and not board.dsp:
        raise TinyedgeError(f"kernel variant cortexm_dsp needs a core with the DSP extension; "
                            f"{board.name} ({board.core}) has none: use reference")


def build_firmware(
    board: str | Board,
    model_path: str | Path,
    out_dir: str | Path | None = None,
    target: Target = "board",
    app: App = "protocol",
    variant: str | None = None,
) -> BuildResult:
    """Fit-check, generate, cross-compile and link ``model_path`` for ``board``; write
    ``firmware.elf``, ``firmware.bin``, ``memory.json`` (and the map file) into
    ``out_dir`` (default :func:`default_out_dir`). ``variant`` picks the kernels
    (default: :func:`kernel_variant` of the board, or the reference kernels when only
    those fit; memory.json names the one used). Nothing is written when the model does
    not fit or the build fails."""
    b = board if isinstance(board, Board) else load_board(board)
    if target not in ("board", "emulator"):
        raise TinyedgeError(f"unknown build target {target!r}; use board or emulator")
    chosen = variant or kernel_variant(b)
    check_variant(b, chosen)
    path = Path(model_path)
    name = model_name(path)
    compiled, generated = compile_model(path, chosen)
    estimate = estimate_memory(b, compiled, app)
    if variant is None and chosen != "reference" and not fits(estimate):
        # The DSP layouts cost flash (channel-pair padding, int16 depthwise weights, the
        # requantization table): a model that fits only with the reference kernels
        # still builds, with those.
        chosen = "reference"
        compiled, generated = compile_model(path, chosen)
        estimate = estimate_memory(b, compiled, app)
    variant = chosen
    check_fit(b, name, estimate)
    tools = _toolchain()
    out = Path(out_dir) if out_dir is not None else default_out_dir(
        b, name, target, hashlib.sha256(path.read_bytes()).hexdigest())
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=f".{out.name}-") as tmp:
        work = Path(tmp)
        for file_name, text in generated.files.items():
            (work / file_name).write_text(text)
        layout = _layout(b, target)
        # The board file as C macros: clock tree, UART, pins (tinyedge/firmware/board_header.py).
        (work / "te_board_gen.h").write_text(board_header(b))
        kernel_constants.write_header(work)  # the kernels' shared geometry
        if app == "protocol":
            (work / "te_protocol_gen.h").write_text(protocol.c_header())
            (work / "build_info.c").write_text(build_info_source(b, target, path,
                                                                 compiled.input.nbytes))
        elif app != "smoke":
            raise TinyedgeError(f"unknown firmware app {app!r}; use smoke or protocol")
        elf = _compile_and_link(b, layout, work, tools, app, variant)
        _run([tools["objcopy"], "-O", "binary", str(elf), str(work / FIRMWARE_BIN)])
        memory = measure(b, elf, tools["size"])
        payload = {"board": b.name, "target": target, "model": name,
                   "model_path": stored_path(path),
                   "platform": layout.platform, "cflags": list(b.cflags),
                   "kernel_variant": variant,
                   "kernel_cflags": [*CFLAGS, *KERNEL_CFLAGS[variant]],
                   **memory.to_dict(), "estimate": estimate.to_dict(),
                   "sections": section_sizes(elf, tools["size"]),
                   # the layer table (profile order, MACs) and the arena plan, for the report
                   **plan_report(compiled)}
        (work / MEMORY_JSON).write_text(json.dumps(payload, indent=2) + "\n")
        _publish(work, out)
    return BuildResult(b, target, name, out, out / FIRMWARE_ELF, out / FIRMWARE_BIN,
                       out / MEMORY_JSON, memory, estimate)


def _layout(board: Board, target: Target) -> _Layout:
    if target == "board":
        m = board.memory
        return _Layout(board.platform, m.flash_origin, m.ram_origin, "cycles", 1, 1)
    emu = board.emulator
    # instructions = ticks * 1e9 / (counter_hz * 2**shift), as a reduced fraction
    num, den = 1_000_000_000, emu.counter_hz * 2**emu.icount_shift
    g = math.gcd(num, den)
    return _Layout(emu.platform, emu.flash_origin, emu.ram_origin, "instructions",
                   num // g, den // g)


def _toolchain() -> dict[str, str]:
    tools = {}
    for tool in ("gcc", "objcopy", "size"):
        found = shutil.which(f"arm-none-eabi-{tool}")
        if found is None:
            raise ToolchainError(f"arm-none-eabi-{tool} not found; install the Arm cross "
                                 f"toolchain (apt-get install gcc-arm-none-eabi "
                                 f"libnewlib-arm-none-eabi)")
        tools[tool] = found
    return tools


def platform_dirs(platform: str) -> list[Path]:
    """The platform's directory and the shared directories listed in its ``deps`` file."""
    root = firmware_root() / "platform"
    deps = (root / platform / "deps").read_text().split() if (root / platform / "deps").is_file() \
        else []
    return [root / d for d in deps] + [root / platform]


def app_dir(app: App) -> Path:
    root = firmware_root() / "app"
    return root / "smoke" if app == "smoke" else root


def firmware_sources(platform: str, app: App, variant: str = "reference") -> list[Path]:
    """C sources of one firmware image besides the generated model.c (and build_info.c)."""
    sources = [s for d in platform_dirs(platform) for s in sorted(d.glob("*.c"))]
    return sources + sorted(app_dir(app).glob("*.c")) + kernel_sources(variant)



def linker_script(flash_origin: int, flash_bytes: int, ram_origin: int, ram_bytes: int,
                  stack_bytes: int) -> str:
    text = (firmware_root() / "platform" / "common" / "linker.ld.in").read_text()
    values = {"FLASH_ORIGIN": flash_origin, "FLASH_BYTES": flash_bytes,
              "RAM_ORIGIN": ram_origin, "RAM_BYTES": ram_bytes, "STACK_BYTES": stack_bytes}
    for key, value in values.items():
        text = text.replace(f"@{key}@", f"0x{value:08X}")
    return text


def _compile_and_link(board: Board, layout: _Layout, work: Path, tools: dict[str, str],
                      app: App, variant: str = "reference") -> Path:
    root = firmware_root()
    includes = [root / "include", root / "kernels", work, app_dir(app),
                *platform_dirs(layout.platform)]
    defines = [f'-DTE_BOARD_NAME="{board.name}"', f'-DTE_COUNT_UNIT="{layout.count_unit}"',
               f"-DTE_COUNT_NUM={layout.count_num}u", f"-DTE_COUNT_DEN={layout.count_den}u",
               f"-DTE_TARGET_EMULATOR={1 if layout.count_unit == 'instructions' else 0}"]
    flags = [*board.cflags, *CFLAGS, *defines, *(f"-I{i}" for i in includes)]
    objects = []
    generated = sorted(p for p in work.glob("*.c") if p.name != "model.c")
    sources = [*firmware_sources(layout.platform, app, variant), *generated, work / "model.c"]
    kernel_dir = root / "kernels"
    for i, source in enumerate(sources):
        # model.o keeps its name: the linker script routes its read-only data to flash
        # section .te_weights by file name.
        obj = work / ("model.o" if source.name == "model.c" else f"{i:02d}_{source.stem}.o")
        extra = KERNEL_CFLAGS[variant] if source.is_relative_to(kernel_dir) else ()
        _run([tools["gcc"], *flags, *extra, "-c", str(source), "-o", str(obj)])
        objects.append(obj)
    m = board.memory
    (work / "linker.ld").write_text(linker_script(layout.flash_origin, m.flash_bytes,
                                                  layout.ram_origin, m.ram_bytes, m.stack_bytes))
    elf = work / FIRMWARE_ELF
    _run([tools["gcc"], *board.cflags, *LDFLAGS, f"-T{work / 'linker.ld'}",
          f"-Wl,-Map={work / 'firmware.map'}", *map(str, objects), "-o", str(elf)])
    for obj in objects:
        obj.unlink()
    return elf


def build_info_source(board: Board, target: Target, model_path: Path, input_size: int) -> str:
    """``build_info.c`` for the protocol app (``firmware/app/te_app.h``); ``input_size`` is
    one input's bytes."""
    sha = hashlib.sha256(model_path.read_bytes()).digest()
    emu = board.emulator
    on_emulator = target == "emulator"
    base = emu.preload_origin if on_emulator and emu.preload_origin is not None else 0
    capacity = emu.preload_bytes // input_size if base else 0
    name = ", ".join(f"'{c}'" for c in board.name[:15])
    return "\n".join([
        f"/* Generated by tinyedge.firmware.build for {board.name} ({target}). Do not edit. */",
        '#include "te_app.h"',
        "",
        "const te_build_info te_build = {",
        f"    .board = {{{name}}},",
        "    .model_sha256 = {" + ", ".join(f"0x{b:02x}" for b in sha) + "},",
        f"    .clock_hz = {emu.counter_hz if on_emulator else board.clock_hz}u,",
        f"    .counter_kind = {0 if on_emulator else 1},",
        f"    .batch_base = 0x{base:08x}u,",
        f"    .batch_capacity = {capacity}u,",
        "};",
        "",
    ])


def _run(cmd: list[str]) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        tool = Path(cmd[0]).name
        raise ToolchainError(f"{tool} failed: {result.stderr.strip()[-3000:]}")


def section_sizes(elf: Path, size_tool: str = "arm-none-eabi-size") -> dict[str, int]:
    """Allocated sections of ``elf`` and their sizes, from ``arm-none-eabi-size -A``."""
    out = subprocess.run([size_tool, "-A", str(elf)], capture_output=True, text=True,
                         check=True).stdout
    sizes = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0].startswith(".") and parts[1].isdigit():
            sizes[parts[0]] = int(parts[1])
    return sizes


def measure(board: Board, elf: Path, size_tool: str = "arm-none-eabi-size") -> MemoryReport:
    s = section_sizes(elf, size_tool)
    data = s.get(".data", 0)
    return MemoryReport(
        flash_limit=board.memory.flash_bytes,
        flash_code=s.get(".text", 0) + s.get(".ARM.exidx", 0) + data,
        flash_weights=s.get(".te_weights", 0),
        ram_limit=board.memory.ram_bytes,
        ram_arena=s.get(".te_arena", 0),
        ram_static=data + s.get(".bss", 0),
        ram_stack=s.get(".stack", 0),
    )


def _publish(work: Path, out: Path) -> None:
    """Replace ``out`` with the finished build in one rename (no half-written folder)."""
    if out.exists():
        old = out.with_name(f".{out.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        out.rename(old)
        work.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        work.rename(out)
    work.mkdir()  # let TemporaryDirectory clean up an empty directory

