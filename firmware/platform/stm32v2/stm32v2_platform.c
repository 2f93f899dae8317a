/*
 * stm32v2_platform.c - te_uart_putc/getc, te_cycles_now and te_platform_exit for the STM32
 * families with the F7/H7/L4 USART layout, and the part of their te_platform_init that
 * follows the clock bring-up (see stm32v2_platform.h).
 * RM0385 section 34.8, RM0433 section 48.7, RM0432 sections 53.7 (USART) and 54.7 (LPUART).
 */
#include <stdint.h>

#include "stm32_clock.h"
#include "stm32_usart.h"
#include "stm32v2_platform.h"
#include "te_platform.h"

/* BRR from the UART's kernel clock, rounded: fck / baud for a USART (oversampling 16),
 * 256 * fck / baud for an LPUART (needs 3 * baud <= fck <= 4096 * baud). */
static uint32_t te_uart_brr(uint32_t fck)
{
    if (TE_UART_LPUART) {
        return (uint32_t)((256ull * fck + TE_UART_BAUD / 2u) / TE_UART_BAUD);
    }
    return (fck + TE_UART_BAUD / 2u) / TE_UART_BAUD;
}

void te_stm32v2_io_init(uint32_t rcc_base)
{
    te_stm32_uart_pins(rcc_base);
    te_stm32_usart_v2_init(TE_UART_BASE, te_uart_brr(te_clock()->uart_hz));
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
