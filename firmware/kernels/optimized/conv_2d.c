/* CONV_2D, int8 (optimized for hosts with wide SIMD; bit-exact with the reference).
 *
 * For each output pixel the receptive field is gathered once into an int16 patch of
 * (input + input_offset) values, zero where a tap falls in the padding (which adds
 * nothing, exactly as the reference skips it). The filter is transposed once per call
 * to [tap][out_c], so every patch value updates all output channels with one contiguous,
 * vectorizable multiply-add; the tiny channel counts of small CNNs would otherwise leave
 * SIMD lanes idle. Integer sums are exact, so the order change keeps results identical.
 * Scratch (te_context): k int16 patch, k * out_c int16 filter, out_c int32 accumulators,
 * where k = kh * kw * in_c. */
#include <string.h>

#include "te_kernel_util.h"
#include "te_quant.h"

int32_t te_conv_2d_s8_get_buffer_size(const te_dims *input_dims, const te_dims *filter_dims)
{
    const int32_t k = filter_dims->h * filter_dims->w * input_dims->c;
    const int32_t patch = (k * (int32_t)sizeof(int16_t) + 15) / 16 * 16;
    const int32_t weights = (k * filter_dims->n * (int32_t)sizeof(int16_t) + 15) / 16 * 16;
    return patch + weights + filter_dims->n * (int32_t)sizeof(int32_t);
}

static int conv_args_ok(const te_conv_params *p, const te_quant_params *q, const te_dims *in,
                        const te_dims *f, const te_dims *out)
{
    return p != NULL && te_dims_ok(in) && te_dims_ok(f) && te_dims_ok(out) && f->c == in->c &&
           out->c == f->n && out->n == in->n && p->stride_h > 0 && p->stride_w > 0 &&
           p->dilation_h > 0 && p->dilation_w > 0 && te_act_ok(p->act_min, p->act_max) &&
           te_quant_ok(q, out->c) && q->count == out->c;
}

static void gather_patch(const te_conv_params *p, const te_dims *in, const int8_t *input,
                         const te_dims *f, int32_t b, int32_t oy, int32_t ox, int16_t *patch)
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
}

static void transpose_filter(const int8_t *filter, int32_t out_c, int32_t k, int16_t *wt)
{
    for (int32_t oc = 0; oc < out_c; ++oc) {
        for (int32_t i = 0; i < k; ++i) {
            wt[i * out_c + oc] = filter[oc * k + i];
        }
    }
}

static void accumulate_pixel(const int16_t *restrict patch, const int16_t *restrict wt,
                             int32_t k, int32_t out_c, int32_t *restrict acc)
{
    for (int32_t oc = 0; oc < out_c; ++oc) {
        acc[oc] = 0;
    }
    for (int32_t i = 0; i < k; ++i) {
        const int32_t x = patch[i];
        const int16_t *restrict w = wt + i * out_c;
        for (int32_t oc = 0; oc < out_c; ++oc) {
            acc[oc] += (int32_t)w[oc] * x;
        }
    }
}

te_status te_conv_2d_s8(const te_context *ctx, const te_conv_params *params,
                        const te_quant_params *quant, const te_dims *input_dims,
                        const int8_t *input, const te_dims *filter_dims, const int8_t *filter,
                        const te_dims *bias_dims, const int32_t *bias,
                        const te_dims *output_dims, int8_t *output)
{
    (void)bias_dims;
    if (!conv_args_ok(params, quant, input_dims, filter_dims, output_dims) || input == NULL ||
        filter == NULL || output == NULL || ctx == NULL || ctx->buf == NULL ||
        ctx->size < te_conv_2d_s8_get_buffer_size(input_dims, filter_dims)) {
        return TE_ERROR_ARG;
    }
    const te_dims *out = output_dims;
    const int32_t k = filter_dims->h * filter_dims->w * filter_dims->c;
    uint8_t *scratch = (uint8_t *)ctx->buf;
    int16_t *patch = (int16_t *)scratch;
    int16_t *wt = (int16_t *)(scratch + (k * (int32_t)sizeof(int16_t) + 15) / 16 * 16);
    int32_t *accs = (int32_t *)((uint8_t *)wt + (k * out->c * (int32_t)sizeof(int16_t) + 15) /
                                                    16 * 16);
    transpose_filter(filter, out->c, k, wt);
    for (int32_t b = 0; b < out->n; ++b) {
        for (int32_t oy = 0; oy < out->h; ++oy) {
            for (int32_t ox = 0; ox < out->w; ++ox) {
                gather_patch(params, input_dims, input, filter_dims, b, oy, ox, patch);
                accumulate_pixel(patch, wt, k, out->c, accs);
                int8_t *op = output + ((b * out->h + oy) * out->w + ox) * out->c;
                for (int32_t oc = 0; oc < out->c; ++oc) {
                    int32_t acc = accs[oc];
                    if (bias != NULL) {
                        acc += bias[oc];
                    }
                    acc = te_multiply_by_quantized_multiplier(acc, quant->multiplier[oc],
                                                              quant->shift[oc]);
                    acc += params->output_offset;
                    op[oc] = (int8_t)te_clamp_i32(acc, params->act_min, params->act_max);
                }
            }
        }
    }
    return TE_OK;
}
