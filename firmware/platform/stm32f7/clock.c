/*
 * STM32F74x clock bring-up to the board's rated clock (216 MHz on the NUCLEO-F746ZG).
 * RM0385 rev 8: 5.2 "Clocks", 5.3.1 RCC_CR, 5.3.2 RCC_PLLCFGR, 5.3.3 RCC_CFGR,
 * 4.1.4 "Entering Over-drive mode", 4.4.1 PWR_CR1, 4.4.2 PWR_CSR1, 3.3.2 "Read access
 * latency" (Table 5) and 3.7.1 FLASH_ACR. Values come from te_board_gen.h.
 *
 * Order (RM0385 4.1.4 and 3.3.2; the shared sequence, platform/stm32/stm32_clock.c): PWR
 * clock on, voltage scale 1; oscillator; PLL configured and locked; over-drive on and
 * switched; flash wait states and the ART accelerator set *before* the core clock rises;
 * bus prescalers so no APB exceeds its maximum; switch SYSCLK to the PLL. Every wait is
 * bounded; on a failure the core stays on (or returns to) the 16 MHz HSI and the status
 * names the step.
 */
#include "stm32_rcc_f4f7.h"

#define PWR_BASE 0x40007000u
#define PWR_CR1 (PWR_BASE + 0x00u)
#define PWR_CSR1 (PWR_BASE + 0x04u)
#define PWR_CR1_VOS_MASK (0x3u << 14)
#define PWR_CR1_VOS_SCALE1 (0x3u << 14)
#define PWR_CR1_ODEN (1u << 16)
#define PWR_CR1_ODSWEN (1u << 17)
#define PWR_CSR1_ODRDY (1u << 16)
#define PWR_CSR1_ODSWRDY (1u << 17)

#define FLASH_ACR_ARTEN (1u << 9)

const te_rcc_family te_rcc = TE_RCC_F4F7(FLASH_ACR_PRFTEN | FLASH_ACR_ARTEN);

/* Voltage scale 1 (RM0385 4.1.4 steps 1-2): the PWR interface needs its clock. */
int te_family_voltage(void)
{
    te_pwr_clock_enable();
    TE_FIELD(PWR_CR1, PWR_CR1_VOS_MASK, PWR_CR1_VOS_SCALE1);
    return 1;
}

/* Over-drive (RM0385 4.1.4 steps 4-6), needed above 180 MHz: ODEN, wait ODRDY, ODSWEN,
 * wait ODSWRDY - after the PLL is on, before the clock rises. */
int te_family_after_pll(void)
{
    if (TE_CLOCK_VOLTAGE != TE_VOLTAGE_SCALE1_OVERDRIVE) {
        return 1;
    }
    TE_SET(PWR_CR1, PWR_CR1_ODEN);
    if (!te_wait(PWR_CSR1, PWR_CSR1_ODRDY, PWR_CSR1_ODRDY)) {
        return 0;
    }
    TE_SET(PWR_CR1, PWR_CR1_ODSWEN);
    return te_wait(PWR_CSR1, PWR_CSR1_ODSWRDY, PWR_CSR1_ODSWRDY);
}

void te_family_clock_reset(void)
{
    TE_CLR(PWR_CR1, PWR_CR1_ODSWEN | PWR_CR1_ODEN);
    TE_FIELD(RCC_CFGR, RCC_CFGR_PRE_MASK, 0u);
}
