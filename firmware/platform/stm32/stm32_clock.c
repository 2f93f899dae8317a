/*
 * stm32_clock.c - pieces of the clock bring-up shared by the STM32 families.
 */
#include "stm32_clock.h"

#define GPIO_MODER 0x00u
#define GPIO_BSRR 0x18u

int te_wait(uint32_t addr, uint32_t mask, uint32_t want)
{
    for (uint32_t i = 0; i < TE_READY_TIMEOUT_LOOPS; ++i) {
        if ((TE_RD(addr) & mask) == want) {
            return 1;
        }
    }
    return 0;
}

uint32_t te_ahb_bits(uint32_t div)
{
    static const uint16_t divs[8] = {2, 4, 8, 16, 64, 128, 256, 512};
    for (uint32_t i = 0; i < 8u; ++i) {
        if (divs[i] == div) {
            return 0x8u | i;
        }
    }
    return 0; /* /1 */
}

uint32_t te_apb_bits(uint32_t div)
{
    switch (div) {
    case 2: return 0x4u;
    case 4: return 0x5u;
    case 8: return 0x6u;
    case 16: return 0x7u;
    default: return 0;
    }
}

uint32_t te_ahb_div(uint32_t bits)
{
    static const uint16_t divs[8] = {2, 4, 8, 16, 64, 128, 256, 512};
    return (bits & 0x8u) ? divs[bits & 0x7u] : 1u;
}

uint32_t te_apb_div(uint32_t bits)
{
    return (bits & 0x4u) ? 2u << (bits & 0x3u) : 1u;
}

/* System Control Block cache registers (ARMv7-M ARM B3.2.2, Cortex-M7 TRM 4.1). */
#define SCB_CCR 0xE000ED14u
#define SCB_CCR_DC (1u << 16)
#define SCB_CCR_IC (1u << 17)
#define SCB_CCSIDR 0xE000ED80u
#define SCB_CSSELR 0xE000ED84u
#define SCB_ICIALLU 0xE000EF50u
#define SCB_DCISW 0xE000EF60u

void te_cm7_caches_enable(void)
{
    /* I-cache: invalidate all, then enable. */
    TE_DSB();
    TE_ISB();
    TE_WR(SCB_ICIALLU, 0u);
    TE_DSB();
    TE_ISB();
    TE_SET(SCB_CCR, SCB_CCR_IC);
    TE_DSB();
    TE_ISB();

    /* D-cache: select the L1 data cache, invalidate every set and way, then enable. Its
     * contents are random after reset: enabling it without the invalidation can write
     * garbage back to RAM. */
    TE_WR(SCB_CSSELR, 0u);
    TE_DSB();
    const uint32_t ccsidr = TE_RD(SCB_CCSIDR);
    const uint32_t sets = ((ccsidr >> 13) & 0x7FFFu) + 1u;
    const uint32_t ways = ((ccsidr >> 3) & 0x3FFu) + 1u;
    const uint32_t line_shift = (ccsidr & 0x7u) + 4u;
    const uint32_t way_shift = ways > 1u ? (uint32_t)__builtin_clz(ways - 1u) : 0u;
    for (uint32_t set = 0; set < sets; ++set) {
        for (uint32_t way = 0; way < ways; ++way) {
            TE_WR(SCB_DCISW, (way << way_shift) | (set << line_shift));
        }
    }
    TE_DSB();
    TE_SET(SCB_CCR, SCB_CCR_DC);
    TE_DSB();
    TE_ISB();
}

void te_gpio_output(uint32_t port, uint32_t pin)
{
    te_gpio_clock_enable(port);
    const uint32_t base = te_gpio_base(port);
    TE_WR(base + GPIO_BSRR, 1u << (pin + 16u)); /* low before it becomes an output */
    TE_FIELD(base + GPIO_MODER, 3u << (pin * 2u), 1u << (pin * 2u));
}

void te_gpio_write(uint32_t port, uint32_t pin, int high)
{
    TE_WR(te_gpio_base(port) + GPIO_BSRR, high ? 1u << pin : 1u << (pin + 16u));
}
