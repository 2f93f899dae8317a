/*
 * STM32L4R5 (NUCLEO-L4R5ZI): the board's clock tree (clock.c), VDDIO2, then the UART and
 * pins of the board file (te_board_gen.h: LPUART1 on PG7/PG8, the ST-LINK VCP), the
 * "inference active" pin and the DWT cycle counter (stm32v2_platform.c).
 * RM0432 (RCC section 6.4, PWR section 5.4, GPIO section 8.5, LPUART section 54.7),
 * UM2179 (VCP pins).
 *
 * Port G pins 2..15 are powered from VDDIO2, which is isolated until PWR_CR2.IOSV is set.
 */
#include "stm32_clock.h"
#include "stm32v2_platform.h"
#include "te_platform.h"

#define RCC_BASE 0x40021000u
#define RCC_APB1ENR1 (RCC_BASE + 0x58u)
#define RCC_APB1ENR1_PWREN (1u << 28)
#define PWR_CR2 (0x40007000u + 0x04u)
#define PWR_CR2_IOSV (1u << 9)
#define PORT_G 6u

void te_platform_init(void)
{
    te_stm32_clock_init(); /* TE_CLOCK_CACHES is 0 on a Cortex-M4 */
    if (TE_UART_TX_PORT == PORT_G || TE_UART_RX_PORT == PORT_G ||
        (TE_ACTIVE_PRESENT && TE_ACTIVE_PORT == PORT_G)) {
        TE_SET(RCC_APB1ENR1, RCC_APB1ENR1_PWREN);
        (void)TE_RD(RCC_APB1ENR1);
        TE_SET(PWR_CR2, PWR_CR2_IOSV);
    }
    te_stm32v2_io_init(RCC_BASE);
}
