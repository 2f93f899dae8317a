/* MUL with broadcasting, int8 (reference): the product of the offset-corrected inputs,
 * requantized once to the output scale and clamped to the fused activation's range. */
#include "te_elementwise.h"

static int8_t te_mul_element(const void *params, int8_t a, int8_t b)
{
    const te_mul_params *p = (const te_mul_params *)params;
    /* |product| <= 255 * 255: no overflow */
    const int32_t product = ((int32_t)a + p->input1_offset) * ((int32_t)b + p->input2_offset);
    const int64_t v = (int64_t)p->output_offset +
                      te_multiply_by_quantized_multiplier(product, p->multiplier, p->shift);
    return (int8_t)(v < p->act_min ? p->act_min : (v > p->act_max ? p->act_max : v));
}

te_status te_mul_s8(const te_context *ctx, const te_mul_params *params,
                    const te_dims *input1_dims, const int8_t *input1,
                    const te_dims *input2_dims, const int8_t *input2,
                    const te_dims *output_dims, int8_t *output)
{
    (void)ctx;
    const int params_ok = params != NULL && te_act_ok(params->act_min, params->act_max);
    return te_broadcast_run(te_mul_element, params, params_ok, input1_dims, input1,
                            input2_dims, input2, output_dims, output);
}
