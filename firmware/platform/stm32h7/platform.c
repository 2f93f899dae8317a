/*
 * STM32H743 (NUCLEO-H743ZI): the board's clock tree (clock.c), Cortex-M7 caches, the UART
 * and pins of the board file (te_board_gen.h: USART3 on PD8/PD9, the ST-LINK VCP), the
 * "inference active" pin and the DWT cycle counter.
 * RM0433 (RCC section 8.7, GPIO section 11.4, USART section 48.7), UM2407 (VCP pins).
 */
#include <stdint.h>

#include "stm32_clock.h"
#include "stm32_usart.h"
#include "te_platform.h"

#define RCC_BASE 0x58024400u

static te_clock_state te_clk;

const te_clock_state *te_clock(void)
{
    return &te_clk;
}

void te_platform_init(void)
{
    te_clock_bringup(&te_clk);
    if (TE_CLOCK_CACHES) {
        te_cm7_caches_enable();
    }
    te_gpio_clock_enable(TE_UART_TX_PORT);
    te_gpio_clock_enable(TE_UART_RX_PORT);
    TE_SET(RCC_BASE + TE_UART_RCC_ENR, 1u << TE_UART_RCC_BIT);
    (void)TE_RD(RCC_BASE + TE_UART_RCC_ENR); /* the clock is on before the first access */
    te_stm32_gpio_af(te_gpio_base(TE_UART_TX_PORT), TE_UART_TX_PIN, TE_UART_AF);
    te_stm32_gpio_af(te_gpio_base(TE_UART_RX_PORT), TE_UART_RX_PIN, TE_UART_AF);
    /* The baud divisor from the UART's real kernel clock, as read back after bring-up. */
    te_stm32_usart_v2_init(TE_UART_BASE, (te_clk.uart_hz + TE_UART_BAUD / 2u) / TE_UART_BAUD);
    if (TE_ACTIVE_PRESENT) {
        te_gpio_output(TE_ACTIVE_PORT, TE_ACTIVE_PIN);
    }
    te_dwt_enable();
}

void te_inference_active(int active)
{
    if (TE_ACTIVE_PRESENT) {
        te_gpio_write(TE_ACTIVE_PORT, TE_ACTIVE_PIN, active);
    }
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
