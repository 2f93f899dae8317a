/* Small helpers private to the kernel implementations (every variant). */
#ifndef TE_KERNEL_UTIL_H
#define TE_KERNEL_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "te_kernels.h"

/* Dims are valid when every extent is positive and the element count fits int32_t, so
 * te_dims_size and any flat index below it cannot wrap. */
static inline int te_dims_ok(const te_dims *d)
{
    if (d == NULL || d->n <= 0 || d->h <= 0 || d->w <= 0 || d->c <= 0) {
        return 0;
    }
    const int64_t size = (int64_t)d->n * d->h * d->w * d->c; /* each factor < 2^31 */
    return size <= INT32_MAX && (int64_t)d->n * d->h * d->w <= INT32_MAX;
}

static inline int32_t te_dims_size(const te_dims *d)
{
    return d->n * d->h * d->w * d->c;
}

/* The four extents of `d`, outermost first: N, H, W, C. */
static inline void te_dims_extents(const te_dims *d, int32_t ext[4])
{
    ext[0] = d->n;
    ext[1] = d->h;
    ext[2] = d->w;
    ext[3] = d->c;
}

/* A kernel that moves one input's elements into one output (STRIDED_SLICE, TRANSPOSE):
 * both tensors' extents and the input's element strides (NHWC, contiguous). */
typedef struct {
    int32_t in_ext[4];
    int32_t out_ext[4];
    int32_t in_stride[4];
} te_move_shape;

/* Fills `s` when the parameters are present and both dims are valid; 0 otherwise. */
static inline int te_move_shape_of(const void *params, const te_dims *in, const te_dims *out,
                                   te_move_shape *s)
{
    if (params == NULL || !te_dims_ok(in) || !te_dims_ok(out)) {
        return 0;
    }
    te_dims_extents(in, s->in_ext);
    te_dims_extents(out, s->out_ext);
    s->in_stride[3] = 1;
    s->in_stride[2] = in->c;
    s->in_stride[1] = in->w * in->c;
    s->in_stride[0] = in->h * in->w * in->c;
    return 1;
}

/* Output element (i0, i1, i2, i3) of `out` = origin[i0 * stride[0] + ... + i3 * stride[3]],
 * written in order. The caller proves every address read lies inside the input; the
 * pointer is advanced axis by axis, so each partial address is an element's address too
 * (strides may be negative). */
static inline void te_gather_s8(const int8_t *origin, const int32_t stride[4],
                                const te_dims *out, int8_t *output)
{
    int8_t *o = output;
    for (int32_t i0 = 0; i0 < out->n; ++i0) {
        const int8_t *p0 = origin + i0 * stride[0];
        for (int32_t i1 = 0; i1 < out->h; ++i1) {
            const int8_t *p1 = p0 + i1 * stride[1];
            for (int32_t i2 = 0; i2 < out->w; ++i2) {
                const int8_t *p2 = p1 + i2 * stride[2];
                for (int32_t i3 = 0; i3 < out->c; ++i3) {
                    *o++ = p2[i3 * stride[3]];
                }
            }
        }
    }
}

static inline int te_act_ok(int32_t act_min, int32_t act_max)
{
    return act_min >= -128 && act_max <= 127 && act_min <= act_max;
}

static inline int te_quant_ok(const te_quant_params *q, int32_t channels)
{
    return q != NULL && q->multiplier != NULL && q->shift != NULL &&
           (q->count == channels || q->count == 1);
}

static inline int32_t te_min_i32(int32_t a, int32_t b) { return a < b ? a : b; }
static inline int32_t te_max_i32(int32_t a, int32_t b) { return a > b ? a : b; }

/* First and one-past-last filter taps whose input coordinate origin + tap * dilation
 * lands inside [0, size). */
