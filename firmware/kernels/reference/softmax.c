/* SOFTMAX, int8 in and out (reference), as TFLite Micro's int8 kernel computes it: per row
 * of the innermost axis, each difference to the row maximum that is >= diff_min is scaled
 * into Q5.26 and exponentiated (te_fixedpoint.h); the exps are summed in Q12.19, the sum's
 * reciprocal is taken in Q0 after normalising it to [1, 2), and each exp times the
 * reciprocal is shifted to the output scale 1/256 (zero point -128). Differences below
 * diff_min contribute nothing and give -128. */
#include "te_fixedpoint.h"
#include "te_kernel_util.h"

static int32_t te_softmax_exp(const te_softmax_params *p, int32_t diff)
{
    /* |diff| * 2^left_shift <= 31 * 2^26: the validator's diff_min bound, no overflow */
    const int32_t scaled = te_multiply_by_quantized_multiplier(diff, p->input_multiplier,
                                                               p->input_left_shift);
    return te_fx_exp_negative(scaled, 5);
}

te_status te_softmax_s8(const te_context *ctx, const te_softmax_params *params,
                        const te_dims *input_dims, const int8_t *input, int8_t *output)
{
    (void)ctx;
    if (params == NULL || !te_dims_ok(input_dims) || input == NULL || output == NULL ||
        input_dims->c > 511 || params->input_left_shift < 0 || params->input_left_shift > 30 ||
        params->diff_min > 0 ||
        -(int64_t)params->diff_min << params->input_left_shift > (INT64_C(31) << 26)) {
        return TE_ERROR_ARG;
    }
    const te_softmax_params *p = params;
    const int32_t depth = input_dims->c;
    const int32_t rows = te_dims_size(input_dims) / depth;
    for (int32_t r = 0; r < rows; ++r) {
        const int8_t *in = input + r * depth;
        int8_t *out = output + r * depth;
        int32_t max = -128;
        for (int32_t c = 0; c < depth; ++c) {
            max = in[c] > max ? in[c] : max;
        }
        /* Q12.19: each term <= 2^19 and depth <= 511, so the sum stays below 2^28 */
        int32_t sum = 0;
        for (int32_t c = 0; c < depth; ++c) {
            const int32_t diff = (int32_t)in[c] - max;
            if (diff >= p->diff_min) {
                sum += te_rounding_divide_by_pot(te_softmax_exp(p, diff), 12);
            }
        }
        /* sum >= 2^19 (the maximum's own term): headroom in [4, 12] */
        int32_t headroom = 0;
        while (!((uint32_t)sum << headroom & UINT32_C(0x80000000))) {
            ++headroom;
        }
        const int32_t bits_over_unit = 12 - headroom;
        const int32_t fraction = (int32_t)(((uint32_t)sum << headroom) - UINT32_C(0x80000000));
        const int32_t reciprocal = te_fx_one_over_one_plus(fraction);
        for (int32_t c = 0; c < depth; ++c) {
            const int32_t diff = (int32_t)in[c] - max;
            int32_t v = -128;
            if (diff >= p->diff_min) {
                const int32_t scaled = te_fx_mul(reciprocal, te_softmax_exp(p, diff));
                v = te_clamp_i32(te_rounding_divide_by_pot(scaled, bits_over_unit + 23) - 128,
                                 -128, 127);
            }
            out[c] = (int8_t)v;
        }
    }
    return TE_OK;
}
