"""The shared kernel case table: single-op int8 models every kernel variant must run
bit-exact with the TFLite Micro interpreter, on the host (test_kernels.py) and on the
emulated Cortex-M4 and M7 (test_kernels_device.py)."""

from __future__ import annotations

from helpers.firmware_models import OpCase

CASES = [
    OpCase("conv3x3_same_relu", "conv", (1, 9, 9, 3), {"filters": 5, "act": "relu"}),
    OpCase("conv3x3_valid_s2", "conv", (1, 10, 11, 4), {"filters": 6, "stride": 2,
                                                        "padding": "VALID"}),
    OpCase("conv5x5_same_s2_relu6", "conv", (1, 9, 8, 2), {"filters": 4, "k": 5, "stride": 2,
                                                           "act": "relu6"}),
    OpCase("conv1x1_wide", "conv", (1, 4, 4, 24), {"filters": 16, "k": 1}),
    OpCase("conv3x3_dilated", "conv", (1, 9, 9, 3), {"filters": 4, "dilation": 2}),
    OpCase("dw3x3_same_relu6", "depthwise", (1, 8, 8, 6), {"act": "relu6"}),
    OpCase("dw3x3_valid_s2", "depthwise", (1, 9, 9, 5), {"stride": 2, "padding": "VALID"}),
    OpCase("dw3x3_mult2", "depthwise", (1, 7, 7, 3), {"mult": 2, "stride": 2}),
    OpCase("fc", "fc", (1, 17), {"units": 7}),
    OpCase("fc_relu", "fc", (1, 40), {"units": 12, "act": "relu"}),
    OpCase("max_pool_2x2", "max_pool", (1, 8, 8, 3), {}),
    OpCase("max_pool_3x3_same", "max_pool", (1, 7, 7, 4), {"k": 3, "stride": 2,
                                                          "padding": "SAME"}),
    OpCase("avg_pool_2x2", "avg_pool", (1, 6, 6, 3), {}),
    OpCase("avg_pool_3x3_same", "avg_pool", (1, 7, 7, 3), {"k": 3, "stride": 2,
                                                          "padding": "SAME"}),
    OpCase("mean_hw_keep", "mean", (1, 5, 6, 7), {"keep": True}),
    OpCase("mean_hw_drop", "mean", (1, 4, 4, 9), {"keep": False}),
    OpCase("mean_w", "mean", (1, 3, 5, 4), {"keep": True, "axis": [2]}),
    OpCase("add", "add", (1, 6, 6, 4), {}),
    OpCase("add_relu", "add", (1, 5, 5, 3), {"act": "relu"}),
    OpCase("pad", "pad", (1, 5, 5, 3), {"pads": [[0, 0], [1, 2], [0, 1], [0, 0]]}),
    OpCase("reshape", "reshape", (1, 3, 3, 2), {}),
]

# The TFLite op each case is there to exercise.
EXPECTED_OP = {
    "conv": "CONV_2D", "depthwise": "DEPTHWISE_CONV_2D", "fc": "FULLY_CONNECTED",
    "max_pool": "MAX_POOL_2D", "avg_pool": "AVERAGE_POOL_2D", "mean": "MEAN", "add": "ADD",
    "pad": "PAD", "reshape": "RESHAPE", "softmax": "SOFTMAX", "concat": "CONCATENATION",
    "relu": "RELU", "relu6": "RELU6",
    "leaky_relu": "LEAKY_RELU", "logistic": "LOGISTIC", "hard_swish": "HARD_SWISH",
    "add_bcast": "ADD", "mul": "MUL", "strided_slice": "STRIDED_SLICE",
    "transpose": "TRANSPOSE", "sub": "SUB", "minimum": "MINIMUM", "maximum": "MAXIMUM",
    "squeeze": "SQUEEZE", "expand_dims": "EXPAND_DIMS",
    "resize_nearest": "RESIZE_NEAREST_NEIGHBOR",
}

