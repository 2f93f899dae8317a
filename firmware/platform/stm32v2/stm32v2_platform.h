/*
 * stm32v2_platform.h - the platform layer shared by the STM32 families with the second
 * USART register layout (F7, H7, L4) that run on the real chip only: the UART of the board
 * file (USART or LPUART), the DWT cycle counter, and a halt on exit (nothing answers
 * semihosting on a board). The family's platform.c brings the clock up, does what only it
 * needs (L4: VDDIO2 for port G), then calls te_stm32v2_io_init.
 */
#ifndef TE_STM32V2_PLATFORM_H
#define TE_STM32V2_PLATFORM_H

#include <stdint.h>

/* After te_stm32_clock_init: the UART's pins and clock (enable bit at rcc_base +
 * TE_UART_RCC_ENR), its baud divisor from the kernel clock read back after bring-up, the
 * "inference active" pin and the DWT counter. */
void te_stm32v2_io_init(uint32_t rcc_base);

#endif /* TE_STM32V2_PLATFORM_H */
