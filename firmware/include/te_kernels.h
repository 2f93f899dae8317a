/*
 * te_kernels.h - every int8 kernel of the tinyedge runtime.
 *
 * Conventions shared by all kernels (CMSIS-NN-like):
 *   - name `te_<op>_s8`, returns te_status; a companion
 *     `te_<op>_s8_get_buffer_size` tells how many scratch bytes the caller must
 *     put in te_context (0 for the reference kernels);
 *   - argument order: context, op parameters, quantization, then for each
 *     tensor its dims followed by its data, inputs before outputs;
 *   - activations are int8 in NHWC layout (batch, height, width, channels),
 *     values in [-128, 127], asymmetric with a per-tensor zero point;
 *   - conv filters are int8 OHWI, depthwise filters 1HWC (C = in * multiplier),
 *     fully-connected weights [out, in]; weights are symmetric (zero point 0
 *     except where a *_offset parameter says otherwise); biases are int32 with
 *     scale input_scale * weight_scale and zero point 0;
 *   - *_offset parameters follow TFLM: an input offset is minus the input's
 *     zero point, an output offset is plus the output's zero point;
 *   - requantization multipliers are Q31 significands in [2^30, 2^31) with
 *     exponents in [-31, 30] (see te_quant.h);
 *   - fused activations (RELU, RELU6) are expressed as the clamp range
 *     [act_min, act_max] within [-128, 127].
 *   - the one exception to int8 is a model's edges: QUANTIZE from a float32 model
 *     input and DEQUANTIZE to a float32 model output (IEEE single precision);
 * Results are bit-exact with TFLite Micro's reference kernels.
 * No kernel allocates memory; outputs must not alias inputs unless the
 * kernel's comment says it may.
 */
#ifndef TE_KERNELS_H
#define TE_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    TE_OK = 0,
    TE_ERROR_ARG = -1,         /* inconsistent dims, null pointer, bad parameter */
    TE_ERROR_UNSUPPORTED = -2, /* a valid case this implementation does not handle */
} te_status;

/* Tensor extents; unused leading dims are 1 (a vector of n elements is {1,1,1,n}). */
typedef struct {
    int32_t n;
    int32_t h;
    int32_t w;
    int32_t c;
} te_dims;

/* Caller-owned scratch memory (reference kernels need none). */
typedef struct {
    void *buf;
    int32_t size;
} te_context;

/* Requantization: `count` multiplier/shift pairs, 1 (per tensor) or one per output channel. */
typedef struct {
    const int32_t *multiplier;
    const int32_t *shift;
    int32_t count;
} te_quant_params;

typedef struct {
    int32_t input_offset;
    int32_t output_offset;
    int32_t stride_h;
    int32_t stride_w;
    int32_t pad_h; /* rows added above the input (any extra bottom row is implicit) */
    int32_t pad_w; /* columns added left of the input */
    int32_t dilation_h;
    int32_t dilation_w;
    int32_t act_min;
    int32_t act_max;
} te_conv_params;

typedef struct {
    te_conv_params conv;
    int32_t depth_multiplier;
} te_dw_conv_params;

typedef struct {
    int32_t input_offset;
    int32_t filter_offset;
    int32_t output_offset;
    int32_t act_min;
    int32_t act_max;
} te_fc_params;

typedef struct {
    int32_t stride_h;
    int32_t stride_w;
    int32_t pad_h;
    int32_t pad_w;
    int32_t filter_h;
    int32_t filter_w;
    int32_t act_min;
    int32_t act_max;
} te_pool_params;

/* Mean over the axes set in axis_mask (bit 0 = n ... bit 3 = c). The multiplier and
 * shift already include the 1/count factor, folded as TFLM does. */
typedef struct {
    int32_t input_zero_point;
    int32_t output_zero_point;
    int32_t multiplier;
    int32_t shift;
    uint32_t axis_mask;
} te_mean_params;