# Cases for the Cortex-M DSP kernels' edges (issue 13): odd channel counts (1, 3, 5, 17,
# which exercise the channel-pair and 4-channel-group remainders), odd spatial sizes,
# strides 1 and 2, SAME and VALID, and per-channel weight magnitudes
# spread over five orders (extreme per-channel scales and shifts).
EXTREME = (1e-3, 1e2)
CASES += [
    OpCase("conv3x3_c1_f3", "conv", (1, 7, 5, 1), {"filters": 3}),
    OpCase("conv3x3_c3_f1_s2", "conv", (1, 9, 7, 3), {"filters": 1, "stride": 2}),
    OpCase("conv3x3_c5_f17_valid", "conv", (1, 7, 9, 5), {"filters": 17, "padding": "VALID"}),
    OpCase("conv3x3_c17_f5_s2_valid", "conv", (1, 9, 9, 17), {"filters": 5, "stride": 2,
                                                              "padding": "VALID"}),
    OpCase("conv1x1_c17_f5_odd", "conv", (1, 7, 5, 17), {"filters": 5, "k": 1}),
    OpCase("conv1x1_c8_f48", "conv", (1, 5, 5, 8), {"filters": 48, "k": 1, "act": "relu6"}),
    OpCase("conv3x3_c8_f16_relu", "conv", (1, 9, 9, 8), {"filters": 16, "act": "relu"}),
    OpCase("conv3x3_extreme_scales", "conv", (1, 6, 7, 4), {"filters": 9, "spread": EXTREME}),
    OpCase("conv1x1_extreme_scales", "conv", (1, 5, 3, 12), {"filters": 7, "k": 1,
                                                             "spread": EXTREME}),
    OpCase("dw3x3_c1", "depthwise", (1, 5, 7, 1), {}),
    OpCase("dw3x3_c3_s2", "depthwise", (1, 9, 7, 3), {"stride": 2}),
    OpCase("dw3x3_c5_valid", "depthwise", (1, 7, 7, 5), {"padding": "VALID"}),
    OpCase("dw3x3_c17_s2_valid", "depthwise", (1, 11, 9, 17), {"stride": 2,
                                                               "padding": "VALID"}),
    OpCase("dw3x3_c16_odd", "depthwise", (1, 5, 3, 16), {"act": "relu6"}),
    OpCase("dw3x3_2x2_input", "depthwise", (1, 2, 2, 8), {}),
    OpCase("dw5x5_c6", "depthwise", (1, 8, 9, 6), {"k": 5}),
    OpCase("dw3x3_extreme_scales", "depthwise", (1, 6, 5, 12), {"spread": EXTREME}),
    # channel counts dividing 16 on rows wide enough for host_simd's packed pixels (16 / C
    # pixels per vector) beside its per-pixel edges
    OpCase("dw3x3_c8_wide", "depthwise", (1, 6, 21, 8), {"act": "relu6"}),
    OpCase("dw3x3_c4_valid_wide", "depthwise", (1, 5, 13, 4), {"padding": "VALID"}),
    OpCase("dw3x3_c2_wide", "depthwise", (1, 4, 23, 2), {}),
    OpCase("dw3x3_c1_wide", "depthwise", (1, 3, 41, 1), {"padding": "VALID",
                                                         "spread": EXTREME}),
    OpCase("dw5x5_c8_wide", "depthwise", (1, 7, 12, 8), {"k": 5}),
    OpCase("fc_d3_u1", "fc", (1, 3), {"units": 1}),
    OpCase("fc_d17_u5", "fc", (1, 17), {"units": 5}),
    OpCase("fc_extreme_scales", "fc", (1, 33), {"units": 9, "spread": EXTREME}),
]

