/* DEPTHWISE_CONV_2D, int8 (host_simd variant: hosts with wide SIMD; bit-exact with the
 * reference). Accumulates a whole output pixel at once, channels innermost, so the loads
 * from the NHWC input and the 1HWC filter are contiguous. On AVX-512 hosts (depth
 * multiplier 1) 16 channels per vector: the weights are widened to 32 bits once per call,
 * with a full-window bias (bias + input_offset * sum of the channel's taps, wrapping like
 * the int32 sums) so a window inside the input adds raw inputs; edge windows add the
 * offset tap by tap. Then the output stage with each lane's own multiplier and shift.
 * Everything else runs the portable loop.
 * Scratch: C16 = out_c rounded up to 16; (kh * kw + 1) * C16 int32 (widened weights, then
 * full-window biases) and out_c int32 (the portable loop's accumulators). */
#include <string.h>

#include "te_host_simd.h"
#include "te_kernel_util.h"

static int32_t channels16(int32_t c)
{
    return (c + TE_HOST_DW_BLOCK - 1) / TE_HOST_DW_BLOCK * TE_HOST_DW_BLOCK;
}

int32_t te_depthwise_conv_2d_s8_get_buffer_size(const te_dims *input_dims,
                                                const te_dims *filter_dims)
{
    (void)input_dims;
    const int32_t c16 = channels16(filter_dims->c);
    return ((filter_dims->h * filter_dims->w + 1) * c16 + filter_dims->c) *
           (int32_t)sizeof(int32_t);
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
/* Weights widened to int32, [tap][C16], and the full-window biases after them. */
static void widen_weights(const te_dims *f, const int8_t *filter, const int32_t *bias,
                          int32_t input_offset, int32_t *wide)
{
    const int32_t taps = f->h * f->w;
    const int32_t c16 = channels16(f->c);
    int32_t *full = wide + (size_t)taps * (size_t)c16;
    const int replicate = 16 % f->c == 0; /* lanes past C repeat channels (packed pixels) */
    for (int32_t c = 0; c < c16; ++c) {
        const int32_t src = replicate ? c % f->c : c;
        const int real = src < f->c;
        uint32_t sum = real && bias != NULL ? (uint32_t)bias[src] : 0u;
        for (int32_t t = 0; t < taps; ++t) {
            const int32_t w = real ? filter[(size_t)t * (size_t)f->c + (size_t)src] : 0;
            wide[(size_t)t * (size_t)c16 + (size_t)c] = w;
            sum += (uint32_t)w * (uint32_t)input_offset;
        }
        full[c] = (int32_t)sum;
    }
}

static void pixel_vector(const te_conv_params *p, const te_host_clamp *clamp,
                         const te_quant_params *quant,
                         const te_dims *in, const int8_t *input, const te_dims *f,
                         const int32_t *wide, const int32_t *bias, int32_t channels,
                         int32_t b, int32_t iy0, int32_t ix0, int32_t fy0, int32_t fy1,
                         int32_t fx0, int32_t fx1, int8_t *op)
{
    const int full = fy0 == 0 && fy1 == f->h && fx0 == 0 && fx1 == f->w;
    const int32_t c16 = channels16(channels);
    const int32_t *full_bias = wide + (size_t)f->h * (size_t)f->w * (size_t)c16;
    const __m512i offset = full ? _mm512_setzero_si512() : _mm512_set1_epi32(p->input_offset);
    for (int32_t c0 = 0; c0 < channels; c0 += 16) {
        const int32_t lanes = te_min_i32(16, channels - c0);
        const __mmask16 live = (__mmask16)((1u << lanes) - 1u);
        __m512i acc = full ? _mm512_loadu_si512(full_bias + c0)
                           : (bias != NULL ? _mm512_maskz_loadu_epi32(live, bias + c0)
                                           : _mm512_setzero_si512());
        for (int32_t fy = fy0; fy < fy1; ++fy) {
            const int32_t iy = iy0 + fy * p->dilation_h;
            const int8_t *row = input + ((size_t)(b * in->h + iy) * (size_t)in->w) *
                                            (size_t)in->c + (size_t)c0;
            const int32_t *wrow = wide + (size_t)fy * (size_t)f->w * (size_t)c16 + (size_t)c0;
            for (int32_t fx = fx0; fx < fx1; ++fx) {
                const int32_t ix = ix0 + fx * p->dilation_w;
                const __m512i x = _mm512_cvtepi8_epi32(
                    _mm_maskz_loadu_epi8(live, row + (size_t)ix * (size_t)in->c));
                const __m512i w = _mm512_loadu_si512(wrow + (size_t)fx * (size_t)c16);
                acc = _mm512_add_epi32(acc, _mm512_mullo_epi32(w, _mm512_add_epi32(x, offset)));
            }
        }
        const __m512i v = te_host_requantize_v(acc,
                                               _mm512_maskz_loadu_epi32(live, quant->multiplier + c0),
                                               _mm512_mask_loadu_epi32(_mm512_set1_epi32(-1), live,
                                                                       quant->shift + c0));
        _mm_mask_storeu_epi8(op + c0, live,
                             te_host_clamp_s8(v, clamp));
    }
}
/* 16 / C consecutive output pixels of one row in one vector, for C dividing 16 (C = 1, 2,
 * 4, 8) with stride and dilation 1 along the row and every window inside the input: their
 * inputs for a tap are 16 consecutive bytes and the weights, biases and requantization
 * repeat with period C across the lanes. */
static void pixels_packed(const te_host_clamp *clamp, const te_dims *in, const int8_t *input,
                          const te_dims *f, const int32_t *wide, __m512i multiplier,
                          __m512i shift, int32_t b, int32_t iy0, int32_t ix0, int8_t *op)
{
    const int32_t *full_bias = wide + (size_t)f->h * (size_t)f->w * 16;
    __m512i acc = _mm512_loadu_si512(full_bias);
    for (int32_t fy = 0; fy < f->h; ++fy) {
        const int8_t *row = input + ((size_t)(b * in->h + iy0 + fy) * (size_t)in->w +
                                     (size_t)ix0) * (size_t)in->c;
        for (int32_t fx = 0; fx < f->w; ++fx) {
            const __m512i x = _mm512_cvtepi8_epi32(
                _mm_loadu_si128((const __m128i *)(row + (size_t)fx * (size_t)in->c)));
            const __m512i w = _mm512_loadu_si512(wide + ((size_t)fy * (size_t)f->w +
                                                         (size_t)fx) * 16);
            acc = _mm512_add_epi32(acc, _mm512_mullo_epi32(w, x));
        }
    }
    _mm_storeu_si128((__m128i *)op,
                     te_host_clamp_s8(te_host_requantize_v(acc, multiplier, shift), clamp));
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
    const int32_t c16 = channels16(f->c);
    int32_t *wide = (int32_t *)ctx->buf;
    int32_t *acc = wide + (size_t)(f->h * f->w + 1) * (size_t)c16;
#ifdef TE_HOST_VNNI
    const int vector = params->depth_multiplier == 1;
    const te_host_clamp clamp = te_host_clamp_for(p->output_offset, p->act_min, p->act_max);
    /* 16 / C pixels per vector: C divides 16, unit stride and dilation along rows */
    const int32_t per_vector = vector && f->c < 16 && 16 % f->c == 0 && p->stride_w == 1 &&
                               p->dilation_w == 1 && p->dilation_h == 1 ? 16 / f->c : 0;
    __m512i lane_multiplier = _mm512_setzero_si512();
    __m512i lane_shift = _mm512_setzero_si512();
    if (vector) {
        widen_weights(f, filter, bias, p->input_offset, wide);
    }
    if (per_vector) {
        int32_t m16[16], s16[16];
        for (int32_t lane = 0; lane < 16; ++lane) {
            m16[lane] = quant->multiplier[lane % f->c];
            s16[lane] = quant->shift[lane % f->c];
        }
        lane_multiplier = _mm512_loadu_si512(m16);
        lane_shift = _mm512_loadu_si512(s16);
    }
#endif
    for (int32_t b = 0; b < out->n; ++b)
    for (int32_t oy = 0; oy < out->h; ++oy) {
        const int32_t iy0 = oy * p->stride_h - p->pad_h;
        int32_t fy0, fy1;
        te_tap_range(iy0, f->h, p->dilation_h, in->h, &fy0, &fy1);
        for (int32_t ox = 0; ox < out->w; ++ox) {
        const int32_t ix0 = ox * p->stride_w - p->pad_w;
#ifdef TE_HOST_VNNI
        if (per_vector && fy0 == 0 && fy1 == f->h && ox + per_vector <= out->w && ix0 >= 0 &&
            (int64_t)ix0 + per_vector - 1 + f->w - 1 < in->w) {
            pixels_packed(&clamp, in, input, f, wide, lane_multiplier, lane_shift, b, iy0, ix0,
                          output + ((size_t)(b * out->h + oy) * (size_t)out->w + (size_t)ox) *
                                       (size_t)out->c);
            ox += per_vector - 1;
            continue;
        }
#endif
        int32_t fx0, fx1;
        te_tap_range(ix0, f->w, p->dilation_w, in->w, &fx0, &fx1);
        int8_t *op = output + ((b * out->h + oy) * out->w + ox) * out->c;
#ifdef TE_HOST_VNNI
        if (vector) {
            pixel_vector(p, &clamp, quant, in, input, f, wide, bias, out->c, b, iy0, ix0, fy0, fy1,
                         fx0, fx1, op);
            continue;
        }
#endif
        pixel_portable(params, quant, in, input, f, filter, bias, out, b, iy0, ix0, fy0, fy1,
                       fx0, fx1, acc, op);
        }
    }
    return TE_OK;
}
