/*
 * te_dsp.h - private helpers of the cortexm_dsp kernels: the ARMv7E-M DSP instructions
 * they use (dual 16-bit multiply-accumulate, byte sign extension into 16-bit pairs) and
 * the hoisted requantization.
 *
 * On a core with the DSP extension (__ARM_FEATURE_DSP: Cortex-M4, M7, built with the
 * board's -mcpu) each helper is one instruction. Elsewhere (a host build of this variant,
 * used to test the algorithms quickly) they are plain C with the same results.
 *
 * Packed pairs: a uint32_t holds two int16 lanes, lane 0 in bits 0-15, lane 1 in 16-31.
 * te_sxtb16(x) takes bytes 0 and 2 of x, te_sxtb16_ror8(x) bytes 1 and 3, each sign
 * extended; te_sxtab16*(a, x) adds them lane-wise to the pair a (wrapping at 16 bits).
 */
#ifndef TE_DSP_H
#define TE_DSP_H

#include <stdint.h>
#include <string.h>

#include "te_quant.h"

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#include <arm_acle.h>

static inline uint32_t te_sxtb16(uint32_t x)
{
    return (uint32_t)__sxtb16((int32_t)x);
}

static inline uint32_t te_sxtb16_ror8(uint32_t x)
{
    uint32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}

static inline uint32_t te_sxtab16(uint32_t a, uint32_t x)
{
    return (uint32_t)__sxtab16((int32_t)a, (int32_t)x);
}

static inline uint32_t te_sxtab16_ror8(uint32_t a, uint32_t x)
{
    uint32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(x));
    return r;
}

/* acc + lane0(x) * lane0(y) + lane1(x) * lane1(y) */
static inline int32_t te_smlad(uint32_t x, uint32_t y, int32_t acc)
{
    return __smlad((int32_t)x, (int32_t)y, acc);
}

/* acc + lane0(x) * lane0(y) */
static inline int32_t te_smlabb(uint32_t x, uint32_t y, int32_t acc)
{
    return __smlabb((int32_t)x, (int32_t)y, acc);
}

/* acc + lane1(x) * lane1(y) */
static inline int32_t te_smlatt(uint32_t x, uint32_t y, int32_t acc)
{
    return __smlatt((int32_t)x, (int32_t)y, acc);
}

#else /* portable equivalents */

static inline uint32_t te_lanes(int32_t lo, int32_t hi)
{
    return ((uint32_t)lo & 0xFFFFu) | ((uint32_t)hi << 16);
}

static inline int32_t te_lane0(uint32_t x) { return (int16_t)(x & 0xFFFFu); }
static inline int32_t te_lane1(uint32_t x) { return (int16_t)(x >> 16); }

static inline uint32_t te_sxtb16(uint32_t x)
{
    return te_lanes((int8_t)(x & 0xFFu), (int8_t)((x >> 16) & 0xFFu));
}

static inline uint32_t te_sxtb16_ror8(uint32_t x)
{
    return te_sxtb16((x >> 8) | (x << 24));
}

static inline uint32_t te_sxtab16(uint32_t a, uint32_t x)
{
    const uint32_t e = te_sxtb16(x);
    return te_lanes(te_lane0(a) + te_lane0(e), te_lane1(a) + te_lane1(e));
}

static inline uint32_t te_sxtab16_ror8(uint32_t a, uint32_t x)
{
    return te_sxtab16(a, (x >> 8) | (x << 24));
}

static inline int32_t te_smlad(uint32_t x, uint32_t y, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(te_lane0(x) * te_lane0(y)) +
                     (uint32_t)(te_lane1(x) * te_lane1(y)));
}

static inline int32_t te_smlabb(uint32_t x, uint32_t y, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(te_lane0(x) * te_lane0(y)));
}

static inline int32_t te_smlatt(uint32_t x, uint32_t y, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(te_lane1(x) * te_lane1(y)));
}

#endif

/* An unaligned 32-bit load (Cortex-M3 and later allow it for LDR; memcpy compiles to one). */
static inline uint32_t te_load32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void te_store32(void *p, uint32_t v)
{
    memcpy(p, &v, sizeof v);
}

/* Both 16-bit lanes set to v. */
static inline uint32_t te_pair(int32_t v)
{
    return ((uint32_t)v & 0xFFFFu) * 0x00010001u;
}

/*
 * Requantization with the per-channel work hoisted out of the pixel loops.
 *
 * TFLM computes RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(acc << l, m), e)
 * with l = max(shift, 0), e = max(-shift, 0). For m < 2^31 (every multiplier here is in
 * [0, 2^31)) the doubling high multiply is exactly h = floor((a * m + 2^30) / 2^31) for
 * a = acc << l (its negative nudge 1 - 2^30 followed by truncation toward zero is the same
 * floor), and for e >= 1 the rounding shift is floor((h + 2^(e-1) - [h < 0]) / 2^e).
 * Since floor((floor(y) + c) / n) = floor((y + c) / n) for integers c and n > 0, both
 * roundings fold into one step on the 64-bit product (l = 0 when e >= 1):
 *     result = floor((W + 2^(30+e)) / 2^(31+e)),  W = acc * m + (acc < 0 ? -2^30 : 2^30)
 * ([acc < 0] may replace [h < 0]: they differ only when -2^30 <= acc * m < 0, where
 * h = 0 and both forms give 0). For e >= 2, 2^(30+e) is a multiple of 2^32, so
 * result = (high word of W + 2^(e-2)) >> (e-1): one SMLAL, an add and a shift
 * (|high word| < 2^30: the add cannot overflow). For e = 1 it is the high word of
 * W + 2^31; for e = 0 it is (a * m + 2^30) >> 31.
 */
