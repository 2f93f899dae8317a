/*
 * STM32F746 (NUCLEO-F746ZG): USART3 on PD8/PD9 (ST-LINK VCP), DWT cycle counter.
 * RM0385 (RCC section 5.3, GPIO section 6.4, USART section 34.8), UM1974 (VCP pins).
 *
 * Runs on the 16 MHz HSI the chip resets to; the 216 MHz PLL setup comes with the
 * board bring-up (cycles do not depend on it, latency = cycles / clock does).
 */
#include <stdint.h>

#include "stm32_usart.h"
#include "te_platform.h"

#define RCC_BASE 0x40023800u
#define RCC_AHB1ENR TE_REG(RCC_BASE + 0x30u)
#define RCC_APB1ENR TE_REG(RCC_BASE + 0x40u)
#define RCC_AHB1ENR_GPIODEN (1u << 3)
#define RCC_APB1ENR_USART3EN (1u << 18)

#define GPIOD_BASE 0x40020C00u
#define USART3_BASE 0x40004800u
#define USART_AF7 7u

#define TE_PCLK1_HZ 16000000u /* HSI; USART3SEL = PCLK1 after reset */
#define TE_BAUD 115200u

void te_platform_init(void)
{
    RCC_AHB1ENR |= RCC_AHB1ENR_GPIODEN;
    RCC_APB1ENR |= RCC_APB1ENR_USART3EN;
    (void)RCC_APB1ENR; /* read back: the clock is on before the first USART access */
    te_stm32_gpio_af(GPIOD_BASE, 8u, USART_AF7);
    te_stm32_gpio_af(GPIOD_BASE, 9u, USART_AF7);
    te_stm32_usart_v2_init(USART3_BASE, (TE_PCLK1_HZ + TE_BAUD / 2u) / TE_BAUD);
    te_dwt_enable();
}

void te_uart_putc(uint8_t c)
{
    te_stm32_usart_v2_putc(USART3_BASE, c);
}

uint8_t te_uart_getc(void)
{
    return te_stm32_usart_v2_getc(USART3_BASE);
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
