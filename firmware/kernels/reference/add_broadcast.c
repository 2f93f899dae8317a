/* ADD with broadcasting, int8 (reference): te_add_s8's arithmetic per element, each input
 * read at the output coordinate with its broadcast axes held at 0. */
#include "te_elementwise.h"

static int8_t te_add_broadcast_element(const void *params, int8_t a, int8_t b)
{
    return te_add_element((const te_add_params *)params, a, b);
}

te_status te_add_broadcast_s8(const te_context *ctx, const te_add_params *params,
                              const te_dims *input1_dims, const int8_t *input1,
                              const te_dims *input2_dims, const int8_t *input2,
                              const te_dims *output_dims, int8_t *output)
{
    (void)ctx;
    return te_broadcast_run(te_add_broadcast_element, params, te_add_params_ok(params),
                            input1_dims, input1, input2_dims, input2, output_dims, output);
}
