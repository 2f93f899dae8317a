/*
 * STM32L4R5 clock bring-up to 120 MHz in range 1 boost mode (NUCLEO-L4R5ZI).
 * RM0432 rev 9: 5.1.8 "Dynamic voltage scaling management" (range 1 boost: PWR_CR5.R1MODE
 * = 0, AHB prescaler /2 around the switch above 80 MHz, 1 us, then /1), 5.4.1 PWR_CR1,
 * 5.4.20 PWR_CR5, 6.2 "Clocks", 6.4.1 RCC_CR, 6.4.3 RCC_CFGR, 6.4.4 RCC_PLLCFGR, 3.3.3
 * "Read access latency" (Table 12) and 3.7.1 FLASH_ACR. Values come from te_board_gen.h.
 *
 * Order (the shared sequence, platform/stm32/stm32_clock.c): PWR clock on, range 1, boost mode; oscillator (HSI16 or HSE); PLL configured and
 * locked; flash wait states, prefetch and the ART caches before the clock rises; AHB /2,
 * switch to the PLL, wait 1 us, AHB to its final divider. Every wait is bounded; on a
 * failure the core stays on the 4 MHz MSI it resets to.
 */
#include "stm32_clock.h"

#define RCC_BASE 0x40021000u
#define RCC_CR (RCC_BASE + 0x00u)
#define RCC_CFGR (RCC_BASE + 0x08u)
#define RCC_PLLCFGR (RCC_BASE + 0x0Cu)
#define RCC_AHB2ENR (RCC_BASE + 0x4Cu)
#define RCC_APB1ENR1 (RCC_BASE + 0x58u)
#define RCC_CSR (RCC_BASE + 0x94u)
#define RCC_CR_MSIRGSEL (1u << 3)
#define RCC_CR_HSION (1u << 8)
#define RCC_CR_HSIRDY (1u << 10)
#define RCC_CFGR_SW_MASK 0x3u
#define RCC_CFGR_SW_PLL 0x3u
#define RCC_CFGR_SWS_MASK (0x3u << 2)
#define RCC_CFGR_SWS_HSI (0x1u << 2)
#define RCC_CFGR_SWS_HSE (0x2u << 2)
#define RCC_CFGR_SWS_PLL (0x3u << 2)
#define RCC_CFGR_HPRE_MASK (0xFu << 4)
#define RCC_CFGR_PRE_MASK ((0xFu << 4) | (0x7u << 8) | (0x7u << 11))
#define RCC_PLLCFGR_SRC_HSI 0x2u
#define RCC_PLLCFGR_SRC_HSE 0x3u
#define RCC_PLLCFGR_PLLREN (1u << 24)
#define RCC_APB1ENR1_PWREN (1u << 28)

#define PWR_BASE 0x40007000u
#define PWR_CR1 (PWR_BASE + 0x00u)
#define PWR_SR2 (PWR_BASE + 0x14u)
#define PWR_CR5 (PWR_BASE + 0x80u)
#define PWR_CR1_VOS_MASK (0x3u << 9)
#define PWR_CR1_VOS_RANGE1 (0x1u << 9)
#define PWR_SR2_VOSF (1u << 10)
#define PWR_CR5_R1MODE (1u << 8)

#define FLASH_ACR 0x40022000u
#define FLASH_ACR_PRFTEN (1u << 8)
#define FLASH_ACR_ICEN (1u << 9)
#define FLASH_ACR_DCEN (1u << 10)

/* 1 us at 120 MHz, counted generously (the loop takes >= 3 cycles per turn). */
#define TE_BOOST_SETTLE_LOOPS 120u

/* The HSI16 is off after reset (the core runs on the MSI): start it when it feeds the PLL. */
const te_rcc_family te_rcc = {RCC_CR, RCC_CFGR, RCC_CFGR_SW_MASK, RCC_CFGR_SW_PLL,
                               RCC_CFGR_SWS_MASK, RCC_CFGR_SWS_PLL, RCC_CR_HSION, RCC_CR_HSIRDY,
                               FLASH_ACR, FLASH_ACR_PRFTEN | FLASH_ACR_ICEN | FLASH_ACR_DCEN};

uint32_t te_gpio_base(uint32_t port)
{
    return 0x48000000u + 0x400u * port; /* RM0432 2.2.2 memory map: GPIOA..GPIOI */
}

void te_gpio_clock_enable(uint32_t port)
{
    TE_SET(RCC_AHB2ENR, 1u << port);
    (void)TE_RD(RCC_AHB2ENR);
}

