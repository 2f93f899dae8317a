/* ADD with broadcasting, int8 (reference): te_add_s8's arithmetic per element, each input
 * read at the output coordinate with its broadcast axes held at 0. */
#include "te_elementwise.h"

te_status te_add_broadcast_s8(const te_context *ctx, const te_add_params *params,
                              const te_dims *input1_dims, const int8_t *input1,
                              const te_dims *input2_dims, const int8_t *input2,
                              const te_dims *output_dims, int8_t *output)
{
    (void)ctx;
    int32_t s1[4];
    int32_t s2[4];
    if (!te_add_params_ok(params) || input1 == NULL || input2 == NULL || output == NULL ||
        !te_broadcast_strides(input1_dims, output_dims, s1) ||
        !te_broadcast_strides(input2_dims, output_dims, s2)) {
        return TE_ERROR_ARG;
    }
    const te_dims *out = output_dims;
    int8_t *o = output;
    for (int32_t n = 0; n < out->n; ++n)
    for (int32_t h = 0; h < out->h; ++h)
    for (int32_t w = 0; w < out->w; ++w) {
        const int8_t *a = input1 + n * s1[0] + h * s1[1] + w * s1[2];
        const int8_t *b = input2 + n * s2[0] + h * s2[1] + w * s2[2];
        for (int32_t c = 0; c < out->c; ++c) {
            *o++ = te_add_element(params, a[c * s1[3]], b[c * s2[3]]);
        }
    }
    return TE_OK;
}
