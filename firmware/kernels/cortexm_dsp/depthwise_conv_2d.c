/* DEPTHWISE_CONV_2D, int8 (cortexm_dsp variant: Cortex-M4/M7 with the DSP extension;
 * bit-exact with the reference).
 *
 * Depth multiplier 1 without dilation (every depthwise layer of the zoo; any kernel size,
 * stride and padding): the AOT compiler widens the filter to int16 pairs per group of 4
 * channels and appends the requantization table and a "full-window bias" per channel,
 * bias + input_offset * (sum of the channel's taps) (tinyedge/firmware/dsp_pack.py:
 * pack_depthwise, requant_table, dw_full_bias). Output pixels outer, channel groups inner;
 * a 3x3 window inside the input starts from the full-window bias and is 9 taps of one word
 * of 4 input channels (SXTB16 without the offset) times their weight pairs, lane by lane
 * (SMLABB / SMLATT) -- int32 sums wrap the same in any order, so this is exact. When every
 * channel takes the fast requantization (the usual case), those windows run in a separate
 * function whose loop keeps its pointers in registers. Edge windows and other kernel sizes
 * sum only their taps inside the input, 4 channels at a time with the offset added
 * (SXTAB16), from the plain bias, as the reference does; the last C % 4 channels go one
 * at a time. Other multipliers and dilations take the reference loop on the int8 1HWC
 * filter (a correct fallback). No scratch. */
#include "te_dsp.h"
#include "te_kernel_util.h"

int32_t te_depthwise_conv_2d_s8_get_buffer_size(const te_dims *input_dims,
                                                const te_dims *filter_dims)
{
    (void)input_dims;
    (void)filter_dims;
    return 0;
}

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
/* One tap of a window entirely inside the input: the word of 4 input channels at
 * [xp + idx] and its weight pairs at [wp], #8. The input offset is not added: the AOT
 * compiler folded offset * (sum of the channel's taps) into the full-window bias. */
#define TE_DW_TAP(ADDR)                                                                    \
    "ldr    %[xv], " ADDR "\n\t"                                                           \
    "ldrd   %[w02], %[w13], [%[wp]], #8\n\t"                                               \
    "sxtb16 %[x13], %[xv], ror #8\n\t"                                                     \
    "sxtb16 %[xv], %[xv]\n\t"                                                              \
    "smlabb %[a0], %[xv], %[w02], %[a0]\n\t"                                               \
    "smlatt %[a2], %[xv], %[w02], %[a2]\n\t"                                               \
    "smlabb %[a1], %[x13], %[w13], %[a1]\n\t"                                              \
    "smlatt %[a3], %[x13], %[w13], %[a3]\n\t"
#define TE_DW_ROW                                                                          \
    TE_DW_TAP("[%[xp]]") TE_DW_TAP("[%[xp], %[c]]") TE_DW_TAP("[%[xp], %[c], lsl #1]")   \
    "add    %[xp], %[xp], %[row]\n\t"
#define TE_DW_3X3(A0, A1, A2, A3, XP, WP, CS, RS)                                          \
    do {                                                                                   \
        uint32_t xv_, x13_, w02_, w13_;                                                    \
        __asm__ volatile(TE_DW_ROW TE_DW_ROW TE_DW_ROW                                     \
                         : [a0] "+r"(A0), [a1] "+r"(A1), [a2] "+r"(A2), [a3] "+r"(A3),     \
                           [xp] "+r"(XP), [wp] "+r"(WP), [xv] "=&r"(xv_), [x13] "=&r"(x13_), \
                           [w02] "=&r"(w02_), [w13] "=&r"(w13_)                            \
                         : [c] "r"(CS), [row] "r"(RS)                                      \
                         : "memory");                                                      \
    } while (0)
#else
#define TE_DW_3X3(a0, a1, a2, a3, xp, wp, c, row)                                          \
    do {                                                                                   \
        for (int32_t t_ = 0; t_ < 9; ++t_) {                                               \
            const uint32_t xv_ = te_load32((xp) + (t_ / 3) * (row) + (t_ % 3) * (c));      \
            const uint32_t x02_ = te_sxtb16(xv_), x13_ = te_sxtb16_ror8(xv_);              \
            a0 = te_smlabb(x02_, (wp)[2 * t_], a0);                                        \
            a2 = te_smlatt(x02_, (wp)[2 * t_], a2);                                        \
            a1 = te_smlabb(x13_, (wp)[2 * t_ + 1], a1);                                    \
            a3 = te_smlatt(x13_, (wp)[2 * t_ + 1], a3);                                    \
        }                                                                                  \
        (wp) += 18;                                                                        \
    } while (0)
