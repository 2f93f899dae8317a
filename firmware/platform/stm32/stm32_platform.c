/*
 * stm32_platform.c - the part of te_platform_init every STM32 board shares: the clock
 * bring-up (and the Cortex-M7 caches when the board file asks for them), the UART's pins
 * and clocks, and the "inference active" pin, all from te_board_gen.h. The family's
 * platform.c adds what differs (its USART layout, PWR for VDDIO2, TIM2 under QEMU).
 */
#include "stm32_clock.h"
#include "stm32_usart.h"
#include "te_platform.h"

static te_clock_state te_clk;

const te_clock_state *te_clock(void)
{
    return &te_clk;
}

void te_stm32_clock_init(void)
{
    te_clock_bringup(&te_clk);
    if (TE_CLOCK_CACHES) {
        te_cm7_caches_enable();
    }
}

void te_stm32_uart_pins(uint32_t rcc_base)
{
    te_gpio_clock_enable(TE_UART_TX_PORT);
    te_gpio_clock_enable(TE_UART_RX_PORT);
    TE_SET(rcc_base + TE_UART_RCC_ENR, 1u << TE_UART_RCC_BIT);
    (void)TE_RD(rcc_base + TE_UART_RCC_ENR); /* the clock is on before the first access */
    te_stm32_gpio_af(te_gpio_base(TE_UART_TX_PORT), TE_UART_TX_PIN, TE_UART_AF);
    te_stm32_gpio_af(te_gpio_base(TE_UART_RX_PORT), TE_UART_RX_PIN, TE_UART_AF);
}

void te_stm32_active_pin_init(void)
{
    if (TE_ACTIVE_PRESENT) {
        te_gpio_output(TE_ACTIVE_PORT, TE_ACTIVE_PIN);
    }
}

void te_inference_active(int active)
{
    if (TE_ACTIVE_PRESENT) {
        te_gpio_write(TE_ACTIVE_PORT, TE_ACTIVE_PIN, active);
    }
}
