/* CONCATENATION, int8 (reference): inputs and output share scale and zero point, so each
 * of the `outer` blocks of the output is the inputs' blocks copied one after another. */
#include <string.h>

#include "te_kernel_util.h"

te_status te_concatenation_s8(const te_context *ctx, int32_t count,
                              const int8_t *const *inputs, const int32_t *copy_sizes,
                              const te_dims *output_dims, int8_t *output)
{
    (void)ctx;
    if (count <= 0 || inputs == NULL || copy_sizes == NULL || !te_dims_ok(output_dims) ||
        output == NULL) {
        return TE_ERROR_ARG;
    }
    int64_t block = 0;
    for (int32_t i = 0; i < count; ++i) {
        if (inputs[i] == NULL || copy_sizes[i] <= 0) {
            return TE_ERROR_ARG;
        }
        block += copy_sizes[i];
    }
    const int32_t size = te_dims_size(output_dims);
    if (block > size || size % block != 0) {
        return TE_ERROR_ARG;
    }
    const int32_t outer = size / (int32_t)block;
    int8_t *o = output;
    for (int32_t b = 0; b < outer; ++b) {
        for (int32_t i = 0; i < count; ++i) {
            memcpy(o, inputs[i] + b * copy_sizes[i], (size_t)copy_sizes[i]);
            o += copy_sizes[i];
        }
    }
    return TE_OK;
}