#endif

/* Weight of channel c at tap t in the packed layout (tinyedge/firmware/dsp_pack.py). */
static inline int32_t packed_weight(const uint32_t *w, int32_t taps, int32_t c, int32_t t)
{
    const uint32_t word = w[((c >> 2) * taps + t) * 2 + (c & 1)];
    return (c & 2) ? (int16_t)(word >> 16) : (int16_t)(word & 0xFFFFu);
}

/* Requantize and store 4 channels' accumulators; t: their 4 table rows. */
static inline __attribute__((always_inline)) void dw_store4(
    int32_t a0, int32_t a1, int32_t a2, int32_t a3, const int32_t *t, const int32_t *shift,
    int8_t *op, int32_t offset, int32_t lo, int32_t hi, int kind)
{
    if ((t[2] | t[5] | t[8] | t[11]) >= 0) {
        op[0] = te_dsp_out_k(te_requant_fast(a0, t[0], t[1], t[2]), offset, lo, hi, kind);
        op[1] = te_dsp_out_k(te_requant_fast(a1, t[3], t[4], t[5]), offset, lo, hi, kind);
        op[2] = te_dsp_out_k(te_requant_fast(a2, t[6], t[7], t[8]), offset, lo, hi, kind);
        op[3] = te_dsp_out_k(te_requant_fast(a3, t[9], t[10], t[11]), offset, lo, hi, kind);
        return;
    }
    op[0] = te_dsp_out(te_requant_row(a0, t, shift), offset, lo, hi);
    op[1] = te_dsp_out(te_requant_row(a1, t + 3, shift + 1), offset, lo, hi);
    op[2] = te_dsp_out(te_requant_row(a2, t + 6, shift + 2), offset, lo, hi);
    op[3] = te_dsp_out(te_requant_row(a3, t + 9, shift + 3), offset, lo, hi);
}

/* The whole channel groups of one 3x3 window inside the input, every channel with the
 * fast requantization: its own function, so that its registers are not shared with the
 * pixel loops. `kind` a constant. */
static inline __attribute__((always_inline)) void dw_full_fast_k(
    const int8_t *px, const uint32_t *wp, const int32_t *bf, const int32_t *t, int8_t *op,
    int32_t groups_end, int32_t c_n, int32_t row, int32_t offset, int32_t lo, int32_t hi,
    int kind)
{
    const int8_t *end = px + groups_end;
    for (; px != end; px += 4, bf += 4, t += 12, op += 4) {
        int32_t a0 = bf[0], a1 = bf[1], a2 = bf[2], a3 = bf[3];
        const int8_t *xp = px;
        TE_DW_3X3(a0, a1, a2, a3, xp, wp, c_n, row);
        op[0] = te_dsp_out_k(te_requant_fast(a0, t[0], t[1], t[2]), offset, lo, hi, kind);
        op[1] = te_dsp_out_k(te_requant_fast(a1, t[3], t[4], t[5]), offset, lo, hi, kind);
        op[2] = te_dsp_out_k(te_requant_fast(a2, t[6], t[7], t[8]), offset, lo, hi, kind);
        op[3] = te_dsp_out_k(te_requant_fast(a3, t[9], t[10], t[11]), offset, lo, hi, kind);
    }
}

static __attribute__((noinline)) void dw_full_fast(
    const int8_t *px, const uint32_t *wp, const int32_t *bf, const int32_t *t, int8_t *op,
    int32_t groups_end, int32_t c_n, int32_t row, int32_t offset, int32_t lo, int32_t hi)
{
    switch (te_clamp_kind(lo, hi)) {
    case TE_CLAMP_FULL:
        dw_full_fast_k(px, wp, bf, t, op, groups_end, c_n, row, offset, lo, hi, TE_CLAMP_FULL);
        break;
    case TE_CLAMP_LOWER:
        dw_full_fast_k(px, wp, bf, t, op, groups_end, c_n, row, offset, lo, hi,
                       TE_CLAMP_LOWER);
        break;
    default:
        dw_full_fast_k(px, wp, bf, t, op, groups_end, c_n, row, offset, lo, hi, TE_CLAMP_ANY);
        break;
    }
}

