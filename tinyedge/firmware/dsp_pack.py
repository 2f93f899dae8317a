"""Weight layouts of the cortexm_dsp kernels, written by the AOT compiler.

The DSP GEMM (``firmware/kernels/cortexm_dsp/te_dsp_gemm.h``) takes output channels in
pairs and the reduction axis K four values at a time. :func:`pack_channel_pairs` lays an
``[out, K]`` int8 matrix out in that order: for pair p and group g, channel 2p's values
4g..4g+3 then channel 2p+1's, zero-padded past K and for the missing partner of an odd
last channel. The C side reads each group as two aligned words.
"""

from __future__ import annotations

import numpy as np


def packed_size(out_channels: int, k: int) -> int:
    """Bytes of the packed layout: ceil(out/2) pairs x ceil(K/4) groups x 8."""
    return (out_channels + 1) // 2 * ((k + 3) // 4) * 8


def pack_channel_pairs(weights: np.ndarray) -> np.ndarray:
    """``weights`` of shape (out, ...) int8, flattened to [out, K] per channel."""
    w = np.asarray(weights, dtype=np.int8).reshape(weights.shape[0], -1)
    out, k = w.shape
    groups = (k + 3) // 4
    padded = np.zeros(((out + 1) // 2 * 2, groups * 4), dtype=np.int8)
    padded[:out, :k] = w
    # (pairs, 2, groups, 4) -> (pairs, groups, 2, 4)
    blocks = padded.reshape(-1, 2, groups, 4).transpose(0, 2, 1, 3)
    packed = np.ascontiguousarray(blocks).reshape(-1)
    assert packed.size == packed_size(out, k)
    return packed


def dw_packed_words(channels: int, taps: int) -> int:
    """int32 words of :func:`pack_depthwise`: 2 per tap per group of 4 channels."""
    return (channels + 3) // 4 * taps * 2


def pack_depthwise(weights: np.ndarray) -> np.ndarray:
    """Depthwise filter (1, kh, kw, C) int8 -> int32 words of int16 pairs for the
    cortexm_dsp depthwise kernel: channels in groups of 4 (zero-padded), for group g and
    tap t the words 2 * (g * taps + t) and +1 hold (w[c0], w[c2]) and (w[c1], w[c3]) --
    the lanes SXTB16 / SXTB16 ROR 8 give for the word of input channels c0..c3."""
    w = np.asarray(weights, dtype=np.int8)
    taps, channels = w.shape[1] * w.shape[2], w.shape[3]
    groups = (channels + 3) // 4
    flat = np.zeros((taps, groups * 4), dtype=np.int64)
    flat[:, :channels] = w.reshape(taps, channels)
    per = flat.reshape(taps, groups, 4).transpose(1, 0, 2)  # (groups, taps, 4)
    lanes = per & 0xFFFF
    w02 = lanes[..., 0] | (lanes[..., 2] << 16)
    w13 = lanes[..., 1] | (lanes[..., 3] << 16)
    words = np.stack([w02, w13], axis=-1).reshape(-1)
    packed = words.astype(np.uint32).view(np.int32)
    assert packed.size == dw_packed_words(channels, taps)
    return packed


def dw_full_bias(weights: np.ndarray, bias: np.ndarray | None, input_offset: int) -> np.ndarray:
    """Per channel bias + input_offset * (sum of the channel's taps), int32 with wrap-around
    as the kernel's int32 sums: the start value of a depthwise window entirely inside the
    input, whose taps the kernel then takes without the offset (integer addition in int32
    wraps the same in any order, so the result is bit-exact with the reference's)."""
    w = np.asarray(weights, dtype=np.int64)
    channels = w.shape[-1]
    total = w.reshape(-1, channels).sum(axis=0) * int(input_offset)
    if bias is not None:
        total = total + np.asarray(bias, dtype=np.int64).reshape(channels)
    return (total & 0xFFFFFFFF).astype(np.uint32).view(np.int32)


def requant_table(multipliers: np.ndarray, shifts: np.ndarray, channels: int) -> np.ndarray:
    """Per output channel (multiplier, round, down) int32 triples, the hoisted form of
    TFLM's requantization that ``te_dsp.h`` documents: for shift <= -2, round =
    2^(-shift-2) and down = -shift-1; down = -1 marks shift = -1 and -2 marks shift >= 0
    (the kernel then reads the original shift). One multiplier/shift pair (per-tensor
    quantization) is repeated for every channel."""
    m = np.broadcast_to(np.asarray(multipliers, dtype=np.int64), (channels,))
    s = np.broadcast_to(np.asarray(shifts, dtype=np.int64), (channels,))
    rounding = np.where(s <= -2, np.left_shift(1, np.clip(-s - 2, 0, 62)), 0)
    down = np.where(s <= -2, -s - 1, np.where(s == -1, -1, -2))
    return np.stack([m, rounding, down], axis=1).astype(np.int32).reshape(-1)


def append_words(blob: np.ndarray, words: np.ndarray) -> np.ndarray:
    """``blob`` (int8 or int32, a whole number of words) followed by int32 ``words``, as
    the blob's dtype (little-endian, as on every target)."""
    raw = np.concatenate([np.ascontiguousarray(blob).view(np.uint8),
                          np.asarray(words, dtype="<i4").view(np.uint8)])
    assert np.ascontiguousarray(blob).nbytes % 4 == 0
    return raw.view(blob.dtype)
