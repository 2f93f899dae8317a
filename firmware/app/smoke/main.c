/*
 * smoke/main.c - the smoke-test application (app "smoke"; the serial protocol app
 * is the top level of firmware/app): run the model once on an all-zero image and
 * report over the UART, then exit (QEMU: semihosting exit code 0 when the model ran).
 *
 * An all-zero real-valued image quantizes to the input zero point in every byte. The
 * report is line based, parsed by tinyedge.firmware.smoke:
 *   tinyedge app <board>
 *   status <te_status>
 *   output <int8> <int8> ...
 *   ticks <counter ticks around te_model_invoke>
 *   <TE_COUNT_UNIT> <ticks converted: instructions on an emulator, cycles on a board>
 *   stack <bytes used> of <bytes reserved>
 *   end
 */
#include <stdint.h>
#include <string.h>

#include "model.h"
#include "te_platform.h"

#ifndef TE_BOARD_NAME
#define TE_BOARD_NAME "unknown"
#endif
/* counter ticks * TE_COUNT_NUM / TE_COUNT_DEN = TE_COUNT_UNIT (set by the build). */
#ifndef TE_COUNT_UNIT
#define TE_COUNT_UNIT "cycles"
#define TE_COUNT_NUM 1u
#define TE_COUNT_DEN 1u
#endif

/* Its own section so the memory report can tell the arena from other static data. */
static uint8_t te_arena[TE_MODEL_ARENA_SIZE] __attribute__((aligned(16), section(".te_arena")));

static void put_str(const char *s)
{
    while (*s != '\0') {
        te_uart_putc((uint8_t)*s++);
    }
}

static void put_u32(uint32_t v)
{
    char digits[10];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0u);
    while (n > 0) {
        te_uart_putc((uint8_t)digits[--n]);
    }
}

static void put_i32(int32_t v)
{
    if (v < 0) {
        te_uart_putc('-');
        put_u32((uint32_t)0 - (uint32_t)v);
    } else {
        put_u32((uint32_t)v);
    }
}

int main(void)
{
    te_platform_init();
    put_str("tinyedge app " TE_BOARD_NAME "\r\n");
    const te_model_info *info = te_model_get_info();
    memset(te_arena + info->input_offset, (int8_t)info->input_zero_point,
           (size_t)info->input_size);

    const uint32_t start = te_cycles_now();
    const te_status status = te_model_invoke(te_arena);
    const uint32_t ticks = te_cycles_now() - start;

    put_str("status ");
    put_i32(status);
    put_str("\r\noutput");
    const int8_t *out = (const int8_t *)(te_arena + info->output_offset);
    for (int32_t i = 0; i < info->output_size; ++i) {
        te_uart_putc(' ');
        put_i32(out[i]);
    }
    put_str("\r\nticks ");
    put_u32(ticks);
    put_str("\r\n" TE_COUNT_UNIT " ");
    /* Rounded; 64-bit so ticks * NUM cannot overflow. */
    put_u32((uint32_t)(((uint64_t)ticks * TE_COUNT_NUM + TE_COUNT_DEN / 2u) / TE_COUNT_DEN));
    put_str("\r\nstack ");
    put_u32(te_stack_used());
    put_str(" of ");
    put_u32(te_stack_size());
    put_str("\r\nend\r\n");
    return status == TE_OK ? 0 : 1;
}