/* Element-wise add: both inputs rescaled to a common scale with 2^left_shift headroom. */
typedef struct {
    int32_t input1_offset;
    int32_t input2_offset;
    int32_t output_offset;
    int32_t left_shift;
    int32_t input1_multiplier;
    int32_t input1_shift;
    int32_t input2_multiplier;
    int32_t input2_shift;
    int32_t output_multiplier;
    int32_t output_shift;
    int32_t act_min;
    int32_t act_max;
} te_add_params;

/* Constant padding of a 4-D tensor; before/after are indexed n, h, w, c. */
typedef struct {
    int32_t before[4];
    int32_t after[4];
    int32_t pad_value; /* the output's zero point for PAD */
} te_pad_params;

/* Rescale every element: out = output_offset + (x + input_offset) * M, clamped to
 * [act_min, act_max]. One kernel for RELU, RELU6 (the clamp range) and int8 -> int8
 * QUANTIZE (the full int8 range). */
typedef struct {
    int32_t input_offset;
    int32_t output_offset;
    int32_t multiplier;
    int32_t shift;
    int32_t act_min;
    int32_t act_max;
} te_rescale_params;

/* QUANTIZE float32 -> int8 and DEQUANTIZE int8 -> float32 at a model's edges: the int8
 * side's per-tensor scale and zero point, real = scale * (q - zero_point). */
typedef struct {
    float scale;
    int32_t zero_point;
} te_affine_params;

/* LEAKY_RELU: non-negative inputs use the identity multiplier, negative ones alpha's. */
typedef struct {
    int32_t input_offset;
    int32_t output_offset;
    int32_t identity_multiplier;
    int32_t identity_shift;
    int32_t alpha_multiplier;
    int32_t alpha_shift;
} te_leaky_relu_params;

/* Element-wise multiply: out = output_offset + (a + input1_offset) * (b + input2_offset) * M. */
typedef struct {
    int32_t input1_offset;
    int32_t input2_offset;
    int32_t output_offset;
    int32_t multiplier;
    int32_t shift;
    int32_t act_min;
    int32_t act_max;
} te_mul_params;

/* SOFTMAX over the innermost axis (output scale 1/256, zero point -128): differences to the
 * row maximum at or above diff_min are scaled by input_multiplier * 2^input_left_shift
 * into Q5.26 and exponentiated in fixed point (see te_fixedpoint.h). */
typedef struct {
    int32_t input_multiplier;
    int32_t input_left_shift;
    int32_t diff_min;
} te_softmax_params;

/* LOGISTIC (output scale 1/256, zero point -128): inputs within input_range_radius of the
 * zero point are scaled into Q4.27 and passed through the fixed-point sigmoid. */
typedef struct {
    int32_t input_zero_point;
    int32_t input_range_radius;
    int32_t input_multiplier;
    int32_t input_left_shift;
} te_logistic_params;

/* HARD_SWISH in 16-bit fixed point: Q15 multipliers and power-of-two exponents for the
 * "relu6-ish" gate and for the output. */
typedef struct {
    int32_t input_zero_point;
    int32_t output_zero_point;
    int32_t reluish_multiplier; /* int16 range */
    int32_t reluish_exponent;
    int32_t output_multiplier; /* int16 range */
    int32_t output_exponent;   /* <= 0 */
} te_hard_swish_params;

/* STRIDED_SLICE of a 4-D tensor: output[i] reads input[start + i * stride] on each axis
 * (indexed n, h, w, c; strides may be negative). */
typedef struct {
    int32_t start[4];
    int32_t stride[4];
} te_strided_slice_params;

/* TRANSPOSE of a 4-D tensor: output axis a is input axis perm[a]. */
typedef struct {
    int32_t perm[4];
} te_transpose_params;

/* 2-D convolution. filter_dims = {out_c, kh, kw, in_c}; bias may be NULL;
 * quant->count == output channels. */
te_status te_conv_2d_s8(const te_context *ctx, const te_conv_params *params,
                        const te_quant_params *quant, const te_dims *input_dims,
                        const int8_t *input, const te_dims *filter_dims, const int8_t *filter,
                        const te_dims *bias_dims, const int32_t *bias,
                        const te_dims *output_dims, int8_t *output);
