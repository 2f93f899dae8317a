/*
 * STM32F746 (NUCLEO-F746ZG): the board's clock tree (clock.c), Cortex-M7 caches, the UART
 * and pins of the board file (te_board_gen.h: USART3 on PD8/PD9, the ST-LINK VCP), the
 * "inference active" pin and the DWT cycle counter.
 * RM0385 (RCC section 5.3, GPIO section 6.4, USART section 34.8), UM1974 (VCP pins).
 */
#include <stdint.h>

#include "stm32_clock.h"
#include "stm32_usart.h"
#include "te_platform.h"

#define RCC_BASE 0x40023800u

void te_platform_init(void)
{
    te_stm32_clock_init();
    te_stm32_uart_pins(RCC_BASE);
    /* The baud divisor from the UART's real kernel clock, as read back after bring-up. */
    te_stm32_usart_v2_init(TE_UART_BASE, (te_clock()->uart_hz + TE_UART_BAUD / 2u) / TE_UART_BAUD);
    te_stm32_active_pin_init();
    te_dwt_enable();
}

void te_uart_putc(uint8_t c)
{
    te_stm32_usart_v2_putc(TE_UART_BASE, c);
}

uint8_t te_uart_getc(void)
{
    return te_stm32_usart_v2_getc(TE_UART_BASE);
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
