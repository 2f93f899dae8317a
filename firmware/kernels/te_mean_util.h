/* MEAN helpers shared by the kernel variants: TFLM's scheme -- sum raw values in int32,
 * remove count * input zero point, then one requantization whose multiplier already
 * contains 1/count. */
#ifndef TE_MEAN_UTIL_H
#define TE_MEAN_UTIL_H

#include "te_kernel_util.h"
#include "te_quant.h"

static inline int32_t te_mean_extent(const te_dims *in, uint32_t mask, int32_t *extent)
{
    const int32_t full[4] = {in->n, in->h, in->w, in->c};
    int32_t count = 1;
    for (int32_t a = 0; a < 4; ++a) {
        extent[a] = (mask >> a) & 1u ? full[a] : 1;
        count *= extent[a];
    }
    return count;
}

/* The reference algorithm, one output at a time (any axes). */
static inline te_status te_mean_generic(const te_mean_params *params,
                                        const te_dims *input_dims, const int8_t *input,
                                        const te_dims *output_dims, int8_t *output)
{
    if (params == NULL || !te_dims_ok(input_dims) || !te_dims_ok(output_dims) ||
        input == NULL || output == NULL || params->axis_mask > 15u) {
        return TE_ERROR_ARG;
    }
    const te_dims *in = input_dims;
    const te_dims *out = output_dims;
    int32_t r[4];
    const int32_t count = te_mean_extent(in, params->axis_mask, r);
    if (out->n * r[0] != in->n || out->h * r[1] != in->h || out->w * r[2] != in->w ||
        out->c * r[3] != in->c) {
        return TE_ERROR_ARG;
    }
    for (int32_t n = 0; n < out->n; ++n)
    for (int32_t h = 0; h < out->h; ++h)
    for (int32_t w = 0; w < out->w; ++w)
    for (int32_t c = 0; c < out->c; ++c) {
        int32_t sum = 0;
        for (int32_t a = 0; a < r[0]; ++a)
        for (int32_t y = 0; y < r[1]; ++y)
        for (int32_t x = 0; x < r[2]; ++x)
        for (int32_t d = 0; d < r[3]; ++d) {
            sum += input[(((n + a) * in->h + h + y) * in->w + w + x) * in->c + c + d];
        }
        /* Wrapping arithmetic, like TFLM's int32 temp sum. */
        const int32_t centered = (int32_t)((uint32_t)sum -
                                           (uint32_t)params->input_zero_point * (uint32_t)count);
        int32_t v = te_multiply_by_quantized_multiplier(centered, params->multiplier,
                                                        params->shift);
        v += params->output_zero_point;
        output[((n * out->h + h) * out->w + w) * out->c + c] = (int8_t)te_clamp_i32(v, -128, 127);
    }
    return TE_OK;
}

#endif /* TE_MEAN_UTIL_H */
