/* ADD, int8 element-wise (reference): both inputs are shifted left by left_shift for
 * headroom, rescaled to twice the larger input scale, summed, then rescaled to the output. */
#include "te_kernel_util.h"
#include "te_quant.h"

te_status te_add_s8(const te_context *ctx, const te_add_params *params, int32_t size,
                    const int8_t *input1, const int8_t *input2, int8_t *output)
{
    (void)ctx;
    if (params == NULL || size <= 0 || input1 == NULL || input2 == NULL || output == NULL ||
        params->left_shift < 0 || params->left_shift > 30 ||
        !te_act_ok(params->act_min, params->act_max)) {
        return TE_ERROR_ARG;
    }
    const te_add_params *p = params;
    for (int32_t i = 0; i < size; ++i) {
        const int32_t a = ((int32_t)input1[i] + p->input1_offset) * (1 << p->left_shift);
        const int32_t b = ((int32_t)input2[i] + p->input2_offset) * (1 << p->left_shift);
        const int32_t sa = te_multiply_by_quantized_multiplier(a, p->input1_multiplier,
                                                               p->input1_shift);
        const int32_t sb = te_multiply_by_quantized_multiplier(b, p->input2_multiplier,
                                                               p->input2_shift);
        int32_t v = te_multiply_by_quantized_multiplier(sa + sb, p->output_multiplier,
                                                        p->output_shift);
        v += p->output_offset;
        output[i] = (int8_t)te_clamp_i32(v, p->act_min, p->act_max);
    }
    return TE_OK;
}
