/*
 * STM32F746 (NUCLEO-F746ZG): the board's clock tree (clock.c), Cortex-M7 caches, then the
 * UART and pins of the board file (te_board_gen.h: USART3 on PD8/PD9, the ST-LINK VCP), the
 * "inference active" pin and the DWT cycle counter (stm32v2_platform.c).
 * RM0385 (RCC section 5.3, GPIO section 6.4, USART section 34.8), UM1974 (VCP pins).
 */
#include "stm32_clock.h"
#include "stm32v2_platform.h"
#include "te_platform.h"

#define RCC_BASE 0x40023800u

void te_platform_init(void)
{
    te_stm32_clock_init();
    te_stm32v2_io_init(RCC_BASE);
}
