/* HARD_SWISH, int8 (reference), as TFLite Micro's int8 kernel computes it in 16-bit fixed
 * point: the offset-corrected input is widened by 2^7 ("hires" scale), rescaled once to
 * the output scale (before its final right shift) and once to a "relu6-ish" gate with
 * 32768 <-> 3 that is mapped onto [0, 1]; the gate times the rescaled input, shifted right
 * by the output exponent, is the result. */
#include "te_kernel_util.h"
#include "te_quant.h"

/* Rounding doubling high multiply of two int16 values (saturates -32768 * -32768). */
static int32_t te_q15_rounding_mul(int32_t a, int32_t b)
{
    if (a == INT16_MIN && b == INT16_MIN) {
        return INT16_MAX;
    }
    const int32_t ab = a * b;
    const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
    return (int16_t)((ab + nudge) / (1 << 15)); /* truncating division, as TFLM */
}

/* The same without rounding (truncates toward zero). */
static int32_t te_q15_mul(int32_t a, int32_t b)
{
    if (a == INT16_MIN && b == INT16_MIN) {
        return INT16_MAX;
    }
    return (int16_t)((a * b) / (1 << 15));
}

static int32_t te_q15_sat_shl(int32_t x, int32_t amount)
{
    return te_clamp_i32(x * (1 << amount), INT16_MIN, INT16_MAX);
}

/* x / 2^e rounded half away from zero, e in [0, 15] (int16 values). */
static int32_t te_q15_rounding_shr(int32_t x, int32_t e)
{
    const int32_t mask = (1 << e) - 1;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> e) + ((x & mask) > threshold ? 1 : 0);
}

te_status te_hard_swish_s8(const te_context *ctx, const te_hard_swish_params *params,
                           int32_t size, const int8_t *input, int8_t *output)
{
    (void)ctx;
    if (params == NULL || size <= 0 || input == NULL || output == NULL ||
        params->input_zero_point < -128 || params->input_zero_point > 127 ||
        params->reluish_multiplier < 0 || params->reluish_multiplier > INT16_MAX ||
        params->output_multiplier < 0 || params->output_multiplier > INT16_MAX ||
        params->reluish_exponent < -15 || params->reluish_exponent > 16 ||
        params->output_exponent < -15 || params->output_exponent > 0) {
        return TE_ERROR_ARG;
    }
    const te_hard_swish_params *p = params;
    for (int32_t i = 0; i < size; ++i) {
        const int32_t hires = ((int32_t)input[i] - p->input_zero_point) * (1 << 7);
        const int32_t preshift = te_q15_rounding_mul(hires, p->output_multiplier);
        int32_t gate = hires;
        if (p->reluish_exponent > 0) {
            gate = te_q15_sat_shl(gate, p->reluish_exponent - 1);
        }
        gate = te_q15_rounding_mul(gate, p->reluish_multiplier);
        if (p->reluish_exponent > 0) {
            gate = te_q15_sat_shl(gate, 1);
        } else if (p->reluish_exponent < 0) {
            gate = te_q15_rounding_shr(gate, -p->reluish_exponent);
        }
        gate = (gate + (1 << 15)) >> 1; /* [-3, 3] -> [0, 1] */
        const int32_t value = te_q15_rounding_shr(te_q15_mul(gate, preshift),
                                                  -p->output_exponent);
        output[i] = (int8_t)te_clamp_i32(value + p->output_zero_point, -128, 127);
    }
    return TE_OK;
}
