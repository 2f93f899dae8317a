/* MAX_POOL_2D, int8 (host_simd variant): on AVX-512 hosts, 64 channels of an output pixel
 * per vector (masked for fewer), the window's rows and columns clipped to the input as in
 * the reference (te_pool_window); the portable loop elsewhere. */
#include "te_host_simd.h"
#include "te_pool_util.h"

te_status te_max_pool_2d_s8(const te_context *ctx, const te_pool_params *params,
                            const te_dims *input_dims, const int8_t *input,
                            const te_dims *output_dims, int8_t *output)
{
    (void)ctx;
    if (!te_pool_args_ok(params, input_dims, output_dims) || input == NULL || output == NULL) {
        return TE_ERROR_ARG;
    }
    const te_dims *in = input_dims;
    const te_dims *out = output_dims;
    const size_t channels = (size_t)out->c;
    for (int32_t b = 0; b < out->n; ++b)
    for (int32_t oy = 0; oy < out->h; ++oy)
    for (int32_t ox = 0; ox < out->w; ++ox) {
        int32_t y0, y1, x0, x1;
        te_pool_window(params, in, oy, ox, &y0, &y1, &x0, &x1);
        int8_t *op = output + (((size_t)b * (size_t)out->h + (size_t)oy) * (size_t)out->w +
                               (size_t)ox) * channels;
        const int8_t *image = input + (size_t)b * (size_t)in->h * (size_t)in->w * channels;
#ifdef TE_HOST_VNNI
        const __m512i lo = _mm512_set1_epi8((char)params->act_min);
        const __m512i hi = _mm512_set1_epi8((char)params->act_max);
        for (size_t c0 = 0; c0 < channels; c0 += 64) {
            const size_t lanes = channels - c0 < 64 ? channels - c0 : 64;
            const __mmask64 live = lanes == 64 ? ~(__mmask64)0
                                               : (((__mmask64)1 << lanes) - 1u);
            __m512i best = _mm512_set1_epi8(-128);
            for (int32_t y = y0; y < y1; ++y) {
                for (int32_t x = x0; x < x1; ++x) {
                    const int8_t *src = image + ((size_t)y * (size_t)in->w + (size_t)x) *
                                                    channels + c0;
                    best = _mm512_max_epi8(best, _mm512_maskz_loadu_epi8(live, src));
                }
            }
            best = _mm512_min_epi8(_mm512_max_epi8(best, lo), hi);
            _mm512_mask_storeu_epi8(op + c0, live, best);
        }
#else
        for (size_t c = 0; c < channels; ++c) {
            int32_t best = -128;
            for (int32_t y = y0; y < y1; ++y) {
                for (int32_t x = x0; x < x1; ++x) {
                    best = te_max_i32(best, image[((size_t)y * (size_t)in->w + (size_t)x) *
                                                  channels + c]);
                }
            }
            op[c] = (int8_t)te_clamp_i32(best, params->act_min, params->act_max);
        }
#endif
    }
    return TE_OK;
}
