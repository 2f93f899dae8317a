"""The STM32 clock bring-up (firmware/platform/<family>/clock.c), compiled for the host
against a simulated register file (tests/firmware/regsim/regsim.c) that logs every
register write in order and models the RCC/PWR ready bits: the ORDER of the bring-up
(voltage and over-drive, wait states before the clock rises, prescalers before the
switch), the PLL values from the board file, the Cortex-M7 cache sequence, and the
bounded-timeout fallback when an oscillator, the PLL, the voltage regulator or the flash
does not answer. The same C runs on the boards; the QEMU run of the fallback is in
tests/device/test_clock_report.py."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tinyedge.boards import BoardError, load_board, load_board_file
from tinyedge.firmware.board_header import board_header
from tinyedge.protocol import ClockSource, ClockStatus
from tinyedge.resources import firmware_dir

REGSIM = Path(__file__).parent / "regsim" / "regsim.c"
pytestmark = pytest.mark.tools("gcc")

# Ready-bit models per family: (register written, bits) -> (register, ready bits).
F4F7_RCC = ["ready:40023800:10000:40023800:20000",      # HSEON -> HSERDY (RM0385 5.3.1)
            "ready:40023800:1000000:40023800:2000000",  # PLLON -> PLLRDY
            "mirror:40023808:3:2"]                      # CFGR.SW -> SWS
F7_OVERDRIVE = ["ready:40007000:10000:40007004:10000",  # ODEN -> ODRDY (RM0385 4.1.4)
                "ready:40007000:20000:40007004:20000"]  # ODSWEN -> ODSWRDY
H7_RULES = ["ready:5802480c:2:58024804:2000",           # PWR_CR3.LDOEN -> ACTVOSRDY
            "ready:58024818:c000:58024818:2000",        # D3CR.VOS = VOS1 -> VOSRDY
            "ready:58024400:10000:58024400:20000",      # HSEON -> HSERDY (RM0433 8.7.2)
            "ready:58024400:1000000:58024400:2000000",  # PLL1ON -> PLL1RDY
            "mirror:58024410:7:3"]                      # CFGR.SW -> SWS
L4_RULES = ["ready:40021000:100:40021000:400",          # HSION -> HSIRDY (RM0432 6.4.1)
            "ready:40021000:1000000:40021000:2000000",  # PLLON -> PLLRDY
            "mirror:40021008:3:2"]
# Cortex-M7 L1 D-cache of the F746 (4 KB: 32 sets, 4 ways, 32-byte lines) as CCSIDR says.
CCSIDR_F746 = "set:e000ed80=" + format((31 << 13) | (3 << 3) | 1, "x")


@dataclass
class Run:
    writes: list[tuple[int, int]]  # in order
    lines: list[str]
    core_hz: int
    uart_hz: int
    source: ClockSource
    status: ClockStatus

    def index(self, addr: int, pred=lambda v: True, start: int = 0) -> int:
        """Position (in the full log) of the first write to ``addr`` matching ``pred``."""
        for i, (a, v) in enumerate(self.writes[start:], start):
            if a == addr and pred(v):
                return i
        raise AssertionError(f"no write to 0x{addr:08x} matching; log: {self.writes}")

    def values(self, addr: int) -> list[int]:
        return [v for a, v in self.writes if a == addr]


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory):
    built: dict[tuple[str, str], Path] = {}

    def run(board_name: str, rules: list[str], board_file: Path | None = None) -> Run:
        board = load_board_file(board_file) if board_file else load_board(board_name)
        key = (board.name, str(board_file))
        if key not in built:
            folder = tmp_path_factory.mktemp(board.name)
            (folder / "te_board_gen.h").write_text(board_header(board))
            root = firmware_dir() / "platform"
            exe = folder / "regsim"
            subprocess.run(["gcc", "-std=c11", "-O1", "-Wall", "-Wextra", "-Werror",
                            "-DTE_REGSIM", f"-I{folder}", f"-I{root / 'stm32'}",
                            f"-I{root / 'common'}", str(root / board.platform / "clock.c"),
                            str(root / "stm32" / "stm32_clock.c"), str(REGSIM), "-o",
                            str(exe)], check=True, capture_output=True, text=True)
            built[key] = exe
        out = subprocess.run([str(built[key]), *rules], capture_output=True, text=True,
                             timeout=60, check=True).stdout.splitlines()
        writes = [(int(line.split()[1], 16), int(line.split()[2], 16)) if line[0] == "W"
                  else (-1, 0) for line in out if line[0] in "WB"]
        result = next(line for line in out if line.startswith("RESULT")).split()
        return Run(writes, out, int(result[1]), int(result[2]), ClockSource(int(result[3])),
                   ClockStatus(int(result[4])))

    return run


# --- STM32F746: 216 MHz from the 8 MHz ST-LINK MCO, over-drive --------------------------

RCC_CR, PLLCFGR, CFGR = 0x40023800, 0x40023804, 0x40023808
PWR_CR1, FLASH_ACR = 0x40007000, 0x40023C00


def test_f746_reaches_216_mhz_in_reference_manual_order(sim) -> None:
    run = sim("nucleo-f746", [*F4F7_RCC, *F7_OVERDRIVE, CCSIDR_F746])
    assert (run.core_hz, run.uart_hz) == (216_000_000, 54_000_000)  # USART3 on PCLK1
    assert (run.source, run.status) == (ClockSource.PLL_HSE, ClockStatus.OK)
    pll = run.values(PLLCFGR)[0]  # M, N, P, source, Q from boards/nucleo-f746.toml
    assert (pll & 0x3F, (pll >> 6) & 0x1FF, ((pll >> 16) & 3) * 2 + 2) == (4, 216, 2)
    assert (pll >> 22) & 1 == 1 and (pll >> 24) & 0xF == 9
    bypass = run.index(RCC_CR, lambda v: v & (1 << 18))
    hse_on = run.index(RCC_CR, lambda v: v & (1 << 16))
    pll_on = run.index(RCC_CR, lambda v: v & (1 << 24))
    scale1 = run.index(PWR_CR1, lambda v: (v >> 14) & 3 == 3)
    oden = run.index(PWR_CR1, lambda v: v & (1 << 16))
    odswen = run.index(PWR_CR1, lambda v: v & (1 << 17))
    flash = run.index(FLASH_ACR, lambda v: v & 0xF == 7)
    prescalers = run.index(CFGR, lambda v: (v >> 10) & 7 == 0b101)  # APB1 /4
    switch = run.index(CFGR, lambda v: v & 3 == 2)
    # RM0385 4.1.4: scale 1, PLL on, then ODEN/ODSWEN; 3.3.2: wait states before the
    # clock rises; 5.3.3: prescalers so PCLK1 <= 54 MHz before SYSCLK becomes 216 MHz.
    assert scale1 < bypass < hse_on < pll_on < oden < odswen < flash < prescalers < switch
    assert run.values(FLASH_ACR)[0] & (1 << 9) and run.values(FLASH_ACR)[0] & (1 << 8)  # ART
    assert all((v >> 10) & 7 == 0b101 for v in run.values(CFGR)[-1:])


def test_f746_caches_are_invalidated_before_they_are_enabled(sim) -> None:
    run = sim("nucleo-f746", [*F4F7_RCC, *F7_OVERDRIVE, CCSIDR_F746])
    start = run.lines.index(next(line for line in run.lines if line.startswith("RESULT")))
    log = run.lines[start:]
    iciallu = log.index("W e000ef50 00000000")
    dcisw = [i for i, line in enumerate(log) if line.startswith("W e000ef60")]
    ccr = [i for i, line in enumerate(log) if line.startswith("W e000ed14")]
    assert len(dcisw) == 32 * 4  # every set and way of the 4 KB D-cache
    values = {log[i].split()[2] for i in dcisw}
    assert len(values) == 128 and "c00003e0" in values  # way 3 << 30 | set 31 << 5
    ic_on, dc_on = ccr
    assert iciallu < ic_on < dcisw[0] and dcisw[-1] < dc_on
    assert int(log[ic_on].split()[2], 16) & (1 << 17)
    assert int(log[dc_on].split()[2], 16) & (1 << 16)
    assert log[iciallu + 1] == "B dsb" and log[dc_on - 1] == "B dsb"
    assert log[dc_on + 1:dc_on + 3] == ["B dsb", "B isb"]


@pytest.mark.parametrize("missing, status", [
    ("ready:40023800:10000:40023800:20000", ClockStatus.HSE_FAILED),
    ("ready:40023800:1000000:40023800:2000000", ClockStatus.PLL_FAILED),
    ("ready:40007000:20000:40007004:20000", ClockStatus.VOLTAGE_FAILED),
])
def test_f746_falls_back_to_hsi_when_a_ready_bit_never_comes(sim, missing, status) -> None:
    rules = [r for r in [*F4F7_RCC, *F7_OVERDRIVE] if r != missing]
    run = sim("nucleo-f746", [*rules, CCSIDR_F746])
    assert (run.core_hz, run.uart_hz) == (16_000_000, 16_000_000)  # HSI, prescalers /1
    assert (run.source, run.status) == (ClockSource.HSI, status)
    assert not any(v & 3 == 2 for v in run.values(CFGR))  # never switched to the PLL


def test_f746_refuses_to_raise_the_clock_when_wait_states_do_not_read_back(sim) -> None:
    run = sim("nucleo-f746", [*F4F7_RCC, *F7_OVERDRIVE, CCSIDR_F746, "rozero:40023c00"])
    assert (run.core_hz, run.source, run.status) == (16_000_000, ClockSource.HSI,
                                                      ClockStatus.FLASH_FAILED)
    assert not any(v & 3 == 2 for v in run.values(CFGR))


# --- STM32F405: 168 MHz from the Netduino's 25 MHz crystal ---------------------------------

def test_f405_reaches_168_mhz_with_wait_states_first(sim) -> None:
    run = sim("netduinoplus2", F4F7_RCC)
    assert (run.core_hz, run.uart_hz) == (168_000_000, 84_000_000)  # USART1 on PCLK2
    assert (run.source, run.status) == (ClockSource.PLL_HSE, ClockStatus.OK)
    pll = run.values(PLLCFGR)[0]
    assert (pll & 0x3F, (pll >> 6) & 0x1FF, (pll >> 24) & 0xF) == (25, 336, 7)
    assert not any(v & (1 << 18) for v in run.values(RCC_CR))  # a crystal: no bypass
    vos = run.index(0x40007000, lambda v: v & (1 << 14))
    pll_on = run.index(RCC_CR, lambda v: v & (1 << 24))
    flash = run.index(FLASH_ACR, lambda v: v & 0xF == 5)
    switch = run.index(CFGR, lambda v: v & 3 == 2)
    assert vos < pll_on < flash < switch
    assert run.values(FLASH_ACR)[0] & 0x700 == 0x700  # prefetch, I- and D-cache lines


def test_f405_without_an_rcc_model_times_out_and_reports_hsi(sim) -> None:
    """QEMU's netduinoplus2: RCC registers read 0 and nothing ever becomes ready."""
    run = sim("netduinoplus2", [])
    assert (run.core_hz, run.uart_hz, run.source, run.status) == (
        16_000_000, 16_000_000, ClockSource.HSI, ClockStatus.HSE_FAILED)


