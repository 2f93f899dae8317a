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
 * [0, 2^31)) the doubling high multiply is exactly h = floor((acc * m + 2^30) / 2^31)
 * (its negative nudge 1 - 2^30 followed by truncation toward zero is the same floor), and
 * for e >= 1 the rounding shift is floor((h + 2^(e-1) - [h < 0]) / 2^e). Since
 * floor((floor(y) + c) / n) = floor((y + c) / n) for integers c and n > 0, both roundings
 * fold into one step on the 64-bit product:
 *     result = floor((acc * m + 2^30 - [acc < 0] * 2^31 + 2^(30+e)) / 2^(31+e))
 * ([acc < 0] may replace [h < 0]: they differ only when -2^30 <= acc * m < 0, where
 * h = 0 and both forms give 0). With W = acc * m + (acc < 0 ? -2^30 : 2^30) and e >= 2,
 * 2^(30+e) is a multiple of 2^32, so result = (high word of W + 2^(e-2)) >> (e-1):
 * one SMLAL, an add and a shift (|high word| < 2^30, so the add cannot overflow).
 * Channels with e <= 1 (shift >= -1) take TFLM's two steps literally.
 */
typedef struct {
    int32_t multiplier;
    int32_t shift;    /* TFLM's shift: > 0 left, <= 0 right */
    int32_t round;    /* 2^(e-2) */
    int32_t down;     /* e - 1, or -1 for the literal two-step path */
} te_requant;

static inline te_requant te_requant_for(int32_t multiplier, int32_t shift)
{
    te_requant r;
    r.multiplier = multiplier;
    r.shift = shift;
    if (shift <= -2) {
        r.round = (int32_t)(UINT32_C(1) << (-shift - 2));
        r.down = -shift - 1;
    } else {
        r.round = 0;
        r.down = -1;
    }
    return r;
}

static inline int32_t te_requant_fast(int32_t acc, int32_t multiplier, int32_t round,
                                      int32_t down)
{
    /* (acc & INT32_MIN) | 2^30, sign extended: 2^30 or -2^30 as a 64-bit value. */
    const int64_t nudge = (int32_t)(((uint32_t)acc & UINT32_C(0x80000000)) | (UINT32_C(1) << 30));
    const int64_t w = (int64_t)acc * multiplier + nudge;
    return ((int32_t)(w >> 32) + round) >> down;
}

/* acc * M (the channel's real multiplier), rounded as TFLM does. */
static inline int32_t te_requant_apply(int32_t acc, const te_requant *r)
{
    if (r->down < 0) {
        return te_multiply_by_quantized_multiplier(acc, r->multiplier, r->shift);
    }
    return te_requant_fast(acc, r->multiplier, r->round, r->down);
}

/* Output zero point and the fused activation's clamp. */
static inline int8_t te_dsp_out(int32_t v, int32_t offset, int32_t lo, int32_t hi)
{
    v += offset;
    v = v < lo ? lo : v;
    return (int8_t)(v > hi ? hi : v);
}

#endif /* TE_DSP_H */