# Issue 16's operators: odd shapes, and input ranges from 2^-7 to 2^9 wide (extreme input
# scales, which move the fixed-point shifts of SOFTMAX and LOGISTIC to their ends).
TINY, HUGE = (-0.004, 0.003), (-300.0, 250.0)
CASES += [
    OpCase("softmax_10", "softmax", (1, 10), {}),
    OpCase("softmax_4d_c7", "softmax", (1, 3, 5, 7), {}),
    OpCase("softmax_c1", "softmax", (1, 4, 1), {}),
    OpCase("softmax_511", "softmax", (1, 511), {"range": (-8.0, 8.0)}),
    OpCase("softmax_tiny_scale", "softmax", (1, 2, 13), {"range": TINY}),
    OpCase("softmax_huge_scale", "softmax", (1, 3, 9), {"range": HUGE}),
    OpCase("concat_channels", "concat", (1, 5, 3, 3), {"branches": [4, 1]}),
    OpCase("concat_height", "concat", (1, 3, 4, 5), {"branches": [5, 5], "axis": 1}),
    OpCase("concat_width_odd", "concat", (1, 2, 3, 7), {"branches": [7], "axis": 2}),
    OpCase("relu", "relu", (1, 5, 7, 3), {}),
    OpCase("relu_huge_scale", "relu", (1, 9, 5), {"range": HUGE}),
    OpCase("relu6", "relu6", (1, 4, 3, 5), {"range": (-9.0, 11.0)}),
    OpCase("relu6_odd", "relu6", (1, 3, 11), {}),
    OpCase("leaky_relu", "leaky_relu", (1, 6, 5, 3), {"alpha": 0.1}),
    OpCase("leaky_relu_odd_alpha", "leaky_relu", (1, 17), {"alpha": 0.37, "range": TINY}),
    OpCase("leaky_relu_huge_scale", "leaky_relu", (1, 3, 3, 3), {"alpha": 0.013,
                                                                 "range": HUGE}),
    OpCase("logistic", "logistic", (1, 7, 3, 2), {}),
    OpCase("logistic_wide", "logistic", (1, 33), {"range": (-12.0, 9.0)}),
    OpCase("logistic_tiny_scale", "logistic", (1, 2, 5), {"range": TINY}),
    OpCase("hard_swish", "hard_swish", (1, 5, 5, 3), {"range": (-5.0, 5.0)}),
    OpCase("hard_swish_odd", "hard_swish", (1, 19), {}),
    OpCase("hard_swish_huge_scale", "hard_swish", (1, 3, 7), {"range": HUGE}),
    OpCase("add_bcast_channels", "add_bcast", (1, 5, 3, 7), {}),
    OpCase("add_bcast_rows_relu", "add_bcast", (1, 4, 6, 3), {"reduce": [2], "act": "relu"}),
    OpCase("add_const_vector", "add_bcast", (1, 3, 5, 4), {"const": (4,)}),
    OpCase("mul_bcast_channels", "mul", (1, 5, 3, 7), {}),
    OpCase("mul_const_rows", "mul", (1, 4, 3, 2), {"const": (4, 1, 1)}),
    OpCase("mul_huge_scale_relu6", "mul", (1, 3, 3, 5), {"range": HUGE, "act": "relu6"}),
    OpCase("strided_slice_steps", "strided_slice", (1, 7, 6, 5),
           {"slices": (slice(None), slice(1, 6, 2), slice(None, None, -1), slice(1, 4))}),
    OpCase("strided_slice_shrink", "strided_slice", (1, 5, 4, 3),
           {"slices": (slice(None), 2, slice(-3, None), slice(None))}),
    OpCase("transpose_hw", "transpose", (1, 3, 5, 4), {"perm": [0, 2, 1, 3]}),
    OpCase("transpose_3d", "transpose", (1, 7, 3), {"perm": [0, 2, 1]}),
]

