/*
 * STM32F405 (netduinoplus2): the board's clock tree (clock.c), the UART and pins of the
 * board file (te_board_gen.h: USART1 on PA9/PA10), the "inference active" pin, and the
 * counter: DWT CYCCNT on the real chip; TIM2 in QEMU (TE_TARGET_EMULATOR), which has no
 * DWT CYCCNT but clocks TIM2 at 1 GHz of virtual time, so with -icount shift=0 TIM2
 * counts instructions. RM0090 (RCC 6.3, GPIO 8.4, USART 30.6, TIM2 18.4).
 *
 * QEMU's netduinoplus2 has no RCC model: the bring-up's HSE wait times out there, the
 * firmware stays on the 16 MHz HSI and reports it ("HSI (HSE failed)").
 */
#include <stdint.h>

#include "semihost.h"
#include "stm32_clock.h"
#include "stm32_usart.h"
#include "te_platform.h"

#define RCC_BASE 0x40023800u
#define RCC_APB1ENR (RCC_BASE + 0x40u)
#define RCC_APB1ENR_TIM2EN (1u << 0)

#define TIM2_BASE 0x40000000u
#define TIM2_CR1 TE_REG(TIM2_BASE + 0x00u)
#define TIM2_EGR TE_REG(TIM2_BASE + 0x14u)
#define TIM2_CNT TE_REG(TIM2_BASE + 0x24u)
#define TIM2_PSC TE_REG(TIM2_BASE + 0x28u)
#define TIM2_ARR TE_REG(TIM2_BASE + 0x2Cu)

#ifndef TE_TARGET_EMULATOR
#define TE_TARGET_EMULATOR 0
#endif

void te_platform_init(void)
{
    te_stm32_clock_init(); /* TE_CLOCK_CACHES is 0 on a Cortex-M4 */
    te_stm32_uart_pins(RCC_BASE);
    /* Oversampling 16: BRR = mantissa.fraction(4 bits) = fck / baud, rounded; fck is the
     * APB clock read back after the bring-up. */
    te_stm32_usart_v1_init(TE_UART_BASE, (te_clock()->uart_hz + TE_UART_BAUD / 2u) / TE_UART_BAUD);
    te_stm32_active_pin_init();
    if (TE_TARGET_EMULATOR) {
        TE_SET(RCC_APB1ENR, RCC_APB1ENR_TIM2EN);
        TIM2_PSC = 0;
        TIM2_ARR = 0xFFFFFFFFu; /* TIM2 is 32-bit on the F405 */
        TIM2_EGR = 1u;          /* UG: load PSC */
        TIM2_CR1 = 1u;          /* CEN */
    } else {
        te_dwt_enable();
    }
}

void te_uart_putc(uint8_t c)
{
    te_stm32_usart_v1_putc(TE_UART_BASE, c);
}

uint8_t te_uart_getc(void)
{
    return te_stm32_usart_v1_getc(TE_UART_BASE);
}

uint32_t te_cycles_now(void)
{
    return TE_TARGET_EMULATOR ? TIM2_CNT : te_dwt_cycles();
}

void te_platform_exit(int code)
{
    if (TE_TARGET_EMULATOR) {
        te_semihost_exit(code); /* QEMU ends with this exit status */
    }
    (void)code;
    te_stm32_halt(); /* on the real board nothing answers semihosting */
}