int32_t te_conv_2d_s8_get_buffer_size(const te_dims *input_dims, const te_dims *filter_dims);

/* Depthwise convolution. filter_dims = {1, kh, kw, in_c * depth_multiplier}. */
te_status te_depthwise_conv_2d_s8(const te_context *ctx, const te_dw_conv_params *params,
                                  const te_quant_params *quant, const te_dims *input_dims,
                                  const int8_t *input, const te_dims *filter_dims,
                                  const int8_t *filter, const te_dims *bias_dims,
                                  const int32_t *bias, const te_dims *output_dims,
                                  int8_t *output);
int32_t te_depthwise_conv_2d_s8_get_buffer_size(const te_dims *input_dims,
                                                const te_dims *filter_dims);

/* Fully connected. input_dims = {1, 1, batches, in}; filter_dims = {1, 1, out, in};
 * output_dims = {1, 1, batches, out}; quant->count is 1 or out. */
te_status te_fully_connected_s8(const te_context *ctx, const te_fc_params *params,
                                const te_quant_params *quant, const te_dims *input_dims,
                                const int8_t *input, const te_dims *filter_dims,
                                const int8_t *filter, const te_dims *bias_dims,
                                const int32_t *bias, const te_dims *output_dims,
                                int8_t *output);
int32_t te_fully_connected_s8_get_buffer_size(const te_dims *filter_dims);

/* Max pooling (input and output share scale and zero point). */
te_status te_max_pool_2d_s8(const te_context *ctx, const te_pool_params *params,
                            const te_dims *input_dims, const int8_t *input,
                            const te_dims *output_dims, int8_t *output);

/* Average pooling over the window part inside the input (padding is not counted). */
te_status te_average_pool_2d_s8(const te_context *ctx, const te_pool_params *params,
                                const te_dims *input_dims, const int8_t *input,
                                const te_dims *output_dims, int8_t *output);

/* Mean; output_dims equal input_dims with the reduced axes set to 1. */
te_status te_mean_s8(const te_context *ctx, const te_mean_params *params,
                     const te_dims *input_dims, const int8_t *input,
                     const te_dims *output_dims, int8_t *output);

/* Element-wise add of two tensors of `size` elements. output may alias either input. */
te_status te_add_s8(const te_context *ctx, const te_add_params *params, int32_t size,
                    const int8_t *input1, const int8_t *input2, int8_t *output);
int32_t te_add_s8_get_buffer_size(int32_t size);

/* Constant pad. */
te_status te_pad_s8(const te_context *ctx, const te_pad_params *params,
                    const te_dims *input_dims, const int8_t *input,
                    const te_dims *output_dims, int8_t *output);

/* Reshape: a byte copy of `size` elements; output may equal input (then a no-op). */
te_status te_reshape_s8(const te_context *ctx, int32_t size, const int8_t *input,
                        int8_t *output);

/* Rescale `size` elements (RELU, RELU6, int8 QUANTIZE). output may alias input. */
te_status te_rescale_s8(const te_context *ctx, const te_rescale_params *params,
                        int32_t size, const int8_t *input, int8_t *output);

/* QUANTIZE a float32 model input to int8, as TFLite Micro's AffineQuantize:
 * q = clamp(round_half_away_from_zero(x / scale) + zero_point, -128, 127), the quotient in
 * single precision. Where TFLite Micro is undefined (NaN, or a quotient beyond int32) this
 * kernel saturates: NaN gives the zero point, +-inf the ends of the range. */
te_status te_quantize_f32_s8(const te_context *ctx, const te_affine_params *params,
                             int32_t size, const float *input, int8_t *output);

/* DEQUANTIZE an int8 tensor to a float32 model output, as TFLite Micro's Dequantize:
 * x = scale * (q - zero_point), one rounding of the exact product. */
te_status te_dequantize_s8_f32(const te_context *ctx, const te_affine_params *params,
                               int32_t size, const int8_t *input, float *output);

