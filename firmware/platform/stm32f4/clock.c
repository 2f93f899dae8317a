/*
 * STM32F405 clock bring-up to the board's rated clock (168 MHz on the Netduino Plus 2).
 * RM0090 rev 19: 6.2 "Clocks", 6.3.1 RCC_CR, 6.3.2 RCC_PLLCFGR, 6.3.3 RCC_CFGR,
 * 5.4.1 PWR_CR (VOS), 3.5.1 "Relation between CPU clock frequency and Flash memory read
 * time" (Table 10) and 3.9.1 FLASH_ACR. Values come from te_board_gen.h.
 *
 * Order: PWR clock on, voltage scale 1; oscillator; PLL configured and locked; flash wait
 * states, prefetch and the ART's instruction/data caches set *before* the core clock
 * rises (RM0090 3.5.1: "increase the number of wait states first"); bus prescalers so no
 * APB exceeds its maximum; switch SYSCLK to the PLL. Every wait is bounded; on a failure
 * the core stays on (or returns to) the 16 MHz HSI and the status names the step.
 * QEMU's netduinoplus2 models no RCC (its registers read 0): the HSE wait times out
 * there and the firmware reports "HSI (HSE failed)".
 */
#include "stm32_clock.h"

#define RCC_BASE 0x40023800u
#define RCC_CR (RCC_BASE + 0x00u)
#define RCC_PLLCFGR (RCC_BASE + 0x04u)
#define RCC_CFGR (RCC_BASE + 0x08u)
#define RCC_AHB1ENR (RCC_BASE + 0x30u)
#define RCC_APB1ENR (RCC_BASE + 0x40u)
#define RCC_CR_HSEON (1u << 16)
#define RCC_CR_HSERDY (1u << 17)
#define RCC_CR_HSEBYP (1u << 18)
#define RCC_CR_PLLON (1u << 24)
#define RCC_CR_PLLRDY (1u << 25)
#define RCC_PLLCFGR_SRC_HSE (1u << 22)
#define RCC_CFGR_SW_MASK 0x3u
#define RCC_CFGR_SW_PLL 0x2u
#define RCC_CFGR_SWS_MASK (0x3u << 2)
#define RCC_CFGR_SWS_HSE (0x1u << 2)
#define RCC_CFGR_SWS_PLL (0x2u << 2)
#define RCC_CFGR_PRE_MASK ((0xFu << 4) | (0x7u << 10) | (0x7u << 13))
#define RCC_APB1ENR_PWREN (1u << 28)

#define PWR_CR 0x40007000u
#define PWR_CR_VOS (1u << 14) /* 1: scale 1 (168 MHz) */

#define FLASH_ACR 0x40023C00u
#define FLASH_ACR_LATENCY_MASK 0xFu
#define FLASH_ACR_PRFTEN (1u << 8)
#define FLASH_ACR_ICEN (1u << 9)
#define FLASH_ACR_DCEN (1u << 10)

uint32_t te_gpio_base(uint32_t port)
{
    return 0x40020000u + 0x400u * port; /* RM0090 2.3 memory map: GPIOA..GPIOI */
}

void te_gpio_clock_enable(uint32_t port)
{
    TE_SET(RCC_AHB1ENR, 1u << port);
    (void)TE_RD(RCC_AHB1ENR);
}

/* What the hardware runs at now (RCC_CFGR.SWS, RCC_PLLCFGR, the prescalers). */
static void te_clock_readback(te_clock_state *s)
{
    const uint32_t cfgr = TE_RD(RCC_CFGR);
    const uint32_t sws = cfgr & RCC_CFGR_SWS_MASK;
    uint32_t sysclk = TE_CLOCK_HSI_HZ;
    s->source = TE_CLOCK_SRC_HSI;
    if (sws == RCC_CFGR_SWS_HSE) {
        sysclk = TE_CLOCK_HSE_HZ;
        s->source = TE_CLOCK_SRC_HSE;
    } else if (sws == RCC_CFGR_SWS_PLL) {
        const uint32_t pll = TE_RD(RCC_PLLCFGR);
        const uint32_t from_hse = (pll & RCC_PLLCFGR_SRC_HSE) != 0u;
        const uint32_t m = pll & 0x3Fu, n = (pll >> 6) & 0x1FFu;
        const uint32_t p = (((pll >> 16) & 0x3u) + 1u) * 2u;
        const uint64_t in = from_hse ? TE_CLOCK_HSE_HZ : TE_CLOCK_HSI_HZ;
        sysclk = m ? (uint32_t)(in * n / m / p) : 0u;
        s->source = from_hse ? TE_CLOCK_SRC_PLL_HSE : TE_CLOCK_SRC_PLL_HSI;
    }
    const uint32_t hclk = sysclk / te_ahb_div((cfgr >> 4) & 0xFu);
    s->core_hz = hclk;
    const uint32_t ppre = TE_UART_BUS == 2u ? (cfgr >> 13) & 0x7u : (cfgr >> 10) & 0x7u;
    s->uart_hz = hclk / te_apb_div(ppre);
}

