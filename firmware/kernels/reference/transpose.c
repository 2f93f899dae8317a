/* TRANSPOSE, int8 (reference): output coordinate (i0, i1, i2, i3) reads the input at the
 * coordinate whose axis perm[a] is i_a. */
#include "te_kernel_util.h"

te_status te_transpose_s8(const te_context *ctx, const te_transpose_params *params,
                          const te_dims *input_dims, const int8_t *input,
                          const te_dims *output_dims, int8_t *output)
{
    (void)ctx;
    if (params == NULL || !te_dims_ok(input_dims) || !te_dims_ok(output_dims) ||
        input == NULL || output == NULL) {
        return TE_ERROR_ARG;
    }
    const int32_t in_ext[4] = {input_dims->n, input_dims->h, input_dims->w, input_dims->c};
    const int32_t out_ext[4] = {output_dims->n, output_dims->h, output_dims->w, output_dims->c};
    const int32_t in_stride[4] = {in_ext[1] * in_ext[2] * in_ext[3], in_ext[2] * in_ext[3],
                                  in_ext[3], 1};
    int32_t stride[4]; /* input stride of each output axis */
    int32_t seen = 0;
    for (int32_t a = 0; a < 4; ++a) {
        const int32_t from = params->perm[a];
        if (from < 0 || from > 3 || (seen & (1 << from)) || out_ext[a] != in_ext[from]) {
            return TE_ERROR_ARG;
        }
        seen |= 1 << from;
        stride[a] = in_stride[from];
    }
    int8_t *o = output;
    for (int32_t i0 = 0; i0 < out_ext[0]; ++i0)
    for (int32_t i1 = 0; i1 < out_ext[1]; ++i1)
    for (int32_t i2 = 0; i2 < out_ext[2]; ++i2) {
        const int8_t *base = input + i0 * stride[0] + i1 * stride[1] + i2 * stride[2];
        for (int32_t i3 = 0; i3 < out_ext[3]; ++i3) {
            *o++ = base[i3 * stride[3]];
        }
    }
    return TE_OK;
}
