/* CONV_2D, int8 (host_simd variant: hosts with wide SIMD; bit-exact with the reference).
 *
 * im2col + int16 GEMM. For a block of output pixels the receptive fields are gathered
 * once into int16 rows of (input + input_offset), zero where a tap falls in the padding
 * (which adds nothing, exactly as the reference skips it). The filter is widened once
 * per call to int16 rows of the same length. Each output is then a dot product of two
 * int16 rows padded with zeros to a multiple of TE_CONV_KBLOCK: a fixed-length inner
 * loop that compilers turn into multiply-add-pairs instructions (x86 pmaddwd/vpdpwssd,
 * Arm smlal). |input + offset| <= 255 and |weight| <= 128, so every product fits in
 * int16 x int16 -> int32 and integer sums are exact: the order change keeps results
 * identical.
 * Scratch (te_context): TE_CONV_PIXELS rows of kpad int16 (patches), then out_c rows of
 * kpad int16 (filter), kpad = kh * kw * in_c rounded up to TE_CONV_KBLOCK. */
#include <string.h>

#include "te_kernel_util.h"
#include "te_quant.h"

#define TE_CONV_KBLOCK 16
#define TE_CONV_PIXELS 4
#ifndef TE_CONV_DOT_MIN_K
#define TE_CONV_DOT_MIN_K 32
#endif

static int32_t padded_k(const te_dims *input_dims, const te_dims *filter_dims)
{
    const int32_t k = filter_dims->h * filter_dims->w * input_dims->c;
    return (k + TE_CONV_KBLOCK - 1) / TE_CONV_KBLOCK * TE_CONV_KBLOCK;
}

static int32_t patch_bytes(int32_t kpad)
{
    return (TE_CONV_PIXELS * kpad * (int32_t)sizeof(int16_t) + 15) / 16 * 16;
}

static int32_t filter_bytes(int32_t kpad, int32_t out_c)
{
    return (out_c * kpad * (int32_t)sizeof(int16_t) + 15) / 16 * 16;
}

int32_t te_conv_2d_s8_get_buffer_size(const te_dims *input_dims, const te_dims *filter_dims)
{
    const int32_t kpad = padded_k(input_dims, filter_dims);
    return patch_bytes(kpad) + filter_bytes(kpad, filter_dims->n) +
           TE_CONV_PIXELS * filter_dims->n * (int32_t)sizeof(int32_t);
}

/* One im2col row: the receptive field of output pixel (b, oy, ox), zero padded to kpad. */
static void gather_patch(const te_conv_params *p, const te_dims *in, const int8_t *input,
                         const te_dims *f, int32_t b, int32_t oy, int32_t ox, int32_t kpad,
                         int16_t *patch)
{
    const int32_t iy0 = oy * p->stride_h - p->pad_h;
    const int32_t ix0 = ox * p->stride_w - p->pad_w;
    for (int32_t fy = 0; fy < f->h; ++fy) {
        const int32_t iy = iy0 + fy * p->dilation_h;
        for (int32_t fx = 0; fx < f->w; ++fx) {
            const int32_t ix = ix0 + fx * p->dilation_w;
            int16_t *dst = patch + (fy * f->w + fx) * in->c;
            if (iy < 0 || iy >= in->h || ix < 0 || ix >= in->w) {
                memset(dst, 0, (size_t)in->c * sizeof(int16_t));
                continue;
            }
            const int8_t *src = input + ((b * in->h + iy) * in->w + ix) * in->c;
            for (int32_t c = 0; c < in->c; ++c) {
                dst[c] = (int16_t)(src[c] + p->input_offset);
            }
        }
    }
    const int32_t k = f->h * f->w * in->c;
    memset(patch + k, 0, (size_t)(kpad - k) * sizeof(int16_t));
}

static void widen_filter(const int8_t *filter, int32_t out_c, int32_t k, int32_t kpad,
                         int16_t *wt)
{
    for (int32_t oc = 0; oc < out_c; ++oc) {
        int16_t *row = wt + oc * kpad;
        for (int32_t i = 0; i < k; ++i) {
            row[i] = filter[oc * k + i];
        }
        memset(row + k, 0, (size_t)(kpad - k) * sizeof(int16_t));
    }
}

/* [tap][out_c] layout for the small-K path (zero rows beyond k). */
static void transpose_filter(const int8_t *filter, int32_t out_c, int32_t k, int32_t kpad,
                             int16_t *wt)
{
    for (int32_t oc = 0; oc < out_c; ++oc) {
        for (int32_t i = 0; i < k; ++i) {
            wt[i * out_c + oc] = filter[oc * k + i];
        }
    }
    memset(wt + k * out_c, 0, (size_t)((kpad - k) * out_c) * sizeof(int16_t));
}