/* Back to the reset clock after a failed step: SYSCLK = HSI, PLL off, prescalers /1. */
static void te_clock_fallback(te_clock_state *s, uint8_t status)
{
    TE_FIELD(RCC_CFGR, RCC_CFGR_SW_MASK, 0u);
    (void)te_wait(RCC_CFGR, RCC_CFGR_SWS_MASK, 0u);
    TE_CLR(RCC_CR, RCC_CR_PLLON);
    TE_FIELD(RCC_CFGR, RCC_CFGR_PRE_MASK, 0u);
    s->status = status;
}

void te_clock_bringup(te_clock_state *s)
{
    s->status = TE_CLOCK_OK;
    /* Voltage scale 1 (RM0090 5.1.3, 5.4.1): the PWR interface needs its clock. */
    TE_SET(RCC_APB1ENR, RCC_APB1ENR_PWREN);
    (void)TE_RD(RCC_APB1ENR);
    TE_SET(PWR_CR, PWR_CR_VOS);

    /* Oscillator (RM0090 6.2.1): HSE in bypass from the ST-LINK MCO, or a crystal. */
    uint32_t pll_src = 0u;
    if (TE_CLOCK_SOURCE == TE_CLOCK_SRC_HSE) {
        if (TE_CLOCK_HSE_BYPASS) {
            TE_SET(RCC_CR, RCC_CR_HSEBYP); /* only writable while HSEON = 0 */
        }
        TE_SET(RCC_CR, RCC_CR_HSEON);
        if (!te_wait(RCC_CR, RCC_CR_HSERDY, RCC_CR_HSERDY)) {
            TE_CLR(RCC_CR, RCC_CR_HSEON);
            te_clock_fallback(s, TE_CLOCK_HSE_FAILED);
            te_clock_readback(s);
            return;
        }
        pll_src = RCC_PLLCFGR_SRC_HSE;
    }

    /* PLL (RM0090 6.3.2): written while off; M, N, P, Q from the board file. */
    TE_WR(RCC_PLLCFGR, TE_PLL_M | (TE_PLL_N << 6) | (((TE_PLL_P / 2u) - 1u) << 16) | pll_src |
                           (TE_PLL_Q << 24));
    TE_SET(RCC_CR, RCC_CR_PLLON);
    if (!te_wait(RCC_CR, RCC_CR_PLLRDY, RCC_CR_PLLRDY)) {
        te_clock_fallback(s, TE_CLOCK_PLL_FAILED);
        te_clock_readback(s);
        return;
    }

    /* Flash wait states, prefetch and the ART caches before the clock rises (RM0090
     * 3.5.1: "check that the new number of wait states is taken into account by reading
     * FLASH_ACR"). */
    TE_WR(FLASH_ACR, TE_CLOCK_FLASH_WS | FLASH_ACR_PRFTEN | FLASH_ACR_ICEN | FLASH_ACR_DCEN);
    if ((TE_RD(FLASH_ACR) & FLASH_ACR_LATENCY_MASK) != TE_CLOCK_FLASH_WS) {
        te_clock_fallback(s, TE_CLOCK_FLASH_FAILED);
        te_clock_readback(s);
        return;
    }

    /* Bus prescalers (RM0090 6.3.3) before the switch, so no bus ever runs too fast. */
    TE_FIELD(RCC_CFGR, RCC_CFGR_PRE_MASK,
             (te_ahb_bits(TE_CLOCK_AHB_DIV) << 4) | (te_apb_bits(TE_CLOCK_APB1_DIV) << 10) |
                 (te_apb_bits(TE_CLOCK_APB2_DIV) << 13));
    TE_FIELD(RCC_CFGR, RCC_CFGR_SW_MASK, RCC_CFGR_SW_PLL);
    if (!te_wait(RCC_CFGR, RCC_CFGR_SWS_MASK, RCC_CFGR_SWS_PLL)) {
        te_clock_fallback(s, TE_CLOCK_SWITCH_FAILED);
    }
    te_clock_readback(s);
}