static uint32_t te_msi_hz(void)
{
    static const uint32_t khz[12] = {100, 200, 400, 800, 1000, 2000,
                                     4000, 8000, 16000, 24000, 32000, 48000};
    const uint32_t cr = TE_RD(RCC_CR);
    const uint32_t range = (cr & RCC_CR_MSIRGSEL) ? (cr >> 4) & 0xFu : (TE_RD(RCC_CSR) >> 8) & 0xFu;
    return range < 12u ? khz[range] * 1000u : 4000000u;
}

void te_family_readback(te_clock_state *s)
{
    const uint32_t cfgr = TE_RD(RCC_CFGR);
    const uint32_t sws = cfgr & RCC_CFGR_SWS_MASK;
    uint32_t sys;
    if (sws == RCC_CFGR_SWS_HSI) {
        sys = TE_CLOCK_HSI_HZ;
        s->source = TE_CLOCK_SRC_HSI;
    } else if (sws == RCC_CFGR_SWS_HSE) {
        sys = TE_CLOCK_HSE_HZ;
        s->source = TE_CLOCK_SRC_HSE;
    } else if (sws == RCC_CFGR_SWS_PLL) {
        const uint32_t pll = TE_RD(RCC_PLLCFGR);
        const uint32_t src = pll & 0x3u;
        const uint32_t m = ((pll >> 4) & 0xFu) + 1u, n = (pll >> 8) & 0x7Fu;
        const uint32_t r = (((pll >> 25) & 0x3u) + 1u) * 2u;
        const uint64_t in = src == RCC_PLLCFGR_SRC_HSE ? TE_CLOCK_HSE_HZ
                            : src == RCC_PLLCFGR_SRC_HSI ? TE_CLOCK_HSI_HZ : te_msi_hz();
        sys = (uint32_t)(in * n / m / r);
        s->source = src == RCC_PLLCFGR_SRC_HSE ? TE_CLOCK_SRC_PLL_HSE : TE_CLOCK_SRC_PLL_HSI;
    } else {
        sys = te_msi_hz();
        s->source = TE_CLOCK_SRC_MSI;
    }
    s->core_hz = sys / te_ahb_div((cfgr >> 4) & 0xFu);
    const uint32_t ppre = TE_UART_BUS == 2u ? (cfgr >> 11) & 0x7u : (cfgr >> 8) & 0x7u;
    s->uart_hz = s->core_hz / te_apb_div(ppre);
}

void te_family_clock_reset(void)
{
    TE_FIELD(RCC_CFGR, RCC_CFGR_PRE_MASK, 0u); /* the shared fallback returns to the MSI */
}

int te_family_voltage(void)
{
    TE_SET(RCC_APB1ENR1, RCC_APB1ENR1_PWREN);
    (void)TE_RD(RCC_APB1ENR1);
    /* Range 1 (the reset value), then boost mode (R1MODE = 0) above 80 MHz. */
    TE_FIELD(PWR_CR1, PWR_CR1_VOS_MASK, PWR_CR1_VOS_RANGE1);
    if (!te_wait(PWR_SR2, PWR_SR2_VOSF, 0u)) {
        return 0;
    }
    if (TE_CLOCK_VOLTAGE == TE_VOLTAGE_RANGE1_BOOST) {
        TE_CLR(PWR_CR5, PWR_CR5_R1MODE);
    }
    return 1;
}

/* PLL (RM0432 6.4.4): PLLM - 1, PLLN, PLLR as (R / 2) - 1, R output enabled. */
void te_family_pll_config(int from_hse)
{
    const uint32_t src = from_hse ? RCC_PLLCFGR_SRC_HSE : RCC_PLLCFGR_SRC_HSI;
    TE_WR(RCC_PLLCFGR, src | ((TE_PLL_M - 1u) << 4) | (TE_PLL_N << 8) | RCC_PLLCFGR_PLLREN |
                           (((TE_PLL_R / 2u) - 1u) << 25));
}

int te_family_after_pll(void)
{
    return 1;
}

/* Boost transition (RM0432 5.1.8): AHB /2 while switching, 1 us, then the final. */
void te_family_prescalers(void)
{
    TE_FIELD(RCC_CFGR, RCC_CFGR_PRE_MASK,
             (te_ahb_bits(2u) << 4) | (te_apb_bits(TE_CLOCK_APB1_DIV) << 8) |
                 (te_apb_bits(TE_CLOCK_APB2_DIV) << 11));
}

void te_family_after_switch(void)
{
    for (volatile uint32_t i = 0; i < TE_BOOST_SETTLE_LOOPS; ++i) {
    }
    TE_FIELD(RCC_CFGR, RCC_CFGR_HPRE_MASK, te_ahb_bits(TE_CLOCK_AHB_DIV) << 4);
}
