/*
 * te_model.h - the interface every generated model (model.c / model.h from
 * tinyedge.firmware.codegen) implements. One model per binary.
 *
 * The caller owns the arena: a block of at least arena_size bytes aligned to 16,
 * normally `static uint8_t arena[TE_MODEL_ARENA_SIZE]` on the device. Before each
 * invoke, write the input (input_size bytes: int8 NHWC, or float32 for a model that
 * quantizes its own input) at arena + input_offset (intermediate tensors reuse that
 * memory, so it must be refilled every time); after it, the output (output_size bytes,
 * int8 or float32) is at arena + output_offset. A scale of 0 marks a float32 edge.
 */
#ifndef TE_MODEL_H
#define TE_MODEL_H

#include <stdint.h>

#include "te_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int32_t arena_size;
    int32_t input_offset;
    int32_t input_size;
    float input_scale;
    int32_t input_zero_point;
    int32_t output_offset;
    int32_t output_size;
    float output_scale;
    int32_t output_zero_point;
    int32_t layer_count;
} te_model_info;

const te_model_info *te_model_get_info(void);

/* Run every layer in order; stops at and returns the first failing status. */
te_status te_model_invoke(uint8_t *arena);

/* Run one layer (0 <= layer < layer_count), e.g. to measure per-layer cost. */
te_status te_model_invoke_layer(uint8_t *arena, int32_t layer);

#ifdef __cplusplus
}
#endif

#endif /* TE_MODEL_H */
