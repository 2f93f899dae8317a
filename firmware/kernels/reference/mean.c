/* MEAN over any subset of the four NHWC axes, int8 (reference): te_mean_generic in
 * te_mean_util.h, one output at a time. */
#include "te_mean_util.h"

te_status te_mean_s8(const te_context *ctx, const te_mean_params *params,
                     const te_dims *input_dims, const int8_t *input,
                     const te_dims *output_dims, int8_t *output)
{
    (void)ctx;
    return te_mean_generic(params, input_dims, input, output_dims, output);
}
