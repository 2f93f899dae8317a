"""The cortexm_dsp variant's pieces that need no emulator: the AOT compiler's weight
layouts and requantization table, the single-rounding requantization against TFLM's two
steps (C, built for the host), the variant choice per board and its scratch in the plan."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from tinyedge.boards import load_board, load_board_file
from tinyedge.errors import TinyedgeError
from tinyedge.firmware import dsp_pack
from tinyedge.firmware.build import check_variant, kernel_variant
from tinyedge.firmware.host import firmware_root


def test_channel_pairs_layout() -> None:
    w = np.arange(3 * 6, dtype=np.int8).reshape(3, 6)  # 3 channels, K = 6 -> 2 groups
    packed = dsp_pack.pack_channel_pairs(w)
    assert packed.size == dsp_pack.packed_size(3, 6) == 2 * 2 * 8
    blocks = packed.reshape(2, 2, 2, 4)  # pair, group, channel in pair, 4 values
    assert blocks[0, 0, 0].tolist() == [0, 1, 2, 3] and blocks[0, 0, 1].tolist() == [6, 7, 8, 9]
    assert blocks[0, 1, 0].tolist() == [4, 5, 0, 0] and blocks[0, 1, 1].tolist() == [10, 11, 0, 0]
    assert blocks[1, 0, 0].tolist() == [12, 13, 14, 15] and not blocks[1, :, 1].any()


def test_depthwise_layout_pairs_channels_as_sxtb16_extracts_them() -> None:
    w = np.arange(1 * 1 * 2 * 5, dtype=np.int8).reshape(1, 1, 2, 5) - 4  # 2 taps, 5 ch
    words = dsp_pack.pack_depthwise(w).view(np.uint32)
    assert words.size == dsp_pack.dw_packed_words(5, 2) == 8

    def lanes(word: int) -> tuple[int, int]:
        lo, hi = word & 0xFFFF, word >> 16
        return (lo - 0x10000 if lo >= 0x8000 else lo, hi - 0x10000 if hi >= 0x8000 else hi)

    taps = w.reshape(2, 5)
    assert lanes(int(words[0])) == (taps[0, 0], taps[0, 2])  # group 0, tap 0: c0, c2
    assert lanes(int(words[1])) == (taps[0, 1], taps[0, 3])  # c1, c3
    assert lanes(int(words[6])) == (taps[1, 4], 0)  # group 1, tap 1: c4 and padding


def test_requant_table_and_appended_words() -> None:
    table = dsp_pack.requant_table(np.array([1 << 30]), np.array([-5]), 2).reshape(2, 3)
    assert table.tolist() == [[1 << 30, 1 << 3, 4]] * 2
    marks = dsp_pack.requant_table(np.array([7, 7, 7]), np.array([-2, -1, 3]), 3)
    assert marks.reshape(3, 3)[:, 1:].tolist() == [[1, 1], [0, -1], [0, -2]]
    blob = dsp_pack.append_words(np.zeros(8, np.int8), np.array([1, -1]))
    assert blob.dtype == np.int8 and blob[8:].view("<i4").tolist() == [1, -1]


def test_depthwise_full_window_bias_folds_the_input_offset() -> None:
    w = np.array([[[[1, -128, 127], [2, -128, 127]], [[3, -128, 127], [4, -128, 127]]]],
                 dtype=np.int8)  # (1, 2, 2, 3): 4 taps, 3 channels
    full = dsp_pack.dw_full_bias(w, np.array([5, 0, 2**31 - 1]), 128)
    assert full.dtype == np.int32
    # bias + offset * sum(taps), wrapping in int32 as the kernel's sums do
    assert full.tolist() == [5 + 128 * 10, 128 * -512, (2**31 - 1 + 128 * 508) - 2**32]
    assert dsp_pack.dw_full_bias(w, None, -3).tolist() == [-30, 1536, -1524]


@pytest.mark.tools("gcc")
def test_single_rounding_requantization_equals_tflm(tmp_path: Path) -> None:
    """te_requant_row / te_requant_apply (te_dsp.h, portable build) against
    te_multiply_by_quantized_multiplier on 4 million random and edge cases, every shift."""
    source = tmp_path / "rq.c"
    source.write_text(r"""
