/* CONV_2D, int8 (host_simd variant: hosts with wide SIMD; bit-exact with the reference).
 *
 * Output pixels are taken 16 at a time (TE_HOST_LANES), one per 32-bit lane. For a block
 * the receptive fields are laid out as a panel of K/4 rows of 64 bytes: row q holds, for
 * each of the 16 pixels, the four unsigned inputs of taps 4q..4q+3 (input + 128; padding
 * taps hold 128 - input_offset, taps past K hold 0; see te_host_simd.h). Each output
 * channel is then a sum over the panel rows of (row . broadcast weight word): one
 * vpdpbusd per row and channel on AVX-512 VNNI hosts, the same loop in portable C
 * elsewhere. The accumulators of 16 pixels share one channel, so the output stage runs
 * with one multiplier per vector.
 *
 * Input channels count in groups of four (C4 = in_c rounded up to 4): K = kh * kw * C4
 * and a 4-tap word never straddles two taps. When in_c is not a multiple of 4 (an RGB
 * input), the input is first copied into scratch with C4 channels (the extra channels
 * meet zero weights).
 *
 * Weights (written by tinyedge/firmware/host_pack.py, the one owner of this layout):
 *   rows = out_c rounded up to 4, each of K/4 words (zero weights for the padded
 *   channels), then rows int32 biases with the (input_offset - 128) * sum(w) correction
 *   folded in.
 * Scratch (te_context): the panel, K/4 * 64 bytes, 64 bytes to align it, and for in_c not
 * a multiple of 4 the widened input, n * h * w * C4 bytes. */
#include <string.h>

#include "te_host_simd.h"
#include "te_kernel_util.h"

static int32_t channels4(int32_t in_c)
{
    return (in_c + TE_HOST_WORD_TAPS - 1) / TE_HOST_WORD_TAPS * TE_HOST_WORD_TAPS;
}

static int32_t k_words(const te_dims *input_dims, const te_dims *filter_dims)
{
    return filter_dims->h * filter_dims->w * channels4(input_dims->c) / TE_HOST_WORD_TAPS;
}

static int32_t packed_rows(int32_t out_c)
{
    return (out_c + TE_HOST_ROW_BLOCK - 1) / TE_HOST_ROW_BLOCK * TE_HOST_ROW_BLOCK;
}

static int32_t widened_bytes(const te_dims *in)
{
    return in->c % TE_HOST_WORD_TAPS == 0 ? 0 : in->n * in->h * in->w * channels4(in->c);
}

int32_t te_conv_2d_s8_get_buffer_size(const te_dims *input_dims, const te_dims *filter_dims)
{
    return k_words(input_dims, filter_dims) * TE_HOST_LANES * TE_HOST_WORD_TAPS +
           TE_HOST_PANEL_ALIGN + widened_bytes(input_dims);
}

/* Where the first `count` pixels of a block start: the row and column of the receptive
 * field's top-left tap, the first row of its image, and its input offset as a wrapping
 * uint32 (only lanes whose taps are in range are ever dereferenced, and for those the
 * true offset fits in int32, so the wrapped sum equals it). */
typedef struct {
    int32_t count;
    int32_t one_row; /* every pixel of the block in one output row */
    int32_t base[TE_HOST_LANES];
    int32_t iy[TE_HOST_LANES];
    int32_t ix[TE_HOST_LANES];
    int32_t row0[TE_HOST_LANES];
} te_block;

static void block_origins(const te_conv_params *p, const te_dims *in, const te_dims *out,
                          int32_t first, int32_t count, te_block *blk)
{
    int32_t ox = first % out->w;
    int32_t oy = first / out->w % out->h;
    int32_t b = first / (out->w * out->h);
    blk->count = count;
    blk->one_row = ox + count <= out->w;
    for (int32_t i = 0; i < TE_HOST_LANES; ++i) {
        const int32_t iy = oy * p->stride_h - p->pad_h;
        const int32_t ix = ox * p->stride_w - p->pad_w;
        blk->iy[i] = iy;
        blk->ix[i] = ix;
        blk->row0[i] = b * in->h;
        blk->base[i] = (int32_t)((((uint32_t)b * (uint32_t)in->h + (uint32_t)iy) *
                                  (uint32_t)in->w + (uint32_t)ix) * (uint32_t)in->c);
        if (i + 1 >= count) {
            continue; /* lanes past the last pixel repeat it; they are masked off */
        }
        if (++ox == out->w) {
            ox = 0;
            if (++oy == out->h) {
                oy = 0;
                ++b;
            }
        }
    }
}

