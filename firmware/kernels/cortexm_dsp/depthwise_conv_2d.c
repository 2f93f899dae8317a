/* DEPTHWISE_CONV_2D, int8 (cortexm_dsp variant: Cortex-M4/M7 with the DSP extension;
 * bit-exact with the reference).
 *
 * Depth multiplier 1 without dilation (every depthwise layer of the zoo; any kernel size,
 * stride and padding): the AOT compiler widens the filter to int16 pairs per group of 4
 * channels (tinyedge/firmware/dsp_pack.py: pack_depthwise). Output pixels outer, channel
 * groups inner; a 3x3 window inside the input is 9 taps of one word of 4 input channels
 * (SXTAB16 adds the input offset while sign-extending) times their weight pairs, lane by
 * lane (SMLABB / SMLATT). Edge windows and the last C % 4 channels sum only their taps
 * inside the input, as the reference does. Other multipliers and dilations take the
 * reference loop on the int8 1HWC filter (a correct fallback). No scratch. */
#include "te_dsp.h"
#include "te_kernel_util.h"

int32_t te_depthwise_conv_2d_s8_get_buffer_size(const te_dims *input_dims,
                                                const te_dims *filter_dims)
{
    (void)input_dims;
    (void)filter_dims;
    return 0;
}

static int dw_args_ok(const te_dw_conv_params *p, const te_quant_params *q, const te_dims *in,
                      const te_dims *f, const te_dims *out)
{
    if (p == NULL || !te_dims_ok(in) || !te_dims_ok(f) || !te_dims_ok(out)) {
        return 0;
    }
    const te_conv_params *c = &p->conv;
    return p->depth_multiplier > 0 && f->n == 1 && f->c == in->c * p->depth_multiplier &&
           out->c == f->c && out->n == in->n && c->stride_h > 0 && c->stride_w > 0 &&
           c->dilation_h > 0 && c->dilation_w > 0 && te_act_ok(c->act_min, c->act_max) &&
           te_quant_ok(q, out->c) && q->count == out->c;
}

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
/* One tap: the word of 4 input channels at [xp + idx] and its weight pairs at [wp], #8. */
#define TE_DW_TAP(ADDR)                                                                    \
    "ldr    %[xv], " ADDR "\n\t"                                                           \
    "ldrd   %[w02], %[w13], [%[wp]], #8\n\t"                                               \
    "sxtab16 %[x13], %[off], %[xv], ror #8\n\t"                                            \
    "sxtab16 %[xv], %[off], %[xv]\n\t"                                                     \
    "smlabb %[a0], %[xv], %[w02], %[a0]\n\t"                                               \
    "smlatt %[a2], %[xv], %[w02], %[a2]\n\t"                                               \
    "smlabb %[a1], %[x13], %[w13], %[a1]\n\t"                                              \
    "smlatt %[a3], %[x13], %[w13], %[a3]\n\t"
#define TE_DW_ROW                                                                          \
    TE_DW_TAP("[%[xp]]") TE_DW_TAP("[%[xp], %[c]]") TE_DW_TAP("[%[xp], %[c], lsl #1]")   \
    "add    %[xp], %[xp], %[row]\n\t"

/* A 3x3 window entirely inside the input, 4 channels: 9 taps of 8 instructions. Not
 * inlined: the asm needs 13 registers, which the caller's loop cannot spare. */
static __attribute__((noinline)) void dw3x3_group(const int8_t *xp, const uint32_t *wp, int32_t c, int32_t row,
                               uint32_t off, int32_t acc[4])
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    uint32_t xv, x13, w02, w13;
    __asm__ volatile(TE_DW_ROW TE_DW_ROW TE_DW_ROW
                     : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3),
                       [xp] "+r"(xp), [wp] "+r"(wp), [xv] "=&r"(xv), [x13] "=&r"(x13),
                       [w02] "=&r"(w02), [w13] "=&r"(w13)
                     : [c] "r"(c), [row] "r"(row), [off] "r"(off)
                     : "memory");
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}
#else
static inline void dw3x3_group(const int8_t *xp, const uint32_t *wp, int32_t c, int32_t row,
                               uint32_t off, int32_t acc[4])
{
    for (int32_t t = 0; t < 9; ++t) {
        const uint32_t xv = te_load32(xp + (t / 3) * row + (t % 3) * c);
        const uint32_t x02 = te_sxtab16(off, xv), x13 = te_sxtab16_ror8(off, xv);
        acc[0] = te_smlabb(x02, wp[2 * t], acc[0]);
        acc[2] = te_smlatt(x02, wp[2 * t], acc[2]);
        acc[1] = te_smlabb(x13, wp[2 * t + 1], acc[1]);
        acc[3] = te_smlatt(x13, wp[2 * t + 1], acc[3]);
    }
}
#endif