#include <stdio.h>
#include "te_dsp.h"
static uint64_t st = 88172645463325252ull;
static uint32_t rnd(void) { st ^= st << 13; st ^= st >> 7; st ^= st << 17; return (uint32_t)st; }
int main(void) {
    static const int32_t edge[] = {0, 1, -1, 2, -2, INT32_MAX, INT32_MIN, INT32_MIN + 1,
                                   1 << 30, -(1 << 30), (1 << 30) - 1, 1 - (1 << 30)};
    long bad = 0;
    for (long i = 0; i < 4000000; ++i) {
        int32_t m = (int32_t)((1u << 30) | (rnd() & 0x3fffffffu));
        if ((i & 7) == 0) m = (int32_t)(rnd() & 0x7fffffffu);
        const int32_t shift = (int32_t)(rnd() % 62) - 31;
        int32_t acc;
        switch (rnd() % 3) {
        case 0: acc = (int32_t)rnd(); break;
        case 1: acc = (int32_t)(rnd() % 200001) - 100000; break;
        default: acc = edge[rnd() % 12];
        }
        const te_requant r = te_requant_for(m, shift);
        const int32_t row[3] = {m, r.round, r.down};
        const int32_t want = te_multiply_by_quantized_multiplier(acc, m, shift);
        bad += te_requant_apply(acc, &r) != want;
        bad += te_requant_row(acc, row, &shift) != want;
    }
    printf("%ld\n", bad);
    return bad != 0;
}
""")
    root = firmware_root()
    exe = tmp_path / "rq"
    subprocess.run(["gcc", "-O2", f"-I{root / 'include'}", f"-I{root / 'kernels'}",
                    f"-I{root / 'kernels' / 'cortexm_dsp'}", str(source), "-o", str(exe)],
                   check=True)
    result = subprocess.run([str(exe)], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == "0"


def test_dsp_cores_default_to_the_dsp_kernels(tmp_path: Path) -> None:
    for name in ("nucleo-f746", "nucleo-h743", "nucleo-l4r5zi", "netduinoplus2",
                 "mps2-an386", "mps2-an500"):
        board = load_board(name)
        assert board.dsp and kernel_variant(board) == "cortexm_dsp"
    text = load_board("mps2-an386").path.read_text().replace("dsp = true", "dsp = false")
    (tmp_path / "mps2-an386.toml").write_text(text)
    plain = load_board_file(tmp_path / "mps2-an386.toml")
    assert not plain.dsp and kernel_variant(plain) == "reference"
    with pytest.raises(TinyedgeError, match="DSP extension"):
        check_variant(plain, "cortexm_dsp")
    with pytest.raises(TinyedgeError, match="unknown firmware kernel variant"):
        check_variant(plain, "optimized")


@pytest.mark.tensorflow
def test_dsp_scratch_is_planned_in_the_arena(zoo_int8) -> None:
    from tinyedge.firmware.compiler import compile_graph
    from tinyedge.firmware.tflite_reader import read_model

    graph = read_model(zoo_int8("scalecnn", 4))
    dsp = compile_graph(graph, variant="cortexm_dsp")
    convs = [layer for layer in dsp.layers if layer.op == "CONV_2D"]
    assert convs and all(layer.scratch > 0 for layer in convs)
    for layer in convs:
        in_dims, f_dims = layer.dims("input"), layer.dims("filter")
        k = f_dims[1] * f_dims[2] * in_dims[3]
        # CMSIS-NN's arm_convolve_s8 needs 2 * K int16; ours rounds K up to 4.
        assert layer.scratch == (k + 3) // 4 * 4 * 2 * 2
        assert layer.index in dsp.scratch_offsets
    assert dsp.arena_size >= max(layer.scratch for layer in convs)


@pytest.mark.cross
@pytest.mark.tensorflow
def test_a_model_that_fits_only_with_reference_kernels_still_builds(zoo_int8, tmp_path: Path
                                                                    ) -> None:
    """The DSP layouts cost some flash; on a board where only the reference layout fits,
    the default build falls back to it (an explicit variant is never replaced)."""
    import dataclasses
    import json

    from tinyedge.firmware.build import FitError, build_firmware, estimate_memory
    from tinyedge.firmware.host import compile_model

    model = zoo_int8("scalecnn", 4)
    board = load_board("mps2-an500")
    ref = estimate_memory(board, compile_model(model, "reference")[0]).flash_used
    dsp = estimate_memory(board, compile_model(model, "cortexm_dsp")[0]).flash_used
    assert dsp > ref
    tight = dataclasses.replace(board, memory=dataclasses.replace(board.memory,
                                                                  flash_bytes=ref + 16))
    result = build_firmware(tight, model, tmp_path / "fw", target="emulator")
    assert json.loads(result.memory_json.read_text())["kernel_variant"] == "reference"
    with pytest.raises(FitError):
        build_firmware(tight, model, tmp_path / "fw2", target="emulator",
                       variant="cortexm_dsp")
