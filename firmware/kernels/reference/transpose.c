/* TRANSPOSE, int8 (reference): output coordinate (i0, i1, i2, i3) reads the input at the
 * coordinate whose axis perm[a] is i_a. */
#include "te_kernel_util.h"

/* The input step of each output axis; 0 when perm is not a permutation of 0..3 or the
 * output's extents are not the input's permuted. */
static int te_transpose_plan(const te_transpose_params *p, const te_dims *in,
                             const te_dims *out, int32_t step[4])
{
    te_move_shape s;
    if (!te_move_shape_of(p, in, out, &s)) {
        return 0;
    }
    int32_t seen = 0;
    for (int32_t a = 0; a < 4; ++a) {
        const int32_t from = p->perm[a];
        if (from < 0 || from > 3 || (seen & (1 << from)) || s.out_ext[a] != s.in_ext[from]) {
            return 0;
        }
        seen |= 1 << from;
        step[a] = s.in_stride[from];
    }
    return 1;
}

te_status te_transpose_s8(const te_context *ctx, const te_transpose_params *params,
                          const te_dims *input_dims, const int8_t *input,
                          const te_dims *output_dims, int8_t *output)
{
    (void)ctx;
    int32_t step[4];
    if (input == NULL || output == NULL ||
        !te_transpose_plan(params, input_dims, output_dims, step)) {
        return TE_ERROR_ARG;
    }
    te_gather_s8(input, step, output_dims, output);
    return TE_OK;
}
