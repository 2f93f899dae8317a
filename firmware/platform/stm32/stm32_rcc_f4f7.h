/*
 * stm32_rcc_f4f7.h - the RCC of the STM32F4 and STM32F7, which share one register layout
 * (RM0090 rev 19 section 6.3 and RM0385 rev 8 section 5.3: RCC_CR, RCC_PLLCFGR with
 * M/N/P/SRC/Q at the same bits, RCC_CFGR with SW/SWS/HPRE/PPRE1/PPRE2, AHB1ENR, APB1ENR)
 * and the same GPIO base (RM0090 2.3, RM0385 2.2.2). Included by exactly one file of a
 * firmware: platform/stm32f4/clock.c or platform/stm32f7/clock.c, which add the regulator
 * and the flash accelerator bits where the two differ.
 */
#ifndef TE_STM32_RCC_F4F7_H
#define TE_STM32_RCC_F4F7_H

#include "stm32_clock.h"

#define RCC_BASE 0x40023800u
#define RCC_CR (RCC_BASE + 0x00u)
#define RCC_PLLCFGR (RCC_BASE + 0x04u)
#define RCC_CFGR (RCC_BASE + 0x08u)
#define RCC_AHB1ENR (RCC_BASE + 0x30u)
#define RCC_APB1ENR (RCC_BASE + 0x40u)
#define RCC_PLLCFGR_SRC_HSE (1u << 22)
#define RCC_CFGR_SW_MASK 0x3u
#define RCC_CFGR_SW_PLL 0x2u
#define RCC_CFGR_SWS_MASK (0x3u << 2)
#define RCC_CFGR_SWS_HSE (0x1u << 2)
#define RCC_CFGR_SWS_PLL (0x2u << 2)
#define RCC_CFGR_PRE_MASK ((0xFu << 4) | (0x7u << 10) | (0x7u << 13))
#define RCC_APB1ENR_PWREN (1u << 28)

#define FLASH_ACR 0x40023C00u
#define FLASH_ACR_PRFTEN (1u << 8)

/* te_rcc for a family with this RCC; `flash_bits` beside LATENCY in FLASH_ACR. The HSI
 * runs from reset (RCC_CR.HSION = 1) and is the reset clock. */
#define TE_RCC_F4F7(flash_bits)                                                              \
    {RCC_CR, RCC_CFGR, RCC_CFGR_SW_MASK, RCC_CFGR_SW_PLL, RCC_CFGR_SWS_MASK, RCC_CFGR_SWS_PLL, \
     0u, 0u, FLASH_ACR, (flash_bits)}

uint32_t te_gpio_base(uint32_t port)
{
    return 0x40020000u + 0x400u * port; /* GPIOA..GPIOI (F4), GPIOA..GPIOK (F7) */
}

void te_gpio_clock_enable(uint32_t port)
{
    TE_SET(RCC_AHB1ENR, 1u << port);
    (void)TE_RD(RCC_AHB1ENR);
}

/* The PWR interface needs its clock before its registers can be written. */
static void te_pwr_clock_enable(void)
{
    TE_SET(RCC_APB1ENR, RCC_APB1ENR_PWREN);
    (void)TE_RD(RCC_APB1ENR);
}

/* PLL (RM0090 6.3.2, RM0385 5.3.2): written while off; M, N, P, Q from the board file. */
void te_family_pll_config(int from_hse)
{
    TE_WR(RCC_PLLCFGR, TE_PLL_M | (TE_PLL_N << 6) | (((TE_PLL_P / 2u) - 1u) << 16) |
                           (from_hse ? RCC_PLLCFGR_SRC_HSE : 0u) | (TE_PLL_Q << 24));
}

/* Bus prescalers (RM0090 6.3.3, RM0385 5.3.3): HPRE, PPRE1, PPRE2. */
void te_family_prescalers(void)
{
    TE_FIELD(RCC_CFGR, RCC_CFGR_PRE_MASK,
             (te_ahb_bits(TE_CLOCK_AHB_DIV) << 4) | (te_apb_bits(TE_CLOCK_APB1_DIV) << 10) |
                 (te_apb_bits(TE_CLOCK_APB2_DIV) << 13));
}

void te_family_after_switch(void)
{
}

/* What the hardware runs at now (RCC_CFGR.SWS, RCC_PLLCFGR, the prescalers). */
void te_family_readback(te_clock_state *s)
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

#endif /* TE_STM32_RCC_F4F7_H */
