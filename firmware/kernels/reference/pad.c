/* PAD / PADV2 with a constant value, int8 (reference). */
#include "te_kernel_util.h"

te_status te_pad_s8(const te_context *ctx, const te_pad_params *params,
                    const te_dims *input_dims, const int8_t *input,
                    const te_dims *output_dims, int8_t *output)
{
    (void)ctx;
    if (!te_pad_args_ok(params, input_dims, output_dims) || input == NULL || output == NULL) {
        return TE_ERROR_ARG;
    }
    const te_dims *in = input_dims;
    const te_dims *out = output_dims;
    const int32_t *lo = params->before;
    const int8_t fill = (int8_t)params->pad_value;
    for (int32_t n = 0; n < out->n; ++n)
    for (int32_t h = 0; h < out->h; ++h)
    for (int32_t w = 0; w < out->w; ++w) {
        int8_t *op = output + ((n * out->h + h) * out->w + w) * out->c;
        const int32_t sn = n - lo[0], sh = h - lo[1], sw = w - lo[2];
        const int inside = sn >= 0 && sn < in->n && sh >= 0 && sh < in->h && sw >= 0 &&
                           sw < in->w;
        for (int32_t c = 0; c < out->c; ++c) {
            const int32_t sc = c - lo[3];
            op[c] = inside && sc >= 0 && sc < in->c
                        ? input[((sn * in->h + sh) * in->w + sw) * in->c + sc]
                        : fill;
        }
    }
    return TE_OK;
}
