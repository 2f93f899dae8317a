/*
 * STM32H743 clock bring-up to the rated clock of the silicon revision: 480 MHz (VOS0) on
 * revision V, 400 MHz (VOS1) on revision Y - DBGMCU_IDC.REV_ID decides, the board file
 * gives both PLL N values. RM0433 rev 8: 6.4 "Power supplies" and 6.6.2 "Voltage scaling"
 * (PWR_CR3 supply configuration, PWR_D3CR.VOS, SYSCFG_PWRCR.ODEN for VOS0), 8.5 "RCC
 * functional description", 8.7.2 RCC_CR, 8.7.6 RCC_CFGR, 8.7.7-8.7.9 RCC_D1/D2/D3CFGR,
 * 8.7.11 RCC_PLLCKSELR, 8.7.12 RCC_PLLCFGR, 8.7.13 RCC_PLL1DIVR, 4.3.8 "FLASH read
 * access latency" (Table 17), 61.5.8 DBGMCU_IDC. Values come from te_board_gen.h.
 *
 * Order (the shared sequence, platform/stm32/stm32_clock.c): supply configuration (LDO)
 * and ACTVOSRDY; VOS1, then VOS0 through the over-drive bit; oscillator; PLL1 configured
 * and locked; flash wait states and WRHIGHFREQ before the clock rises; domain prescalers
 * so AXI/AHB <= 240 MHz and every APB <= 120 MHz; switch to PLL1. Every wait is bounded;
 * on a failure the core stays on the 64 MHz HSI.
 */
#include "stm32_clock.h"

#define RCC_BASE 0x58024400u
#define RCC_CR (RCC_BASE + 0x00u)
#define RCC_CFGR (RCC_BASE + 0x10u)
#define RCC_D1CFGR (RCC_BASE + 0x18u)
#define RCC_D2CFGR (RCC_BASE + 0x1Cu)
#define RCC_D3CFGR (RCC_BASE + 0x20u)
#define RCC_PLLCKSELR (RCC_BASE + 0x28u)
#define RCC_PLLCFGR (RCC_BASE + 0x2Cu)
#define RCC_PLL1DIVR (RCC_BASE + 0x30u)
#define RCC_AHB4ENR (RCC_BASE + 0xE0u)
#define RCC_APB4ENR (RCC_BASE + 0xF4u)
#define RCC_CFGR_SW_MASK 0x7u
#define RCC_CFGR_SW_PLL1 0x3u
#define RCC_CFGR_SWS_MASK (0x7u << 3)
#define RCC_CFGR_SWS_HSE (0x2u << 3)
#define RCC_CFGR_SWS_PLL1 (0x3u << 3)
#define RCC_PLLCKSELR_SRC_HSE 0x2u
#define RCC_PLLCFGR_DIVPQR1EN (7u << 16)
#define RCC_APB4ENR_SYSCFGEN (1u << 1)

#define PWR_BASE 0x58024800u
#define PWR_CSR1 (PWR_BASE + 0x04u)
#define PWR_CR3 (PWR_BASE + 0x0Cu)
#define PWR_D3CR (PWR_BASE + 0x18u)
#define PWR_CR3_BYPASS (1u << 0)
#define PWR_CR3_LDOEN (1u << 1)
#define PWR_CR3_SCUEN (1u << 2)
#define PWR_CSR1_ACTVOSRDY (1u << 13)
#define PWR_D3CR_VOSRDY (1u << 13)
#define PWR_D3CR_VOS_MASK (0x3u << 14)
#define PWR_D3CR_VOS1 (0x3u << 14)
#define SYSCFG_PWRCR 0x5800042Cu
#define SYSCFG_PWRCR_ODEN (1u << 0)

#define FLASH_ACR 0x52002000u
#define FLASH_ACR_WRHIGHFREQ_2 (0x2u << 4)

#define DBGMCU_IDC 0x5C001000u
#define REV_Y 0x1003u

/* FLASH_ACR: latency and the WRHIGHFREQ programming delay (RM0433 4.3.8). */
const te_rcc_family te_rcc = {RCC_CR, RCC_CFGR, RCC_CFGR_SW_MASK, RCC_CFGR_SW_PLL1,
                               RCC_CFGR_SWS_MASK, RCC_CFGR_SWS_PLL1, 0u, 0u, FLASH_ACR,
                               FLASH_ACR_WRHIGHFREQ_2};

static int te_rev_y; /* silicon revision Y: 400 MHz at VOS1, no VOS0 */

uint32_t te_gpio_base(uint32_t port)
{
    return 0x58020000u + 0x400u * port; /* RM0433 2.3.2 memory map: GPIOA..GPIOK */
}

void te_gpio_clock_enable(uint32_t port)
{
    TE_SET(RCC_AHB4ENR, 1u << port);
    (void)TE_RD(RCC_AHB4ENR);
}

