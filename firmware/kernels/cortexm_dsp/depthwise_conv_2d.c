/* DEPTHWISE_CONV_2D, int8 (cortexm_dsp variant: Cortex-M4/M7 with the DSP extension;
 * bit-exact with the reference).
 *
 * 3x3 filters with depth multiplier 1 and no dilation (every depthwise layer of the zoo,
 * any stride and padding) are specialised: one channel at a time, its nine weights held
 * in registers as five int16 pairs, then every output pixel is four SMLADs and one SMLABB
 * over tap pairs packed with PKHBT. The input offset is folded into the accumulator's
 * start value (bias + input_offset * sum of the weights), so taps are raw int8 loads;
 * a tap in the padding then reads the input zero point (-input_offset), whose raw product
 * cancels the folded term exactly as the reference skips the tap. The channel's
 * requantization is computed once (te_dsp.h). Other shapes and multipliers take the
 * reference loop. No scratch. */
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

/* (lo, hi) as one int16 pair. */
static inline uint32_t pack2(int32_t lo, int32_t hi)
{
    return ((uint32_t)lo & 0xFFFFu) | ((uint32_t)hi << 16);
}

static inline int32_t dot9(const uint32_t w[5], int32_t x0, int32_t x1, int32_t x2, int32_t x3,
                           int32_t x4, int32_t x5, int32_t x6, int32_t x7, int32_t x8,
                           int32_t acc)
{
    acc = te_smlad(pack2(x0, x1), w[0], acc);
    acc = te_smlad(pack2(x2, x3), w[1], acc);
    acc = te_smlad(pack2(x4, x5), w[2], acc);
    acc = te_smlad(pack2(x6, x7), w[3], acc);
    return te_smlabb((uint32_t)x8, w[4], acc);
}

/* One channel of a 3x3, multiplier-1, undilated depthwise convolution. */
static void dw3x3_channel(const te_conv_params *p, const te_dims *in, const int8_t *input,
                          const te_dims *out, int8_t *output, const int8_t *filter,
                          int32_t ch, int32_t bias, te_requant rq)
{
    const int32_t c_n = in->c;
    const int32_t row = in->w * c_n;
    int32_t wv[9];
    int32_t wsum = 0;
    for (int32_t t = 0; t < 9; ++t) {
        wv[t] = filter[t * c_n + ch];
        wsum += wv[t];
    }
    const uint32_t w[5] = {pack2(wv[0], wv[1]), pack2(wv[2], wv[3]), pack2(wv[4], wv[5]),
                           pack2(wv[6], wv[7]), pack2(wv[8], 0)};
    const int32_t start = bias + p->input_offset * wsum;
    const int32_t zp = -p->input_offset; /* a padded tap reads the zero point */
    const int32_t lo = p->act_min, hi = p->act_max, offset = p->output_offset;
    const int32_t sh = p->stride_h, sw = p->stride_w;
    /* Output columns whose three taps are all inside the input: [ox0, ox1). */
    int32_t ox0 = 0;
    while (ox0 < out->w && ox0 * sw - p->pad_w < 0) {
        ++ox0;
    }
    int32_t ox1 = out->w;
    while (ox1 > ox0 && (ox1 - 1) * sw - p->pad_w + 2 >= in->w) {
        --ox1;
    }
    for (int32_t b = 0; b < out->n; ++b) {
        const int8_t *image = input + b * in->h * row + ch;
        for (int32_t oy = 0; oy < out->h; ++oy) {
            const int32_t iy = oy * sh - p->pad_h;
            int8_t *dst = output + ((b * out->h + oy) * out->w) * out->c + ch;
            const int rows_inside = iy >= 0 && iy + 2 < in->h;
            for (int32_t ox = 0; ox < out->w; ++ox) {
                const int32_t ix = ox * sw - p->pad_w;
                int32_t acc;
                if (rows_inside && ox >= ox0 && ox < ox1) {
                    const int8_t *s = image + iy * row + ix * c_n;
                    const int8_t *s1 = s + row, *s2 = s1 + row;
                    acc = dot9(w, s[0], s[c_n], s[2 * c_n], s1[0], s1[c_n], s1[2 * c_n], s2[0],
                               s2[c_n], s2[2 * c_n], start);
                } else {
                    int32_t x[9];
                    for (int32_t fy = 0; fy < 3; ++fy) {
                        for (int32_t fx = 0; fx < 3; ++fx) {
                            const int32_t y = iy + fy, xx = ix + fx;
                            x[fy * 3 + fx] = y >= 0 && y < in->h && xx >= 0 && xx < in->w
                                                 ? image[y * row + xx * c_n] : zp;
                        }
                    }
                    acc = dot9(w, x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], x[8], start);
                }
                dst[ox * out->c] = te_dsp_out(te_requant_apply(acc, &rq), offset, lo, hi);
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
    if (params->depth_multiplier != 1 || filter_dims->h != 3 || filter_dims->w != 3 ||
        p->dilation_h != 1 || p->dilation_w != 1) {
        dw_general(p, params->depth_multiplier, quant, input_dims, input, filter_dims, filter,
                   bias, output_dims, output);
        return TE_OK;
    }
    for (int32_t ch = 0; ch < output_dims->c; ++ch) {
        dw3x3_channel(p, input_dims, input, output_dims, output, filter, ch,
                      bias != NULL ? bias[ch] : 0,
                      te_requant_for(quant->multiplier[ch], quant->shift[ch]));
    }
    return TE_OK;
}
