/*
 * STM32F74x clock bring-up to the board's rated clock (216 MHz on the NUCLEO-F746ZG).
 * RM0385 rev 8: 5.2 "Clocks", 5.3.1 RCC_CR, 5.3.2 RCC_PLLCFGR, 5.3.3 RCC_CFGR,
 * 4.1.4 "Entering Over-drive mode", 4.4.1 PWR_CR1, 4.4.2 PWR_CSR1, 3.3.2 "Read access
 * latency" (Table 5) and 3.7.1 FLASH_ACR. Values come from te_board_gen.h.
 *
 * Order (RM0385 4.1.4 and 3.3.2): PWR clock on, voltage scale 1; oscillator; PLL
 * configured and locked; over-drive on and switched; flash wait states and the ART
 * accelerator set *before* the core clock rises; bus prescalers so no APB exceeds its
 * maximum; switch SYSCLK to the PLL. Every wait is bounded; on a failure the core stays
 * on (or returns to) the 16 MHz HSI and the status names the step.
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

#define PWR_BASE 0x40007000u
#define PWR_CR1 (PWR_BASE + 0x00u)
#define PWR_CSR1 (PWR_BASE + 0x04u)
#define PWR_CR1_VOS_MASK (0x3u << 14)
#define PWR_CR1_VOS_SCALE1 (0x3u << 14)
#define PWR_CR1_ODEN (1u << 16)
#define PWR_CR1_ODSWEN (1u << 17)
#define PWR_CSR1_ODRDY (1u << 16)
#define PWR_CSR1_ODSWRDY (1u << 17)

#define FLASH_ACR 0x40023C00u
#define FLASH_ACR_LATENCY_MASK 0xFu
#define FLASH_ACR_PRFTEN (1u << 8)
#define FLASH_ACR_ARTEN (1u << 9)

#define TE_VOLTAGE_OVERDRIVE 2u /* te_board_gen.h TE_CLOCK_VOLTAGE code "scale1-overdrive" */

uint32_t te_gpio_base(uint32_t port)
{
    return 0x40020000u + 0x400u * port; /* RM0385 2.2.2 memory map: GPIOA..GPIOK */
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
    TE_CLR(PWR_CR1, PWR_CR1_ODSWEN | PWR_CR1_ODEN);
    TE_FIELD(RCC_CFGR, RCC_CFGR_PRE_MASK, 0u);
    s->status = status;
}

void te_clock_bringup(te_clock_state *s)
{
    s->status = TE_CLOCK_OK;
    /* Voltage scale 1 (RM0385 4.1.4 steps 1-2): the PWR interface needs its clock. */
    TE_SET(RCC_APB1ENR, RCC_APB1ENR_PWREN);
    (void)TE_RD(RCC_APB1ENR);
    TE_FIELD(PWR_CR1, PWR_CR1_VOS_MASK, PWR_CR1_VOS_SCALE1);

    /* Oscillator (RM0385 5.2.1): HSE in bypass from the ST-LINK MCO, or a crystal. */
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

    /* PLL (RM0385 5.3.2): written while off; M, N, P, Q from the board file. */
    TE_WR(RCC_PLLCFGR, TE_PLL_M | (TE_PLL_N << 6) | (((TE_PLL_P / 2u) - 1u) << 16) | pll_src |
                           (TE_PLL_Q << 24));
    TE_SET(RCC_CR, RCC_CR_PLLON);
    if (!te_wait(RCC_CR, RCC_CR_PLLRDY, RCC_CR_PLLRDY)) {
        te_clock_fallback(s, TE_CLOCK_PLL_FAILED);
        te_clock_readback(s);
        return;
    }

    /* Over-drive (RM0385 4.1.4 steps 4-6), needed above 180 MHz: ODEN, wait ODRDY,
     * ODSWEN, wait ODSWRDY - after the PLL is on, before the clock rises. */
    if (TE_CLOCK_VOLTAGE == TE_VOLTAGE_OVERDRIVE) {
        TE_SET(PWR_CR1, PWR_CR1_ODEN);
        if (!te_wait(PWR_CSR1, PWR_CSR1_ODRDY, PWR_CSR1_ODRDY)) {
            te_clock_fallback(s, TE_CLOCK_VOLTAGE_FAILED);
            te_clock_readback(s);
            return;
        }
        TE_SET(PWR_CR1, PWR_CR1_ODSWEN);
        if (!te_wait(PWR_CSR1, PWR_CSR1_ODSWRDY, PWR_CSR1_ODSWRDY)) {
            te_clock_fallback(s, TE_CLOCK_VOLTAGE_FAILED);
            te_clock_readback(s);
            return;
        }
    }

    /* Flash wait states and the ART accelerator before the clock rises (RM0385 3.3.2:
     * "check that the new number of wait states is taken into account by reading
     * FLASH_ACR"). */
    TE_WR(FLASH_ACR, TE_CLOCK_FLASH_WS | FLASH_ACR_PRFTEN | FLASH_ACR_ARTEN);
    if ((TE_RD(FLASH_ACR) & FLASH_ACR_LATENCY_MASK) != TE_CLOCK_FLASH_WS) {
        te_clock_fallback(s, TE_CLOCK_FLASH_FAILED);
        te_clock_readback(s);
        return;
    }

    /* Bus prescalers (RM0385 5.3.3) before the switch, so no bus ever runs too fast. */
    TE_FIELD(RCC_CFGR, RCC_CFGR_PRE_MASK,
             (te_ahb_bits(TE_CLOCK_AHB_DIV) << 4) | (te_apb_bits(TE_CLOCK_APB1_DIV) << 10) |
                 (te_apb_bits(TE_CLOCK_APB2_DIV) << 13));
    TE_FIELD(RCC_CFGR, RCC_CFGR_SW_MASK, RCC_CFGR_SW_PLL);
    if (!te_wait(RCC_CFGR, RCC_CFGR_SWS_MASK, RCC_CFGR_SWS_PLL)) {
        te_clock_fallback(s, TE_CLOCK_SWITCH_FAILED);
    }
    te_clock_readback(s);
}