void te_family_readback(te_clock_state *s)
{
    const uint32_t sws = TE_RD(RCC_CFGR) & RCC_CFGR_SWS_MASK;
    uint32_t sys = TE_CLOCK_HSI_HZ; /* HSIDIV = 1 after reset */
    s->source = TE_CLOCK_SRC_HSI;
    if (sws == RCC_CFGR_SWS_HSE) {
        sys = TE_CLOCK_HSE_HZ;
        s->source = TE_CLOCK_SRC_HSE;
    } else if (sws == RCC_CFGR_SWS_PLL1) {
        const uint32_t sel = TE_RD(RCC_PLLCKSELR), div = TE_RD(RCC_PLL1DIVR);
        const uint32_t from_hse = (sel & 0x3u) == RCC_PLLCKSELR_SRC_HSE;
        const uint32_t m = (sel >> 4) & 0x3Fu;
        const uint32_t n = (div & 0x1FFu) + 1u, p = ((div >> 9) & 0x7Fu) + 1u;
        const uint64_t in = from_hse ? TE_CLOCK_HSE_HZ : TE_CLOCK_HSI_HZ;
        sys = m ? (uint32_t)(in * n / m / p) : 0u;
        s->source = from_hse ? TE_CLOCK_SRC_PLL_HSE : TE_CLOCK_SRC_PLL_HSI;
    }
    const uint32_t d1 = TE_RD(RCC_D1CFGR);
    s->core_hz = sys / te_ahb_div((d1 >> 8) & 0xFu); /* D1CPRE: the Cortex-M7 clock */
    const uint32_t hclk = s->core_hz / te_ahb_div(d1 & 0xFu);
    const uint32_t d2 = TE_RD(RCC_D2CFGR);
    s->uart_hz = hclk / te_apb_div(TE_UART_BUS == 2u ? (d2 >> 8) & 0x7u : (d2 >> 4) & 0x7u);
}

void te_family_clock_reset(void)
{
    TE_WR(RCC_D1CFGR, 0u);
    TE_WR(RCC_D2CFGR, 0u);
    TE_WR(RCC_D3CFGR, 0u);
}

int te_family_voltage(void)
{
    te_rev_y = (TE_RD(DBGMCU_IDC) >> 16) == REV_Y;
    /* Supply configuration, written once after reset (RM0433 6.4): LDO on, no bypass;
     * then wait until the voltage level is ready. */
    TE_WR(PWR_CR3, (TE_RD(PWR_CR3) & ~(PWR_CR3_BYPASS | PWR_CR3_SCUEN)) | PWR_CR3_LDOEN);
    if (!te_wait(PWR_CSR1, PWR_CSR1_ACTVOSRDY, PWR_CSR1_ACTVOSRDY)) {
        return 0;
    }
    /* VOS1, then VOS0 = VOS1 + SYSCFG_PWRCR.ODEN (RM0433 6.6.2), revision V only. */
    TE_FIELD(PWR_D3CR, PWR_D3CR_VOS_MASK, PWR_D3CR_VOS1);
    int ok = te_wait(PWR_D3CR, PWR_D3CR_VOSRDY, PWR_D3CR_VOSRDY);
    if (ok && TE_CLOCK_VOLTAGE == TE_VOLTAGE_VOS0 && !te_rev_y) {
        TE_SET(RCC_APB4ENR, RCC_APB4ENR_SYSCFGEN);
        (void)TE_RD(RCC_APB4ENR);
        TE_SET(SYSCFG_PWRCR, SYSCFG_PWRCR_ODEN);
        ok = te_wait(PWR_D3CR, PWR_D3CR_VOSRDY, PWR_D3CR_VOSRDY);
    }
    return ok;
}

/* PLL1: DIVM1, input range PLL1RGE (1-2, 2-4, 4-8, 8-16 MHz), wide VCO, DIVN1/P1/Q1/R1
 * as value - 1 (RM0433 8.7.11-8.7.13); N by silicon revision. */
void te_family_pll_config(int from_hse)
{
    const uint32_t src = from_hse ? RCC_PLLCKSELR_SRC_HSE : 0u; /* 0: HSI */
    const uint32_t in_hz = from_hse ? TE_CLOCK_HSE_HZ : TE_CLOCK_HSI_HZ;
    const uint32_t n = te_rev_y ? TE_PLL_N_REV_Y : TE_PLL_N;
    const uint32_t ref = in_hz / TE_PLL_M;
    const uint32_t rge = ref >= 8000000u ? 3u : ref >= 4000000u ? 2u : ref >= 2000000u ? 1u : 0u;
    TE_WR(RCC_PLLCKSELR, (TE_RD(RCC_PLLCKSELR) & ~0x3F3u) | src | (TE_PLL_M << 4));
    TE_WR(RCC_PLLCFGR, (TE_RD(RCC_PLLCFGR) & ~0x7000Fu) | (rge << 2) | RCC_PLLCFGR_DIVPQR1EN);
    TE_WR(RCC_PLL1DIVR, (n - 1u) | ((TE_PLL_P - 1u) << 9) | ((TE_PLL_Q - 1u) << 16) |
                            ((TE_PLL_R - 1u) << 24));
}

int te_family_after_pll(void)
{
    return 1;
}

/* Domain prescalers (RM0433 8.7.7-8.7.9): D1CPRE /1, HPRE (AXI/AHB), D1PPRE (APB3), D2PPRE1/2, D3PPRE. */
void te_family_prescalers(void)
{
    TE_WR(RCC_D1CFGR, te_ahb_bits(TE_CLOCK_AHB_DIV) | (te_apb_bits(TE_CLOCK_APB3_DIV) << 4));
    TE_WR(RCC_D2CFGR,
          (te_apb_bits(TE_CLOCK_APB1_DIV) << 4) | (te_apb_bits(TE_CLOCK_APB2_DIV) << 8));
    TE_WR(RCC_D3CFGR, te_apb_bits(TE_CLOCK_APB4_DIV) << 4);
}

void te_family_after_switch(void)
{
}
