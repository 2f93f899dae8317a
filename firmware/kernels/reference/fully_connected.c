/* FULLY_CONNECTED, int8 with per-tensor or per-channel requantization (reference). */
#include "te_kernel_util.h"
#include "te_quant.h"

int32_t te_fully_connected_s8_get_buffer_size(const te_dims *filter_dims)
{
    (void)filter_dims;
    return 0;
}

te_status te_fully_connected_s8(const te_context *ctx, const te_fc_params *params,
                                const te_quant_params *quant, const te_dims *input_dims,
                                const int8_t *input, const te_dims *filter_dims,
                                const int8_t *filter, const te_dims *bias_dims,
                                const int32_t *bias, const te_dims *output_dims,
                                int8_t *output)
{
    (void)ctx;
    (void)bias_dims;
    const int32_t batches = te_fc_batches(params, quant, input_dims, input, filter_dims, filter,
                                          output_dims, output);
    if (batches < 1) {
        return TE_ERROR_ARG;
    }
    const int32_t depth = filter_dims->c;
    const int32_t units = filter_dims->w;
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *x = input + b * depth;
        for (int32_t u = 0; u < units; ++u) {
            const int8_t *w = filter + u * depth;
            int32_t acc = 0;
            for (int32_t d = 0; d < depth; ++d) {
                acc += ((int32_t)w[d] + params->filter_offset) *
                       ((int32_t)x[d] + params->input_offset);
            }
            const int32_t q = quant->count == 1 ? 0 : u; /* per-tensor or per-channel */
            output[b * units + u] = te_requantize_s8(acc, bias, u, quant->multiplier[q],
                                                     quant->shift[q], params->output_offset,
                                                     params->act_min, params->act_max);
        }
    }
    return TE_OK;
}
