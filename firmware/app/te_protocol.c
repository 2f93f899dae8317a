/*
 * te_protocol.c - the device's serial protocol loop (device side of
 * tinyedge/device/messages.py; the constants are generated from tinyedge/protocol.py). Every request is answered with its
 * sequence number; all requests are idempotent, so the host may simply retry.
 */
#include <stdint.h>
#include <string.h>

#include "te_app.h"
#include "te_clock.h" /* the clock the platform brought up, the "inference active" pin */
#include "te_frame.h"
#include "model.h" /* generated: TE_MODEL_ARENA_SIZE, TE_MODEL_INPUT_SIZE */
#include "te_model.h"
#include "te_platform.h"

/* Codes, layouts and the version: te_protocol_gen.h, generated from tinyedge/protocol.py
 * (included through te_frame.h). */

/* In .te_arena: not zeroed at boot, and counted as arena (not static data) by the build. */
static uint8_t arena[TE_MODEL_ARENA_SIZE] __attribute__((aligned(16), section(".te_arena")));
/* The host's input is kept apart from the arena: inference overwrites the arena's
 * input region (intermediate tensors reuse it), and a retried INVOKE must see the same
 * input again. */
static int8_t input_copy[TE_MODEL_INPUT_SIZE];
static te_frame_decoder decoder;
/* The request being served and the layer running, for the fault report (-1: none). */
static volatile uint8_t current_seq;
static volatile int32_t current_layer = -1;

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void put_le64(uint8_t *p, uint64_t v)
{
    put_le32(p, (uint32_t)v);
    put_le32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static void send_error(uint8_t seq, uint8_t code, const char *message)
{
    te_frame_send(TE_REPLY_ERROR, seq, &code, 1, (const uint8_t *)message,
                  (uint32_t)strlen(message));
}

/* INFO/BOOT payload at the offsets of tinyedge/protocol.py's INFO_FIELDS. */
static void send_info(uint8_t type, uint8_t seq)
{
    const te_model_info *info = te_model_get_info();
    uint8_t p[TE_INFO_SIZE];
    p[TE_INFO_OFF_PROTOCOL] = TE_PROTOCOL_VERSION;
    p[TE_INFO_OFF_COUNTER_KIND] = te_build.counter_kind;
    put_le32(p + TE_INFO_OFF_CLOCK_HZ, te_build.clock_hz);
    put_le32(p + TE_INFO_OFF_ARENA_BYTES, (uint32_t)info->arena_size);
    put_le32(p + TE_INFO_OFF_INPUT_BYTES, (uint32_t)info->input_size);
    put_le32(p + TE_INFO_OFF_OUTPUT_BYTES, (uint32_t)info->output_size);
    put_le32(p + TE_INFO_OFF_STACK_BYTES, te_stack_size());
    p[TE_INFO_OFF_LAYERS] = (uint8_t)info->layer_count;
    p[TE_INFO_OFF_LAYERS + 1] = (uint8_t)(info->layer_count >> 8);
    put_le32(p + TE_INFO_OFF_BATCH_CAPACITY, te_build.batch_capacity);
    memcpy(p + TE_INFO_OFF_MODEL_SHA256, te_build.model_sha256, 32);
    memcpy(p + TE_INFO_OFF_BOARD, te_build.board, 16);
    const te_clock_state *clock = te_clock();
    put_le32(p + TE_INFO_OFF_CORE_CLOCK_HZ, clock->core_hz);
    p[TE_INFO_OFF_CLOCK_SOURCE] = clock->source;
    p[TE_INFO_OFF_CLOCK_STATUS] = clock->status;
    te_frame_send(type, seq, p, sizeof p, 0, 0);
}

/* FAULT payload "<IIIi": exception number, stacked PC, CFSR, layer running (-1: none).
 * Sent from the fault handler, answering the request that was being served. */
void te_fault_report(uint32_t exception, uint32_t pc, uint32_t cfsr)
{
    uint8_t p[TE_FAULT_SIZE];
    put_le32(p, exception);
    put_le32(p + 4, pc);
    put_le32(p + 8, cfsr);
    put_le32(p + 12, (uint32_t)current_layer);
    te_frame_send(TE_REPLY_FAULT, current_seq, p, sizeof p, 0, 0);
}

/* Run the model on `input` layer by layer (so a fault can name its layer); returns the
 * counter ticks it took, or -1 on failure. */
static int64_t run_once(const int8_t *input)
{
    const te_model_info *info = te_model_get_info();
    memcpy(arena + info->input_offset, input, (uint32_t)info->input_size);
    te_status status = TE_OK;
    te_inference_active(1); /* the power monitor's window (board file [gpio]) */
    const uint32_t start = te_cycles_now();
    for (int32_t layer = 0; layer < info->layer_count && status == TE_OK; ++layer) {
        current_layer = layer;
        status = te_model_invoke_layer(arena, layer);
    }
    const uint32_t ticks = te_cycles_now() - start; /* modulo 2^32, see te_platform.h */
    te_inference_active(0);
    current_layer = -1;
    return status == TE_OK ? (int64_t)ticks : -1;
}

static void send_result(uint8_t type, uint8_t seq, const uint8_t *prefix, uint32_t prefix_len,
                        int64_t ticks)
{
    const te_model_info *info = te_model_get_info();
    uint8_t head[12];
    memcpy(head, prefix, prefix_len);
    put_le64(head + prefix_len, (uint64_t)ticks);
    te_frame_send(type, seq, head, prefix_len + 8, arena + info->output_offset,
                  (uint32_t)info->output_size);
}

static void handle_set_input(const te_frame *f)
{
    if (f->length < 4) {
        send_error(f->seq, TE_ERR_BAD_REQUEST, "SET_INPUT needs an offset");
        return;
    }
    const uint32_t offset = get_le32(f->payload);
    const uint32_t length = f->length - 4u;
    if (offset > TE_MODEL_INPUT_SIZE || length > TE_MODEL_INPUT_SIZE - offset) {
        send_error(f->seq, TE_ERR_BAD_REQUEST, "input range outside the model input");
        return;
    }
    memcpy((uint8_t *)input_copy + offset, f->payload + 4, length);
    uint8_t ack[4];
    put_le32(ack, offset + length);
    te_frame_send(TE_REPLY_ACK, f->seq, ack, 4, 0, 0);
}

static void handle_invoke(const te_frame *f)
{
    const int64_t ticks = run_once(input_copy);
    if (ticks < 0) {
        send_error(f->seq, TE_ERR_INVOKE, "inference failed");
        return;
    }
    send_result(TE_REPLY_RESULT, f->seq, 0, 0, ticks);
}

/* Per layer: (layer index u32, ticks u64). Layers run in order on one input. */
static void handle_profile(const te_frame *f)
{
    static uint8_t reply[TE_PROFILE_ENTRY_SIZE * TE_MODEL_LAYER_COUNT];
    _Static_assert(TE_PROFILE_ENTRY_SIZE * TE_MODEL_LAYER_COUNT <= TE_REPLY_MAX_PAYLOAD,
                   "the profile reply exceeds the host's frame limit");
    _Static_assert(TE_MODEL_OUTPUT_SIZE + 12u <= TE_REPLY_MAX_PAYLOAD,
                   "the result reply exceeds the host's frame limit");
    const te_model_info *info = te_model_get_info();
    if (info->layer_count > TE_MODEL_LAYER_COUNT) {
        send_error(f->seq, TE_ERR_BAD_REQUEST, "too many layers to profile");
        return;
    }
    memcpy(arena + info->input_offset, input_copy, (uint32_t)info->input_size);
    for (int32_t layer = 0; layer < info->layer_count; ++layer) {
        current_layer = layer;
        const uint32_t start = te_cycles_now();
        const te_status status = te_model_invoke_layer(arena, layer);
        const uint32_t ticks = te_cycles_now() - start;
        current_layer = -1;
        if (status != TE_OK) {
            send_error(f->seq, TE_ERR_INVOKE, "layer failed");
            return;
        }
        put_le32(reply + TE_PROFILE_ENTRY_SIZE * (uint32_t)layer, (uint32_t)layer);
        put_le64(reply + TE_PROFILE_ENTRY_SIZE * (uint32_t)layer + 4, ticks);
    }
    te_frame_send(TE_REPLY_PROFILE, f->seq, reply,
                  TE_PROFILE_ENTRY_SIZE * (uint32_t)info->layer_count, 0, 0);
}

static void handle_stack(const te_frame *f)
{
    uint8_t p[8];
    put_le32(p, te_stack_used());
    put_le32(p + 4, te_stack_size());
    te_frame_send(TE_REPLY_STACK, f->seq, p, 8, 0, 0);
}

/* Inputs preloaded into emulator memory by the host (QEMU's loader device). */
static void handle_run_batch(const te_frame *f)
{
    if (f->length != 8 || te_build.batch_capacity == 0) {
        send_error(f->seq, TE_ERR_BAD_REQUEST, "no batch mode on this target");
        return;
    }
    const uint32_t first = get_le32(f->payload);
    const uint32_t count = get_le32(f->payload + 4);
    if (first > te_build.batch_capacity || count > te_build.batch_capacity - first) {
        send_error(f->seq, TE_ERR_BAD_REQUEST, "batch range outside the preloaded inputs");
        return;
    }
    const int8_t *inputs = (const int8_t *)te_build.batch_base;
    for (uint32_t i = first; i < first + count; ++i) {
        const int64_t ticks = run_once(inputs + (uint32_t)TE_MODEL_INPUT_SIZE * i);
        if (ticks < 0) {
            send_error(f->seq, TE_ERR_INVOKE, "inference failed");
            return;
        }
        uint8_t index[4];
        put_le32(index, i);
        send_result(TE_REPLY_BATCH_RESULT, f->seq, index, 4, ticks);
    }
    te_frame_send(TE_REPLY_BATCH_DONE, f->seq, 0, 0, 0, 0);
}

static void dispatch(const te_frame *f)
{
    current_seq = f->seq;
    switch (f->type) {
    case TE_CMD_HELLO: send_info(TE_REPLY_INFO, f->seq); break;
    case TE_CMD_SET_INPUT: handle_set_input(f); break;
    case TE_CMD_INVOKE: handle_invoke(f); break;
    case TE_CMD_PROFILE: handle_profile(f); break;
    case TE_CMD_STACK: handle_stack(f); break;
    case TE_CMD_RUN_BATCH: handle_run_batch(f); break;
    default: send_error(f->seq, TE_ERR_UNKNOWN, "unknown command"); break;
    }
}

int main(void)
{
    te_platform_init();
    static const char banner[] = "\r\ntinyedge firmware ready\r\n";
    for (const char *c = banner; *c; ++c) {
        te_uart_putc((uint8_t)*c);
    }
    send_info(TE_REPLY_BOOT, 0);
    te_frame_decoder_init(&decoder);
    for (;;) {
        if (te_frame_decoder_push(&decoder, te_uart_getc())) {
            dispatch(&decoder.frame);
        }
    }
}
