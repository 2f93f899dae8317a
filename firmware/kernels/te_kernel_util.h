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

#endif /* TE_KERNEL_UTIL_H */