typedef struct {
    int32_t multiplier;
    int32_t left;  /* l (e = 0 only) */
    int32_t round; /* 2^(e-2) (e >= 2) */
    int32_t down;  /* e - 1 (e >= 2); -1: e = 1; -2: e = 0 */
} te_requant;

static inline te_requant te_requant_for(int32_t multiplier, int32_t shift)
{
    te_requant r;
    r.multiplier = multiplier;
    r.left = shift > 0 ? shift : 0;
    r.round = shift <= -2 ? (int32_t)(UINT32_C(1) << (-shift - 2)) : 0;
    r.down = shift <= -2 ? -shift - 1 : (shift == -1 ? -1 : -2);
    return r;
}

/* acc * m + (acc < 0 ? -2^30 : 2^30) */
static inline int64_t te_requant_w(int32_t acc, int32_t multiplier)
{
    const int64_t nudge = (int32_t)(((uint32_t)acc & UINT32_C(0x80000000)) | (UINT32_C(1) << 30));
    return (int64_t)acc * multiplier + nudge;
}

/* The e >= 2 case alone (the usual one), for callers that checked r->down >= 0.
 * On the DSP cores the whole of W + 2^(30+e) is one SMLAL on a 64-bit start value: the
 * nudge's sign s = acc >> 31 gives the low word 2^30 ^ (s << 31) (2^30 or -2^30 mod 2^32)
 * and the high word round + s, so the result is (high word after SMLAL) >> down. */
static inline int32_t te_requant_fast(int32_t acc, int32_t multiplier, int32_t round,
                                      int32_t down)
{
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
    const int32_t s = acc >> 31;
    uint32_t lo = UINT32_C(0x40000000) ^ ((uint32_t)s << 31);
    int32_t hi = round + s;
    __asm__("smlal %[lo], %[hi], %[a], %[m]"
            : [lo] "+r"(lo), [hi] "+r"(hi)
            : [a] "r"(acc), [m] "r"(multiplier));
    return hi >> down;
#else
    return ((int32_t)(te_requant_w(acc, multiplier) >> 32) + round) >> down;
#endif
}

/* acc * M (the channel's real multiplier), rounded as TFLM does. */
static inline int32_t te_requant_apply(int32_t acc, const te_requant *r)
{
    if (r->down >= 0) {
        return te_requant_fast(acc, r->multiplier, r->round, r->down);
    }
    if (r->down == -1) {
        return (int32_t)((te_requant_w(acc, r->multiplier) + (INT64_C(1) << 31)) >> 32);
    }
    const int32_t a = (int32_t)((uint32_t)acc << r->left); /* wraps as TFLM's does */
    return (int32_t)(((int64_t)a * r->multiplier + (INT64_C(1) << 30)) >> 31);
}

/* Requantize with a row {multiplier, round, down} of the table the AOT compiler appends
 * to the packed weights (tinyedge/firmware/dsp_pack.py: requant_table); `shift` is TFLM's
 * shift of the channel, read only for the rare channels with shift >= -1. */
static inline int32_t te_requant_row(int32_t acc, const int32_t *row, const int32_t *shift)
{
    if (row[2] >= 0) {
        return te_requant_fast(acc, row[0], row[1], row[2]);
    }
    const te_requant r = te_requant_for(row[0], *shift);
    return te_requant_apply(acc, &r);
}

/* Output zero point and the fused activation's clamp. */
static inline int8_t te_dsp_out(int32_t v, int32_t offset, int32_t lo, int32_t hi)
{
    v += offset;
    v = v < lo ? lo : v;
    return (int8_t)(v > hi ? hi : v);
}

/* Saturate to int8 (one SSAT). */
static inline int32_t te_ssat8(int32_t v)
{
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
    return __ssat(v, 8);
#else
    return v < -128 ? -128 : (v > 127 ? 127 : v);
#endif
}

/* Clamp kinds, chosen once per kernel call: no activation (the int8 range itself), an
 * activation with only a lower bound inside it (RELU, or RELU6 whose 6 lies above the
 * range), any other range. */
enum { TE_CLAMP_FULL = 0, TE_CLAMP_LOWER = 1, TE_CLAMP_ANY = 2 };

static inline int te_clamp_kind(int32_t lo, int32_t hi)
{
    return hi != 127 ? TE_CLAMP_ANY : (lo == -128 ? TE_CLAMP_FULL : TE_CLAMP_LOWER);
}

/* te_dsp_out for |v| < 2^30 (the fast requantization's range), `kind` a constant. */
static inline int8_t te_dsp_out_k(int32_t v, int32_t offset, int32_t lo, int32_t hi, int kind)
{
    if (kind == TE_CLAMP_ANY) {
        return te_dsp_out(v, offset, lo, hi);
    }
    v = te_ssat8(v + offset);
    if (kind == TE_CLAMP_LOWER) {
        v = v < lo ? lo : v;
    }
    return (int8_t)v;
}

#endif /* TE_DSP_H */
