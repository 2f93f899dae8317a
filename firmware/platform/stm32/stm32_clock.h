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

/* The bring-up (stm32_clock.c), one sequence for every family, in the order the reference
 * manuals ask for: regulator voltage; oscillator; PLL configured and locked; what the
 * family needs after the lock (F7 over-drive); flash wait states set and read back
 * *before* the clock rises; bus prescalers; switch SYSCLK to the PLL; what the family
 * needs after the switch (L4 boost settling). Every wait is bounded; after a failed step
 * the core returns to its reset clock and `s->status` names the step. Fills `s` with
 * what the hardware reads back afterwards. */
void te_clock_bringup(te_clock_state *s);

/* RCC_CR bits at the same place on every family here (RM0090 6.3.1, RM0385 5.3.1,
 * RM0433 8.7.2 - PLL1 on the H7 -, RM0432 6.4.1). */
#define TE_RCC_CR_HSEON (1u << 16)
#define TE_RCC_CR_HSERDY (1u << 17)
#define TE_RCC_CR_HSEBYP (1u << 18)
#define TE_RCC_CR_PLLON (1u << 24)
#define TE_RCC_CR_PLLRDY (1u << 25)
#define TE_FLASH_ACR_LATENCY_MASK 0xFu

/* ---- What each family provides (platform/<family>/clock.c) ------------------------- */

/* The family's RCC and flash registers the shared sequence touches. */
typedef struct {
    uint32_t cr, cfgr;                       /* RCC_CR, RCC_CFGR */
    uint32_t sw_mask, sw_pll;                /* RCC_CFGR.SW and its PLL code */
    uint32_t sws_mask, sws_pll;              /* RCC_CFGR.SWS and its PLL code */
    uint32_t hsi_on, hsi_ready;              /* RCC_CR bits to start the HSI; 0: it runs
                                                from reset and is the reset clock */
    uint32_t flash_acr, flash_acr_bits;      /* FLASH_ACR and what goes beside LATENCY */
} te_rcc_family;
extern const te_rcc_family te_rcc;

int te_family_voltage(void);                 /* the regulator, before the oscillator: 1 = ready */
void te_family_pll_config(int from_hse);     /* PLL registers, written while it is off */
int te_family_after_pll(void);               /* after the lock, before the clock rises: 1 = ok */
void te_family_prescalers(void);             /* bus prescalers, before the switch */
void te_family_after_switch(void);           /* after SYSCLK switched to the PLL */
void te_family_clock_reset(void);            /* fallback: prescalers (and regulator) to reset */
void te_family_readback(te_clock_state *s);  /* the clock the hardware runs at now */

/* The shared part of te_platform_init (stm32_platform.c): clock bring-up and caches into
 * te_clock(); the UART's GPIO and RCC clocks and pins (`rcc_base` + TE_UART_RCC_ENR); the
 * "inference active" pin as an output. */
void te_stm32_clock_init(void);
void te_stm32_uart_pins(uint32_t rcc_base);
void te_stm32_active_pin_init(void);

/* GPIO port `port` (0 = A) base address and RCC enable, per family. */
uint32_t te_gpio_base(uint32_t port);
void te_gpio_clock_enable(uint32_t port);
void te_gpio_output(uint32_t port, uint32_t pin);
void te_gpio_write(uint32_t port, uint32_t pin, int high);

#endif /* TE_STM32_CLOCK_H */
