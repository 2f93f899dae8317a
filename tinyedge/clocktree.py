"""Clock trees of the STM32 families tinyedge supports, and the limits their reference
manuals put on them.

A board's ``[clock]`` table (``boards/<name>.toml``) names the oscillator, the PLL
dividers, the flash wait states, the voltage mode and the bus prescalers; the firmware
takes them from a generated header (:mod:`tinyedge.firmware.board_header`), so the board
file is the one source of truth. :func:`check_clock` proves, before anything is built,
that the values are ones the silicon accepts: divider ranges, PLL input and VCO ranges,
the resulting core clock equal to the board's ``clock_hz``, bus clocks within their
maxima and at least the wait states the flash needs at that clock. Every violation is
returned as ``(field, problem)`` so the board loader names the file and the field.

Sources (section numbers of the current revisions):
  stm32f4  RM0090 rev 19: 6.3.2 RCC_PLLCFGR, 6.3.3 RCC_CFGR, 3.5.1 Table 10 (flash latency)
  stm32f7  RM0385 rev 8: 5.3.2 RCC_PLLCFGR, 5.3.3 RCC_CFGR, 3.3.2 Table 5, 4.1.4 over-drive
  stm32h7  RM0433 rev 8: 8.7.11-8.7.13 RCC_PLLCKSELR/PLLCFGR/PLL1DIVR, 4.3.8 Table 17,
           6.6.2 voltage scaling (VOS0 needs revision V)
  stm32l4  RM0432 rev 9: 6.4.4 RCC_PLLCFGR, 3.3.3 Table 12, 5.1.8 range 1 boost mode
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ClockSource = Literal["hse-bypass", "hse-crystal", "hsi", "fixed"]
CLOCK_SOURCES: tuple[str, ...] = ("hse-bypass", "hse-crystal", "hsi", "fixed")
WEIGHT_PLACEMENTS: tuple[str, ...] = ("flash-art", "flash-cache", "flash-art-cache", "ram")
# Bus prescalers each register field can encode.
AHB_DIVS = (1, 2, 4, 8, 16, 64, 128, 256, 512)
APB_DIVS = (1, 2, 4, 8, 16)


@dataclass(frozen=True)
class FamilyLimits:
    """What one STM32 family's reference manual allows."""

    manual: str
    hsi_hz: int  # the internal oscillator the PLL may use (and the reset clock on F4/F7/H7)
    reset_hz: int  # the core clock out of reset
    voltages: tuple[str, ...]
    m: tuple[int, int]
    n: tuple[int, int]
    p: tuple[int, ...] | None  # SYSCLK divider when the core runs from P
    r: tuple[int, ...] | None  # SYSCLK divider when the core runs from R (L4)
    q: tuple[int, int]
    vco_in_hz: tuple[int, int]
    vco_out_hz: tuple[int, int]
    sysclk_max_hz: int
    ahb_max_hz: int
    apb_max_hz: dict[str, int]  # bus name -> maximum
    # (HCLK upper bound, wait states): the flash needs at least this many at that clock.
    flash_ws: tuple[tuple[int, int], ...]
    hse_hz: tuple[int, int] = (4_000_000, 26_000_000)
    clocked_from: Literal["hclk", "aclk"] = "hclk"  # which clock sets the flash latency


