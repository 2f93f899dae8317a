/* CONV_2D, int8 (cortexm_dsp variant: Cortex-M4/M7 with the DSP extension; bit-exact
 * with the reference).
 *
 * Any kernel size, stride, dilation and padding. Output pixels are taken two at a time:
 * their receptive fields are gathered ("im2col" of 2 columns) into the scratch as int16
 * pairs with the input offset added (taps in the padding are 0, exactly as the reference
 * skips them), then every pair of output channels is a 2x2 block of dot products with
 * SMLAD (te_dsp_gemm.h). A 1x1 convolution with stride 1 is a plain GEMM: its "column"
 * is the input pixel itself, widened once. When every channel takes the fast
 * requantization (checked once per call), a pixel pair's channel pairs run in a separate
 * function (rows2_fast) specialised per clamp kind, walking weights, table and outputs in
 * order with its pointers in registers.
 *
 * The filter must be in the packed layout of te_dsp_gemm.h (the AOT compiler writes it;
 * filter_dims stay {out_c, kh, kw, in_c}). Scratch: te_conv_2d_s8_get_buffer_size bytes,
 * 4-byte aligned: 2 columns of ceil(kh*kw*in_c / 4) * 4 int16 values, the same as
 * CMSIS-NN's arm_convolve_s8 (2 * K int16) up to rounding K to a multiple of 4. */
#include <string.h>

#include "te_dsp_gemm.h"
#include "te_kernel_util.h"

int32_t te_conv_2d_s8_get_buffer_size(const te_dims *input_dims, const te_dims *filter_dims)
{
    return te_gemm_col_bytes(filter_dims->h * filter_dims->w * input_dims->c);
}

/* Gather the receptive field of output pixel (b, oy, ox) into row `row` of col. */
static void gather(const te_conv_params *p, const te_dims *in, const int8_t *input,
                   const te_dims *f, int32_t b, int32_t oy, int32_t ox, uint32_t *col,
                   int32_t row)
{
    const int32_t c = in->c;
    const int32_t groups = te_gemm_groups(f->h * f->w * c);
    const uint32_t offset2 = te_pair(p->input_offset);
    const int32_t iy0 = oy * p->stride_h - p->pad_h;
    const int32_t ix0 = ox * p->stride_w - p->pad_w;
    /* A whole filter row is contiguous in NHWC when dilation_w is 1. */
    const int32_t seg = p->dilation_w == 1 ? f->w * c : c;
    const int32_t segs_per_row = f->w * c / seg;
    if ((f->h * f->w * c) & 3) {
        te_gemm_clear_tail(col, groups, row);
    }
    int32_t k = 0;
    for (int32_t fy = 0; fy < f->h; ++fy) {
        const int32_t iy = iy0 + fy * p->dilation_h;
        for (int32_t s = 0; s < segs_per_row; ++s) {
            const int32_t ix = ix0 + s * p->dilation_w;
            const int32_t fx_count = seg / c;
            /* Taps [t0, t1) of this segment lie inside the input. */
            int32_t t0 = 0, t1 = 0;
            if (iy >= 0 && iy < in->h) {
                t0 = ix < 0 ? te_min_i32(-ix, fx_count) : 0;
                t1 = te_max_i32(t0, te_min_i32(fx_count, in->w - ix));
            }
            const int8_t *src = input + ((b * in->h + iy) * in->w + ix) * c;
            const int32_t inside0 = k + t0 * c, inside1 = k + t1 * c;
            if (((k | seg | inside0 | inside1) & 3) == 0) {
                for (int32_t i = k; i < inside0; i += 4) {
                    col[4 * (i >> 2) + 2 * row] = 0;
                    col[4 * (i >> 2) + 2 * row + 1] = 0;
                }
                for (int32_t i = inside0; i < inside1; i += 4) {
                    te_gemm_put4(col, i >> 2, row, te_load32(src + (i - k)), offset2);
                }
                for (int32_t i = inside1; i < k + seg; i += 4) {
                    col[4 * (i >> 2) + 2 * row] = 0;
                    col[4 * (i >> 2) + 2 * row + 1] = 0;
                }
            } else {
                for (int32_t i = k; i < k + seg; ++i) {
                    const int32_t v = i >= inside0 && i < inside1
                                          ? src[i - k] + p->input_offset : 0;
                    te_gemm_put1(col, i, row, v);
                }
            }
            k += seg;
        }
    }
}

/* 1 if every channel's table row takes the fast requantization (shift <= -2). */
static int all_fast(const int32_t *rqt, int32_t channels)
{
    int32_t any = 0;
    for (int32_t c = 0; c < channels; ++c) {
        any |= rqt[3 * c + 2];
    }
    return any >= 0;
}

/* Two gathered rows against every channel pair, every channel with the fast
 * requantization; `kind` a constant. Weights and table rows are read in order. */
