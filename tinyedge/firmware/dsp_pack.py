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
