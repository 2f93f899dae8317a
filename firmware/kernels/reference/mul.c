/* MUL with broadcasting, int8 (reference): the product of the offset-corrected inputs,
 * requantized once to the output scale and clamped to the fused activation's range. */
#include "te_elementwise.h"

te_status te_mul_s8(const te_context *ctx, const te_mul_params *params,
                    const te_dims *input1_dims, const int8_t *input1,
                    const te_dims *input2_dims, const int8_t *input2,
                    const te_dims *output_dims, int8_t *output)
{
    (void)ctx;
    int32_t s1[4];
    int32_t s2[4];
    if (params == NULL || input1 == NULL || input2 == NULL || output == NULL ||
        !te_act_ok(params->act_min, params->act_max) ||
        !te_broadcast_strides(input1_dims, output_dims, s1) ||
        !te_broadcast_strides(input2_dims, output_dims, s2)) {
        return TE_ERROR_ARG;
    }
    const te_mul_params *p = params;
    const te_dims *out = output_dims;
    int8_t *o = output;
    for (int32_t n = 0; n < out->n; ++n)
    for (int32_t h = 0; h < out->h; ++h)
    for (int32_t w = 0; w < out->w; ++w) {
        const int8_t *a = input1 + n * s1[0] + h * s1[1] + w * s1[2];
        const int8_t *b = input2 + n * s2[0] + h * s2[1] + w * s2[2];
        for (int32_t c = 0; c < out->c; ++c) {
            /* |product| <= 255 * 255: no overflow */
            const int32_t product = ((int32_t)a[c * s1[3]] + p->input1_offset) *
                                    ((int32_t)b[c * s2[3]] + p->input2_offset);
            const int64_t v = (int64_t)p->output_offset +
                              te_multiply_by_quantized_multiplier(product, p->multiplier,
                                                                  p->shift);
            *o++ = (int8_t)(v < p->act_min ? p->act_min
                                           : (v > p->act_max ? p->act_max : v));
        }
    }
    return TE_OK;
}