# --- STM32H743: 480 MHz on revision V, 400 MHz on revision Y ------------------------------

H7_CR, H7_CFGR, H7_DIVR, H7_D3CR = 0x58024400, 0x58024410, 0x58024430, 0x58024818


@pytest.mark.parametrize("idc, hz, vos0", [(0x20036450, 480_000_000, True),
                                           (0x10036450, 400_000_000, False)])
def test_h743_reaches_the_rated_clock_of_its_revision(sim, idc, hz, vos0) -> None:
    run = sim("nucleo-h743", [*H7_RULES, f"set:5c001000={idc:x}", CCSIDR_F746])
    assert (run.core_hz, run.uart_hz) == (hz, 120_000_000 if vos0 else 100_000_000)
    assert (run.source, run.status) == (ClockSource.PLL_HSE, ClockStatus.OK)
    supply = run.index(0x5802480C, lambda v: v & 2)
    vos1 = run.index(H7_D3CR, lambda v: (v >> 14) & 3 == 3)
    oden = [i for i, (a, v) in enumerate(run.writes) if a == 0x5800042C and v & 1]
    pll_on = run.index(H7_CR, lambda v: v & (1 << 24))
    flash = run.index(0x52002000, lambda v: v & 0xF == 4 and (v >> 4) & 3 == 2)
    d1 = run.index(0x58024418, lambda v: v & 0xF == 0b1000)  # HPRE /2: AXI 240 MHz
    switch = run.index(H7_CFGR, lambda v: v & 7 == 3)
    assert supply < vos1 < pll_on < flash < d1 < switch
    assert bool(oden) == vos0 and (not vos0 or vos1 < oden[0] < pll_on)
    divr = run.values(H7_DIVR)[0]
    assert (divr & 0x1FF) + 1 == (480 if vos0 else 400) and ((divr >> 9) & 0x7F) + 1 == 2