MHZ = 1_000_000
FAMILIES: dict[str, FamilyLimits] = {
    # RM0090 6.3.2: 2 <= M <= 63, 50 <= N <= 432, VCO in 1-2 MHz, VCO out 100-432 MHz,
    # P in {2,4,6,8}, 2 <= Q <= 15; 168 MHz max; APB1 42 MHz, APB2 84 MHz (6.2).
    "stm32f4": FamilyLimits(
        "RM0090", 16 * MHZ, 16 * MHZ, ("scale1", "scale2"), (2, 63), (50, 432), (2, 4, 6, 8),
        None, (2, 15), (1 * MHZ, 2 * MHZ), (100 * MHZ, 432 * MHZ), 168 * MHZ, 168 * MHZ,
        {"apb1": 42 * MHZ, "apb2": 84 * MHZ},
        ((30, 0), (60, 1), (90, 2), (120, 3), (150, 4), (168, 5))),
    # RM0385 5.3.2: the same PLL; 216 MHz needs scale 1 with over-drive (4.1.4);
    # APB1 54 MHz, APB2 108 MHz; Table 5 (2.7-3.6 V): 30 MHz per wait state.
    "stm32f7": FamilyLimits(
        "RM0385", 16 * MHZ, 16 * MHZ, ("scale1-overdrive", "scale1", "scale2", "scale3"),
        (2, 63), (50, 432), (2, 4, 6, 8), None, (2, 15), (1 * MHZ, 2 * MHZ),
        (100 * MHZ, 432 * MHZ), 216 * MHZ, 216 * MHZ, {"apb1": 54 * MHZ, "apb2": 108 * MHZ},
        ((30, 0), (60, 1), (90, 2), (120, 3), (150, 4), (180, 5), (210, 6), (216, 7))),
    # RM0433 8.7.11-8.7.13: DIVM1 1..63, DIVN1 4..512, DIVP1 2..128 even, DIVQ1 1..128;
    # PLL input 1-16 MHz, wide VCO 192-960 MHz (rev V); 480 MHz at VOS0 (rev V), AXI/AHB
    # 240 MHz, APBx 120 MHz; Table 17 (VOS0): ACLK 70/140/185/210/225/240 -> 0..4 WS... the
    # flash latency follows the AXI clock (HCLK = sys_ck / HPRE).
    "stm32h7": FamilyLimits(
        "RM0433", 64 * MHZ, 64 * MHZ, ("vos0", "vos1", "vos2", "vos3"), (1, 63), (4, 512),
        tuple(range(2, 129, 2)), None, (1, 128), (1 * MHZ, 16 * MHZ),
        (192 * MHZ, 960 * MHZ), 480 * MHZ, 240 * MHZ,
        {"apb1": 120 * MHZ, "apb2": 120 * MHZ, "apb3": 120 * MHZ, "apb4": 120 * MHZ},
        ((70, 0), (140, 1), (185, 2), (210, 3), (240, 4)), hse_hz=(4 * MHZ, 50 * MHZ),
        clocked_from="aclk"),
    # RM0432 6.4.4: PLLM 1..16, PLLN 8..127, PLLR in {2,4,6,8}, PLLQ in {2,4,6,8};
    # VCO in 2.66-8 MHz, VCO out 64-344 MHz; 120 MHz needs range 1 boost (5.1.8);
    # Table 12 (range 1): 20 MHz per wait state up to 5 WS at 120 MHz.
    "stm32l4": FamilyLimits(
        "RM0432", 16 * MHZ, 4 * MHZ, ("range1-boost", "range1", "range2"), (1, 16), (8, 127),
        None, (2, 4, 6, 8), (2, 8), (2_660_000, 8 * MHZ), (64 * MHZ, 344 * MHZ), 120 * MHZ,
        120 * MHZ, {"apb1": 120 * MHZ, "apb2": 120 * MHZ},
        ((20, 0), (40, 1), (60, 2), (80, 3), (100, 4), (120, 5))),
}
# Maximum core clock per voltage mode where it is lower than the family's maximum.
VOLTAGE_MAX_HZ = {
    ("stm32f4", "scale2"): 144 * MHZ,
    ("stm32f7", "scale1"): 180 * MHZ, ("stm32f7", "scale2"): 168 * MHZ,
    ("stm32f7", "scale3"): 144 * MHZ,
    ("stm32h7", "vos1"): 400 * MHZ, ("stm32h7", "vos2"): 300 * MHZ,
    ("stm32h7", "vos3"): 200 * MHZ,
    ("stm32l4", "range1"): 80 * MHZ, ("stm32l4", "range2"): 26 * MHZ,
}
# Revision Y of the STM32H743 tops out at 400 MHz (VCO 836 MHz) at VOS1 (DS12110).
H7_REV_Y_MAX_HZ = 400 * MHZ
H7_REV_Y_VCO_MAX_HZ = 836 * MHZ


