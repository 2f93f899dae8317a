/*
 * te_platform.h - what every platform layer (firmware/platform/<platform>/) provides.
 *
 * The startup code (platform/common/startup.c) enables the FPU, copies .data, zeroes
 * .bss, paints the stack and calls main(); main() calls te_platform_init() first.
 * Nothing here allocates memory or uses interrupts.
 */
#ifndef TE_PLATFORM_H
#define TE_PLATFORM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Clocks, the UART (8N1 at the board's baud rate) and the cycle/instruction counter. */
void te_platform_init(void);

/* Blocking byte output / input on the board's UART. */
void te_uart_putc(uint8_t c);
uint8_t te_uart_getc(void);

/* Free-running 32-bit counter: DWT CYCCNT on real STM32F7/H7/L4 (core cycles), the
 * FPGAIO counter on MPS2 and TIM2 on netduinoplus2 (emulator ticks; the host converts
 * them to instructions from the board's [emulator] icount_shift and counter_hz).
 * Differences are valid modulo 2^32. */
uint32_t te_cycles_now(void);

/* End the program: QEMU exits with `code` via semihosting; a real board stops in a
 * low-power loop (no debugger is assumed, so no semihosting there). */
void te_platform_exit(int code) __attribute__((noreturn));

/* Exit code of a firmware that faulted (QEMU's exit status; the host names it). */
#define TE_FAULT_EXIT_CODE 0xFA

/* Called by the fault handler (platform/common/startup.c) before the program stops:
 * exception number (3 HardFault, 4 MemManage, 5 BusFault, 6 UsageFault), the stacked PC
 * and SCB->CFSR. The application may override this weak hook to tell the host. */
void te_fault_report(uint32_t exception, uint32_t pc, uint32_t cfsr);

/* Provided by platform/common/startup.c for every platform: bytes of the reserved
 * stack that were ever written (stack painting high-water mark) and its size. */
uint32_t te_stack_used(void);
uint32_t te_stack_size(void);

#ifdef __cplusplus
}
#endif

#endif /* TE_PLATFORM_H */
