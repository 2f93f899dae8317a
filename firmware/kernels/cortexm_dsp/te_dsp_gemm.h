/*
 * te_dsp_gemm.h - the int8 GEMM core shared by the cortexm_dsp CONV_2D and
 * FULLY_CONNECTED kernels: a block of 2 output channels x 2 pixels (or rows), the dot
 * products over K taken 4 at a time with dual 16-bit multiply-accumulates.
 *
 * Operands
 *   Activations ("columns"): up to 2 rows of K values (input + input_offset, in
 *   [-255, 255]) widened to int16 pairs, interleaved per group of 4: for group g the
 *   4 words at col + 4g are  row0{k0,k2}, row0{k1,k3}, row1{k0,k2}, row1{k1,k3}  (the order
 *   SXTB16 / SXTB16 ROR 8 extract bytes of a word). Values past K are 0.
 *   Weights (packed by the AOT compiler, tinyedge/firmware/dsp_pack.py): output channels
 *   in pairs, for pair p and group g the 8 bytes at w + (p * G + g) * 8 are channel 2p's
 *   k 4g..4g+3 then channel 2p+1's; bytes past K, and the second channel of an odd last
 *   pair, are 0.
 * Each product is |value| <= 255 times |weight| <= 128 (or 255 with a weight offset), so
 * every sum is exact in int32 as in the reference kernels: only the order differs.
 */
#ifndef TE_DSP_GEMM_H
#define TE_DSP_GEMM_H

#include <stdint.h>

#include "te_dsp.h"

/* Groups of 4 taken per dot product. */
static inline int32_t te_gemm_groups(int32_t k) { return (k + 3) / 4; }

/* Bytes of the interleaved activation buffer for 2 rows. */
static inline int32_t te_gemm_col_bytes(int32_t k) { return te_gemm_groups(k) * 16; }

/* Write 4 int8 values (as one word) of row `row` into group `g`, adding `offset2`
 * (the offset in both lanes). */
static inline void te_gemm_put4(uint32_t *col, int32_t g, int32_t row, uint32_t bytes,
                                uint32_t offset2)
{
    uint32_t *dst = col + 4 * g + 2 * row;
    dst[0] = te_sxtab16(offset2, bytes);
    dst[1] = te_sxtab16_ror8(offset2, bytes);
}

/* Write one value at tap k of row `row`. */
static inline void te_gemm_put1(uint32_t *col, int32_t k, int32_t row, int32_t value)
{
    int16_t *h = (int16_t *)(void *)(col + 4 * (k >> 2) + 2 * row + (k & 1));
    h[(k >> 1) & 1] = (int16_t)value;
}

/* Zero the last group of a row (before filling it, when K is not a multiple of 4). */
static inline void te_gemm_clear_tail(uint32_t *col, int32_t groups, int32_t row)
{
    uint32_t *dst = col + 4 * (groups - 1) + 2 * row;
    dst[0] = 0;
    dst[1] = 0;
}

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
/* One group of the 2x2 block: 3 LDRD, 4 SXTB16, 8 SMLAD (16 MACs). 13 registers. */
#define TE_GEMM_2X2_GROUP                                                                  \
    "ldrd   %[w0], %[w1], [%[w]], #8\n\t"                                                  \
    "sxtb16 %[wb0], %[w0], ror #8\n\t"                                                     \
    "sxtb16 %[w0], %[w0]\n\t"                                                              \
    "sxtb16 %[wb1], %[w1], ror #8\n\t"                                                     \
    "sxtb16 %[w1], %[w1]\n\t"                                                              \
    "ldrd   %[xa], %[xb], [%[x]], #8\n\t"                                                  \
    "smlad  %[a00], %[xa], %[w0], %[a00]\n\t"                                              \
    "smlad  %[a00], %[xb], %[wb0], %[a00]\n\t"                                             \
    "smlad  %[a01], %[xa], %[w1], %[a01]\n\t"                                              \
    "smlad  %[a01], %[xb], %[wb1], %[a01]\n\t"                                             \
    "ldrd   %[xa], %[xb], [%[x]], #8\n\t"                                                  \
    "smlad  %[a10], %[xa], %[w0], %[a10]\n\t"                                              \
    "smlad  %[a10], %[xb], %[wb0], %[a10]\n\t"                                             \
    "smlad  %[a11], %[xa], %[w1], %[a11]\n\t"                                              \
    "smlad  %[a11], %[xb], %[wb1], %[a11]\n\t"