static inline void te_tap_range(int32_t origin, int32_t taps, int32_t dilation, int32_t size,
                                int32_t *first, int32_t *last)
{
    /* 64-bit: origin + tap * dilation cannot wrap for any int32 operands (the validator
     * also bounds them far below 2^31, see tinyedge/firmware/limits.py). */
    int32_t lo = 0;
    while (lo < taps && (int64_t)origin + (int64_t)lo * dilation < 0) {
        ++lo;
    }
    int32_t hi = taps;
    while (hi > lo && (int64_t)origin + (int64_t)(hi - 1) * dilation >= size) {
        --hi;
    }
    *first = lo;
    *last = hi;
}

/* Argument checks shared by every variant of an op: one definition, so the reference,
 * host-SIMD and Cortex-M DSP kernels accept exactly the same calls. */
static inline int te_conv_args_ok(const te_conv_params *p, const te_quant_params *q,
                                  const te_dims *in, const te_dims *f, const te_dims *out)
{
    return p != NULL && te_dims_ok(in) && te_dims_ok(f) && te_dims_ok(out) && f->c == in->c &&
           out->c == f->n && out->n == in->n && p->stride_h > 0 && p->stride_w > 0 &&
           p->dilation_h > 0 && p->dilation_w > 0 && te_act_ok(p->act_min, p->act_max) &&
           te_quant_ok(q, out->c) && q->count == out->c;
}

static inline int te_dw_args_ok(const te_dw_conv_params *p, const te_quant_params *q,
                                const te_dims *in, const te_dims *f, const te_dims *out)
{
    if (p == NULL || !te_dims_ok(in) || !te_dims_ok(f) || !te_dims_ok(out)) {
        return 0;
    }
    const te_conv_params *c = &p->conv;
    return p->depth_multiplier > 0 && f->n == 1 &&
           (int64_t)f->c == (int64_t)in->c * p->depth_multiplier && out->c == f->c &&
           out->n == in->n && c->stride_h > 0 && c->stride_w > 0 && c->dilation_h > 0 &&
           c->dilation_w > 0 && te_act_ok(c->act_min, c->act_max) && te_quant_ok(q, out->c) &&
           q->count == out->c;
}

/* PAD / PADV2: every padding amount >= 0, the output = the input plus the padding on each
 * of the four axes, and a pad value that is an int8. */
static inline int te_pad_args_ok(const te_pad_params *p, const te_dims *in, const te_dims *out)
{
    if (p == NULL || !te_dims_ok(in) || !te_dims_ok(out) || p->pad_value < -128 ||
        p->pad_value > 127) {
        return 0;
    }
    const int32_t *lo = p->before, *hi = p->after;
    for (int32_t a = 0; a < 4; ++a) {
        if (lo[a] < 0 || hi[a] < 0) {
            return 0;
        }
    }
    return out->n == in->n + lo[0] + hi[0] && out->h == in->h + lo[1] + hi[1] &&
           out->w == in->w + lo[2] + hi[2] && out->c == in->c + lo[3] + hi[3];
}

/* Fully connected: the number of batch rows when output = batches x units and input =
 * batches x depth (filter = units x depth) and the quantization and clamp are valid; 0 when
 * the call is inconsistent. Products in 64-bit so no size can wrap. */
static inline int32_t te_fc_batches(const te_fc_params *p, const te_quant_params *q,
                                    const te_dims *in, const int8_t *input, const te_dims *f,
                                    const int8_t *filter, const te_dims *out, int8_t *output)
{
    if (p == NULL || !te_dims_ok(in) || !te_dims_ok(f) || !te_dims_ok(out) || input == NULL ||
        filter == NULL || output == NULL) {
        return 0;
    }
    const int32_t depth = f->c;
    const int32_t units = f->w;
    const int32_t batches = te_dims_size(out) / units;
    if ((int64_t)batches * units != te_dims_size(out) ||
        (int64_t)batches * depth != te_dims_size(in) || !te_quant_ok(q, units) ||
        !te_act_ok(p->act_min, p->act_max)) {
        return 0;
    }
    return batches;
}

#endif /* TE_KERNEL_UTIL_H */
