/*
 * STM32F405 (netduinoplus2): USART1 on PA9/PA10 and TIM2 as the counter. RM0090.
 *
 * Runs on the 16 MHz HSI the chip resets to (PLL setup to 168 MHz comes with the
 * board bring-up). QEMU's netduinoplus2 has no DWT CYCCNT but clocks TIM2 at 1 GHz of
 * virtual time, so with -icount shift=0 TIM2 counts instructions.
 */
#include <stdint.h>

#include "semihost.h"
#include "stm32_usart.h"
#include "te_platform.h"

#define RCC_BASE 0x40023800u
#define RCC_AHB1ENR TE_REG(RCC_BASE + 0x30u)
#define RCC_APB1ENR TE_REG(RCC_BASE + 0x40u)
#define RCC_APB2ENR TE_REG(RCC_BASE + 0x44u)
#define RCC_AHB1ENR_GPIOAEN (1u << 0)
#define RCC_APB1ENR_TIM2EN (1u << 0)
#define RCC_APB2ENR_USART1EN (1u << 4)

#define GPIOA_BASE 0x40020000u
#define USART1_BASE 0x40011000u
#define USART_AF7 7u

#define TIM2_BASE 0x40000000u
#define TIM2_CR1 TE_REG(TIM2_BASE + 0x00u)
#define TIM2_EGR TE_REG(TIM2_BASE + 0x14u)
#define TIM2_CNT TE_REG(TIM2_BASE + 0x24u)
#define TIM2_PSC TE_REG(TIM2_BASE + 0x28u)
#define TIM2_ARR TE_REG(TIM2_BASE + 0x2Cu)

#define TE_PCLK2_HZ 16000000u /* HSI, AHB and APB2 prescalers 1 after reset */
#define TE_BAUD 115200u

void te_platform_init(void)
{
    RCC_AHB1ENR |= RCC_AHB1ENR_GPIOAEN;
    RCC_APB2ENR |= RCC_APB2ENR_USART1EN;
    RCC_APB1ENR |= RCC_APB1ENR_TIM2EN;
    te_stm32_gpio_af(GPIOA_BASE, 9u, USART_AF7);
    te_stm32_gpio_af(GPIOA_BASE, 10u, USART_AF7);
    /* Oversampling 16: BRR = mantissa.fraction(4 bits) = fck / baud, rounded. */
    te_stm32_usart_v1_init(USART1_BASE, (TE_PCLK2_HZ + TE_BAUD / 2u) / TE_BAUD);

    TIM2_PSC = 0;
    TIM2_ARR = 0xFFFFFFFFu; /* TIM2 is 32-bit on the F405 */
    TIM2_EGR = 1u;          /* UG: load PSC */
    TIM2_CR1 = 1u;          /* CEN */
}

void te_uart_putc(uint8_t c)
{
    te_stm32_usart_v1_putc(USART1_BASE, c);
}

uint8_t te_uart_getc(void)
{
    return te_stm32_usart_v1_getc(USART1_BASE);
}

uint32_t te_cycles_now(void)
{
    return TIM2_CNT;
}

void te_platform_exit(int code)
{
    /* netduinoplus2 runs under QEMU here; on the real board nothing answers BKPT. */
    te_semihost_exit(code);
}