/* The panel, byte by byte: any channel count. Lanes past the block's pixels stay 0. */
static void fill_panel_bytes(const te_conv_params *p, const te_dims *in, const int8_t *input,
                             const te_dims *f, const te_block *blk, int32_t kwords,
                             uint8_t *panel)
{
    memset(panel, 0, (size_t)kwords * TE_HOST_LANES * 4);
    const uint8_t pad = (uint8_t)(128 - p->input_offset);
    const int32_t c4 = channels4(in->c);
    for (int32_t i = 0; i < blk->count; ++i) {
        int32_t k = 0;
        for (int32_t fy = 0; fy < f->h; ++fy) {
            const int64_t iy = (int64_t)blk->iy[i] + (int64_t)fy * p->dilation_h;
            for (int32_t fx = 0; fx < f->w; ++fx, k += c4) {
                const int64_t ix = (int64_t)blk->ix[i] + (int64_t)fx * p->dilation_w;
                const int inside = iy >= 0 && iy < in->h && ix >= 0 && ix < in->w;
                const int8_t *src = inside ? input + (((int64_t)blk->row0[i] + iy) * in->w +
                                                      ix) * in->c : NULL;
                for (int32_t c = 0; c < in->c; ++c) {
                    const int32_t kk = k + c;
                    panel[(size_t)(kk >> 2) * TE_HOST_LANES * 4 + (size_t)i * 4 + (kk & 3)] =
                        src != NULL ? (uint8_t)(src[c] ^ 0x80) : pad;
                }
            }
        }
    }
}

#ifdef TE_HOST_VNNI
/* tap * dilation, saturated at 2^30: origins are >= -2^15 (validated padding) and sizes
 * < 2^28 (arena cap), so a saturated step is out of range exactly when the true one is. */
static int32_t tap_step(int32_t tap, int32_t dilation)
{
    const int64_t step = (int64_t)tap * dilation;
    return step > (INT64_C(1) << 30) ? (INT32_C(1) << 30) : (int32_t)step;
}

/* The panel with masked gathers, four channels per lane and tap (in_c a multiple of 4):
 * a lane whose tap falls in the padding is not read and keeps the padding value. */
static void fill_panel_gather(const te_conv_params *p, const te_dims *in, const int8_t *input,
                              const te_dims *f, const te_block *blk, uint8_t *panel)
{
    const __m512i base = _mm512_loadu_si512(blk->base);
    const __m512i iy0 = _mm512_loadu_si512(blk->iy);
    const __m512i ix0 = _mm512_loadu_si512(blk->ix);
    const __m512i zero = _mm512_setzero_si512();
    const __m512i rows = _mm512_set1_epi32(in->h);
    const __m512i cols = _mm512_set1_epi32(in->w);
    const __m512i flip = _mm512_set1_epi32((int32_t)0x80808080u);
    const uint8_t pad = (uint8_t)(128 - p->input_offset);
    const __m512i pad_flipped = _mm512_set1_epi8((char)(pad ^ 0x80));
    const __mmask16 live = (__mmask16)((1u << blk->count) - 1u);
    const int32_t groups = in->c / 4;
    const int contiguous = groups == 1 && blk->one_row && p->stride_w == 1;
    __m512i *row = (__m512i *)panel;
    for (int32_t fy = 0; fy < f->h; ++fy) {
        const __m512i iy = _mm512_add_epi32(iy0, _mm512_set1_epi32(tap_step(fy, p->dilation_h)));
        const __mmask16 in_rows = live & _mm512_cmpge_epi32_mask(iy, zero) &
                                  _mm512_cmplt_epi32_mask(iy, rows);
        for (int32_t fx = 0; fx < f->w; ++fx) {
            const __m512i ix = _mm512_add_epi32(ix0, _mm512_set1_epi32(tap_step(fx, p->dilation_w)));
            const __mmask16 inside = in_rows & _mm512_cmpge_epi32_mask(ix, zero) &
                                     _mm512_cmplt_epi32_mask(ix, cols);
            const uint32_t tap = ((uint32_t)fy * (uint32_t)p->dilation_h * (uint32_t)in->w +
                                  (uint32_t)fx * (uint32_t)p->dilation_w) * (uint32_t)in->c;
            if (contiguous) { /* the 16 lanes' words are consecutive: one masked load */
                const uintptr_t at = (uintptr_t)input + (uintptr_t)(intptr_t)blk->base[0] +
                                     (uintptr_t)tap;
                const __m512i v = _mm512_mask_loadu_epi32(pad_flipped, inside,
                                                          (const void *)at);
                _mm512_store_si512(row++, _mm512_xor_si512(v, flip));
                continue;
            }
            __m512i index = _mm512_add_epi32(base, _mm512_set1_epi32((int32_t)tap));
            for (int32_t g = 0; g < groups; ++g) {
                const __m512i v = _mm512_mask_i32gather_epi32(pad_flipped, inside, index,
                                                              input, 1);
                _mm512_store_si512(row++, _mm512_xor_si512(v, flip));
                index = _mm512_add_epi32(index, _mm512_set1_epi32(4));
            }
        }
    }
}

