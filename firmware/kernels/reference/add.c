/* ADD, int8 element-wise (reference): both inputs are shifted left by left_shift for
 * headroom, rescaled to twice the larger input scale, summed, then rescaled to the output. */
#include "te_elementwise.h"

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
    for (int32_t i = 0; i < size; ++i) {
        output[i] = te_add_element(params, input1[i], input2[i]);
    }
    return TE_OK;
}
