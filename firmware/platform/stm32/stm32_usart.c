#include "stm32_usart.h"

#define GPIO_MODER 0x00u
#define GPIO_AFRL 0x20u

#define V1_SR 0x00u
#define V1_DR 0x04u
#define V1_BRR 0x08u
#define V1_CR1 0x0Cu
#define V1_SR_RXNE (1u << 5)
#define V1_SR_TXE (1u << 7)
#define V1_CR1_RE (1u << 2)
#define V1_CR1_TE (1u << 3)
#define V1_CR1_UE (1u << 13)

#define V2_CR1 0x00u
#define V2_BRR 0x0Cu
#define V2_ISR 0x1Cu
#define V2_RDR 0x24u
#define V2_TDR 0x28u
#define V2_CR1_UE (1u << 0)
#define V2_CR1_RE (1u << 2)
#define V2_CR1_TE (1u << 3)
#define V2_ISR_RXNE (1u << 5)
#define V2_ISR_TXE (1u << 7)

#define DEMCR TE_REG(0xE000EDFCu)
#define DEMCR_TRCENA (1u << 24)
#define DWT_CTRL TE_REG(0xE0001000u)
#define DWT_CYCCNT TE_REG(0xE0001004u)
#define DWT_LAR TE_REG(0xE0001FB0u)
#define DWT_CTRL_CYCCNTENA (1u << 0)

void te_stm32_gpio_af(uint32_t gpio_base, uint32_t pin, uint32_t af)
{
    const uint32_t afr = gpio_base + GPIO_AFRL + (pin / 8u) * 4u;
    const uint32_t nibble = (pin % 8u) * 4u;
    TE_REG(afr) = (TE_REG(afr) & ~(0xFu << nibble)) | (af << nibble);
    TE_REG(gpio_base + GPIO_MODER) =
        (TE_REG(gpio_base + GPIO_MODER) & ~(3u << (pin * 2u))) | (2u << (pin * 2u));
}

void te_stm32_usart_v1_init(uint32_t base, uint32_t brr)
{
    TE_REG(base + V1_CR1) = 0;
    TE_REG(base + V1_BRR) = brr;
    TE_REG(base + V1_CR1) = V1_CR1_UE | V1_CR1_TE | V1_CR1_RE; /* 8N1, oversampling 16 */
}

void te_stm32_usart_v1_putc(uint32_t base, uint8_t c)
{
    while (!(TE_REG(base + V1_SR) & V1_SR_TXE)) {
    }
    TE_REG(base + V1_DR) = c;
}

uint8_t te_stm32_usart_v1_getc(uint32_t base)
{
    while (!(TE_REG(base + V1_SR) & V1_SR_RXNE)) {
    }
    return (uint8_t)TE_REG(base + V1_DR);
}

void te_stm32_usart_v2_init(uint32_t base, uint32_t brr)
{
    TE_REG(base + V2_CR1) = 0; /* BRR is writable only while UE = 0 */
    TE_REG(base + V2_BRR) = brr;
    TE_REG(base + V2_CR1) = V2_CR1_TE | V2_CR1_RE;
    TE_REG(base + V2_CR1) |= V2_CR1_UE;
}

void te_stm32_usart_v2_putc(uint32_t base, uint8_t c)
{
    while (!(TE_REG(base + V2_ISR) & V2_ISR_TXE)) {
    }
    TE_REG(base + V2_TDR) = c;
}

uint8_t te_stm32_usart_v2_getc(uint32_t base)
{
    while (!(TE_REG(base + V2_ISR) & V2_ISR_RXNE)) {
    }
    return (uint8_t)TE_REG(base + V2_RDR);
}

void te_dwt_enable(void)
{
    DEMCR |= DEMCR_TRCENA;
    DWT_LAR = 0xC5ACCE55u; /* Cortex-M7 locks the DWT until this key is written */
    DWT_CYCCNT = 0;
    DWT_CTRL |= DWT_CTRL_CYCCNTENA;
}

uint32_t te_dwt_cycles(void)
{
    return DWT_CYCCNT;
}

void te_stm32_halt(void)
{
    for (;;) {
        __asm__ volatile("wfi");
    }
}
