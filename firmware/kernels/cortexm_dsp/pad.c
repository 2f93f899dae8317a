/* PAD / PADV2 with a constant value, int8 (cortexm_dsp variant; same results as the
 * reference). Without channel padding every output row is (left fill, one contiguous
 * copy of the input row, right fill), moved a word at a time (unaligned word access is
 * allowed on Cortex-M3 and later); channel padding takes the reference's per-element
 * loop. */
#include "te_dsp.h"
#include "te_kernel_util.h"

static void copy_bytes(int8_t *dst, const int8_t *src, int32_t n)
{
    int32_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const uint32_t a = te_load32(src + i), b = te_load32(src + i + 4);
        const uint32_t c = te_load32(src + i + 8), d = te_load32(src + i + 12);
        te_store32(dst + i, a);
        te_store32(dst + i + 4, b);
        te_store32(dst + i + 8, c);
        te_store32(dst + i + 12, d);
    }
    for (; i + 4 <= n; i += 4) {
        te_store32(dst + i, te_load32(src + i));
    }
    for (; i < n; ++i) {
        dst[i] = src[i];
    }
}

static void fill_bytes(int8_t *dst, int8_t value, int32_t n)
{
    const uint32_t word = (uint32_t)(uint8_t)value * 0x01010101u;
    int32_t i = 0;
    for (; i + 16 <= n; i += 16) {
        te_store32(dst + i, word);
        te_store32(dst + i + 4, word);
        te_store32(dst + i + 8, word);
        te_store32(dst + i + 12, word);
    }
    for (; i + 4 <= n; i += 4) {
        te_store32(dst + i, word);
    }
    for (; i < n; ++i) {
        dst[i] = value;
    }
}

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
    const int32_t *hi = params->after;
    const int8_t fill = (int8_t)params->pad_value;
    const int32_t row = out->w * out->c;
    for (int32_t n = 0; n < out->n; ++n) {
        for (int32_t h = 0; h < out->h; ++h) {
            int8_t *op = output + (n * out->h + h) * row;
            const int32_t sn = n - lo[0], sh = h - lo[1];
            if (sn < 0 || sn >= in->n || sh < 0 || sh >= in->h) {
                fill_bytes(op, fill, row);
                continue;
            }
            const int8_t *ip = input + (sn * in->h + sh) * in->w * in->c;
            if (lo[3] == 0 && hi[3] == 0) {
                fill_bytes(op, fill, lo[2] * out->c);
                copy_bytes(op + lo[2] * out->c, ip, in->w * in->c);
                fill_bytes(op + (lo[2] + in->w) * out->c, fill, hi[2] * out->c);
                continue;
            }
            for (int32_t w = 0; w < out->w; ++w) {
                const int32_t sw = w - lo[2];
                for (int32_t c = 0; c < out->c; ++c) {
                    const int32_t sc = c - lo[3];
                    op[w * out->c + c] = sw >= 0 && sw < in->w && sc >= 0 && sc < in->c
                                             ? ip[sw * in->c + sc]
                                             : fill;
                }
            }
        }
    }
    return TE_OK;
}
