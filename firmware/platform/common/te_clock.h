/*
 * te_clock.h - the clock each platform layer brought up, and the "inference active" pin.
 *
 * te_platform_init() runs the board's clock bring-up (values from te_board_gen.h, which
 * tinyedge.firmware.board_header generates from boards/<name>.toml). te_clock() then
 * tells what the core really runs at: read back from the clock hardware (RCC_CFGR.SWS
 * and the PLL registers), never copied from the board file, with the source and how the
 * bring-up ended (TE_CLOCK_SRC_* and TE_CLOCK_* status codes from te_board_gen.h, the
 * numbers of tinyedge.protocol.ClockSource / ClockStatus). The protocol's INFO reply
 * carries it to the host, which computes latency and energy from it.
 */
#ifndef TE_CLOCK_H
#define TE_CLOCK_H

#include <stdint.h>

typedef struct {
    uint32_t core_hz; /* core clock, read back after the bring-up */
    uint32_t uart_hz; /* the UART's kernel clock, from which the baud divisor came */
    uint8_t source;   /* TE_CLOCK_SRC_*: what the core clock comes from */
    uint8_t status;   /* TE_CLOCK_OK, or the step that failed before the fallback */
} te_clock_state;

const te_clock_state *te_clock(void);

/* Drive the board's "inference active" pin ([gpio] inference_active): 1 from the start
 * to the end of an inference, so a power monitor can integrate exactly that window. A
 * platform without the pin does nothing. */
void te_inference_active(int active);

#endif /* TE_CLOCK_H */