/* Weight of channel c at tap t in the packed layout (tinyedge/firmware/dsp_pack.py). */
static inline int32_t packed_weight(const uint32_t *w, int32_t taps, int32_t c, int32_t t)
{
    const uint32_t word = w[((c >> 2) * taps + t) * 2 + (c & 1)];
    return (c & 2) ? (int16_t)(word >> 16) : (int16_t)(word & 0xFFFFu);
}

/* Multiplier 1, any kernel size, stride and padding, no dilation: pixels outer, channels
 * in groups of 4 inner. Windows entirely inside a 3x3 input area take dw3x3_group; others
 * (edges, other kernel sizes, the last C % 4 channels) sum their taps inside the input
 * one channel at a time, so no tap in the padding is ever read, as in the reference. */
static void dw_mult1(const te_conv_params *p, const te_quant_params *quant,
                     const te_dims *in, const int8_t *input, const te_dims *f,
                     const uint32_t *packed, const int32_t *bias, const te_dims *out,
                     int8_t *output)
{
    const int32_t c_n = in->c;
    const int32_t row = in->w * c_n;
    const int32_t taps = f->h * f->w;
    const int32_t groups_end = c_n & ~3;
    const uint32_t offset2 = te_pair(p->input_offset);
    const int32_t lo = p->act_min, hi = p->act_max, offset = p->output_offset;
    const int is3x3 = f->h == 3 && f->w == 3;
    /* The requantization table follows the packed weights. */
    const int32_t *rqt = (const int32_t *)(packed + ((c_n + 3) >> 2) * taps * 2);
    const int32_t *shift = quant->shift;
    const int kind = te_clamp_kind(lo, hi);
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
                int32_t c = 0;
                if (full) {
                    const int8_t *px = input + ((b * in->h + iy0) * in->w + ix0) * c_n;
                    for (; c < groups_end; c += 4) {
                        int32_t acc[4];
                        for (int32_t j = 0; j < 4; ++j) {
                            acc[j] = bias != NULL ? bias[c + j] : 0;
                        }
                        dw3x3_group(px + c, packed + (c >> 2) * 18, c_n, row, offset2, acc);
                        const int32_t *t = rqt + 3 * c;
                        if ((t[2] | t[5] | t[8] | t[11]) >= 0 && kind != TE_CLAMP_ANY) {
                            const int32_t v0 = te_requant_fast(acc[0], t[0], t[1], t[2]);
                            const int32_t v1 = te_requant_fast(acc[1], t[3], t[4], t[5]);
                            const int32_t v2 = te_requant_fast(acc[2], t[6], t[7], t[8]);
                            const int32_t v3 = te_requant_fast(acc[3], t[9], t[10], t[11]);
                            op[c] = te_dsp_out_k(v0, offset, lo, hi, kind);
                            op[c + 1] = te_dsp_out_k(v1, offset, lo, hi, kind);
                            op[c + 2] = te_dsp_out_k(v2, offset, lo, hi, kind);
                            op[c + 3] = te_dsp_out_k(v3, offset, lo, hi, kind);
                            continue;
                        }
                        for (int32_t j = 0; j < 4; ++j) {
                            op[c + j] = te_dsp_out(te_requant_row(acc[j], t + 3 * j,
                                                                  shift + c + j),
                                                   offset, lo, hi);
                        }
                    }
                }
                for (; c < c_n; ++c) {
                    int32_t acc = bias != NULL ? bias[c] : 0;
                    for (int32_t fy = fy0; fy < fy1; ++fy) {
                        const int8_t *x = input + ((b * in->h + iy0 + fy) * in->w + ix0) * c_n + c;
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
    if (!dw_args_ok(params, quant, input_dims, filter_dims, output_dims) || input == NULL ||
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
