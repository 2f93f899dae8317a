/*
 * STM32L4R5 (NUCLEO-L4R5ZI): LPUART1 on PG7/PG8 (ST-LINK VCP), DWT cycle counter.
 * RM0432 (RCC section 6.4, PWR section 5.4, GPIO section 8.5, LPUART section 54.7),
 * UM2179 (VCP pins).
 *
 * Port G pins 2..15 are powered from VDDIO2, which is isolated until PWR_CR2.IOSV is
 * set. Runs on the 4 MHz MSI the chip resets to; the 120 MHz PLL setup comes with the
 * board bring-up.
 */
#include <stdint.h>

#include "stm32_usart.h"
#include "te_platform.h"

#define RCC_BASE 0x40021000u
#define RCC_AHB2ENR TE_REG(RCC_BASE + 0x4Cu)
#define RCC_APB1ENR1 TE_REG(RCC_BASE + 0x58u)
#define RCC_APB1ENR2 TE_REG(RCC_BASE + 0x5Cu)
#define RCC_AHB2ENR_GPIOGEN (1u << 6)
#define RCC_APB1ENR1_PWREN (1u << 28)
#define RCC_APB1ENR2_LPUART1EN (1u << 0)

#define PWR_CR2 TE_REG(0x40007000u + 0x04u)
#define PWR_CR2_IOSV (1u << 9)

#define GPIOG_BASE 0x48001800u
#define LPUART1_BASE 0x40008000u
#define LPUART_AF8 8u

#define TE_PCLK1_HZ 4000000u /* MSI 4 MHz; LPUART1SEL = PCLK1 after reset */
#define TE_BAUD 115200u

void te_platform_init(void)
{
    RCC_APB1ENR1 |= RCC_APB1ENR1_PWREN;
    (void)RCC_APB1ENR1;
    PWR_CR2 |= PWR_CR2_IOSV;
    RCC_AHB2ENR |= RCC_AHB2ENR_GPIOGEN;
    RCC_APB1ENR2 |= RCC_APB1ENR2_LPUART1EN;
    (void)RCC_APB1ENR2;
    te_stm32_gpio_af(GPIOG_BASE, 7u, LPUART_AF8);
    te_stm32_gpio_af(GPIOG_BASE, 8u, LPUART_AF8);
    /* LPUART: BRR = 256 * fck / baud (needs 3 * baud <= fck <= 4096 * baud). */
    te_stm32_usart_v2_init(LPUART1_BASE,
                           (uint32_t)((256ull * TE_PCLK1_HZ + TE_BAUD / 2u) / TE_BAUD));
    te_dwt_enable();
}

void te_uart_putc(uint8_t c)
{
    te_stm32_usart_v2_putc(LPUART1_BASE, c);
}

uint8_t te_uart_getc(void)
{
    return te_stm32_usart_v2_getc(LPUART1_BASE);
}

uint32_t te_cycles_now(void)
{
    return te_dwt_cycles();
}

void te_platform_exit(int code)
{
    (void)code;
    te_stm32_halt();
}
