/* Helpers of the element-wise kernels (ADD, SUB, MUL, MINIMUM, MAXIMUM): one element's
 * arithmetic, shared by the same-shape and broadcasting kernels, and the broadcast walk over
 * 4-D dims. */
#ifndef TE_ELEMENTWISE_H
#define TE_ELEMENTWISE_H

#include "te_kernel_util.h"
#include "te_quant.h"

/* One ADD input rescaled to the common scale: ((x + offset) << left_shift) * multiplier. */
static inline int32_t te_add_rescale(int8_t x, int32_t offset, int32_t left_shift,
                                     int32_t multiplier, int32_t shift)
{
    return te_multiply_by_quantized_multiplier(((int32_t)x + offset) * (1 << left_shift),
                                               multiplier, shift);
}

/* The output stage of one ADD element from the two rescaled inputs. */
static inline int8_t te_add_output(const te_add_params *p, int32_t sum)
{
    const int32_t v = te_multiply_by_quantized_multiplier(sum, p->output_multiplier,
                                                          p->output_shift) + p->output_offset;
    return (int8_t)te_clamp_i32(v, p->act_min, p->act_max);
}

/* One ADD element (TFLM's int8 scheme, see te_add_params). */
static inline int8_t te_add_element(const te_add_params *p, int8_t x1, int8_t x2)
{
    return te_add_output(p, te_add_rescale(x1, p->input1_offset, p->left_shift,
                                           p->input1_multiplier, p->input1_shift) +
                                te_add_rescale(x2, p->input2_offset, p->left_shift,
                                               p->input2_multiplier, p->input2_shift));
}

static inline int te_add_params_ok(const te_add_params *p)
{
    return p != NULL && p->left_shift >= 0 && p->left_shift <= 30 &&
           te_act_ok(p->act_min, p->act_max);
}

/* Element strides of `in` read at each output coordinate: 0 on a broadcast axis (extent 1),
 * the natural NHWC stride otherwise. 0 when an extent neither matches nor is 1. */
static inline int te_broadcast_strides(const te_dims *in, const te_dims *out, int32_t s[4])
{
    if (!te_dims_ok(in) || !te_dims_ok(out)) {
        return 0;
    }
    int32_t ext[4];
    int32_t oext[4];
    te_dims_extents(in, ext);
    te_dims_extents(out, oext);
    int32_t stride = 1;
    for (int32_t a = 3; a >= 0; --a) {
        if (ext[a] != oext[a] && ext[a] != 1) {
            return 0;
        }
        s[a] = ext[a] == 1 ? 0 : stride;
        stride *= ext[a];
    }
    return 1;
}

/* One element of a binary op from its two int8 inputs. */
typedef int8_t (*te_binary_element)(const void *params, int8_t a, int8_t b);

/* The whole of a broadcasting binary kernel (ADD, SUB, MUL, MINIMUM, MAXIMUM): TE_ERROR_ARG
 * unless the op's own parameter check passed (`params_ok`), the three buffers are present and each input's dims
 * broadcast to the output's; then out[i] = element(params, in1[...], in2[...]) over the
 * output's 4-D extents, each input read through its broadcast strides. Inlined with a
 * constant element function, so the call costs nothing. */
static inline te_status te_broadcast_run(te_binary_element element, const void *params,
                                         int params_ok, const te_dims *input1_dims,
                                         const int8_t *input1, const te_dims *input2_dims,
                                         const int8_t *input2, const te_dims *out,
                                         int8_t *output)
{
    int32_t s1[4];
    int32_t s2[4];
    if (!params_ok || input1 == NULL || input2 == NULL || output == NULL ||
        !te_broadcast_strides(input1_dims, out, s1) ||
        !te_broadcast_strides(input2_dims, out, s2)) {
        return TE_ERROR_ARG;
    }
    int8_t *o = output;
    for (int32_t n = 0; n < out->n; ++n)
    for (int32_t h = 0; h < out->h; ++h)
    for (int32_t w = 0; w < out->w; ++w) {
        const int8_t *a = input1 + n * s1[0] + h * s1[1] + w * s1[2];
        const int8_t *b = input2 + n * s2[0] + h * s2[1] + w * s2[2];
        for (int32_t c = 0; c < out->c; ++c) {
            *o++ = element(params, a[c * s1[3]], b[c * s2[3]]);
        }
    }
    return TE_OK;
}

#endif /* TE_ELEMENTWISE_H */