/* Dot products of 2 rows with a channel pair: acc[row * 2 + ch] += ... */
static inline void te_gemm_2x2(const uint32_t *col, const uint32_t *w, int32_t groups,
                               int32_t acc[4])
{
    int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
    uint32_t w0, w1, wb0, wb1, xa, xb;
    if (groups & 1) {
        __asm__ volatile(TE_GEMM_2X2_GROUP
                         : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11),
                           [x] "+r"(col), [w] "+r"(w), [w0] "=&r"(w0), [w1] "=&r"(w1),
                           [wb0] "=&r"(wb0), [wb1] "=&r"(wb1), [xa] "=&r"(xa), [xb] "=&r"(xb)
                         :
                         : "memory");
    }
    const uint32_t *end = col + 4 * (groups & ~1);
    if (col != end) {
        __asm__ volatile("1:\n\t" TE_GEMM_2X2_GROUP TE_GEMM_2X2_GROUP
                         "cmp    %[x], %[end]\n\t"
                         "bne    1b\n\t"
                         : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11),
                           [x] "+r"(col), [w] "+r"(w), [w0] "=&r"(w0), [w1] "=&r"(w1),
                           [wb0] "=&r"(wb0), [wb1] "=&r"(wb1), [xa] "=&r"(xa), [xb] "=&r"(xb)
                         : [end] "r"(end)
                         : "cc", "memory");
    }
    acc[0] = a00;
    acc[1] = a01;
    acc[2] = a10;
    acc[3] = a11;
}
#else
static inline void te_gemm_2x2(const uint32_t *col, const uint32_t *w, int32_t groups,
                               int32_t acc[4])
{
    int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
    for (int32_t g = 0; g < groups; ++g) {
        const uint32_t x0a = col[0], x0b = col[1], x1a = col[2], x1b = col[3];
        const uint32_t w0 = w[0], w1 = w[1];
        col += 4;
        w += 2;
        uint32_t wa = te_sxtb16(w0), wb = te_sxtb16_ror8(w0);
        a00 = te_smlad(x0a, wa, a00);
        a00 = te_smlad(x0b, wb, a00);
        a10 = te_smlad(x1a, wa, a10);
        a10 = te_smlad(x1b, wb, a10);
        wa = te_sxtb16(w1);
        wb = te_sxtb16_ror8(w1);
        a01 = te_smlad(x0a, wa, a01);
        a01 = te_smlad(x0b, wb, a01);
        a11 = te_smlad(x1a, wa, a11);
        a11 = te_smlad(x1b, wb, a11);
    }
    acc[0] = a00;
    acc[1] = a01;
    acc[2] = a10;
    acc[3] = a11;
}
#endif

/* One row with a channel pair: acc[ch] += ... (the odd last pixel or batch row). */
static inline void te_gemm_1x2(const uint32_t *col, const uint32_t *w, int32_t groups,
                               int32_t acc[2])
{
    int32_t a0 = acc[0], a1 = acc[1];
    for (int32_t g = 0; g < groups; ++g) {
        const uint32_t xa = col[0], xb = col[1];
        const uint32_t w0 = w[0], w1 = w[1];
        col += 4;
        w += 2;
        a0 = te_smlad(xa, te_sxtb16(w0), a0);
        a0 = te_smlad(xb, te_sxtb16_ror8(w0), a0);
        a1 = te_smlad(xa, te_sxtb16(w1), a1);
        a1 = te_smlad(xb, te_sxtb16_ror8(w1), a1);
    }
    acc[0] = a0;
    acc[1] = a1;
}

/* Requantize and store the outputs of `rows` rows (1 or 2) x `chans` channels (1 or 2)
 * of one block; t0/t1 are the two channels' requantization table rows, s0/s1 their
 * TFLM shifts; out points at channel c of row 0, rows are `row_stride` bytes apart. */
static inline void te_gemm_store(const int32_t acc[4], int32_t rows, int32_t chans,
                                 const int32_t *t0, const int32_t *t1, const int32_t *s0,
                                 const int32_t *s1, int32_t offset, int32_t lo, int32_t hi,
                                 int8_t *out, int32_t row_stride)
{
    if (rows == 2 && chans == 2 && t0[2] >= 0 && t1[2] >= 0) {
        const int32_t m0 = t0[0], r0 = t0[1], d0 = t0[2];
        const int32_t m1 = t1[0], r1 = t1[1], d1 = t1[2];
        const int32_t v0 = te_requant_fast(acc[0], m0, r0, d0);
        const int32_t v1 = te_requant_fast(acc[1], m1, r1, d1);
        const int32_t v2 = te_requant_fast(acc[2], m0, r0, d0);
        const int32_t v3 = te_requant_fast(acc[3], m1, r1, d1);
        switch (te_clamp_kind(lo, hi)) {
        case TE_CLAMP_FULL:
            out[0] = te_dsp_out_k(v0, offset, lo, hi, TE_CLAMP_FULL);
            out[1] = te_dsp_out_k(v1, offset, lo, hi, TE_CLAMP_FULL);
            out[row_stride] = te_dsp_out_k(v2, offset, lo, hi, TE_CLAMP_FULL);
            out[row_stride + 1] = te_dsp_out_k(v3, offset, lo, hi, TE_CLAMP_FULL);
            break;
        case TE_CLAMP_LOWER:
            out[0] = te_dsp_out_k(v0, offset, lo, hi, TE_CLAMP_LOWER);
            out[1] = te_dsp_out_k(v1, offset, lo, hi, TE_CLAMP_LOWER);
            out[row_stride] = te_dsp_out_k(v2, offset, lo, hi, TE_CLAMP_LOWER);
            out[row_stride + 1] = te_dsp_out_k(v3, offset, lo, hi, TE_CLAMP_LOWER);
            break;
        default:
            out[0] = te_dsp_out(v0, offset, lo, hi);
            out[1] = te_dsp_out(v1, offset, lo, hi);
            out[row_stride] = te_dsp_out(v2, offset, lo, hi);
            out[row_stride + 1] = te_dsp_out(v3, offset, lo, hi);
            break;
        }
        return;
    }
    for (int32_t r = 0; r < rows; ++r) {
        out[r * row_stride] = te_dsp_out(te_requant_row(acc[r * 2], t0, s0), offset, lo, hi);
        if (chans == 2) {
            out[r * row_stride + 1] =
                te_dsp_out(te_requant_row(acc[r * 2 + 1], t1, s1), offset, lo, hi);
        }
    }
}

#endif /* TE_DSP_GEMM_H */
