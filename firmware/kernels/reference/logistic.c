/* LOGISTIC, int8 (reference), as TFLite Micro's int8 kernel computes it: inputs at or
 * beyond input_range_radius from the zero point saturate to -128 / 127; the others are
 * scaled into Q4.27, passed through the fixed-point sigmoid (te_fixedpoint.h) and shifted
 * to the output scale 1/256 (zero point -128). */
#include "te_fixedpoint.h"
#include "te_kernel_util.h"

te_status te_logistic_s8(const te_context *ctx, const te_logistic_params *params,
                         int32_t size, const int8_t *input, int8_t *output)
{
    (void)ctx;
    if (params == NULL || size <= 0 || input == NULL || output == NULL ||
        params->input_zero_point < -128 || params->input_zero_point > 127 ||
        params->input_range_radius < 0 || params->input_left_shift < 0 ||
        params->input_left_shift > 30) {
        return TE_ERROR_ARG;
    }
    const te_logistic_params *p = params;
    for (int32_t i = 0; i < size; ++i) {
        const int32_t x = (int32_t)input[i] - p->input_zero_point;
        int32_t v;
        if (x <= -p->input_range_radius) {
            v = -128;
        } else if (x >= p->input_range_radius) {
            v = 127;
        } else {
            const int32_t q4 = te_multiply_by_quantized_multiplier(x, p->input_multiplier,
                                                                   p->input_left_shift);
            v = te_clamp_i32(te_rounding_divide_by_pot(te_fx_logistic(q4), 23) - 128, -128,
                             127);
        }
        output[i] = (int8_t)v;
    }
    return TE_OK;
}
