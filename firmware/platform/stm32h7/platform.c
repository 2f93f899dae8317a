/*
 * STM32H743 (NUCLEO-H743ZI): USART3 on PD8/PD9 (ST-LINK VCP), DWT cycle counter.
 * RM0433 (RCC section 8.7, GPIO section 11.4, USART section 48.7), UM2407 (VCP pins).
 *
 * Runs on the 64 MHz HSI the chip resets to (HSIDIV = 1, all bus prescalers 1); the
 * 480 MHz PLL and VOS0 setup come with the board bring-up.
 */
#include <stdint.h>

#include "stm32_usart.h"
#include "te_platform.h"

#define RCC_BASE 0x58024400u
#define RCC_AHB4ENR TE_REG(RCC_BASE + 0xE0u)
#define RCC_APB1LENR TE_REG(RCC_BASE + 0xE8u)
#define RCC_AHB4ENR_GPIODEN (1u << 3)
#define RCC_APB1LENR_USART3EN (1u << 18)

#define GPIOD_BASE 0x58020C00u
#define USART3_BASE 0x40004800u
#define USART_AF7 7u

#define TE_PCLK1_HZ 64000000u /* USART234578SEL = rcc_pclk1 after reset */
#define TE_BAUD 115200u

void te_platform_init(void)
{
    RCC_AHB4ENR |= RCC_AHB4ENR_GPIODEN;
    RCC_APB1LENR |= RCC_APB1LENR_USART3EN;
    (void)RCC_APB1LENR;
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
