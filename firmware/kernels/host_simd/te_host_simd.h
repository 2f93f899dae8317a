/* te_host_simd.h - pieces the host_simd kernels share.
 *
 * Host builds are compiled with -march=native. Where the host has AVX-512 with VNNI and
 * VBMI (TE_HOST_VNNI: Ice Lake and later, Zen 4 and later), the kernels use vpdpbusd: four unsigned 8-bit x signed 8-bit products
 * summed into each 32-bit lane, 64 multiply-accumulates per instruction. Every other host
 * runs the portable C loops of the same algorithm; both are exact integer arithmetic, so
 * their results are identical to each other and to the reference kernels.
 *
 * The unsigned operand is the input shifted by 128 (x ^ 0x80 == x + 128 for int8 x):
 *     sum_k (x_k + input_offset) * w_k
 *   = sum_k (x_k + 128) * w_k + (input_offset - 128) * sum_k w_k
 * The compiler folds the second term into a per-channel bias (tinyedge/firmware/
 * host_pack.py). A padding tap must contribute nothing, so it holds 128 - input_offset,
 * which is in [0, 255] because input_offset = -zero_point with zero_point in [-128, 127].
 * int32 sums wrap identically in any order, and the validator proves the true sum fits.
 */
#ifndef TE_HOST_SIMD_H
#define TE_HOST_SIMD_H

#include <stdint.h>
#include <string.h>

#include "te_quant.h"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && \
    defined(__AVX512DQ__) && defined(__AVX512VNNI__) && defined(__AVX512VBMI__) && \
    !defined(TE_HOST_PORTABLE)
#include <immintrin.h>
#define TE_HOST_VNNI 1
#endif

/* Output pixels per block: one 32-bit lane each in a 512-bit vector. */
#define TE_HOST_LANES 16

