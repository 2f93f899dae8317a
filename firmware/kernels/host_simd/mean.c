/* MEAN, int8 (host_simd variant). The spatial mean of NHWC (axes H and W, the global
 * average pool of classifiers) sums 16 channels per vector on AVX-512 hosts and
 * requantizes them together; any other axes, and other hosts, take te_mean_generic. */
#include "te_host_simd.h"
#include "te_mean_util.h"

te_status te_mean_s8(const te_context *ctx, const te_mean_params *params,
                     const te_dims *input_dims, const int8_t *input,
                     const te_dims *output_dims, int8_t *output)
{
    (void)ctx;
#ifdef TE_HOST_VNNI
    const te_dims *in = input_dims;
    const te_dims *out = output_dims;
    if (params != NULL && params->axis_mask == 6u && te_dims_ok(in) && te_dims_ok(out) &&
        input != NULL && output != NULL && out->n == in->n && out->h == 1 && out->w == 1 &&
        out->c == in->c) {
        const size_t pixels = (size_t)in->h * (size_t)in->w;
        const uint32_t count = (uint32_t)pixels;
        const te_host_clamp clamp = te_host_clamp_for(params->output_zero_point, -128, 127);
        const __m512i centre = _mm512_set1_epi32(
            (int32_t)((uint32_t)params->input_zero_point * count));
        for (int32_t n = 0; n < in->n; ++n)
        for (int32_t c0 = 0; c0 < in->c; c0 += 16) {
            const __mmask16 live = (__mmask16)((1u << te_min_i32(16, in->c - c0)) - 1u);
            const int8_t *src = input + (size_t)n * pixels * (size_t)in->c + (size_t)c0;
            __m512i sum = _mm512_setzero_si512();
            for (size_t i = 0; i < pixels; ++i) {
                sum = _mm512_add_epi32(sum, _mm512_cvtepi8_epi32(
                    _mm_maskz_loadu_epi8(live, src + i * (size_t)in->c)));
            }
            const __m512i v = te_host_requantize(_mm512_sub_epi32(sum, centre),
                                                 params->multiplier, params->shift);
            _mm_mask_storeu_epi8(output + (size_t)n * (size_t)in->c + (size_t)c0, live,
                                 te_host_clamp_s8(v, &clamp));
        }
        return TE_OK;
    }
#endif
    return te_mean_generic(params, input_dims, input, output_dims, output);
}