/* Leaky ReLU of `size` elements. output may alias input. */
te_status te_leaky_relu_s8(const te_context *ctx, const te_leaky_relu_params *params,
                           int32_t size, const int8_t *input, int8_t *output);

/* Element-wise add with broadcasting: every input extent equals the output's or is 1. */
te_status te_add_broadcast_s8(const te_context *ctx, const te_add_params *params,
                              const te_dims *input1_dims, const int8_t *input1,
                              const te_dims *input2_dims, const int8_t *input2,
                              const te_dims *output_dims, int8_t *output);

/* Element-wise multiply with broadcasting (as te_add_broadcast_s8). */
te_status te_mul_s8(const te_context *ctx, const te_mul_params *params,
                    const te_dims *input1_dims, const int8_t *input1,
                    const te_dims *input2_dims, const int8_t *input2,
                    const te_dims *output_dims, int8_t *output);

/* Softmax over the c axis of every (n, h, w) row; c <= 511. */
te_status te_softmax_s8(const te_context *ctx, const te_softmax_params *params,
                        const te_dims *input_dims, const int8_t *input, int8_t *output);

/* Logistic (sigmoid) of `size` elements. output may alias input. */
te_status te_logistic_s8(const te_context *ctx, const te_logistic_params *params,
                         int32_t size, const int8_t *input, int8_t *output);

/* Hard swish, x * relu6(x + 3) / 6, of `size` elements. output may alias input. */
te_status te_hard_swish_s8(const te_context *ctx, const te_hard_swish_params *params,
                           int32_t size, const int8_t *input, int8_t *output);

/* Concatenation: for each of `outer` blocks, input i contributes copy_sizes[i] contiguous
 * bytes, inputs in order; outer = output size / sum(copy_sizes). */
te_status te_concatenation_s8(const te_context *ctx, int32_t count,
                              const int8_t *const *inputs, const int32_t *copy_sizes,
                              const te_dims *output_dims, int8_t *output);

/* Strided slice. */
te_status te_strided_slice_s8(const te_context *ctx, const te_strided_slice_params *params,
                              const te_dims *input_dims, const int8_t *input,
                              const te_dims *output_dims, int8_t *output);

/* Transpose (a byte permutation). */
te_status te_transpose_s8(const te_context *ctx, const te_transpose_params *params,
                          const te_dims *input_dims, const int8_t *input,
                          const te_dims *output_dims, int8_t *output);

/* Element-wise subtract, input1 - input2, with broadcasting (as te_add_broadcast_s8, with
 * ADD's parameters: TFLite's SUB rescales as ADD does). */
te_status te_sub_s8(const te_context *ctx, const te_add_params *params,
                    const te_dims *input1_dims, const int8_t *input1,
                    const te_dims *input2_dims, const int8_t *input2,
                    const te_dims *output_dims, int8_t *output);

/* Element-wise maximum / minimum of the raw values, with broadcasting; both inputs and the
 * output share one scale and zero point. */
te_status te_maximum_s8(const te_context *ctx, const te_dims *input1_dims,
                        const int8_t *input1, const te_dims *input2_dims,
                        const int8_t *input2, const te_dims *output_dims, int8_t *output);
te_status te_minimum_s8(const te_context *ctx, const te_dims *input1_dims,
                        const int8_t *input1, const te_dims *input2_dims,
                        const int8_t *input2, const te_dims *output_dims, int8_t *output);

/* Nearest-neighbour resize of NHWC height and width: output pixel (y, x) copies input pixel
 * (rows[y], cols[x]) of the same batch; rows has output h entries in [0, input h), cols
 * output w entries in [0, input w). */
te_status te_resize_nearest_neighbor_s8(const te_context *ctx, const te_dims *input_dims,
                                        const int8_t *input, const int32_t *rows,
                                        const int32_t *cols, const te_dims *output_dims,
                                        int8_t *output);

#ifdef __cplusplus
}
#endif

#endif /* TE_KERNELS_H */