def test_h743_falls_back_when_the_pll_never_locks(sim) -> None:
    rules = [r for r in H7_RULES if r != "ready:58024400:1000000:58024400:2000000"]
    run = sim("nucleo-h743", [*rules, "set:5c001000=20036450", CCSIDR_F746])
    assert (run.core_hz, run.source, run.status) == (64_000_000, ClockSource.HSI,
                                                      ClockStatus.PLL_FAILED)


# --- STM32L4R5: 120 MHz in range 1 boost mode ----------------------------------------------

def test_l4r5_boost_mode_switch_with_ahb_halved(sim) -> None:
    run = sim("nucleo-l4r5zi", L4_RULES)
    assert (run.core_hz, run.uart_hz) == (120_000_000, 120_000_000)  # LPUART1 on PCLK1
    assert (run.source, run.status) == (ClockSource.PLL_HSI, ClockStatus.OK)
    cfgr = 0x40021008
    boost = run.index(0x40007080, lambda v: not v & (1 << 8))
    pll = run.values(0x4002100C)[0]
    assert (pll & 3, ((pll >> 4) & 0xF) + 1, (pll >> 8) & 0x7F) == (2, 4, 60)  # HSI16/4*60
    flash = run.index(0x40022000, lambda v: v & 0xF == 5)
    halved = run.index(cfgr, lambda v: (v >> 4) & 0xF == 0b1000)
    switch = run.index(cfgr, lambda v: v & 3 == 3)
    full = run.index(cfgr, lambda v: (v >> 4) & 0xF == 0 and v & 3 == 3, start=switch + 1)
    assert boost < flash < halved <= switch < full  # RM0432 5.1.8