static inline __attribute__((always_inline)) void rows2_fast_k(
    const uint32_t *col, const uint32_t *w, int32_t groups, const int32_t *t,
    const int32_t *bias, int32_t pairs, int8_t *op, int32_t stride, int32_t offset,
    int32_t lo, int32_t hi, int kind)
{
    for (int32_t p = 0; p < pairs; ++p) {
        int32_t acc[4];
        acc[0] = acc[2] = bias != NULL ? bias[0] : 0;
        acc[1] = acc[3] = bias != NULL ? bias[1] : 0;
        te_gemm_2x2(col, w, groups, acc);
        w += 2 * groups;
        const int32_t m0 = t[0], r0 = t[1], d0 = t[2], m1 = t[3], r1 = t[4], d1 = t[5];
        op[0] = te_dsp_out_k(te_requant_fast(acc[0], m0, r0, d0), offset, lo, hi, kind);
        op[1] = te_dsp_out_k(te_requant_fast(acc[1], m1, r1, d1), offset, lo, hi, kind);
        op[stride] = te_dsp_out_k(te_requant_fast(acc[2], m0, r0, d0), offset, lo, hi, kind);
        op[stride + 1] =
            te_dsp_out_k(te_requant_fast(acc[3], m1, r1, d1), offset, lo, hi, kind);
        t += 6;
        op += 2;
        if (bias != NULL) {
            bias += 2;
        }
    }
}

static __attribute__((noinline)) void rows2_fast(const uint32_t *col, const uint32_t *w, int32_t groups,
                       const int32_t *t, const int32_t *bias, int32_t pairs, int8_t *op,
                       int32_t stride, int32_t offset, int32_t lo, int32_t hi)
{
    switch (te_clamp_kind(lo, hi)) {
    case TE_CLAMP_FULL:
        rows2_fast_k(col, w, groups, t, bias, pairs, op, stride, offset, lo, hi, TE_CLAMP_FULL);
        break;
    case TE_CLAMP_LOWER:
        rows2_fast_k(col, w, groups, t, bias, pairs, op, stride, offset, lo, hi,
                     TE_CLAMP_LOWER);
        break;
    default:
        rows2_fast_k(col, w, groups, t, bias, pairs, op, stride, offset, lo, hi, TE_CLAMP_ANY);
        break;
    }
}

te_status te_conv_2d_s8(const te_context *ctx, const te_conv_params *params,
                        const te_quant_params *quant, const te_dims *input_dims,
                        const int8_t *input, const te_dims *filter_dims, const int8_t *filter,
                        const te_dims *bias_dims, const int32_t *bias,
                        const te_dims *output_dims, int8_t *output)
{
    (void)bias_dims;
    if (!te_conv_args_ok(params, quant, input_dims, filter_dims, output_dims) || input == NULL ||
        filter == NULL || output == NULL || ctx == NULL || ctx->buf == NULL ||
        ((uintptr_t)ctx->buf & 3u) != 0u || ((uintptr_t)filter & 3u) != 0u ||
        ctx->size < te_conv_2d_s8_get_buffer_size(input_dims, filter_dims)) {
        return TE_ERROR_ARG;
    }
    const te_dims *out = output_dims;
    const int32_t groups = te_gemm_groups(filter_dims->h * filter_dims->w * input_dims->c);
    const uint32_t *packed = (const uint32_t *)(const void *)filter;
    uint32_t *col = (uint32_t *)ctx->buf;
    /* The requantization table follows the packed weights (dsp_pack.requant_table). */
    const int32_t oc_n = out->c;
    const int32_t *rqt = (const int32_t *)(packed + (oc_n + 1) / 2 * groups * 2);
    const int32_t pixels = out->n * out->h * out->w;
    const int32_t lo = params->act_min, hi = params->act_max, offset = params->output_offset;
    const int fast = all_fast(rqt, oc_n);
    for (int32_t first = 0; first < pixels; first += 2) {
        const int32_t rows = te_min_i32(2, pixels - first);
        for (int32_t r = 0; r < rows; ++r) {
            const int32_t px = first + r;
            const int32_t b = px / (out->h * out->w);
            const int32_t oy = px / out->w % out->h;
            gather(params, input_dims, input, filter_dims, b, oy, px % out->w, col, r);
        }
        int8_t *op = output + first * oc_n;
        int32_t oc = 0;
        if (rows == 2 && fast) {
            /* Every whole channel pair in one tight loop; the odd last channel below. */
            oc = oc_n & ~1;
            rows2_fast(col, packed, groups, rqt, bias, oc_n >> 1, op, oc_n, offset, lo, hi);
        }
        for (; oc < oc_n; oc += 2) {
            const int32_t chans = te_min_i32(2, oc_n - oc);
            const int32_t *t0 = rqt + 3 * oc;
            const int32_t *t1 = chans == 2 ? t0 + 3 : t0;
            const int32_t *s0 = quant->shift + oc, *s1 = chans == 2 ? s0 + 1 : s0;
            int32_t acc[4];
            acc[0] = acc[2] = bias != NULL ? bias[oc] : 0;
            acc[1] = acc[3] = bias != NULL && chans == 2 ? bias[oc + 1] : 0;
            const uint32_t *w = packed + (oc >> 1) * groups * 2;
            if (rows == 2) {
                te_gemm_2x2(col, w, groups, acc);
            } else {
                te_gemm_1x2(col, w, groups, acc);
            }
            te_gemm_store(acc, rows, chans, t0, t1, s0, s1, offset, lo, hi, op + oc, oc_n);
        }
    }
    return TE_OK;
}
