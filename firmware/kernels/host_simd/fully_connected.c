/* FULLY_CONNECTED, int8 (host_simd variant). On AVX-512 VNNI hosts each unit is a dot
 * product over 64 inputs per vpdpbusd, with the unsigned operand x + 128:
 *     sum_d (w_d + fo)(x_d + io) = sum_d w_d (x_d + 128) + (io - 128) sum_d w_d
 *                                  + fo * sum_d (x_d + io)
 * (fo, io: filter and input offsets), all in wrapping int32 like the reference's sum, so
 * the result is identical whenever the reference's fits (which the validator proves).
 * sum_d w_d comes from a second vpdpbusd against a vector of ones. The portable loop runs
 * elsewhere. */
#include "te_host_simd.h"
#include "te_kernel_util.h"

int32_t te_fully_connected_s8_get_buffer_size(const te_dims *filter_dims)
{
    (void)filter_dims;
    return 0;
}

#ifdef TE_HOST_VNNI
static int32_t dot_unit(const uint8_t *x, const int8_t *w, int32_t depth, int32_t io)
{
    const __m512i ones = _mm512_set1_epi8(1);
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    __m512i acc = _mm512_setzero_si512();
    __m512i wsum = _mm512_setzero_si512();
    for (int32_t d = 0; d < depth; d += 64) {
        const int32_t n = te_min_i32(64, depth - d);
        const __mmask64 live = n == 64 ? ~(__mmask64)0 : (((__mmask64)1 << n) - 1u);
        const __m512i wv = _mm512_maskz_loadu_epi8(live, w + d);
        /* masked-off lanes: x + 128 = 0 and w = 0, so they add nothing */
        const __m512i xv = _mm512_maskz_mov_epi8(live, _mm512_xor_si512(
            _mm512_maskz_loadu_epi8(live, x + d), flip));
        acc = _mm512_dpbusd_epi32(acc, xv, wv);
        wsum = _mm512_dpbusd_epi32(wsum, ones, wv);
    }
    const uint32_t dot = (uint32_t)_mm512_reduce_add_epi32(acc);
    const uint32_t sum_w = (uint32_t)_mm512_reduce_add_epi32(wsum);
    return (int32_t)(dot + (uint32_t)(io - 128) * sum_w);
}
#endif

te_status te_fully_connected_s8(const te_context *ctx, const te_fc_params *params,
                                const te_quant_params *quant, const te_dims *input_dims,
                                const int8_t *input, const te_dims *filter_dims,
                                const int8_t *filter, const te_dims *bias_dims,
                                const int32_t *bias, const te_dims *output_dims,
                                int8_t *output)
{
    (void)ctx;
    (void)bias_dims;
    const int32_t batches = te_fc_batches(params, quant, input_dims, input, filter_dims, filter,
                                          output_dims, output);
    if (batches < 1) {
        return TE_ERROR_ARG;
    }
    const int32_t depth = filter_dims->c;
    const int32_t units = filter_dims->w;
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *x = input + (size_t)b * (size_t)depth;
        uint32_t sum_x = 0; /* sum_d (x_d + io), for a nonzero filter offset */
        for (int32_t d = 0; d < depth; ++d) {
            sum_x += (uint32_t)((int32_t)x[d] + params->input_offset);
        }
        for (int32_t u = 0; u < units; ++u) {
            const int8_t *w = filter + (size_t)u * (size_t)depth;
            int32_t acc;
#ifdef TE_HOST_VNNI
            acc = (int32_t)((uint32_t)dot_unit((const uint8_t *)x, w, depth,
                                               params->input_offset) +
                            (uint32_t)params->filter_offset * sum_x);
#else
            uint32_t sum = 0;
            for (int32_t d = 0; d < depth; ++d) {
                sum += (uint32_t)(((int32_t)w[d] + params->filter_offset) *
                                  ((int32_t)x[d] + params->input_offset));
            }
            acc = (int32_t)sum;
            (void)sum_x;
#endif
            const int32_t q = quant->count == 1 ? 0 : u; /* per-tensor or per-channel */
            output[(size_t)b * (size_t)units + (size_t)u] = te_requantize_s8(
                acc, bias, u, quant->multiplier[q], quant->shift[q], params->output_offset,
                params->act_min, params->act_max);
        }
    }
    return TE_OK;
}