@dataclass(frozen=True)
class Pll:
    m: int
    n: int
    p: int | None = None
    q: int | None = None
    r: int | None = None
    rev_y_n: int | None = None  # STM32H7: N for revision Y silicon (400 MHz)


@dataclass(frozen=True)
class Clock:
    """A board's clock tree, as its TOML says (``[clock]``, ``[clock.pll]``)."""

    source: str
    hse_hz: int | None
    voltage: str | None
    flash_wait_states: int | None
    ahb_div: int
    apb_divs: dict[str, int]  # "apb1", "apb2" (and "apb3", "apb4" on H7)
    caches: bool
    weights: str
    pll: Pll | None

    def input_hz(self, family: FamilyLimits) -> int:
        return self.hse_hz if self.source.startswith("hse") and self.hse_hz else family.hsi_hz

    def sysclk_hz(self, family: FamilyLimits, n: int | None = None) -> int:
        """The core clock the PLL makes (exact integer when the dividers divide evenly)."""
        if self.pll is None:
            return self.input_hz(family)
        div = self.pll.p if family.p is not None else self.pll.r
        return self.input_hz(family) * (n or self.pll.n) // (self.pll.m * (div or 1))

    def bus_hz(self, family: FamilyLimits, bus: str) -> int:
        return self.sysclk_hz(family) // self.ahb_div // self.apb_divs.get(bus, 1)


def check_clock(platform: str, clock: Clock, clock_hz: int) -> list[tuple[str, str]]:
    """Every way ``clock`` breaks the reference manual of ``platform``'s family, as
    ``(field, problem)``; empty when the tree is valid and makes ``clock_hz``."""
    if platform not in FAMILIES:
        if clock.source != "fixed":
            return [("source", f"must be \"fixed\" for the {platform} platform (no RCC)")]
        return []
    f = FAMILIES[platform]
    bad: list[tuple[str, str]] = []
    if clock.source == "fixed":
        return [("source", f"must be one of hse-bypass, hse-crystal, hsi on {platform}")]
    if clock.source.startswith("hse"):
        if clock.hse_hz is None:
            return [("hse_hz", f"is missing (source is {clock.source})")]
        if not f.hse_hz[0] <= clock.hse_hz <= f.hse_hz[1]:
            bad.append(("hse_hz", f"must be within {_mhz(f.hse_hz[0])}-{_mhz(f.hse_hz[1])} "
                                  f"({f.manual}), got {_mhz(clock.hse_hz)}"))
    if clock.voltage not in f.voltages:
        bad.append(("voltage", f"must be one of {', '.join(f.voltages)} on {platform}, "
                               f"got {clock.voltage!r}"))
    if clock.ahb_div not in AHB_DIVS:
        bad.append(("ahb_div", f"must be one of {', '.join(map(str, AHB_DIVS))}"))
    for bus in f.apb_max_hz:
        if clock.apb_divs.get(bus) not in APB_DIVS:
            bad.append((f"{bus}_div", f"must be one of {', '.join(map(str, APB_DIVS))}"))
    if clock.pll is None:
        return [*bad, ("pll", "is missing: the board runs above its reset clock only "
                              "from the PLL ([clock.pll] m, n, p/r, q)")]
    if bad:
        return bad
    pll = clock.pll
    bad += _pll_fields(f, pll)
    if bad:
        return bad
    vco_in = clock.input_hz(f) / pll.m
    if not f.vco_in_hz[0] <= vco_in <= f.vco_in_hz[1]:
        bad.append(("pll.m", f"gives a PLL input of {_mhz(vco_in)}; {f.manual} allows "
                             f"{_mhz(f.vco_in_hz[0])}-{_mhz(f.vco_in_hz[1])}"))
    vco_out = vco_in * pll.n
    if not f.vco_out_hz[0] <= vco_out <= f.vco_out_hz[1]:
        bad.append(("pll.n", f"gives a VCO of {_mhz(vco_out)}; {f.manual} allows "
                             f"{_mhz(f.vco_out_hz[0])}-{_mhz(f.vco_out_hz[1])}"))
    div = pll.p if f.p is not None else pll.r
    if bad:
        return bad
    sysclk = vco_out / div
    limit = min(f.sysclk_max_hz, VOLTAGE_MAX_HZ.get((platform, clock.voltage), f.sysclk_max_hz))
    field = "pll.p" if f.p is not None else "pll.r"
    if sysclk > limit:
        bad.append((field, f"gives {_mhz(sysclk)}, above the {_mhz(limit)} {f.manual} allows "
                           f"at {clock.voltage}"))
    if sysclk != clock_hz:
        bad.append((field, f"gives a core clock of {_mhz(sysclk)}, but clock_hz is "
                           f"{_mhz(clock_hz)}"))
    hclk = sysclk / clock.ahb_div
    if hclk > f.ahb_max_hz:
        bad.append(("ahb_div", f"gives HCLK {_mhz(hclk)}, above the {_mhz(f.ahb_max_hz)} "
                               f"maximum ({f.manual})"))
    for bus, top in f.apb_max_hz.items():
        if hclk / clock.apb_divs[bus] > top:
            bad.append((f"{bus}_div", f"gives {bus.upper()} {_mhz(hclk / clock.apb_divs[bus])}"
                                      f", above the {_mhz(top)} maximum ({f.manual})"))
    need = flash_wait_states(f, hclk)
    if clock.flash_wait_states is None or clock.flash_wait_states < need:
        bad.append(("flash_wait_states", f"must be at least {need} at {_mhz(hclk)} "
                                          f"({f.manual} flash latency table), got "
                                          f"{clock.flash_wait_states}"))
    elif clock.flash_wait_states > 15:
        bad.append(("flash_wait_states", "must be at most 15"))
    if pll.rev_y_n is not None:
        if platform != "stm32h7":
            bad.append(("pll.rev_y_n", "only applies to the STM32H7"))
        else:
            y = clock.input_hz(f) * pll.rev_y_n // (pll.m * div)
            if y > H7_REV_Y_MAX_HZ or vco_in * pll.rev_y_n > H7_REV_Y_VCO_MAX_HZ:
                bad.append(("pll.rev_y_n", f"gives {_mhz(y)} on revision Y, above its "
                                           f"{_mhz(H7_REV_Y_MAX_HZ)} (VCO max "
                                           f"{_mhz(H7_REV_Y_VCO_MAX_HZ)})"))
    return bad


