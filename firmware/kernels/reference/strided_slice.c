/* STRIDED_SLICE, int8 (reference): the output walks the input from `start` in steps of
 * `stride` on every axis; the compiler resolved masks, negative indices and clamping. */
#include "te_kernel_util.h"

te_status te_strided_slice_s8(const te_context *ctx, const te_strided_slice_params *params,
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
    const int32_t *start = params->start;
    const int32_t *stride = params->stride;
    for (int32_t a = 0; a < 4; ++a) {
        const int64_t last = (int64_t)start[a] + (int64_t)(out_ext[a] - 1) * stride[a];
        if (stride[a] == 0 || start[a] < 0 || start[a] >= in_ext[a] || last < 0 ||
            last >= in_ext[a]) {
            return TE_ERROR_ARG;
        }
    }
    const te_dims *in = input_dims;
    int8_t *o = output;
    for (int32_t n = 0; n < out_ext[0]; ++n) {
        const int32_t y0 = start[0] + n * stride[0];
        for (int32_t h = 0; h < out_ext[1]; ++h) {
            const int32_t y1 = start[1] + h * stride[1];
            for (int32_t w = 0; w < out_ext[2]; ++w) {
                const int32_t y2 = start[2] + w * stride[2];
                const int8_t *row = input + ((y0 * in->h + y1) * in->w + y2) * in->c;
                for (int32_t c = 0; c < out_ext[3]; ++c) {
                    *o++ = row[start[3] + c * stride[3]];
                }
            }
        }
    }
    return TE_OK;
}
