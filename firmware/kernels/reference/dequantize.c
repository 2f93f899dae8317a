/* DEQUANTIZE int8 -> float32 at a model output (reference, every core): TFLite Micro's
 * Dequantize computes scale * (q - zero_point) in double and rounds it to float. The
 * scale has 24 significant bits and q - zero_point at most 9, so that double product is
 * exact, and one single-precision multiply rounds the same exact product the same way. */
#include "te_kernel_util.h"

te_status te_dequantize_s8_f32(const te_context *ctx, const te_affine_params *params,
                               int32_t size, const int8_t *input, float *output)
{
    (void)ctx;
    if (params == NULL || size <= 0 || input == NULL || output == NULL ||
        !(params->scale > 0.0f) || params->zero_point < -128 || params->zero_point > 127) {
        return TE_ERROR_ARG;
    }
    for (int32_t i = 0; i < size; ++i) {
        output[i] = params->scale * (float)((int32_t)input[i] - params->zero_point);
    }
    return TE_OK;
}
