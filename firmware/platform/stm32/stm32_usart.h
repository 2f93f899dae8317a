/*
 * stm32_usart.h - helpers shared by the STM32 platform layers.
 *
 * Two USART register layouts exist: the F1/F2/F4 one (SR, DR, BRR, CR1 at 0x00..0x0C)
 * and the F7/H7/L4/G4 one (CR1 at 0x00, BRR at 0x0C, ISR 0x1C, RDR 0x24, TDR 0x28),
 * which LPUART shares with a 256x BRR. DWT CYCCNT is the same on every ARMv7-M.
 */
#ifndef TE_STM32_USART_H
#define TE_STM32_USART_H

#include <stdint.h>

#define TE_REG(addr) (*(volatile uint32_t *)(addr))

/* GPIO pin to alternate function `af` (MODER = 0b10, AFR nibble). */
void te_stm32_gpio_af(uint32_t gpio_base, uint32_t pin, uint32_t af);

/* F4 layout (RM0090 section 30.6). */
void te_stm32_usart_v1_init(uint32_t base, uint32_t brr);
void te_stm32_usart_v1_putc(uint32_t base, uint8_t c);
uint8_t te_stm32_usart_v1_getc(uint32_t base);

/* F7/H7/L4 layout (RM0385 section 34.8, RM0433 section 48.7, RM0432 section 53.7). */
void te_stm32_usart_v2_init(uint32_t base, uint32_t brr);
void te_stm32_usart_v2_putc(uint32_t base, uint8_t c);
uint8_t te_stm32_usart_v2_getc(uint32_t base);

/* DWT cycle counter (ARMv7-M ARM, C1.8): enable once, then read CYCCNT. */
void te_dwt_enable(void);
uint32_t te_dwt_cycles(void);

/* A real board has no semihosting host: park the core. */
void te_stm32_halt(void) __attribute__((noreturn));

#endif /* TE_STM32_USART_H */
