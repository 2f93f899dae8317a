"""Issue 17: the TFLite Micro host path sizes its arena for the model. A model with small
weights and large activations (a PAD to 124×124) needs more than the interpreter's default
of 10× the file size; it must run, equal to the native build, not fail."""

from __future__ import annotations

from pathlib import Path

import flatbuffers
import numpy as np

from tinyedge.firmware.host import build_native
from tinyedge.firmware.tflite_reader import schema
from tinyedge.int8 import run_int8, tflm_arena_bytes

SEED = Path(__file__).resolve().parents[1] / "fuzz" / "corpus" / "op_pad.tflite"


def big_pad_model(path: Path, size: int = 124) -> Path:
    model = schema().ModelT.InitFromPackedBuf(bytearray(SEED.read_bytes()), 0)
    graph = model.subgraphs[0]
    pad = graph.operators[1]
    paddings = graph.tensors[pad.inputs[1]]
    h, w = (int(d) for d in graph.tensors[pad.inputs[0]].shape[1:3])
    values = np.array([[0, 0], [0, size - h], [0, size - w], [0, 0]], dtype="<i4")
    model.buffers[paddings.buffer].data = values.view(np.uint8).reshape(-1)
    graph.tensors[pad.outputs[0]].shape = [1, size, size, 2]
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    path.write_bytes(bytes(builder.Output()))
    return path


def test_large_activation_model_runs_on_tflite_micro(tmp_path: Path) -> None:
    model = big_pad_model(tmp_path / "big_pad.tflite")
    size = model.stat().st_size
    assert tflm_arena_bytes(model) > 10 * size, "the model must outgrow TFLM's default arena"
    x = np.random.default_rng(0).integers(-128, 128, size=(3, 4, 4, 2), dtype=np.int8)
    got = run_int8(model, x, "tflm")
    want = build_native(model, tmp_path / "native").run(x)
    np.testing.assert_array_equal(got, want)
