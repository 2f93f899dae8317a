/*
 * MPS2 (AN386 Cortex-M4F, AN500 Cortex-M7) as QEMU 7.2 models it: CMSDK UART0 and the
 * FPGAIO free-running counter. Arm AN386/AN500 application notes, CMSDK TRM (DDI 0479).
 */
#include <stdint.h>

#include "semihost.h"
#include "te_board_gen.h"
#include "te_clock.h"
#include "te_platform.h"

#define TE_REG(addr) (*(volatile uint32_t *)(addr))

#define UART0_BASE 0x40004000u
#define UART_DATA TE_REG(UART0_BASE + 0x00u)
#define UART_STATE TE_REG(UART0_BASE + 0x04u)
#define UART_CTRL TE_REG(UART0_BASE + 0x08u)
#define UART_BAUDDIV TE_REG(UART0_BASE + 0x10u)
#define UART_STATE_TX_FULL (1u << 0)
#define UART_STATE_RX_FULL (1u << 1)
#define UART_CTRL_TX_EN (1u << 0)
#define UART_CTRL_RX_EN (1u << 1)

#define FPGAIO_COUNTER TE_REG(0x40028000u + 0x18u)

#define TE_MPS2_CLOCK_HZ 25000000u
#define TE_MPS2_BAUD 115200u

void te_platform_init(void)
{
    /* 25 MHz / 115200 = 217; QEMU drops TX when BAUDDIV < 16 (CMSDK minimum). */
    UART_BAUDDIV = TE_MPS2_CLOCK_HZ / TE_MPS2_BAUD;
    UART_CTRL = UART_CTRL_TX_EN | UART_CTRL_RX_EN;
}

/* The FPGA image has no clock controller: the core runs from the fixed 25 MHz clock. */
static const te_clock_state te_clk = {TE_MPS2_CLOCK_HZ, TE_MPS2_CLOCK_HZ, TE_CLOCK_SRC_FIXED,
                                      TE_CLOCK_OK};

const te_clock_state *te_clock(void)
{
    return &te_clk;
}

void te_inference_active(int active)
{
    (void)active; /* no marker pin on the FPGA image */
}

void te_uart_putc(uint8_t c)
{
    while (UART_STATE & UART_STATE_TX_FULL) {
    }
    UART_DATA = c;
}

uint8_t te_uart_getc(void)
{
    while (!(UART_STATE & UART_STATE_RX_FULL)) {
    }
    return (uint8_t)UART_DATA;
}

uint32_t te_cycles_now(void)
{
    return FPGAIO_COUNTER;
}

void te_platform_exit(int code)
{
    te_semihost_exit(code);
}
