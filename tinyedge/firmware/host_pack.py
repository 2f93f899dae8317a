"""Weight layouts of the host_simd kernels, written by the AOT compiler.

The host convolution (``firmware/kernels/host_simd/conv_2d.c``, whose header comment
describes the arithmetic) multiplies unsigned inputs (x + 128) by signed weights four
taps at a time, input channels padded to a multiple of 4. :func:`pack_conv` lays the
``[out, kh, kw, in]`` int8 filter out as rows of whole 4-tap words (zero weights on the
padded channels), out rounded up to 4 rows, and appends one int32 bias per row with the
correction for the shifted inputs folded in:

    bias'[o] = bias[o] + (input_offset - 128) * sum_k w[o, k]      (mod 2^32)

so that sum_k (x_k + 128) w[o, k] + bias'[o] equals TFLite Micro's
sum_k (x_k + input_offset) w[o, k] + bias[o] whenever the latter fits in int32 (which
the validator proves), because int32 addition wraps the same in any order.
"""

from __future__ import annotations

import numpy as np

from tinyedge.firmware.kernel_constants import (
    HOST_DW_BLOCK,
    HOST_LANES,
    HOST_PANEL_ALIGN,
    HOST_ROW_BLOCK,
    HOST_WORD_TAPS,
)


def _round_up(n: int, block: int) -> int:
    return (n + block - 1) // block * block


def channels4(in_channels: int) -> int:
    """Input channels rounded up to 4: a 4-tap word never straddles two taps."""
    return _round_up(in_channels, HOST_WORD_TAPS)


def conv_k_words(kh: int, kw: int, in_channels: int) -> int:
    """4-tap words per packed row."""
    return kh * kw * channels4(in_channels) // HOST_WORD_TAPS


def conv_rows(out_channels: int) -> int:
    """Packed rows: output channels rounded up to 4 (the kernel's smallest channel block)."""
    return _round_up(out_channels, HOST_ROW_BLOCK)


def conv_scratch_bytes(input_dims: tuple[int, ...], filter_dims: tuple[int, ...]) -> int:
    """The kernel's panel (16 pixels x 4 bytes per word) plus 64 bytes to align it, and the
    input widened to 4-channel groups when its channels are not already a multiple of 4."""
    n, h, w, c = input_dims
    widened = 0 if c % HOST_WORD_TAPS == 0 else n * h * w * channels4(c)
    return (conv_k_words(filter_dims[1], filter_dims[2], c) * HOST_LANES * HOST_WORD_TAPS
            + HOST_PANEL_ALIGN + widened)


def depthwise_scratch_bytes(filter_dims: tuple[int, ...]) -> int:
    """host_simd depthwise: widened weights and full-window biases with the channels
    rounded up to a vector, then one int32 accumulator per channel."""
    kh, kw, channels = filter_dims[1:]
    return ((kh * kw + 1) * _round_up(channels, HOST_DW_BLOCK) + channels) * 4


def pack_conv(weights: np.ndarray, bias: np.ndarray | None, input_offset: int) -> np.ndarray:
    """``weights`` (out, kh, kw, in) int8 -> int8 blob: packed rows, then int32 folded
    biases."""
    w = np.asarray(weights, dtype=np.int8)
    out, kh, kw, cin = w.shape
    rows, c4 = conv_rows(out), channels4(cin)
    packed = np.zeros((rows, kh, kw, c4), dtype=np.int8)
    packed[:out, :, :, :cin] = w
    total = np.zeros(rows, dtype=np.int64)
    total[:out] = w.reshape(out, -1).astype(np.int64).sum(axis=1) * (int(input_offset) - 128)
    if bias is not None:
        total[:out] += np.asarray(bias, dtype=np.int64).reshape(out)
    folded = (total & 0xFFFFFFFF).astype(np.uint32).astype("<u4").view(np.int8)
    return np.concatenate([packed.reshape(-1), folded])
