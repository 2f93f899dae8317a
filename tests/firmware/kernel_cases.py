"""The shared kernel case table: single-op int8 models every kernel variant must run
bit-exact with the TFLite Micro interpreter, on the host (test_kernels.py) and on the
emulated Cortex-M4 and M7 (test_kernels_device.py)."""

from __future__ import annotations

from firmware_models import OpCase

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
    "pad": "PAD", "reshape": "RESHAPE",
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
    OpCase("fc_d3_u1", "fc", (1, 3), {"units": 1}),
    OpCase("fc_d17_u5", "fc", (1, 17), {"units": 5}),
    OpCase("fc_extreme_scales", "fc", (1, 33), {"units": 9, "spread": EXTREME}),
]
