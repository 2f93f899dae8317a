/* RESIZE_NEAREST_NEIGHBOR, int8 (reference): output pixel (y, x) of each batch is a copy of
 * input pixel (rows[y], cols[x]); the compiler tabulated the indices exactly as TFLite
 * Micro computes them. Input and output share scale and zero point. */
#include <string.h>

#include "te_kernel_util.h"

/* 1 when each of the `count` indices lies in [0, size). */
static int te_indices_ok(const int32_t *indices, int32_t count, int32_t size)
{
    for (int32_t i = 0; i < count; ++i) {
        if (indices[i] < 0 || indices[i] >= size) {
            return 0;
        }
    }
    return 1;
}

te_status te_resize_nearest_neighbor_s8(const te_context *ctx, const te_dims *input_dims,
                                        const int8_t *input, const int32_t *rows,
                                        const int32_t *cols, const te_dims *output_dims,
                                        int8_t *output)
{
    (void)ctx;
    if (!te_dims_ok(input_dims) || !te_dims_ok(output_dims) || input == NULL ||
        rows == NULL || cols == NULL || output == NULL || input_dims->n != output_dims->n ||
        input_dims->c != output_dims->c ||
        !te_indices_ok(rows, output_dims->h, input_dims->h) ||
        !te_indices_ok(cols, output_dims->w, input_dims->w)) {
        return TE_ERROR_ARG;
    }
    const int32_t depth = input_dims->c;
    const int32_t row_size = input_dims->w * depth;     /* below te_dims_size(input) */
    const int32_t batch_size = input_dims->h * row_size; /* likewise */
    int8_t *o = output;
    for (int32_t b = 0; b < output_dims->n; ++b) {
        const int8_t *batch = input + b * batch_size; /* b * batch_size < te_dims_size */
        for (int32_t y = 0; y < output_dims->h; ++y) {
            const int8_t *row = batch + rows[y] * row_size;
            for (int32_t x = 0; x < output_dims->w; ++x) {
                memcpy(o, row + cols[x] * depth, (size_t)depth);
                o += depth;
            }
        }
    }
    return TE_OK;
}
