/*
 * te_quant.h - fixed-point helpers shared by every int8 kernel.
 *
 * The arithmetic reproduces TFLite Micro's reference kernels bit for bit:
 * a real multiplier M is stored as a Q31 significand m in [2^30, 2^31) and a
 * power-of-two exponent `shift` (M ~= m * 2^(shift - 31)); applying it is a
 * doubling high multiply with round-half-away-from-zero, followed by a
 * rounding right shift that rounds half away from zero as well ("double
 * rounding", the default of TFLM's reference kernels).
 *
 * Assumes two's complement and an arithmetic right shift of negative values
 * (true for gcc on every target this project builds for).
 */
#ifndef TE_QUANT_H
#define TE_QUANT_H

#include <stdint.h>

/* (a * b * 2) >> 32 rounded to nearest; saturates the one overflow case. */
static inline int32_t te_sat_rounding_doubling_high_mul(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX;
    }
    const int64_t ab = (int64_t)a * (int64_t)b;
    const int64_t nudge = ab >= 0 ? (INT64_C(1) << 30) : (1 - (INT64_C(1) << 30));
    /* C division truncates toward zero, which the nudge above relies on. */
    return (int32_t)((ab + nudge) / (INT64_C(1) << 31));
}

/* x / 2^exponent rounded to nearest, ties away from zero; exponent in [0, 31]. */
static inline int32_t te_rounding_divide_by_pot(int32_t x, int32_t exponent)
{
    const int32_t mask = (int32_t)((UINT32_C(1) << exponent) - 1u);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* x * m * 2^(shift - 31), with shift in [-31, 30]. */
static inline int32_t te_multiply_by_quantized_multiplier(int32_t x, int32_t multiplier,
                                                          int32_t shift)
{
    const int32_t left_shift = shift > 0 ? shift : 0;
    const int32_t right_shift = shift > 0 ? 0 : -shift;
    /* The left shift wraps on overflow exactly like TFLM's int32 product on hardware. */
    const int32_t shifted = (int32_t)((uint32_t)x << left_shift);
    return te_rounding_divide_by_pot(te_sat_rounding_doubling_high_mul(shifted, multiplier),
                                     right_shift);
}

static inline int32_t te_clamp_i32(int32_t x, int32_t lo, int32_t hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

/* The output stage every accumulating kernel shares: add the int32 bias (when there is
 * one), requantize with the channel's multiplier and shift, add the output zero point and
 * clamp to the fused activation's range. */
static inline int8_t te_requantize_s8(int32_t acc, const int32_t *bias, int32_t channel,
                                      int32_t multiplier, int32_t shift,
                                      int32_t output_offset, int32_t act_min, int32_t act_max)
{
    if (bias != 0) {
        /* Wraps like TFLM's int32 sum on hardware, without signed-overflow UB (the validator
         * already refuses models whose accumulator could overflow). */
        acc = (int32_t)((uint32_t)acc + (uint32_t)bias[channel]);
    }
    const int64_t out = (int64_t)te_multiply_by_quantized_multiplier(acc, multiplier, shift) +
                        output_offset;
    return (int8_t)(out < act_min ? act_min : (out > act_max ? act_max : out));
}

#endif /* TE_QUANT_H */