/* Multiplier 1, any kernel size, stride and padding, no dilation: pixels outer, channels
 * in groups of 4 inner. A 3x3 window entirely inside the input is 9 taps of one word of 4
 * channels each (TE_DW_3X3) started from the full-window bias; other windows (edges,
 * other kernel sizes) sum their taps inside the input 4 channels at a time with the
 * offset added (SXTAB16), so no tap in the padding is ever read, as in the reference; the
 * last C % 4 channels go one at a time. `kind` is a constant (te_clamp_kind). */
static inline __attribute__((always_inline)) void dw_mult1_k(
    const te_conv_params *p, const te_quant_params *quant, const te_dims *in,
    const int8_t *input, const te_dims *f, const uint32_t *packed, const int32_t *bias,
    const te_dims *out, int8_t *output, int kind)
{
    const int32_t c_n = in->c;
    const int32_t row = in->w * c_n;
    const int32_t taps = f->h * f->w;
    const int32_t groups_end = c_n & ~3;
    const uint32_t offset2 = te_pair(p->input_offset);
    const int32_t lo = p->act_min, hi = p->act_max, offset = p->output_offset;
    const int is3x3 = f->h == 3 && f->w == 3;
    /* The requantization table and the full-window bias follow the packed weights. */
    const int32_t *rqt = (const int32_t *)(packed + ((c_n + 3) >> 2) * taps * 2);
    const int32_t *bias_full = rqt + 3 * c_n;
    const int32_t *shift = quant->shift;
    int32_t any = 0;
    for (int32_t c = 0; c < c_n; ++c) {
        any |= rqt[3 * c + 2];
    }
    const int fast = any >= 0; /* every channel takes te_requant_fast */
    for (int32_t b = 0; b < out->n; ++b) {
        for (int32_t oy = 0; oy < out->h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_h;
            int32_t fy0, fy1;
            te_tap_range(iy0, f->h, 1, in->h, &fy0, &fy1);
            for (int32_t ox = 0; ox < out->w; ++ox) {
                const int32_t ix0 = ox * p->stride_w - p->pad_w;
                int32_t fx0, fx1;
                te_tap_range(ix0, f->w, 1, in->w, &fx0, &fx1);
                const int full = is3x3 && fy0 == 0 && fy1 == 3 && fx0 == 0 && fx1 == 3;
                int8_t *op = output + ((b * out->h + oy) * out->w + ox) * c_n;
                /* Input pixel of the window's top-left tap (possibly in the padding). */
                const int8_t *px = input + ((b * in->h + iy0) * in->w + ix0) * c_n;
                int32_t c = 0;
                if (full && fast) {
                    dw_full_fast(px, packed, bias_full, rqt, op, groups_end, c_n, row, offset,
                                 lo, hi);
                    c = groups_end;
                } else if (full) {
                    const uint32_t *wp = packed;
                    for (; c < groups_end; c += 4) {
                        int32_t a0 = bias_full[c], a1 = bias_full[c + 1];
                        int32_t a2 = bias_full[c + 2], a3 = bias_full[c + 3];
                        const int8_t *xp = px + c;
                        TE_DW_3X3(a0, a1, a2, a3, xp, wp, c_n, row);
                        dw_store4(a0, a1, a2, a3, rqt + 3 * c, shift + c, op + c, offset, lo,
                                  hi, kind);
                    }
                } else {
                    for (; c < groups_end; c += 4) {
                        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
                        if (bias != NULL) {
                            a0 = bias[c];
                            a1 = bias[c + 1];
                            a2 = bias[c + 2];
                            a3 = bias[c + 3];
                        }
                        const uint32_t *wg = packed + (c >> 2) * taps * 2;
                        for (int32_t fy = fy0; fy < fy1; ++fy) {
                            const int8_t *x = px + fy * row + c;
                            const uint32_t *w = wg + fy * f->w * 2;
                            for (int32_t fx = fx0; fx < fx1; ++fx) {
                                const uint32_t xv = te_load32(x + fx * c_n);
                                const uint32_t x02 = te_sxtab16(offset2, xv);
                                const uint32_t x13 = te_sxtab16_ror8(offset2, xv);
                                const uint32_t w02 = w[2 * fx], w13 = w[2 * fx + 1];
                                a0 = te_smlabb(x02, w02, a0);
                                a2 = te_smlatt(x02, w02, a2);
                                a1 = te_smlabb(x13, w13, a1);
                                a3 = te_smlatt(x13, w13, a3);
                            }
                        }
                        dw_store4(a0, a1, a2, a3, rqt + 3 * c, shift + c, op + c, offset, lo,
                                  hi, kind);
                    }
                }
                for (; c < c_n; ++c) {
                    int32_t acc = bias != NULL ? bias[c] : 0;
                    for (int32_t fy = fy0; fy < fy1; ++fy) {
                        const int8_t *x = px + fy * row + c;
                        for (int32_t fx = fx0; fx < fx1; ++fx) {
                            acc += packed_weight(packed, taps, c, fy * f->w + fx) *
                                   (x[fx * c_n] + p->input_offset);
                        }
                    }
                    op[c] = te_dsp_out(te_requant_row(acc, rqt + 3 * c, shift + c), offset, lo,
                                       hi);
                }
            }
        }
    }
}

