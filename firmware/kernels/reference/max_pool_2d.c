/* MAX_POOL_2D, int8 (reference). */
#include "te_pool_util.h"
#include "te_quant.h"

te_status te_max_pool_2d_s8(const te_context *ctx, const te_pool_params *params,
                            const te_dims *input_dims, const int8_t *input,
                            const te_dims *output_dims, int8_t *output)
{
    (void)ctx;
    if (!te_pool_args_ok(params, input_dims, output_dims) || input == NULL || output == NULL) {
        return TE_ERROR_ARG;
    }
    const te_dims *in = input_dims;
    const te_dims *out = output_dims;
    for (int32_t b = 0; b < out->n; ++b) {
        for (int32_t oy = 0; oy < out->h; ++oy) {
            for (int32_t ox = 0; ox < out->w; ++ox) {
                int32_t y0, y1, x0, x1;
                te_pool_window(params, in, oy, ox, &y0, &y1, &x0, &x1);
                int8_t *op = output + ((b * out->h + oy) * out->w + ox) * out->c;
                for (int32_t c = 0; c < out->c; ++c) {
                    int32_t best = -128;
                    for (int32_t y = y0; y < y1; ++y) {
                        for (int32_t x = x0; x < x1; ++x) {
                            best = te_max_i32(best, input[((b * in->h + y) * in->w + x) * in->c + c]);
                        }
                    }
                    op[c] = (int8_t)te_clamp_i32(best, params->act_min, params->act_max);
                }
            }
        }
    }
    return TE_OK;
}
