/* LEAKY_RELU, int8 (reference): the offset-corrected input is rescaled by the identity
 * multiplier when it is >= 0 and by alpha's multiplier when it is negative. */
#include "te_kernel_util.h"
#include "te_quant.h"

te_status te_leaky_relu_s8(const te_context *ctx, const te_leaky_relu_params *params,
                           int32_t size, const int8_t *input, int8_t *output)
{
    (void)ctx;
    if (params == NULL || size <= 0 || input == NULL || output == NULL ||
        params->input_offset < -255 || params->input_offset > 255) {
        return TE_ERROR_ARG;
    }
    const te_leaky_relu_params *p = params;
    for (int32_t i = 0; i < size; ++i) {
        const int32_t x = (int32_t)input[i] + p->input_offset;
        const int32_t scaled = x >= 0
            ? te_multiply_by_quantized_multiplier(x, p->identity_multiplier, p->identity_shift)
            : te_multiply_by_quantized_multiplier(x, p->alpha_multiplier, p->alpha_shift);
        const int64_t v = (int64_t)p->output_offset + scaled;
        output[i] = (int8_t)(v < -128 ? -128 : (v > 127 ? 127 : v));
    }
    return TE_OK;
}