/* The input with its channels padded to c4 (zeros, which meet zero weights). */
static void widen_channels(const te_dims *in, const int8_t *input, int32_t c4, int8_t *out)
{
    const size_t pixels = (size_t)in->n * (size_t)in->h * (size_t)in->w;
    for (size_t i = 0; i < pixels; ++i) {
        for (int32_t c = 0; c < c4; ++c) {
            out[i * (size_t)c4 + (size_t)c] = c < in->c ? input[i * (size_t)in->c + (size_t)c] : 0;
        }
    }
}

/* NR channels x 16 pixels: one panel row load and NR broadcast weight words per row. */
#define TE_HOST_GEMM(NR)                                                                    \
    static void gemm_##NR(const uint8_t *panel, const int8_t *w, int32_t kwords,            \
                          __m512i *acc)                                                      \
    {                                                                                        \
        __m512i a[NR];                                                                       \
        for (int r = 0; r < NR; ++r) {                                                       \
            a[r] = _mm512_setzero_si512();                                                   \
        }                                                                                    \
        const __m512i *row = (const __m512i *)panel;                                        \
        for (int32_t q = 0; q < kwords; ++q) {                                               \
            const __m512i x = _mm512_load_si512(row + q);                                    \
            for (int r = 0; r < NR; ++r) {                                                   \
                const int32_t word = te_host_load_i32(w + ((size_t)r * (size_t)kwords +     \
                                                           (size_t)q) * 4);                  \
                a[r] = _mm512_dpbusd_epi32(a[r], x, _mm512_set1_epi32(word));                \
            }                                                                                \
        }                                                                                    \
        for (int r = 0; r < NR; ++r) {                                                       \
            acc[r] = a[r];                                                                   \
        }                                                                                    \
    }
TE_HOST_GEMM(16)
TE_HOST_GEMM(8)
TE_HOST_GEMM(4)
#endif /* TE_HOST_VNNI */

#ifdef TE_HOST_VNNI
/* 16 results of 16 channels (q[r] = channel oc0 + r for the block's 16 pixels) to NHWC:
 * the 16 x 16 byte transpose as four dword interleaves (vpermb) and a 4 x 16 dword
 * transpose (unpack), then one 16-byte store per pixel of its `live` channels. */
