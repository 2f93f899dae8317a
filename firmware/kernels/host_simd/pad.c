/* PAD / PADV2 with a constant value, int8 (host_simd variant): whole runs at a time. A
 * row of the output whose source row is outside the input is one fill; inside, padded
 * pixels are fills and, without channel padding, the input row is one copy. Same result
 * as the reference, which decides element by element. */
#include <string.h>

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
    const int fill = (int)(int8_t)params->pad_value;
    const size_t out_pixel = (size_t)out->c;
    const size_t out_row = (size_t)out->w * out_pixel;
    const size_t in_row = (size_t)in->w * (size_t)in->c;
    for (int32_t n = 0; n < out->n; ++n)
    for (int32_t h = 0; h < out->h; ++h) {
        int8_t *row = output + ((size_t)n * (size_t)out->h + (size_t)h) * out_row;
        const int32_t sn = n - lo[0], sh = h - lo[1];
        if (sn < 0 || sn >= in->n || sh < 0 || sh >= in->h) {
            memset(row, fill, out_row);
            continue;
        }
        const int8_t *src = input + ((size_t)sn * (size_t)in->h + (size_t)sh) * in_row;
        memset(row, fill, (size_t)lo[2] * out_pixel);
        int8_t *dst = row + (size_t)lo[2] * out_pixel;
        if (out->c == in->c) {
            memcpy(dst, src, in_row);
        } else {
            for (int32_t w = 0; w < in->w; ++w) {
                int8_t *px = dst + (size_t)w * out_pixel;
                memset(px, fill, (size_t)lo[3]);
                memcpy(px + lo[3], src + (size_t)w * (size_t)in->c, (size_t)in->c);
                memset(px + lo[3] + in->c, fill, out_pixel - (size_t)lo[3] - (size_t)in->c);
            }
        }
        const size_t after = (size_t)(out->w - lo[2] - in->w) * out_pixel;
        memset(dst + (size_t)in->w * out_pixel, fill, after);
    }
    return TE_OK;
}