def _pll_fields(f: FamilyLimits, pll: Pll) -> list[tuple[str, str]]:
    bad = []
    for name, (lo, hi) in (("m", f.m), ("n", f.n)):
        value = getattr(pll, name)
        if not lo <= value <= hi:
            bad.append((f"pll.{name}", f"must be within {lo}..{hi} ({f.manual}), got {value}"))
    if f.p is not None:
        if pll.p not in f.p:
            bad.append(("pll.p", f"must be one of {_choices(f.p)} ({f.manual}), got {pll.p}"))
    elif pll.r not in f.r:
        bad.append(("pll.r", f"must be one of {_choices(f.r)} ({f.manual}), got {pll.r}"))
    if pll.q is not None and not f.q[0] <= pll.q <= f.q[1]:
        bad.append(("pll.q", f"must be within {f.q[0]}..{f.q[1]} ({f.manual}), got {pll.q}"))
    if pll.q is not None and f.r is not None and pll.q not in (2, 4, 6, 8):
        bad.append(("pll.q", f"must be one of 2, 4, 6, 8 ({f.manual}), got {pll.q}"))
    return bad


def flash_wait_states(family: FamilyLimits, hclk_hz: float) -> int:
    """The fewest wait states the family's flash needs at ``hclk_hz``."""
    for top_mhz, ws in family.flash_ws:
        if hclk_hz <= top_mhz * MHZ:
            return ws
    return family.flash_ws[-1][1] + 1


def _mhz(hz: float) -> str:
    return f"{hz / MHZ:g} MHz"


def _choices(values: tuple[int, ...]) -> str:
    return ", ".join(map(str, values)) if len(values) <= 8 else f"{values[0]}..{values[-1]} even"
