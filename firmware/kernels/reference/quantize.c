/* QUANTIZE float32 -> int8 at a model input (reference, every core): TFLite Micro's
 * AffineQuantize, q = clamp(round_half_away(x / scale) + zero_point). The quotient is a
 * single-precision division, as TFLite Micro divides by the scale cast to float; rounding
 * is done here without libm (roundf), exactly for every quotient it can meet after the
 * saturation below. */
#include "te_kernel_util.h"

/* Beyond +-512 every zero point in [-128, 127] clamps the result to an end of the range,
 * so saturating the quotient there changes nothing and keeps the integer conversion
 * defined. */
#define TE_QUANTIZE_SATURATE 512.0f

static int32_t te_round_half_away(float q)
{
    /* |q| <= 512: q - trunc(q) is exact in single precision. */
    const int32_t whole = (int32_t)q;
    const float fraction = q - (float)whole;
    if (fraction >= 0.5f) {
        return whole + 1;
    }
    if (fraction <= -0.5f) {
        return whole - 1;
    }
    return whole;
}

te_status te_quantize_f32_s8(const te_context *ctx, const te_affine_params *params,
                             int32_t size, const float *input, int8_t *output)
{
    (void)ctx;
    if (params == NULL || size <= 0 || input == NULL || output == NULL ||
        !(params->scale > 0.0f) || params->zero_point < -128 || params->zero_point > 127) {
        return TE_ERROR_ARG;
    }
    for (int32_t i = 0; i < size; ++i) {
        float q = input[i] / params->scale;
        if (q != q) {
            q = 0.0f; /* NaN */
        } else if (q > TE_QUANTIZE_SATURATE) {
            q = TE_QUANTIZE_SATURATE;
        } else if (q < -TE_QUANTIZE_SATURATE) {
            q = -TE_QUANTIZE_SATURATE;
        }
        const int32_t v = te_round_half_away(q) + params->zero_point;
        output[i] = (int8_t)(v < -128 ? -128 : (v > 127 ? 127 : v));
    }
    return TE_OK;
}
