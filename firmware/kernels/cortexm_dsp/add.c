/* ADD, int8 element-wise (cortexm_dsp variant: Cortex-M4/M7; bit-exact with the
 * reference).
 *
 * Each input's rescale to the common scale, ((x + offset) << left_shift) * multiplier,
 * depends on nothing but the input byte. From TE_DSP_ADD_TABLE_MIN elements on, the kernel
 * first tabulates it for all 256 byte values of each input (2 x 256 int32 in the scratch,
 * te_add_s8_get_buffer_size bytes) and then pays one requantization per element, the
 * sum's, instead of three, in the one-rounding form of te_dsp.h (one SMLAL and a shift);
 * the tables hold exactly what te_add_element would compute, so the results are the
 * reference's. Smaller tensors, or a call without the scratch, take the reference loop. */
#include "te_dsp.h"
#include "te_elementwise.h"
#include "te_kernel_gen.h"

#define TE_ADD_TABLE_BYTES TE_DSP_ADD_TABLE_BYTES
_Static_assert(TE_DSP_ADD_TABLE_BYTES == 2 * 256 * sizeof(int32_t),
               "two tables of 256 int32");

int32_t te_add_s8_get_buffer_size(int32_t size)
{
    return size >= TE_DSP_ADD_TABLE_MIN ? TE_ADD_TABLE_BYTES : 0;
}

/* table[x + 128] = the rescaled value of input byte x. */
static void tabulate(int32_t *table, int32_t offset, int32_t left_shift, int32_t multiplier,
                     int32_t shift)
{
    for (int32_t x = -128; x < 128; ++x) {
        table[x + 128] = te_add_rescale((int8_t)x, offset, left_shift, multiplier, shift);
    }
}

te_status te_add_s8(const te_context *ctx, const te_add_params *params, int32_t size,
                    const int8_t *input1, const int8_t *input2, int8_t *output)
{
    if (!te_add_params_ok(params) || size <= 0 || input1 == NULL || input2 == NULL ||
        output == NULL) {
        return TE_ERROR_ARG;
    }
    const te_add_params *p = params;
    if (size < TE_DSP_ADD_TABLE_MIN || ctx == NULL || ctx->buf == NULL ||
        ctx->size < TE_ADD_TABLE_BYTES || ((uintptr_t)ctx->buf & 3u) != 0u) {
        for (int32_t i = 0; i < size; ++i) {
            output[i] = te_add_element(p, input1[i], input2[i]);
        }
        return TE_OK;
    }
    int32_t *table1 = (int32_t *)ctx->buf;
    int32_t *table2 = table1 + 256;
    tabulate(table1, p->input1_offset, p->left_shift, p->input1_multiplier, p->input1_shift);
    tabulate(table2, p->input2_offset, p->left_shift, p->input2_multiplier, p->input2_shift);
    /* Indexed by the signed byte: [-128, 127] around the tables' middle. */
    const int32_t *rescaled1 = table1 + 128;
    const int32_t *rescaled2 = table2 + 128;
    const te_requant out = te_requant_for(p->output_multiplier, p->output_shift);
    for (int32_t i = 0; i < size; ++i) {
        const int32_t sum = rescaled1[input1[i]] + rescaled2[input2[i]];
        output[i] = te_dsp_out(te_requant_apply(sum, &out), p->output_offset, p->act_min,
                               p->act_max);
    }
    return TE_OK;
}
