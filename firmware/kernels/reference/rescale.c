/* Rescale, int8 (reference): RELU as TFLite Micro computes it (rescale to the output, then
 * clamp at its zero), RELU6 (a clamp on the input's own scale: multiplier 1, offsets 0)
 * and int8 -> int8 QUANTIZE (rescale with the full int8 range). */
#include "te_kernel_util.h"
#include "te_quant.h"

te_status te_rescale_s8(const te_context *ctx, const te_rescale_params *params,
                        int32_t size, const int8_t *input, int8_t *output)
{
    (void)ctx;
    if (params == NULL || size <= 0 || input == NULL || output == NULL ||
        !te_act_ok(params->act_min, params->act_max) || params->input_offset < -255 ||
        params->input_offset > 255) {
        return TE_ERROR_ARG;
    }
    const te_rescale_params *p = params;
    for (int32_t i = 0; i < size; ++i) {
        const int64_t v = (int64_t)p->output_offset +
                          te_multiply_by_quantized_multiplier((int32_t)input[i] + p->input_offset,
                                                              p->multiplier, p->shift);
        output[i] = (int8_t)(v < p->act_min ? p->act_min
                                            : (v > p->act_max ? p->act_max : v));
    }
    return TE_OK;
}
