/*
 * stm32_clock.c - the clock bring-up of every STM32 family here, and the pieces it uses.
 * The family files (platform/stm32f4|f7|h7|l4/clock.c) give the registers (te_rcc) and
 * the hooks where the reference manuals differ; the values come from te_board_gen.h.
 */
#include "stm32_clock.h"

/* Back to the reset clock after a failed step: SYSCLK to the reset oscillator, PLL off,
 * prescalers (and the family's regulator extras) to reset; then read back what runs. */
static void te_clock_fail(te_clock_state *s, uint8_t status)
{
    TE_FIELD(te_rcc.cfgr, te_rcc.sw_mask, 0u);
    (void)te_wait(te_rcc.cfgr, te_rcc.sws_mask, 0u);
    TE_CLR(te_rcc.cr, TE_RCC_CR_PLLON);
    te_family_clock_reset();
    s->status = status;
    te_family_readback(s);
}

void te_clock_bringup(te_clock_state *s)
{
    s->status = TE_CLOCK_OK;
    if (!te_family_voltage()) {
        te_clock_fail(s, TE_CLOCK_VOLTAGE_FAILED);
        return;
    }

    /* Oscillator: HSE in bypass from the ST-LINK MCO or a crystal (HSEBYP is writable
     * only while HSEON = 0), or the HSI where it does not run from reset. */
    const int from_hse = TE_CLOCK_SOURCE == TE_CLOCK_SRC_HSE;
    uint32_t on = te_rcc.hsi_on, ready = te_rcc.hsi_ready;
    if (from_hse) {
        if (TE_CLOCK_HSE_BYPASS) {
            TE_SET(te_rcc.cr, TE_RCC_CR_HSEBYP);
        }
        on = TE_RCC_CR_HSEON;
        ready = TE_RCC_CR_HSERDY;
    }
    if (on != 0u) {
        TE_SET(te_rcc.cr, on);
        if (!te_wait(te_rcc.cr, ready, ready)) {
            TE_CLR(te_rcc.cr, on);
            te_clock_fail(s, TE_CLOCK_HSE_FAILED); /* the PLL's oscillator never came */
            return;
        }
    }

    /* PLL: configured while off, then locked. */
    te_family_pll_config(from_hse);
    TE_SET(te_rcc.cr, TE_RCC_CR_PLLON);
    if (!te_wait(te_rcc.cr, TE_RCC_CR_PLLRDY, TE_RCC_CR_PLLRDY)) {
        te_clock_fail(s, TE_CLOCK_PLL_FAILED);
        return;
    }
    if (!te_family_after_pll()) {
        te_clock_fail(s, TE_CLOCK_VOLTAGE_FAILED);
        return;
    }

    /* Flash wait states before the clock rises; every reference manual asks to "check
     * that the new number of wait states is taken into account by reading FLASH_ACR". */
    TE_WR(te_rcc.flash_acr, TE_CLOCK_FLASH_WS | te_rcc.flash_acr_bits);
    if ((TE_RD(te_rcc.flash_acr) & TE_FLASH_ACR_LATENCY_MASK) != TE_CLOCK_FLASH_WS) {
        te_clock_fail(s, TE_CLOCK_FLASH_FAILED);
        return;
    }

    /* Bus prescalers before the switch, so no bus ever runs too fast. */
    te_family_prescalers();
    TE_FIELD(te_rcc.cfgr, te_rcc.sw_mask, te_rcc.sw_pll);
    if (!te_wait(te_rcc.cfgr, te_rcc.sws_mask, te_rcc.sws_pll)) {
        te_clock_fail(s, TE_CLOCK_SWITCH_FAILED);
        return;
    }
    te_family_after_switch();
    te_family_readback(s);
}

#define GPIO_MODER 0x00u
#define GPIO_BSRR 0x18u

int te_wait(uint32_t addr, uint32_t mask, uint32_t want)
{
    for (uint32_t i = 0; i < TE_READY_TIMEOUT_LOOPS; ++i) {
        if ((TE_RD(addr) & mask) == want) {
            return 1;
        }
    }
    return 0;
}

uint32_t te_ahb_bits(uint32_t div)
{
    static const uint16_t divs[8] = {2, 4, 8, 16, 64, 128, 256, 512};
    for (uint32_t i = 0; i < 8u; ++i) {
        if (divs[i] == div) {
            return 0x8u | i;
        }
    }
    return 0; /* /1 */
}

uint32_t te_apb_bits(uint32_t div)
{
    switch (div) {
    case 2: return 0x4u;
    case 4: return 0x5u;
    case 8: return 0x6u;
    case 16: return 0x7u;
    default: return 0;
    }
}

uint32_t te_ahb_div(uint32_t bits)
{
    static const uint16_t divs[8] = {2, 4, 8, 16, 64, 128, 256, 512};
    return (bits & 0x8u) ? divs[bits & 0x7u] : 1u;
}

uint32_t te_apb_div(uint32_t bits)
{
    return (bits & 0x4u) ? 2u << (bits & 0x3u) : 1u;
}

/* System Control Block cache registers (ARMv7-M ARM B3.2.2, Cortex-M7 TRM 4.1). */
#define SCB_CCR 0xE000ED14u
#define SCB_CCR_DC (1u << 16)
#define SCB_CCR_IC (1u << 17)
#define SCB_CCSIDR 0xE000ED80u
#define SCB_CSSELR 0xE000ED84u
#define SCB_ICIALLU 0xE000EF50u
#define SCB_DCISW 0xE000EF60u

void te_cm7_caches_enable(void)
{
    /* I-cache: invalidate all, then enable. */
    TE_DSB();
    TE_ISB();
    TE_WR(SCB_ICIALLU, 0u);
    TE_DSB();
    TE_ISB();
    TE_SET(SCB_CCR, SCB_CCR_IC);
    TE_DSB();
    TE_ISB();

    /* D-cache: select the L1 data cache, invalidate every set and way, then enable. Its
     * contents are random after reset: enabling it without the invalidation can write
     * garbage back to RAM. */
    TE_WR(SCB_CSSELR, 0u);
    TE_DSB();
    const uint32_t ccsidr = TE_RD(SCB_CCSIDR);
    const uint32_t sets = ((ccsidr >> 13) & 0x7FFFu) + 1u;
    const uint32_t ways = ((ccsidr >> 3) & 0x3FFu) + 1u;
    const uint32_t line_shift = (ccsidr & 0x7u) + 4u;
    const uint32_t way_shift = ways > 1u ? (uint32_t)__builtin_clz(ways - 1u) : 0u;
    for (uint32_t set = 0; set < sets; ++set) {
        for (uint32_t way = 0; way < ways; ++way) {
            TE_WR(SCB_DCISW, (way << way_shift) | (set << line_shift));
        }
    }
    TE_DSB();
    TE_SET(SCB_CCR, SCB_CCR_DC);
    TE_DSB();
    TE_ISB();
}

void te_gpio_output(uint32_t port, uint32_t pin)
{
    te_gpio_clock_enable(port);
    const uint32_t base = te_gpio_base(port);
    TE_WR(base + GPIO_BSRR, 1u << (pin + 16u)); /* low before it becomes an output */
    TE_FIELD(base + GPIO_MODER, 3u << (pin * 2u), 1u << (pin * 2u));
}

void te_gpio_write(uint32_t port, uint32_t pin, int high)
{
    TE_WR(te_gpio_base(port) + GPIO_BSRR, high ? 1u << pin : 1u << (pin + 16u));
}