# Float edges (issue 16): a float32 model input quantized by QUANTIZE and a float32 output
# from DEQUANTIZE around the int8 op; inputs include QUANTIZE's rounding ties and values
# far outside the int8 range (firmware_models.random_float_inputs).
CASES += [
    OpCase("fc_float_io", "fc", (1, 17), {"units": 7, "io": "float"}),
    OpCase("conv_float_io", "conv", (1, 7, 6, 3), {"filters": 5, "io": "float"}),
    OpCase("softmax_float_io", "softmax", (1, 10), {"io": "float", "range": (-6.0, 6.0)}),
    OpCase("dw_float_io_huge_scale", "depthwise", (1, 5, 5, 4), {"io": "float",
                                                                 "range": HUGE}),
    OpCase("relu_float_io_tiny_scale", "relu", (1, 3, 7), {"io": "float", "range": TINY}),
]

# ADD from TE_DSP_ADD_TABLE_MIN (256) elements on: the cortexm_dsp kernel tabulates each
# input's rescale over its 256 byte values (exactly 256, above it, extreme scales).
CASES += [
    OpCase("add_tabulated_256_relu6_huge", "add", (1, 8, 8, 4), {"act": "relu6",
                                                                 "range": HUGE}),
    OpCase("add_tabulated", "add", (1, 9, 8, 5), {}),
    OpCase("add_tabulated_tiny_relu", "add", (1, 16, 16, 3), {"act": "relu", "range": TINY}),
]

# Issue 22's operators. SUB: ADD's scheme with multipliers formed in single precision (two
# activations on their own scales, a broadcast constant, a broadcast activation, extreme
# scales, fused activations); MINIMUM / MAXIMUM: raw int8 comparisons on one shared scale
# (a requantized operand, constants incl. a scalar, broadcast activations); SQUEEZE and
# EXPAND_DIMS: aliases of their input; RESIZE_NEAREST_NEIGHBOR: plain, align_corners and
# half-pixel centers (TF refuses both at once), up and down, integer and fractional ratios.
CASES += [
    OpCase("sub_conv_minus_input", "sub", (1, 6, 5, 4), {"conv": True}),
    OpCase("sub_const_vector", "sub", (1, 3, 5, 4), {"const": (4,)}),
    OpCase("sub_bcast_rows_relu", "sub", (1, 4, 6, 3), {"reduce": [2], "act": "relu"}),
    OpCase("sub_huge_scale_relu6", "sub", (1, 3, 3, 5), {"range": HUGE, "act": "relu6",
                                                         "conv": True}),
    OpCase("sub_tiny_scale_odd", "sub", (1, 17), {"range": TINY, "reduce": [1]}),
    OpCase("minimum_const_vector", "minimum", (1, 5, 5, 4), {"const": (4,)}),
    OpCase("minimum_conv", "minimum", (1, 4, 5, 3), {"conv": True}),
    OpCase("maximum_bcast_mean", "maximum", (1, 5, 5, 4), {}),
    OpCase("maximum_scalar", "maximum", (1, 3, 7), {"const": ()}),
    OpCase("maximum_huge_scale_rows", "maximum", (1, 4, 3, 2), {"range": HUGE,
                                                               "reduce": [2]}),
    OpCase("squeeze_width", "squeeze", (1, 5, 1, 4), {"axis": 2}),
    OpCase("expand_dims_middle", "expand_dims", (1, 5, 3), {"axis": 2}),
    OpCase("resize_nearest_up2", "resize_nearest", (1, 3, 4, 3), {"size": (6, 8), "v1": True}),
    OpCase("resize_nearest_half_pixel", "resize_nearest", (1, 3, 5, 2), {"size": (7, 4)}),
    OpCase("resize_nearest_align", "resize_nearest", (1, 3, 5, 2),
           {"size": (7, 11), "v1": True, "align": True}),
    OpCase("resize_nearest_half_pixel_down", "resize_nearest", (1, 5, 7, 3),
           {"size": (2, 3), "v1": True, "half": True}),
    OpCase("resize_nearest_down", "resize_nearest", (1, 7, 9, 3),
           {"size": (3, 4), "v1": True}),
]
