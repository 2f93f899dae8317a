/* STRIDED_SLICE, int8 (reference): the output walks the input from `start` in steps of
 * `stride` on every axis; the compiler resolved masks, negative indices and clamping. */
#include "te_kernel_util.h"

/* The flat index of the first element read and the input step of each output axis; 0 when
 * a stride is 0 or the first or last index on an axis lies outside the input. */
static int te_slice_plan(const te_strided_slice_params *p, const te_dims *in,
                         const te_dims *out, int32_t *first, int32_t step[4])
{
    te_move_shape s;
    if (!te_move_shape_of(p, in, out, &s)) {
        return 0;
    }
    int32_t flat = 0;
    for (int32_t a = 0; a < 4; ++a) {
        const int32_t start = p->start[a];
        const int64_t last = (int64_t)start + (int64_t)(s.out_ext[a] - 1) * p->stride[a];
        if (p->stride[a] == 0 || start < 0 || start >= s.in_ext[a] || last < 0 ||
            last >= s.in_ext[a]) {
            return 0;
        }
        flat += start * s.in_stride[a]; /* an element's index: below te_dims_size(in) */
        /* |stride| < in extent when the axis has two outputs or more: |step| < size */
        step[a] = s.out_ext[a] == 1 ? 0 : p->stride[a] * s.in_stride[a];
    }
    *first = flat;
    return 1;
}

te_status te_strided_slice_s8(const te_context *ctx, const te_strided_slice_params *params,
                              const te_dims *input_dims, const int8_t *input,
                              const te_dims *output_dims, int8_t *output)
{
    (void)ctx;
    int32_t first;
    int32_t step[4];
    if (input == NULL || output == NULL ||
        !te_slice_plan(params, input_dims, output_dims, &first, step)) {
        return TE_ERROR_ARG;
    }
    te_gather_s8(input + first, step, output_dims, output);
    return TE_OK;
}