static inline int32_t dot_row(const int16_t *restrict a, const int16_t *restrict w, int32_t kpad)
{
    int32_t sum = 0;
    for (int32_t i = 0; i < kpad; i += TE_CONV_KBLOCK) {
        for (int32_t j = 0; j < TE_CONV_KBLOCK; ++j) {
            sum += (int32_t)a[i + j] * w[i + j];
        }
    }
    return sum;
}

/* Large K: one dot product per (pixel, channel). */
static void accumulate_dot(const int16_t *restrict patches, const int16_t *restrict wt,
                           int32_t count, int32_t kpad, int32_t out_c, int32_t *restrict acc)
{
    for (int32_t oc = 0; oc < out_c; ++oc) {
        const int16_t *w = wt + oc * kpad;
        for (int32_t i = 0; i < count; ++i) {
            acc[i * out_c + oc] = dot_row(patches + i * kpad, w, kpad);
        }
    }
}

/* Small K: every tap updates all channels of a pixel with one contiguous multiply-add. */
static void accumulate_broadcast(const int16_t *restrict patches, const int16_t *restrict wt,
                                 int32_t count, int32_t k, int32_t kpad, int32_t out_c,
                                 int32_t *restrict acc)
{
    for (int32_t i = 0; i < count; ++i) {
        int32_t *restrict a = acc + i * out_c;
        const int16_t *restrict x = patches + i * kpad;
        for (int32_t oc = 0; oc < out_c; ++oc) {
            a[oc] = 0;
        }
        for (int32_t t = 0; t < k; ++t) {
            const int32_t xv = x[t];
            const int16_t *restrict w = wt + t * out_c;
            for (int32_t oc = 0; oc < out_c; ++oc) {
                a[oc] += (int32_t)w[oc] * xv;
            }
        }
    }
}

/* Bias, per-channel requantization, output offset and clamp for one pixel; branch-free
 * per channel so it vectorizes across channels. */
static void requantize_row(const int32_t *restrict acc, const int32_t *restrict bias,
                           const te_quant_params *q, const te_conv_params *p, int32_t out_c,
                           int8_t *restrict out)
{
    for (int32_t oc = 0; oc < out_c; ++oc) {
        int32_t v = acc[oc] + (bias != NULL ? bias[oc] : 0);
        v = te_multiply_by_quantized_multiplier(v, q->multiplier[oc], q->shift[oc]);
        out[oc] = (int8_t)te_clamp_i32(v + p->output_offset, p->act_min, p->act_max);
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
        ctx->size < te_conv_2d_s8_get_buffer_size(input_dims, filter_dims)) {
        return TE_ERROR_ARG;
    }
    const te_dims *out = output_dims;
    const int32_t k = filter_dims->h * filter_dims->w * filter_dims->c;
    const int32_t kpad = padded_k(input_dims, filter_dims);
    int16_t *patches = (int16_t *)ctx->buf;
    int16_t *wt = (int16_t *)((uint8_t *)ctx->buf + patch_bytes(kpad));
    int32_t *acc = (int32_t *)((uint8_t *)wt + filter_bytes(kpad, out->c));
    const int use_dot = k >= TE_CONV_DOT_MIN_K;
    if (use_dot) {
        widen_filter(filter, out->c, k, kpad, wt);
    } else {
        transpose_filter(filter, out->c, k, kpad, wt);
    }
    const int32_t pixels = out->n * out->h * out->w;
    for (int32_t first = 0; first < pixels; first += TE_CONV_PIXELS) {
        const int32_t count = te_min_i32(TE_CONV_PIXELS, pixels - first);
        for (int32_t i = 0; i < count; ++i) {
            const int32_t px = first + i;
            const int32_t b = px / (out->h * out->w);
            const int32_t oy = px / out->w % out->h;
            gather_patch(params, input_dims, input, filter_dims, b, oy, px % out->w, kpad,
                         patches + i * kpad);
        }
        if (use_dot) {
            accumulate_dot(patches, wt, count, kpad, out->c, acc);
        } else {
            accumulate_broadcast(patches, wt, count, k, kpad, out->c, acc);
        }
        for (int32_t i = 0; i < count; ++i) {
            requantize_row(acc + i * out->c, bias, quant, params, out->c,
                           output + (first + i) * out->c);
        }
    }
    return TE_OK;
}
