/* Fixed-point exp, reciprocal and sigmoid for the int8 SOFTMAX and LOGISTIC kernels.
 *
 * The scheme is gemmlowp's, which TFLite Micro's int8 reference kernels use: a value with
 * I integer bits is held as an int32 raw r meaning r * 2^(I - 31) ("Q<I>"); a product of
 * Q<a> and Q<b> is the rounding doubling high multiply of the raws and is Q<a+b>; sums are
 * plain (wrapping) adds. exp(x) for x <= 0 splits x into a multiple of 1/4 and a rest in
 * [-1/4, 0): the rest goes through a 4th-order Taylor polynomial around -1/8, and each set
 * bit of the multiple multiplies the result by exp(-2^k) (k = -2 .. 4). 1/(1+x) on [0, 1)
 * is three Newton-Raphson steps from the linear start 48/17 - 32/17 * d, d = (1+x)/2.
 * Every constant below is round(value * 2^31) for Q0 (2^29 for Q2).
 */
#ifndef TE_FIXEDPOINT_H
#define TE_FIXEDPOINT_H

#include <stdint.h>

#include "te_quant.h"

static inline int32_t te_fx_mul(int32_t a, int32_t b)
{
    return te_sat_rounding_doubling_high_mul(a, b);
}

/* a + b with two's complement wrap (never reached by valid data; no signed-overflow UB). */
static inline int32_t te_fx_add(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

static inline int32_t te_fx_sub(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a - (uint32_t)b);
}

/* x * 2^e saturated to int32, e in [1, 30]. */
static inline int32_t te_fx_sat_shl(int32_t x, int32_t e)
{
    const int32_t limit = (int32_t)((UINT32_C(1) << (31 - e)) - 1u);
    if (x > limit) {
        return INT32_MAX;
    }
    if (x < -limit) {
        return INT32_MIN;
    }
    return (int32_t)((uint32_t)x << e);
}

/* exp(a) for a in [-1/4, 0), a and result in Q0. */
static inline int32_t te_fx_exp_quarter(int32_t a)
{
    const int32_t exp_minus_eighth = 1895147668; /* exp(-1/8) */
    const int32_t one_third = 715827883;
    const int32_t x = te_fx_add(a, INT32_C(1) << 28); /* a + 1/8 */
    const int32_t x2 = te_fx_mul(x, x);
    const int32_t x3 = te_fx_mul(x2, x);
    const int32_t x4 = te_fx_mul(x2, x2);
    const int32_t x4_over_4 = te_rounding_divide_by_pot(x4, 2);
    /* x^4/24 + x^3/6 + x^2/2 */
    const int32_t tail = te_rounding_divide_by_pot(
        te_fx_add(te_fx_mul(te_fx_add(x4_over_4, x3), one_third), x2), 1);
    return te_fx_add(exp_minus_eighth, te_fx_mul(exp_minus_eighth, te_fx_add(x, tail)));
}

/* exp(a) for a <= 0 given in Q<int_bits> (int_bits 1..5); the result is Q0. */
static inline int32_t te_fx_exp_negative(int32_t a, int32_t int_bits)
{
    /* exp(-2^k) for k = -2 .. 4 */
    static const int32_t exp_pot[7] = {1672461947, 1302514674, 790015084, 290630308,
                                       39332535, 720401, 242};
    const int32_t frac_bits = 31 - int_bits;
    const int32_t quarter = INT32_C(1) << (frac_bits - 2);
    const int32_t rest = (a & (quarter - 1)) - quarter; /* in [-1/4, 0) */
    int32_t result = te_fx_exp_quarter(te_fx_sat_shl(rest, int_bits));
    const int32_t multiple = te_fx_sub(rest, a); /* -a rounded up to a multiple of 1/4 */
    for (int32_t k = -2; k <= 4 && k < int_bits; ++k) {
        if (multiple & (INT32_C(1) << (frac_bits + k))) {
            result = te_fx_mul(result, exp_pot[k + 2]);
        }
    }
    return a == 0 ? INT32_MAX : result;
}

/* 1 / (1 + a) for a in [0, 1), a and result in Q0. */
static inline int32_t te_fx_one_over_one_plus(int32_t a)
{
    const int64_t sum = (int64_t)a + INT32_MAX; /* rounding half sum of a and one */
    const int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
    const int32_t q2_one = INT32_C(1) << 29;
    int32_t x = te_fx_add(1515870810, te_fx_mul(half_denominator, -1010580540)); /* Q2 */
    for (int i = 0; i < 3; ++i) {
        const int32_t error = te_fx_sub(q2_one, te_fx_mul(half_denominator, x));
        x = te_fx_add(x, te_fx_sat_shl(te_fx_mul(x, error), 2));
    }
    return te_fx_sat_shl(x, 1); /* x / 2 as Q0 */
}

/* sigmoid(a) for a in Q4; the result is Q0. */
static inline int32_t te_fx_logistic(int32_t a)
{
    if (a == 0) {
        return INT32_C(1) << 30;
    }
    const int32_t magnitude = a > 0 ? a : -a;
    const int32_t positive = te_fx_one_over_one_plus(te_fx_exp_negative(-magnitude, 4));
    return a > 0 ? positive : INT32_MAX - positive;
}

#endif /* TE_FIXEDPOINT_H */