def test_l4r5_falls_back_to_msi_when_hsi16_never_starts(sim) -> None:
    rules = [r for r in L4_RULES if not r.startswith("ready:40021000:100:")]
    run = sim("nucleo-l4r5zi", [*rules, "set:40021094=600"])  # MSISRANGE 6: 4 MHz
    assert (run.core_hz, run.source, run.status) == (4_000_000, ClockSource.MSI,
                                                      ClockStatus.HSE_FAILED)


# --- the board file is the single source of truth ------------------------------------------

def test_a_new_pll_value_in_the_board_file_changes_the_firmware(sim, tmp_path: Path) -> None:
    """180 MHz without over-drive: N = 180 from the TOML, no C edit."""
    text = (load_board("nucleo-f746").path).read_text()
    text = (text.replace("clock_hz = 216_000_000", "clock_hz = 180_000_000")
            .replace("n = 216\n", "n = 180\n").replace('voltage = "scale1-overdrive"',
                                                       'voltage = "scale1"')
            .replace("flash_wait_states = 7", "flash_wait_states = 5")
            .replace("apb2_div = 2", "apb2_div = 2"))
    path = tmp_path / "nucleo-f746.toml"
    path.write_text(text)
    run = sim("nucleo-f746", [*F4F7_RCC, CCSIDR_F746], board_file=path)  # no over-drive model
    assert (run.core_hz, run.status) == (180_000_000, ClockStatus.OK)
    assert not any(v & (1 << 16) for v in run.values(PWR_CR1))  # ODEN never set


@pytest.mark.parametrize("edit, message", [
    (("n = 216\n", "n = 440\n"), r"\[clock\] pll.n must be within 50..432"),
    (("n = 216\n", "n = 200\n"), r"\[clock\] pll.p gives a core clock of 200 MHz, but clock_hz "
                                 r"is 216 MHz"),
    (("m = 4\n", "m = 2\n"),
     r"\[clock\] pll.m gives a PLL input of 4 MHz; RM0385 allows 1 MHz-2 MHz"),
    (("flash_wait_states = 7", "flash_wait_states = 6"),
     r"\[clock\] flash_wait_states must be at least 7 at 216 MHz"),
    (("apb1_div = 4", "apb1_div = 2"), r"\[clock\] apb1_div gives APB1 108 MHz, above the 54 MHz"),
    (('voltage = "scale1-overdrive"', 'voltage = "scale1"'),
     r"\[clock\] pll.p gives 216 MHz, above the 180 MHz RM0385 allows at scale1"),
    (("p = 2\n", "p = 3\n"), r"\[clock\] pll.p must be one of 2, 4, 6, 8"),
])
def test_board_file_violating_the_reference_manual_is_one_line(tmp_path, edit, message) -> None:
    text = load_board("nucleo-f746").path.read_text()
    assert edit[0] in text
    path = tmp_path / "nucleo-f746.toml"
    path.write_text(text.replace(edit[0], edit[1], 1))
    with pytest.raises(BoardError, match=r"nucleo-f746.toml: " + message) as info:
        load_board_file(path)
    assert "\n" not in str(info.value)
