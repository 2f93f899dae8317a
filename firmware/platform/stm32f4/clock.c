/*
 * STM32F405 clock bring-up to the board's rated clock (168 MHz on the Netduino Plus 2).
 * RM0090 rev 19: 6.2 "Clocks", 6.3.1 RCC_CR, 6.3.2 RCC_PLLCFGR, 6.3.3 RCC_CFGR,
 * 5.4.1 PWR_CR (VOS), 3.5.1 "Relation between CPU clock frequency and Flash memory read
 * time" (Table 10) and 3.9.1 FLASH_ACR. Values come from te_board_gen.h.
 *
 * Order (the shared sequence, platform/stm32/stm32_clock.c): PWR clock on, voltage scale
 * 1; oscillator; PLL configured and locked; flash wait states, prefetch and the ART's
 * instruction/data caches set *before* the core clock rises (RM0090 3.5.1: "increase the
 * number of wait states first"); bus prescalers so no APB exceeds its maximum; switch
 * SYSCLK to the PLL. Every wait is bounded; on a failure the core stays on (or returns
 * to) the 16 MHz HSI and the status names the step. QEMU's netduinoplus2 models no RCC
 * (its registers read 0): the HSE wait times out there and the firmware reports
 * "HSI (HSE failed)".
 */
#include "stm32_rcc_f4f7.h"

#define PWR_CR 0x40007000u
#define PWR_CR_VOS (1u << 14) /* 1: scale 1 (168 MHz) */

#define FLASH_ACR_ICEN (1u << 9)
#define FLASH_ACR_DCEN (1u << 10)

const te_rcc_family te_rcc = TE_RCC_F4F7(FLASH_ACR_PRFTEN | FLASH_ACR_ICEN | FLASH_ACR_DCEN);

/* Voltage scale 1 (RM0090 5.1.3, 5.4.1): the PWR interface needs its clock. */
int te_family_voltage(void)
{
    te_pwr_clock_enable();
    TE_SET(PWR_CR, PWR_CR_VOS);
    return 1;
}

int te_family_after_pll(void)
{
    return 1;
}

void te_family_clock_reset(void)
{
    TE_FIELD(RCC_CFGR, RCC_CFGR_PRE_MASK, 0u);
}
