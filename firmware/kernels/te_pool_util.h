/* Window bounds shared by the pooling kernels. */
#ifndef TE_POOL_UTIL_H
#define TE_POOL_UTIL_H

#include "te_kernel_util.h"

static inline int te_pool_args_ok(const te_pool_params *p, const te_dims *in,
                                  const te_dims *out)
{
    return p != NULL && te_dims_ok(in) && te_dims_ok(out) && in->n == out->n &&
           in->c == out->c && p->stride_h > 0 && p->stride_w > 0 && p->filter_h > 0 &&
           p->filter_w > 0 && te_act_ok(p->act_min, p->act_max);
}

/* The window of output pixel (oy, ox) clipped to the input: [*y0, *y1) x [*x0, *x1). */
static inline void te_pool_window(const te_pool_params *p, const te_dims *in, int32_t oy,
                                  int32_t ox, int32_t *y0, int32_t *y1, int32_t *x0,
                                  int32_t *x1)
{
    const int32_t iy = oy * p->stride_h - p->pad_h;
    const int32_t ix = ox * p->stride_w - p->pad_w;
    *y0 = te_max_i32(iy, 0);
    *y1 = te_min_i32(iy + p->filter_h, in->h);
    *x0 = te_max_i32(ix, 0);
    *x1 = te_min_i32(ix + p->filter_w, in->w);
}

#endif /* TE_POOL_UTIL_H */
