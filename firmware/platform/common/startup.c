/*
 * startup.c - vector table and reset handler shared by every Cortex-M platform.
 *
 * The reset handler is naked assembly up to the point where the FPU is on: with
 * -mfloat-abi=hard any C function may touch s0-s31, and a VFP instruction with
 * CPACR.CP10/CP11 off is a UsageFault. The symbols come from the linker template
 * (platform/common/linker.ld.in).
 */
#include <stdint.h>
#include <string.h>

#include "te_platform.h"

#define TE_STACK_PAINT 0xA5A5A5A5u
#define TE_CPACR_ADDR "0xE000ED88"

extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start[], __bss_end[];
extern uint32_t __stack_bottom[], __stack_top[];

int main(void);
void te_reset_handler(void);
void te_reset_c(void) __attribute__((noreturn, used));
void te_default_handler(void);

/* Faults and unexpected interrupts stop the program with a distinct exit code so an
 * emulator run ends instead of hanging until its timeout. */
void te_default_handler(void)
{
    te_platform_exit(TE_FAULT_EXIT_CODE);
}

/* The application's fault hook (te_platform.h); this weak default reports nothing. */
__attribute__((weak)) void te_fault_report(uint32_t exception, uint32_t pc, uint32_t cfsr)
{
    (void)exception;
    (void)pc;
    (void)cfsr;
}

void te_fault_c(const uint32_t *frame) __attribute__((noreturn, used));

/* HardFault, MemManage, BusFault, UsageFault: find the stacked exception frame (MSP or
 * PSP, from bit 2 of EXC_RETURN in lr) and hand it to te_fault_c. */
__attribute__((naked)) static void te_fault_handler(void)
{
    __asm__ volatile(
        "tst lr, #4\n"
        "ite eq\n"
        "mrseq r0, msp\n"
        "mrsne r0, psp\n"
        "b te_fault_c\n");
}

/* Report the exception number, the faulting instruction's address (stacked PC, word 6 of
 * the frame) and the Configurable Fault Status Register, then stop. */
void te_fault_c(const uint32_t *frame)
{
    uint32_t ipsr;
    __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
    const uint32_t cfsr = *(volatile const uint32_t *)0xE000ED28u;
    te_fault_report(ipsr & 0x1FFu, frame[6], cfsr);
    te_platform_exit(TE_FAULT_EXIT_CODE);
}

__attribute__((naked)) void te_reset_handler(void)
{
    __asm__ volatile(
        "ldr r0, =" TE_CPACR_ADDR "\n"
        "ldr r1, [r0]\n"
        "orr r1, r1, #(0xF << 20)\n" /* CP10 and CP11: full access */
        "str r1, [r0]\n"
        "dsb\n"
        "isb\n"
        "ldr r0, =__stack_top\n"
        "msr msp, r0\n"
        "b te_reset_c\n");
}

/* Fill the stack below the current frame with a pattern; te_stack_used() looks for the
 * deepest word that no longer holds it. */
static void te_paint_stack(void)
{
    uint32_t sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    for (uint32_t *p = __stack_bottom; (uint32_t)p < sp - 64u; ++p) {
        *p = TE_STACK_PAINT;
    }
}

void te_reset_c(void)
{
    memcpy(__data_start, __data_load, (size_t)((uint8_t *)__data_end - (uint8_t *)__data_start));
    memset(__bss_start, 0, (size_t)((uint8_t *)__bss_end - (uint8_t *)__bss_start));
    te_paint_stack();
    te_platform_exit(main());
}

uint32_t te_stack_size(void)
{
    return (uint32_t)((uint8_t *)__stack_top - (uint8_t *)__stack_bottom);
}

uint32_t te_stack_used(void)
{
    const uint32_t *p = __stack_bottom;
    while (p < __stack_top && *p == TE_STACK_PAINT) {
        ++p;
    }
    return (uint32_t)((uint8_t *)__stack_top - (uint8_t *)p);
}

typedef void (*te_vector)(void);

/* Core exceptions only: the runtime uses no peripheral interrupts. */
__attribute__((section(".isr_vector"), used)) static const te_vector te_vectors[16] = {
    (te_vector)(uintptr_t)__stack_top,
    te_reset_handler,
    te_default_handler, /* NMI */
    te_fault_handler,   /* HardFault */
    te_fault_handler,   /* MemManage */
    te_fault_handler,   /* BusFault */
    te_fault_handler,   /* UsageFault */
    0, 0, 0, 0,
    te_default_handler, /* SVCall */
    te_default_handler, /* DebugMonitor */
    0,
    te_default_handler, /* PendSV */
    te_default_handler, /* SysTick */
};
