/* DEPTHWISE_CONV_2D, int8 (host_simd variant: hosts with wide SIMD; bit-exact with the
 * reference). Accumulates a whole output pixel at once, channels innermost, so the loads
 * from the NHWC input and the 1HWC filter are contiguous. On AVX-512 hosts (depth
 * multiplier 1) 16 channels per vector: widen the taps' inputs and weights to 32 bits,
 * multiply-accumulate, then the output stage with each lane's own multiplier and shift.
 * Everything else runs the portable loop. Scratch: out_c int32 values. */
#include <string.h>

#include "te_host_simd.h"
#include "te_kernel_util.h"

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

static void pixel_portable(const te_dw_conv_params *params, const te_quant_params *quant,
                           const te_dims *in, const int8_t *input, const te_dims *f,
                           const int8_t *filter, const int32_t *bias, const te_dims *out,
                           int32_t b, int32_t iy0, int32_t ix0, int32_t fy0, int32_t fy1,
                           int32_t fx0, int32_t fx1, int32_t *acc, int8_t *op)
{
    const te_conv_params *p = &params->conv;
    memset(acc, 0, (size_t)out->c * sizeof(int32_t));
    for (int32_t fy = fy0; fy < fy1; ++fy) {
        const int32_t iy = iy0 + fy * p->dilation_h;
        for (int32_t fx = fx0; fx < fx1; ++fx) {
            const int32_t ix = ix0 + fx * p->dilation_w;
            accumulate_tap(acc, input + ((b * in->h + iy) * in->w + ix) * in->c,
                           filter + (fy * f->w + fx) * f->c, out->c, params->depth_multiplier,
                           p->input_offset);
        }
    }
    for (int32_t oc = 0; oc < out->c; ++oc) {
        op[oc] = te_requantize_s8(acc[oc], bias, oc, quant->multiplier[oc], quant->shift[oc],
                                  p->output_offset, p->act_min, p->act_max);
    }
}

#ifdef TE_HOST_VNNI
static void pixel_vector(const te_conv_params *p, const te_quant_params *quant,
                         const te_dims *in, const int8_t *input, const te_dims *f,
                         const int8_t *filter, const int32_t *bias, int32_t channels,
                         int32_t b, int32_t iy0, int32_t ix0, int32_t fy0, int32_t fy1,
                         int32_t fx0, int32_t fx1, int8_t *op)
{
    const __m512i offset = _mm512_set1_epi32(p->input_offset);
    for (int32_t c0 = 0; c0 < channels; c0 += 16) {
        const int32_t lanes = te_min_i32(16, channels - c0);
        const __mmask16 live = (__mmask16)((1u << lanes) - 1u);
        __m512i acc = bias != NULL ? _mm512_maskz_loadu_epi32(live, bias + c0)
                                   : _mm512_setzero_si512();
        for (int32_t fy = fy0; fy < fy1; ++fy) {
            const int32_t iy = iy0 + fy * p->dilation_h;
            const int8_t *row = input + ((size_t)(b * in->h + iy) * (size_t)in->w) *
                                            (size_t)in->c + (size_t)c0;
            const int8_t *wrow = filter + (size_t)fy * (size_t)f->w * (size_t)f->c + (size_t)c0;
            for (int32_t fx = fx0; fx < fx1; ++fx) {
                const int32_t ix = ix0 + fx * p->dilation_w;
                const __m512i x = _mm512_cvtepi8_epi32(
                    _mm_maskz_loadu_epi8(live, row + (size_t)ix * (size_t)in->c));
                const __m512i w = _mm512_cvtepi8_epi32(
                    _mm_maskz_loadu_epi8(live, wrow + (size_t)fx * (size_t)f->c));
                acc = _mm512_add_epi32(acc, _mm512_mullo_epi32(w, _mm512_add_epi32(x, offset)));
            }
        }
        const __m512i v = te_host_requantize_v(acc,
                                               _mm512_maskz_loadu_epi32(live, quant->multiplier + c0),
                                               _mm512_maskz_loadu_epi32(live, quant->shift + c0));
        _mm_mask_storeu_epi8(op + c0, live,
                             te_host_clamp_s8(v, p->output_offset, p->act_min, p->act_max));
    }
}
#endif

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
        int8_t *op = output + ((b * out->h + oy) * out->w + ox) * out->c;
#ifdef TE_HOST_VNNI
        if (params->depth_multiplier == 1) {
            pixel_vector(p, quant, in, input, f, filter, bias, out->c, b, iy0, ix0, fy0, fy1,
                         fx0, fx1, op);
            continue;
        }
#endif
        pixel_portable(params, quant, in, input, f, filter, bias, out, b, iy0, ix0, fy0, fy1,
                       fx0, fx1, acc, op);
    }
    return TE_OK;
}
