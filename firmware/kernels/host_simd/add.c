/* ADD, int8 element-wise (host_simd variant): TFLM's int8 scheme (te_add_element in
 * te_elementwise.h), 16 elements per vector on AVX-512 hosts with the same three
 * requantizations (te_host_requantize); the portable loop elsewhere and for the tail. */
#include "te_elementwise.h"
#include "te_host_simd.h"

int32_t te_add_s8_get_buffer_size(int32_t size)
{
    (void)size;
    return 0;
}

te_status te_add_s8(const te_context *ctx, const te_add_params *params, int32_t size,
                    const int8_t *input1, const int8_t *input2, int8_t *output)
{
    (void)ctx;
    if (!te_add_params_ok(params) || size <= 0 || input1 == NULL || input2 == NULL ||
        output == NULL) {
        return TE_ERROR_ARG;
    }
    int32_t i = 0;
#ifdef TE_HOST_VNNI
    const te_add_params *p = params;
    const __m512i off1 = _mm512_set1_epi32(p->input1_offset);
    const __m512i off2 = _mm512_set1_epi32(p->input2_offset);
    const __m128i left = _mm_cvtsi32_si128(p->left_shift);
    const te_host_clamp clamp = te_host_clamp_for(p->output_offset, p->act_min, p->act_max);
    for (; i + 16 <= size; i += 16) {
        const __m512i a = _mm512_sll_epi32(_mm512_add_epi32(
            _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(input1 + i))), off1), left);
        const __m512i b = _mm512_sll_epi32(_mm512_add_epi32(
            _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(input2 + i))), off2), left);
        const __m512i sum = _mm512_add_epi32(
            te_host_requantize(a, p->input1_multiplier, p->input1_shift),
            te_host_requantize(b, p->input2_multiplier, p->input2_shift));
        const __m512i v = te_host_requantize(sum, p->output_multiplier, p->output_shift);
        _mm_storeu_si128((__m128i *)(output + i),
                         te_host_clamp_s8(v, &clamp));
    }
#endif
    for (; i < size; ++i) {
        output[i] = te_add_element(params, input1[i], input2[i]);
    }
    return TE_OK;
}
