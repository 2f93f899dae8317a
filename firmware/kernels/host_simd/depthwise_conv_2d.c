/* DEPTHWISE_CONV_2D, int8 (host_simd variant: hosts with wide SIMD; bit-exact with the
 * reference). Accumulates a whole output pixel at once, channels innermost, so the loads
 * from the NHWC input and the 1HWC filter are contiguous. Scratch: out_c int32 values. */
#include <string.h>

#include "te_kernel_util.h"
#include "te_quant.h"

int32_t te_depthwise_conv_2d_s8_get_buffer_size(const te_dims *input_dims,
                                                const te_dims *filter_dims)
{
    (void)input_dims;
    return filter_dims->c * (int32_t)sizeof(int32_t);
}

static void accumulate_tap(int32_t *restrict acc, const int8_t *restrict x,
                           const int8_t *restrict w, int32_t channels, int32_t mult,
                           int32_t offset)
{
    if (mult == 1) {
        for (int32_t c = 0; c < channels; ++c) {
            acc[c] += (int32_t)w[c] * ((int32_t)x[c] + offset);
        }
        return;
    }
    for (int32_t c = 0; c < channels; ++c) {
        acc[c] += (int32_t)w[c] * ((int32_t)x[c / mult] + offset);
    }
}

te_status te_depthwise_conv_2d_s8(const te_context *ctx, const te_dw_conv_params *params,
                                  const te_quant_params *quant, const te_dims *input_dims,
                                  const int8_t *input, const te_dims *filter_dims,
                                  const int8_t *filter, const te_dims *bias_dims,
                                  const int32_t *bias, const te_dims *output_dims,
                                  int8_t *output)
{
    (void)bias_dims;
    if (!te_dw_args_ok(params, quant, input_dims, filter_dims, output_dims) || input == NULL ||
        filter == NULL || output == NULL || ctx == NULL || ctx->buf == NULL ||
        ctx->size < te_depthwise_conv_2d_s8_get_buffer_size(input_dims, filter_dims)) {
        return TE_ERROR_ARG;
    }
    const te_conv_params *p = &params->conv;
    const te_dims *in = input_dims;
    const te_dims *f = filter_dims;
    const te_dims *out = output_dims;
    int32_t *acc = (int32_t *)ctx->buf;
    for (int32_t b = 0; b < out->n; ++b)
    for (int32_t oy = 0; oy < out->h; ++oy)
    for (int32_t ox = 0; ox < out->w; ++ox) {
        const int32_t iy0 = oy * p->stride_h - p->pad_h;
        const int32_t ix0 = ox * p->stride_w - p->pad_w;
        int32_t fy0, fy1, fx0, fx1;
        te_tap_range(iy0, f->h, p->dilation_h, in->h, &fy0, &fy1);
        te_tap_range(ix0, f->w, p->dilation_w, in->w, &fx0, &fx1);
        memset(acc, 0, (size_t)out->c * sizeof(int32_t));
        for (int32_t fy = fy0; fy < fy1; ++fy) {
            const int32_t iy = iy0 + fy * p->dilation_h;
            for (int32_t fx = fx0; fx < fx1; ++fx) {
                const int32_t ix = ix0 + fx * p->dilation_w;
                accumulate_tap(acc, input + ((b * in->h + iy) * in->w + ix) * in->c,
                               filter + (fy * f->w + fx) * f->c, out->c,
                               params->depth_multiplier, p->input_offset);
            }
        }
        int8_t *op = output + ((b * out->h + oy) * out->w + ox) * out->c;
        for (int32_t oc = 0; oc < out->c; ++oc) {
            op[oc] = te_requantize_s8(acc[oc], bias, oc, quant->multiplier[oc],
                                      quant->shift[oc], p->output_offset, p->act_min,
                                      p->act_max);
        }
    }
    return TE_OK;
}