static void store_block(const __m128i q[16], int32_t live, int32_t count, int32_t out_c,
                        int8_t *out)
{
    static const uint8_t interleave[64] = {
        0, 16, 32, 48, 1, 17, 33, 49, 2, 18, 34, 50, 3, 19, 35, 51,
        4, 20, 36, 52, 5, 21, 37, 53, 6, 22, 38, 54, 7, 23, 39, 55,
        8, 24, 40, 56, 9, 25, 41, 57, 10, 26, 42, 58, 11, 27, 43, 59,
        12, 28, 44, 60, 13, 29, 45, 61, 14, 30, 46, 62, 15, 31, 47, 63};
    const __m512i order = _mm512_loadu_si512(interleave);
    if (out_c == 4 && live == 4) { /* the block's output is 64 contiguous bytes */
        __m512i four = _mm512_castsi128_si512(q[0]);
        four = _mm512_inserti32x4(four, q[1], 1);
        four = _mm512_inserti32x4(four, q[2], 2);
        four = _mm512_inserti32x4(four, q[3], 3);
        _mm512_mask_storeu_epi32(out, (__mmask16)((1u << count) - 1u),
                                 _mm512_permutexvar_epi8(order, four));
        return;
    }
    __m512i z[4]; /* z[j] dword p: channels 4j..4j+3 of pixel p */
    for (int32_t j = 0; j < 4; ++j) {
        __m512i four = _mm512_castsi128_si512(q[4 * j]);
        four = _mm512_inserti32x4(four, q[4 * j + 1], 1);
        four = _mm512_inserti32x4(four, q[4 * j + 2], 2);
        four = _mm512_inserti32x4(four, q[4 * j + 3], 3);
        z[j] = _mm512_permutexvar_epi8(order, four);
    }
    const __m512i t0 = _mm512_unpacklo_epi32(z[0], z[1]);
    const __m512i t1 = _mm512_unpackhi_epi32(z[0], z[1]);
    const __m512i t2 = _mm512_unpacklo_epi32(z[2], z[3]);
    const __m512i t3 = _mm512_unpackhi_epi32(z[2], z[3]);
    /* u[j], 128-bit lane k: the 16 channels of pixel 4k + j */
    const __m512i u[4] = {_mm512_unpacklo_epi64(t0, t2), _mm512_unpackhi_epi64(t0, t2),
                          _mm512_unpacklo_epi64(t1, t3), _mm512_unpackhi_epi64(t1, t3)};
    const __mmask16 channels = (__mmask16)((1u << live) - 1u);
    __m128i px[16];
    for (int32_t j = 0; j < 4; ++j) {
        px[j] = _mm512_castsi512_si128(u[j]);
        px[4 + j] = _mm512_extracti32x4_epi32(u[j], 1);
        px[8 + j] = _mm512_extracti32x4_epi32(u[j], 2);
        px[12 + j] = _mm512_extracti32x4_epi32(u[j], 3);
    }
    for (int32_t i = 0; i < count; ++i) {
        _mm_mask_storeu_epi8(out + (size_t)i * (size_t)out_c, channels, px[i]);
    }
}

/* Channels oc0..oc0+nr-1 (nr = 16, 8 or 4) of the block's pixels: accumulate, output
 * stage, store. */
static void block_channels(const te_host_clamp *clamp, const te_quant_params *q,
                           const uint8_t *panel, const int8_t *weights, const int32_t *bias,
                           int32_t kwords, int32_t oc0, int32_t nr, int32_t out_c,
                           int32_t count, int8_t *out)
{
    const int8_t *w = weights + (size_t)oc0 * (size_t)kwords * 4;
    const int32_t live = te_min_i32(nr, out_c - oc0);
    __m512i acc[16];
    if (nr == 16) {
        gemm_16(panel, w, kwords, acc);
    } else if (nr == 8) {
        gemm_8(panel, w, kwords, acc);
    } else {
        gemm_4(panel, w, kwords, acc);
    }
    __m128i result[16];
    for (int32_t r = 0; r < 16; ++r) {
        if (r < live) {
            const int32_t oc = oc0 + r;
            result[r] = te_host_output_stage(acc[r], bias[oc], q->multiplier[oc], q->shift[oc],
                                             clamp);
        } else {
            result[r] = _mm_setzero_si128();
        }
    }
    store_block(result, live, count, out_c, out + oc0);
}
#else
/* The same, in portable C: channel by channel over the panel. */
static void block_channels(const te_conv_params *p, const te_quant_params *q,
                           const uint8_t *panel, const int8_t *weights, const int32_t *bias,
                           int32_t kwords, int32_t oc0, int32_t nr, int32_t out_c,
                           int32_t count, int8_t *out)
{
    const int32_t live = te_min_i32(nr, out_c - oc0);
    for (int32_t r = 0; r < live; ++r) {
        const int32_t oc = oc0 + r;
        const int8_t *wr = weights + (size_t)oc * (size_t)kwords * 4;
        uint32_t acc[TE_HOST_LANES] = {0};
        for (int32_t k = 0; k < kwords; ++k) {
            const uint8_t *x = panel + (size_t)k * TE_HOST_LANES * 4;
            for (int32_t i = 0; i < TE_HOST_LANES; ++i) {
                acc[i] += (uint32_t)((int32_t)x[4 * i] * wr[4 * k] +
                                     (int32_t)x[4 * i + 1] * wr[4 * k + 1] +
                                     (int32_t)x[4 * i + 2] * wr[4 * k + 2] +
                                     (int32_t)x[4 * i + 3] * wr[4 * k + 3]);
            }
        }
        for (int32_t i = 0; i < count; ++i) {
            out[(size_t)i * (size_t)out_c + (size_t)oc] = te_requantize_s8(
                (int32_t)acc[i], bias, oc, q->multiplier[oc], q->shift[oc], p->output_offset,
                p->act_min, p->act_max);
        }
    }
}
#endif

