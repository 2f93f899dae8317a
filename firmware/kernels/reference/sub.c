/* SUB with broadcasting, int8 (reference): ADD's scheme (te_add_params) with the second
 * rescaled input subtracted from the first, then rescaled to the output and clamped. */
#include "te_elementwise.h"

static int8_t te_sub_element(const void *params, int8_t a, int8_t b)
{
    const te_add_params *p = (const te_add_params *)params;
    /* each rescaled input is below 2^28 in magnitude: the difference cannot overflow */
    const int32_t first = te_add_rescale(a, p->input1_offset, p->left_shift,
                                         p->input1_multiplier, p->input1_shift);
    const int32_t second = te_add_rescale(b, p->input2_offset, p->left_shift,
                                          p->input2_multiplier, p->input2_shift);
    return te_add_output(p, first - second);
}

te_status te_sub_s8(const te_context *ctx, const te_add_params *params,
                    const te_dims *input1_dims, const int8_t *input1,
                    const te_dims *input2_dims, const int8_t *input2,
                    const te_dims *output_dims, int8_t *output)
{
    (void)ctx;
    return te_broadcast_run(te_sub_element, params, te_add_params_ok(params), input1_dims,
                            input1, input2_dims, input2, output_dims, output);
}
