#include <stdint.h>

#include "semihost.h"

#define TE_SYS_EXIT_EXTENDED 0x20u
#define TE_ADP_STOPPED_APPLICATION_EXIT 0x20026u

void te_semihost_exit(int code)
{
    /* The block outlives the call; QEMU reads it before the BKPT returns. */
    static uint32_t block[2];
    block[0] = TE_ADP_STOPPED_APPLICATION_EXIT;
    block[1] = (uint32_t)code;
    register uint32_t r0 __asm__("r0") = TE_SYS_EXIT_EXTENDED;
    register uint32_t *r1 __asm__("r1") = block;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    for (;;) {
        __asm__ volatile("wfi");
    }
}