static inline int32_t te_host_load_i32(const void *p)
{
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline int32_t te_host_wrap_add(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

static inline int32_t te_host_sat_i32(int64_t x)
{
    return x < INT32_MIN ? INT32_MIN : (x > INT32_MAX ? INT32_MAX : (int32_t)x);
}

#ifdef TE_HOST_VNNI
/* te_multiply_by_quantized_multiplier on 16 lanes with one multiplier and shift: the same
 * doubling high multiply (nudge, truncating division by 2^31, the one saturating case)
 * and the same rounding right shift, lane by lane in 64-bit where TFLM uses 64-bit. */
static inline __m512i te_host_round_high(__m512i prod)
{
    const __m512i neg = _mm512_srai_epi64(prod, 63); /* -1 where the product is negative */
    /* nudge = 2^30 for ab >= 0, 1 - 2^30 otherwise */
    const __m512i nudge = _mm512_add_epi64(_mm512_set1_epi64(INT64_C(1) << 30),
                                           _mm512_and_si512(neg, _mm512_set1_epi64(
                                               1 - (INT64_C(1) << 31))));
    __m512i v = _mm512_add_epi64(prod, nudge);
    /* division by 2^31 truncating toward zero: add 2^31 - 1 to negative values first */
    const __m512i vneg = _mm512_srai_epi64(v, 63);
    v = _mm512_add_epi64(v, _mm512_and_si512(vneg, _mm512_set1_epi64((INT64_C(1) << 31) - 1)));
    return _mm512_srai_epi64(v, 31);
}

/* One rounding instead of two, for multipliers in [0, 2^31) and shifts in [-31, -1] (every
 * multiplier below 0.5, the usual case): the two roundings of TFLM fold into
 *     floor((x * m + (x < 0 ? -2^30 : 2^30) + 2^(30+e)) / 2^(31+e)),   e = -shift
 * exactly (the derivation is in firmware/kernels/cortexm_dsp/te_dsp.h). `down` holds
 * 31 + e and `nudge` 2^(30+e) + 2^30 in each 64-bit lane: even lanes first, then odd. */
static inline __m512i te_host_requantize_1r_half(__m512i x64, __m512i sign, __m512i m,
                                                 __m512i nudge, __m512i down)
{
    const __m512i flip = _mm512_and_si512(sign, _mm512_set1_epi64(-(INT64_C(1) << 31)));
    const __m512i w = _mm512_add_epi64(_mm512_mul_epi32(x64, m), _mm512_add_epi64(nudge, flip));
    return _mm512_srav_epi64(w, down);
}

static inline __m512i te_host_requantize_1r(__m512i x, __m512i multiplier, __m512i shift)
{
    const __m512i e = _mm512_sub_epi32(_mm512_setzero_si512(), shift);
    const __m512i low = _mm512_set1_epi64(0xFFFFFFFF);
    const __m512i e_even = _mm512_and_si512(e, low);
    const __m512i e_odd = _mm512_srli_epi64(e, 32);
    const __m512i one = _mm512_set1_epi64(1);
    const __m512i base = _mm512_set1_epi64(INT64_C(1) << 30);
    const __m512i thirty = _mm512_set1_epi64(30);
    const __m512i even = te_host_requantize_1r_half(
        x, _mm512_srai_epi64(_mm512_slli_epi64(x, 32), 63), multiplier,
        _mm512_add_epi64(_mm512_sllv_epi64(one, _mm512_add_epi64(e_even, thirty)), base),
        _mm512_add_epi64(e_even, _mm512_set1_epi64(31)));
    const __m512i odd = te_host_requantize_1r_half(
        _mm512_srli_epi64(x, 32), _mm512_srai_epi64(x, 63), _mm512_srli_epi64(multiplier, 32),
        _mm512_add_epi64(_mm512_sllv_epi64(one, _mm512_add_epi64(e_odd, thirty)), base),
        _mm512_add_epi64(e_odd, _mm512_set1_epi64(31)));
    return _mm512_mask_blend_epi32((__mmask16)0xAAAA, even, _mm512_slli_epi64(odd, 32));
}

/* Per-lane multipliers and shifts (one channel per lane, or one for all lanes). */
static inline __m512i te_host_requantize_v(__m512i x, __m512i multiplier, __m512i shift)
{
    const __mmask16 fast = _mm512_cmpge_epi32_mask(multiplier, _mm512_setzero_si512()) &
                           _mm512_cmple_epi32_mask(shift, _mm512_set1_epi32(-1)) &
                           _mm512_cmpge_epi32_mask(shift, _mm512_set1_epi32(-31));
    if (fast == (__mmask16)0xFFFF) {
        return te_host_requantize_1r(x, multiplier, shift);
    }
    const __m512i zero = _mm512_setzero_si512();
    const __m512i left = _mm512_max_epi32(shift, zero);
    const __m512i right = _mm512_max_epi32(_mm512_sub_epi32(zero, shift), zero);
    x = _mm512_sllv_epi32(x, left); /* wraps like the scalar shift */
    const __m512i even = te_host_round_high(_mm512_mul_epi32(x, multiplier));
    const __m512i odd = te_host_round_high(_mm512_mul_epi32(_mm512_srli_epi64(x, 32),
                                                            _mm512_srli_epi64(multiplier, 32)));
    __m512i high = _mm512_mask_blend_epi32((__mmask16)0xAAAA, even,
                                           _mm512_slli_epi64(odd, 32));
    const __m512i min = _mm512_set1_epi32(INT32_MIN);
    const __mmask16 both = _mm512_cmpeq_epi32_mask(x, min) &
                           _mm512_cmpeq_epi32_mask(multiplier, min);
    high = _mm512_mask_mov_epi32(high, both, _mm512_set1_epi32(INT32_MAX));
    const __m512i one = _mm512_set1_epi32(1);
    const __m512i mask = _mm512_sub_epi32(_mm512_sllv_epi32(one, right), one);
    const __m512i rem = _mm512_and_si512(high, mask);
    const __m512i threshold = _mm512_sub_epi32(_mm512_srai_epi32(mask, 1),
                                               _mm512_srai_epi32(high, 31));
    const __m512i q = _mm512_srav_epi32(high, right);
    return _mm512_mask_add_epi32(q, _mm512_cmpgt_epi32_mask(rem, threshold), q, one);
}

/* One multiplier and shift for all 16 lanes (a channel of the conv's pixel block, an
 * element-wise op): the one-rounding form with scalar constants when it applies. */
static inline __m512i te_host_requantize(__m512i x, int32_t multiplier, int32_t shift)
{
    if (multiplier < 0 || shift > -1 || shift < -31) {
        return te_host_requantize_v(x, _mm512_set1_epi32(multiplier), _mm512_set1_epi32(shift));
    }
    const int32_t e = -shift;
    const __m512i m = _mm512_set1_epi32(multiplier);
    const __m512i nudge = _mm512_set1_epi64((INT64_C(1) << (30 + e)) + (INT64_C(1) << 30));
    const __m512i flip = _mm512_set1_epi64(-(INT64_C(1) << 31));
    const __m128i down = _mm_cvtsi32_si128(31 + e);
    const __m512i odd_x = _mm512_srli_epi64(x, 32);
    const __m512i even_sign = _mm512_srai_epi64(_mm512_slli_epi64(x, 32), 63);
    const __m512i odd_sign = _mm512_srai_epi64(x, 63);
    const __m512i even = _mm512_sra_epi64(
        _mm512_add_epi64(_mm512_add_epi64(_mm512_mul_epi32(x, m), nudge),
                         _mm512_and_si512(even_sign, flip)), down);
    const __m512i odd = _mm512_sra_epi64(
        _mm512_add_epi64(_mm512_add_epi64(_mm512_mul_epi32(odd_x, m), nudge),
                         _mm512_and_si512(odd_sign, flip)), down);
    return _mm512_mask_blend_epi32((__mmask16)0xAAAA, even, _mm512_slli_epi64(odd, 32));
}

/* The activation clamp and the output offset, computed once per call:
 * clamp(v + offset, lo, hi) == clamp(v, lo - offset, hi - offset) + offset, without the
 * int32 wrap the first form could hit next to INT32_MAX (the scalar path adds in 64-bit). */
typedef struct {
    __m512i lo;
    __m512i hi;
    __m512i offset;
} te_host_clamp;

static inline te_host_clamp te_host_clamp_for(int32_t output_offset, int32_t act_min,
                                              int32_t act_max)
{
    te_host_clamp c;
    c.lo = _mm512_set1_epi32(te_host_sat_i32((int64_t)act_min - output_offset));
    c.hi = _mm512_set1_epi32(te_host_sat_i32((int64_t)act_max - output_offset));
    c.offset = _mm512_set1_epi32(output_offset);
    return c;
}

/* 16 requantized values to 16 int8 results. */
static inline __m128i te_host_clamp_s8(__m512i v, const te_host_clamp *c)
{
    v = _mm512_min_epi32(_mm512_max_epi32(v, c->lo), c->hi);
    return _mm512_cvtepi32_epi8(_mm512_add_epi32(v, c->offset));
}

/* bias, requantization, output offset and clamp of 16 accumulators of one channel. */
static inline __m128i te_host_output_stage(__m512i acc, int32_t bias, int32_t multiplier,
                                           int32_t shift, const te_host_clamp *c)
{
    const __m512i v = te_host_requantize(_mm512_add_epi32(acc, _mm512_set1_epi32(bias)),
                                         multiplier, shift);
    return te_host_clamp_s8(v, c);
}
#endif /* TE_HOST_VNNI */

#endif /* TE_HOST_SIMD_H */
