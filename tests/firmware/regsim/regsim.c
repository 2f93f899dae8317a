/*
 * regsim.c - a simulated STM32 register file for the host build of the clock bring-up
 * (firmware/platform/<family>/clock.c compiled with -DTE_REGSIM).
 *
 * Every write and barrier is logged to stdout in order ("W addr value", "B dsb"); the
 * ready bits are modelled by rules given on the command line, so a test can leave one
 * out (an HSE that never starts, a PLL that never locks) and watch the timeout path:
 *   set:ADDR=VALUE             initial register value
 *   ready:WADDR:WMASK:RADDR:RMASK  a write to WADDR with all WMASK bits set sets RMASK at
 *                              RADDR (and clears it when they are written clear)
 *   mirror:ADDR:MASK:SHIFT     a write to ADDR copies (value & MASK) << SHIFT into ADDR
 *                              (RCC_CFGR.SW -> SWS)
 *   rozero:ADDR                writes to ADDR are ignored; it reads 0
 * After the bring-up it prints "RESULT core_hz uart_hz source status".
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stm32_clock.h"

#define MAX_REGS 256
#define MAX_RULES 64

static uint32_t reg_addr[MAX_REGS], reg_value[MAX_REGS];
static int nregs;

enum { RULE_READY, RULE_MIRROR, RULE_ROZERO };
typedef struct {
    int kind;
    uint32_t a, amask, b, bmask;
} rule;
static rule rules[MAX_RULES];
static int nrules;

static uint32_t *slot(uint32_t addr)
{
    for (int i = 0; i < nregs; ++i) {
        if (reg_addr[i] == addr) {
            return &reg_value[i];
        }
    }
    if (nregs == MAX_REGS) {
        fprintf(stderr, "regsim: too many registers\n");
        exit(3);
    }
    reg_addr[nregs] = addr;
    reg_value[nregs] = 0;
    return &reg_value[nregs++];
}

uint32_t te_regsim_read(uint32_t addr)
{
    return *slot(addr);
}

void te_regsim_write(uint32_t addr, uint32_t value)
{
    printf("W %08" PRIx32 " %08" PRIx32 "\n", addr, value);
    for (int i = 0; i < nrules; ++i) {
        if (rules[i].kind == RULE_ROZERO && rules[i].a == addr) {
            return;
        }
    }
    *slot(addr) = value;
    for (int i = 0; i < nrules; ++i) {
        const rule *r = &rules[i];
        if (r->a != addr) {
            continue;
        }
        if (r->kind == RULE_READY) {
            uint32_t *target = slot(r->b);
            *target = (value & r->amask) == r->amask ? *target | r->bmask : *target & ~r->bmask;
        } else if (r->kind == RULE_MIRROR) {
            uint32_t *target = slot(addr);
            *target = (*target & ~(r->amask << r->b)) | ((value & r->amask) << r->b);
        }
    }
}

void te_regsim_barrier(const char *which)
{
    printf("B %s\n", which);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; ++i) {
        rule r = {0, 0, 0, 0, 0};
        unsigned long a, b, c, d;
        if (sscanf(argv[i], "set:%lx=%lx", &a, &b) == 2) {
            *slot((uint32_t)a) = (uint32_t)b;
            continue;
        }
        if (sscanf(argv[i], "ready:%lx:%lx:%lx:%lx", &a, &b, &c, &d) == 4) {
            r = (rule){RULE_READY, (uint32_t)a, (uint32_t)b, (uint32_t)c, (uint32_t)d};
        } else if (sscanf(argv[i], "mirror:%lx:%lx:%lu", &a, &b, &c) == 3) {
            r = (rule){RULE_MIRROR, (uint32_t)a, (uint32_t)b, (uint32_t)c, 0};
        } else if (sscanf(argv[i], "rozero:%lx", &a) == 1) {
            r = (rule){RULE_ROZERO, (uint32_t)a, 0, 0, 0};
        } else {
            fprintf(stderr, "regsim: bad argument %s\n", argv[i]);
            return 2;
        }
        if (nrules == MAX_RULES) {
            return 2;
        }
        rules[nrules++] = r;
    }
    te_clock_state s = {0, 0, 0, 0};
    te_clock_bringup(&s);
    printf("RESULT %" PRIu32 " %" PRIu32 " %u %u\n", s.core_hz, s.uart_hz, s.source, s.status);
    if (TE_CLOCK_CACHES) {
        te_cm7_caches_enable();
        printf("CACHES\n");
    }
    return 0;
}
