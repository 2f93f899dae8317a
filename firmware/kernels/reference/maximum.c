/* MAXIMUM with broadcasting, int8 (reference): the larger raw value of the two inputs,
 * which share the output's scale and zero point. */
#include "te_elementwise.h"

static int8_t te_maximum_element(const void *params, int8_t a, int8_t b)
{
    (void)params;
    return a > b ? a : b;
}

te_status te_maximum_s8(const te_context *ctx, const te_dims *input1_dims,
                        const int8_t *input1, const te_dims *input2_dims,
                        const int8_t *input2, const te_dims *output_dims, int8_t *output)
{
    (void)ctx;
    return te_broadcast_run(te_maximum_element, NULL, 1, input1_dims, input1, input2_dims,
                            input2, output_dims, output);
}
