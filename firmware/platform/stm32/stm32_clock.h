/*
 * stm32_clock.h - register access and bounded waits for the STM32 clock bring-up.
 *
 * Every register access of the bring-up (platform/stm32f4/clock.c and its siblings) goes through TE_RD /
 * TE_WR, so the same C runs on the chip and, compiled for the host with -DTE_REGSIM,
 * against a simulated register file that logs every access and models the ready bits
 * (tests/firmware/test_clock_bringup.py). Every wait on a ready bit is bounded by
 * TE_READY_TIMEOUT_LOOPS (te_board_gen.h): the bring-up never hangs.
 */
#ifndef TE_STM32_CLOCK_H
#define TE_STM32_CLOCK_H

#include <stdint.h>

#include "te_board_gen.h"
#include "te_clock.h"

#ifdef TE_REGSIM
uint32_t te_regsim_read(uint32_t addr);
void te_regsim_write(uint32_t addr, uint32_t value);
void te_regsim_barrier(const char *which);
#define TE_RD(a) te_regsim_read((uint32_t)(a))
#define TE_WR(a, v) te_regsim_write((uint32_t)(a), (uint32_t)(v))
#define TE_DSB() te_regsim_barrier("dsb")
#define TE_ISB() te_regsim_barrier("isb")
#else
#define TE_RD(a) (*(volatile uint32_t *)(uintptr_t)(a))
#define TE_WR(a, v) (*(volatile uint32_t *)(uintptr_t)(a) = (uint32_t)(v))
#define TE_DSB() __asm__ volatile("dsb 0xF" ::: "memory")
#define TE_ISB() __asm__ volatile("isb 0xF" ::: "memory")
#endif

#define TE_SET(a, m) TE_WR(a, TE_RD(a) | (uint32_t)(m))
#define TE_CLR(a, m) TE_WR(a, TE_RD(a) & ~(uint32_t)(m))
#define TE_FIELD(a, mask, value) TE_WR(a, (TE_RD(a) & ~(uint32_t)(mask)) | (uint32_t)(value))

/* Poll until (reg & mask) == want, at most TE_READY_TIMEOUT_LOOPS reads: 1 if it came. */
int te_wait(uint32_t addr, uint32_t mask, uint32_t want);

/* RCC prescaler field encodings (the same on every STM32 family here): AHB /1..512 ->
 * 0, 0b1000..0b1111; APB /1..16 -> 0, 0b100..0b111. And back. */
uint32_t te_ahb_bits(uint32_t div);
uint32_t te_apb_bits(uint32_t div);
uint32_t te_ahb_div(uint32_t bits);
uint32_t te_apb_div(uint32_t bits);

/* Cortex-M7 L1 caches: invalidate, then enable, with the barriers the ARMv7-M ARM
 * (B2.2.7 "Cache maintenance") and the Cortex-M7 TRM (section 4.1 "L1 caches") ask for. */
void te_cm7_caches_enable(void);

/* The family's bring-up: fills `s` with what the hardware reads back afterwards. */
void te_clock_bringup(te_clock_state *s);

/* GPIO port `port` (0 = A) base address and RCC enable, per family. */
uint32_t te_gpio_base(uint32_t port);
void te_gpio_clock_enable(uint32_t port);
void te_gpio_output(uint32_t port, uint32_t pin);
void te_gpio_write(uint32_t port, uint32_t pin, int high);

#endif /* TE_STM32_CLOCK_H */
