/* FULLY_CONNECTED, int8 (cortexm_dsp variant: Cortex-M4/M7 with the DSP extension;
 * bit-exact with the reference).
 *
 * Matrix-vector (matrix-matrix for batches > 1): input rows are widened two at a time
 * into the scratch with the input offset added, then each pair of units is a block of
 * dot products with SMLAD (te_dsp_gemm.h). The weights must be in the packed layout of
 * te_dsp_gemm.h (the AOT compiler writes it; filter_dims stay {1, 1, units, depth}).
 * A weight offset (asymmetric weights) is applied as filter_offset * sum(input + offset)
 * per row. Scratch: te_fully_connected_s8_get_buffer_size bytes (2 rows of depth int16
 * rounded up to 4 values), 4-byte aligned. */
#include "te_dsp_gemm.h"
#include "te_kernel_util.h"

int32_t te_fully_connected_s8_get_buffer_size(const te_dims *filter_dims)
{
    return te_gemm_col_bytes(filter_dims->c);
}

static void widen_row(const int8_t *x, int32_t depth, int32_t offset, uint32_t *col,
                      int32_t row)
{
    const int32_t groups = te_gemm_groups(depth);
    const uint32_t offset2 = te_pair(offset);
    const int32_t whole = depth & ~3;
    for (int32_t i = 0; i < whole; i += 4) {
        te_gemm_put4(col, i >> 2, row, te_load32(x + i), offset2);
    }
    if (whole != depth) {
        te_gemm_clear_tail(col, groups, row);
        for (int32_t i = whole; i < depth; ++i) {
            te_gemm_put1(col, i, row, x[i] + offset);
        }
    }
}

te_status te_fully_connected_s8(const te_context *ctx, const te_fc_params *params,
                                const te_quant_params *quant, const te_dims *input_dims,
                                const int8_t *input, const te_dims *filter_dims,
                                const int8_t *filter, const te_dims *bias_dims,
                                const int32_t *bias, const te_dims *output_dims,
                                int8_t *output)
{
    (void)bias_dims;
    const int32_t batches = te_fc_batches(params, quant, input_dims, input, filter_dims, filter,
                                          output_dims, output);
    if (batches < 1 || ctx == NULL || ctx->buf == NULL || ((uintptr_t)ctx->buf & 3u) != 0u ||
        ((uintptr_t)filter & 3u) != 0u ||
        ctx->size < te_fully_connected_s8_get_buffer_size(filter_dims)) {
        return TE_ERROR_ARG;
    }
    const int32_t depth = filter_dims->c;
    const int32_t units = filter_dims->w;
    const int32_t groups = te_gemm_groups(depth);
    const uint32_t *packed = (const uint32_t *)(const void *)filter;
    uint32_t *col = (uint32_t *)ctx->buf;
    /* The requantization table follows the packed weights (dsp_pack.requant_table). */
    const int32_t *rqt = (const int32_t *)(packed + (units + 1) / 2 * groups * 2);
    const int32_t lo = params->act_min, hi = params->act_max, offset = params->output_offset;
    for (int32_t first = 0; first < batches; first += 2) {
        const int32_t rows = te_min_i32(2, batches - first);
        int32_t row_sum[2] = {0, 0};
        for (int32_t r = 0; r < rows; ++r) {
            const int8_t *x = input + (first + r) * depth;
            widen_row(x, depth, params->input_offset, col, r);
            if (params->filter_offset != 0) {
                for (int32_t i = 0; i < depth; ++i) {
                    row_sum[r] += x[i] + params->input_offset;
                }
                row_sum[r] *= params->filter_offset;
            }
        }
        int8_t *op = output + first * units;
        for (int32_t u = 0; u < units; u += 2) {
            const int32_t chans = te_min_i32(2, units - u);
            const int32_t *t0 = rqt + 3 * u;
            const int32_t *t1 = chans == 2 ? t0 + 3 : t0;
            const int32_t *s0 = quant->shift + (quant->count == 1 ? 0 : u);
            const int32_t *s1 = quant->count == 1 || chans == 1 ? s0 : s0 + 1;
            int32_t acc[4];
            const int32_t b0 = bias != NULL ? bias[u] : 0;
            const int32_t b1 = bias != NULL && chans == 2 ? bias[u + 1] : 0;
            acc[0] = b0 + row_sum[0];
            acc[1] = b1 + row_sum[0];
            acc[2] = b0 + row_sum[1];
            acc[3] = b1 + row_sum[1];
            const uint32_t *w = packed + (u >> 1) * groups * 2;
            if (rows == 2) {
                te_gemm_2x2(col, w, groups, acc);
            } else {
                te_gemm_1x2(col, w, groups, acc);
            }
            te_gemm_store(acc, rows, chans, t0, t1, s0, s1, offset, lo, hi, op + u, units);
        }
    }
    return TE_OK;
}