static void dw_mult1(const te_conv_params *p, const te_quant_params *quant,
                     const te_dims *in, const int8_t *input, const te_dims *f,
                     const uint32_t *packed, const int32_t *bias, const te_dims *out,
                     int8_t *output)
{
    switch (te_clamp_kind(p->act_min, p->act_max)) {
    case TE_CLAMP_FULL:
        dw_mult1_k(p, quant, in, input, f, packed, bias, out, output, TE_CLAMP_FULL);
        break;
    case TE_CLAMP_LOWER:
        dw_mult1_k(p, quant, in, input, f, packed, bias, out, output, TE_CLAMP_LOWER);
        break;
    default:
        dw_mult1_k(p, quant, in, input, f, packed, bias, out, output, TE_CLAMP_ANY);
        break;
    }
}

/* Any shape or multiplier: the reference loop (taps in the padding skipped). */
static void dw_general(const te_conv_params *p, int32_t mult, const te_quant_params *quant,
                       const te_dims *in, const int8_t *input, const te_dims *f,
                       const int8_t *filter, const int32_t *bias, const te_dims *out,
                       int8_t *output)
{
    for (int32_t b = 0; b < out->n; ++b) {
        for (int32_t oy = 0; oy < out->h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_h;
            int32_t fy0, fy1;
            te_tap_range(iy0, f->h, p->dilation_h, in->h, &fy0, &fy1);
            for (int32_t ox = 0; ox < out->w; ++ox) {
                const int32_t ix0 = ox * p->stride_w - p->pad_w;
                int32_t fx0, fx1;
                te_tap_range(ix0, f->w, p->dilation_w, in->w, &fx0, &fx1);
                int8_t *op = output + ((b * out->h + oy) * out->w + ox) * out->c;
                for (int32_t oc = 0; oc < out->c; ++oc) {
                    const int32_t ic = oc / mult;
                    int32_t acc = 0;
                    for (int32_t fy = fy0; fy < fy1; ++fy) {
                        const int32_t iy = iy0 + fy * p->dilation_h;
                        for (int32_t fx = fx0; fx < fx1; ++fx) {
                            const int32_t ix = ix0 + fx * p->dilation_w;
                            const int32_t x = input[((b * in->h + iy) * in->w + ix) * in->c + ic];
                            acc += filter[(fy * f->w + fx) * f->c + oc] * (x + p->input_offset);
                        }
                    }
                    op[oc] = te_requantize_s8(acc, bias, oc, quant->multiplier[oc],
                                              quant->shift[oc], p->output_offset, p->act_min,
                                              p->act_max);
                }
            }
        }
    }
}

te_status te_depthwise_conv_2d_s8(const te_context *ctx, const te_dw_conv_params *params,
                                  const te_quant_params *quant, const te_dims *input_dims,
                                  const int8_t *input, const te_dims *filter_dims,
                                  const int8_t *filter, const te_dims *bias_dims,
                                  const int32_t *bias, const te_dims *output_dims,
                                  int8_t *output)
{
    (void)ctx;
    (void)bias_dims;
    if (!te_dw_args_ok(params, quant, input_dims, filter_dims, output_dims) || input == NULL ||
        filter == NULL || output == NULL) {
        return TE_ERROR_ARG;
    }
    const te_conv_params *p = &params->conv;
    if (params->depth_multiplier != 1 || p->dilation_h != 1 || p->dilation_w != 1) {
        dw_general(p, params->depth_multiplier, quant, input_dims, input, filter_dims, filter,
                   bias, output_dims, output);
        return TE_OK;
    }
    if (((uintptr_t)filter & 3u) != 0u) {
        return TE_ERROR_ARG;
    }
    dw_mult1(p, quant, input_dims, input, filter_dims, (const uint32_t *)(const void *)filter,
             bias, output_dims, output);
    return TE_OK;
}