te_status te_conv_2d_s8(const te_context *ctx, const te_conv_params *params,
                        const te_quant_params *quant, const te_dims *input_dims,
                        const int8_t *input, const te_dims *filter_dims, const int8_t *filter,
                        const te_dims *bias_dims, const int32_t *bias,
                        const te_dims *output_dims, int8_t *output)
{
    (void)bias_dims;
    (void)bias; /* folded into the packed weights' bias words */
    if (!te_conv_args_ok(params, quant, input_dims, filter_dims, output_dims) || input == NULL ||
        filter == NULL || output == NULL || ctx == NULL || ctx->buf == NULL ||
        ctx->size < te_conv_2d_s8_get_buffer_size(input_dims, filter_dims) ||
        params->input_offset < -127 || params->input_offset > 128) {
        return TE_ERROR_ARG;
    }
    const te_dims *out = output_dims;
    const int32_t kwords = k_words(input_dims, filter_dims);
    const int32_t rows = packed_rows(out->c);
    const int32_t *folded = (const int32_t *)(const void *)(filter + (size_t)rows *
                                                             (size_t)kwords * 4);
    uint8_t *panel = (uint8_t *)(((uintptr_t)ctx->buf + 63u) & ~(uintptr_t)63u);
    const int32_t pixels = out->n * out->h * out->w;
    const te_dims *src_dims = input_dims;
#ifdef TE_HOST_VNNI
    const te_host_clamp clamp = te_host_clamp_for(params->output_offset, params->act_min,
                                                  params->act_max);
    const int8_t *src = input;
    te_dims wide = *input_dims;
    if (input_dims->c % 4 != 0) {
        wide.c = channels4(input_dims->c);
        int8_t *copy = (int8_t *)(panel + (size_t)kwords * TE_HOST_LANES * 4);
        widen_channels(input_dims, input, wide.c, copy);
        src_dims = &wide;
        src = copy;
    }
#endif
    te_block blk;
    for (int32_t first = 0; first < pixels; first += TE_HOST_LANES) {
        const int32_t count = te_min_i32(TE_HOST_LANES, pixels - first);
        block_origins(params, src_dims, out, first, count, &blk);
#ifdef TE_HOST_VNNI
        if (src_dims->c % 4 == 0) {
            fill_panel_gather(params, src_dims, src, filter_dims, &blk, panel);
        } else
#endif
        {
            fill_panel_bytes(params, input_dims, input, filter_dims, &blk, kwords, panel);
        }
        int8_t *dst = output + (size_t)first * (size_t)out->c;
        for (int32_t oc0 = 0; oc0 < out->c; ) {
            const int32_t nr = rows - oc0 >= 16 ? 16 : (rows - oc0 >= 8 ? 8 : 4);
#ifdef TE_HOST_VNNI
            block_channels(&clamp, quant, panel, filter, folded, kwords, oc0, nr, out->c, count,
                           dst);
#else
            block_channels(params, quant, panel, filter, folded, kwords, oc0, nr, out->c, count,
                           dst);
#endif
            oc0 += nr;
        }
    }
    return TE_OK;
}
