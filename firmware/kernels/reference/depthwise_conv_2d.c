/* DEPTHWISE_CONV_2D, int8 with per-channel requantization (reference). */
#include "te_kernel_util.h"
#include "te_quant.h"

int32_t te_depthwise_conv_2d_s8_get_buffer_size(const te_dims *input_dims,
                                                const te_dims *filter_dims)
{
    (void)input_dims;
    (void)filter_dims;
    return 0;
}

static int32_t dw_accumulate(const te_conv_params *p, const te_dims *in, const int8_t *input,
                             const te_dims *f, const int8_t *filter, int32_t b, int32_t oy,
                             int32_t ox, int32_t ic, int32_t oc)
{
    const int32_t iy0 = oy * p->stride_h - p->pad_h;
    const int32_t ix0 = ox * p->stride_w - p->pad_w;
    int32_t fy0, fy1, fx0, fx1;
    te_tap_range(iy0, f->h, p->dilation_h, in->h, &fy0, &fy1);
    te_tap_range(ix0, f->w, p->dilation_w, in->w, &fx0, &fx1);
    int32_t acc = 0;
    for (int32_t fy = fy0; fy < fy1; ++fy) {
        const int32_t iy = iy0 + fy * p->dilation_h;
        for (int32_t fx = fx0; fx < fx1; ++fx) {
            const int32_t ix = ix0 + fx * p->dilation_w;
            const int32_t x = input[((b * in->h + iy) * in->w + ix) * in->c + ic];
            const int32_t w = filter[(fy * f->w + fx) * f->c + oc];
            acc += w * (x + p->input_offset);
        }
    }
    return acc;
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
    const te_dims *out = output_dims;
    const int32_t mult = params->depth_multiplier;
    for (int32_t b = 0; b < out->n; ++b) {
        for (int32_t oy = 0; oy < out->h; ++oy) {
            for (int32_t ox = 0; ox < out->w; ++ox) {
                int8_t *op = output + ((b * out->h + oy) * out->w + ox) * out->c;
                for (int32_t oc = 0; oc < out->c; ++oc) {
                    const int32_t acc = dw_accumulate(p, input_dims, input, filter_dims,
                                                      filter, b, oy, ox, oc / mult, oc);
                    op[oc] = te_requantize_s8(acc, bias, oc, quant->multiplier[oc],
                                              quant->shift[oc], p->output_offset, p->act_min,
                                              p->act_max);
                }
            }
        }
    }
    return TE_OK;
}
