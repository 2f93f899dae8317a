"""Models as real converters write them (issue 22): a Keras CNN whose Flatten has no fixed
batch size — the converter writes SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE, which tinyedge
evaluates ahead of time — runs byte for byte as on TFLite Micro on every host runtime and
on the emulated Cortex-M7 and M4; a model with operators tinyedge lacks still evaluates on
TFLite Micro and is refused on the native runtime naming every one of them; a cut-short
file says it is truncated (test_tflite_reader.py)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from helpers.firmware_models import random_inputs, tflm_outputs

from tinyedge.firmware.host import build_native
from tinyedge.firmware.tflite_reader import read_model

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# Every test converts a Keras model (module fixtures the tier table cannot see).
pytestmark = [pytest.mark.tensorflow, pytest.mark.slow]

SHAPE = (1, 10, 9, 3)
FOLDED = {"SHAPE", "STRIDED_SLICE", "PACK"}


def _convert(model, shape: tuple[int, ...], path: Path) -> Path:
    """Full-integer int8 conversion (int8 input and output) of a Keras model."""
    import tensorflow as tf

    rng = np.random.default_rng(1)

    def representative():
        for _ in range(16):
            yield [rng.uniform(-1.0, 1.0, size=shape).astype(np.float32)]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    path.write_bytes(converter.convert())
    return path


@pytest.fixture(scope="module")
def flatten_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small Keras CNN ending in Flatten -> Dense, its input declared without a batch
    size (keras.Input(shape) leaves it None), converted by TensorFlow's own converter."""
    import tensorflow as tf

    tf.keras.utils.set_random_seed(0)
    layers = tf.keras.layers
    inputs = tf.keras.Input(SHAPE[1:])
    x = layers.Conv2D(6, 3, activation="relu")(inputs)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(8, 3, padding="same", activation="relu")(x)
    x = layers.Flatten()(x)
    outputs = layers.Dense(10)(x)
    model = tf.keras.Model(inputs, outputs)
    assert model.input_shape[0] is None
    return _convert(model, SHAPE, tmp_path_factory.mktemp("any_model") / "flatten.tflite")


def test_the_converter_writes_shape_arithmetic_that_tinyedge_folds(flatten_model: Path,
                                                                  native_cache: Path) -> None:
    ops = [op.opcode for op in read_model(flatten_model).operators]
    assert {"SHAPE", "PACK", "STRIDED_SLICE", "RESHAPE"} <= set(ops), ops
    compiled = build_native(flatten_model, native_cache, "reference").compiled
    layers = [layer.op for layer in compiled.layers]
    assert not FOLDED & set(layers) and "RESHAPE" in layers
    assert len(layers) == len(ops) - 3
    # the folded values take no arena: every planned tensor is an int8 activation
    assert {compiled.graph.tensors[t].dtype for t in compiled.offsets} == {"INT8"}


def test_flatten_model_is_bit_exact_on_every_host_runtime(flatten_model: Path,
                                                          native_cache: Path) -> None:
    from tinyedge.int8 import run_int8

    inputs = random_inputs(SHAPE, 40, seed=2)
    expected = tflm_outputs(flatten_model, inputs)
    for variant in ("reference", "host_simd", "cortexm_dsp"):
        got = build_native(flatten_model, native_cache, variant).run(inputs)
        np.testing.assert_array_equal(got, expected, err_msg=variant)
    for runtime in ("native", "litert-ref"):
        got = run_int8(flatten_model, inputs, runtime).reshape(expected.shape)
        np.testing.assert_array_equal(got, expected, err_msg=runtime)


@pytest.mark.cross
@pytest.mark.qemu
@pytest.mark.tools("qemu-system-arm", "arm-none-eabi-gcc")
def test_flatten_model_is_bit_exact_on_emulated_cores(flatten_model: Path,
                                                      tmp_path: Path) -> None:
    from tinyedge.firmware.suite import SuiteCase, build_suite, run_suite

    inputs = random_inputs(SHAPE, 12, seed=4)
    expected = tflm_outputs(flatten_model, inputs)
    case = SuiteCase(flatten_model, inputs.reshape(len(inputs), -1))
    for board in ("mps2-an500", "mps2-an386"):  # Cortex-M7, Cortex-M4
        (result,) = run_suite(board, build_suite(board, [case], tmp_path / board,
                                                 "cortexm_dsp"), 1)
        np.testing.assert_array_equal(result.outputs, expected, err_msg=board)
        assert min(result.instructions) > 0


@pytest.fixture(scope="module")
def lacking_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A classifier with two operators tinyedge has no kernel for, both of which TFLite
    Micro runs: TANH and PRELU (int8), around a convolution, then a global mean."""
    import tensorflow as tf

    tf.keras.utils.set_random_seed(3)
    layers = tf.keras.layers
    inputs = tf.keras.Input((4, 4, 3), batch_size=1)
    x = layers.Activation("tanh")(inputs)
    x = layers.Conv2D(4, 1)(x)
    x = layers.PReLU(shared_axes=[1, 2])(x)
    outputs = layers.GlobalAveragePooling2D()(x)
    return _convert(tf.keras.Model(inputs, outputs), (1, 4, 4, 3),
                    tmp_path_factory.mktemp("lacking") / "lacking.tflite")


def test_a_model_with_operators_tinyedge_lacks_evaluates_on_tflm_not_native(
        lacking_model: Path, tmp_path: Path, run_cli) -> None:
    ops = [op.opcode for op in read_model(lacking_model).operators]
    lacking = [(i, name) for i, name in enumerate(ops) if name in ("TANH", "PRELU")]
    assert [name for _, name in lacking] == ["TANH", "PRELU"], ops
    assert "DEQUANTIZE" not in ops, ops  # all int8: only the two operators are lacking
    images = np.random.default_rng(0).integers(0, 256, (6, 4, 4, 3), dtype=np.uint8)
    data = tmp_path / "d.npz"
    np.savez(data, images=images, labels=np.arange(6) % 4)
    args = ("evaluate", "--model", str(lacking_model), "--data", str(data), "--normalize",
            "0.5,0.25")
    ok = run_cli(*args, "--runtime", "tflm", "--out", str(tmp_path / "tflm"))
    assert ok.code == 0, ok.err
    refused = run_cli(*args, "--runtime", "native", "--out", str(tmp_path / "native"))
    assert refused.code == 2, refused.err
    lines = refused.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in refused.err, refused.err
    named = ", ".join(f"operator {i} ({name})" for i, name in lacking)
    assert f"{named} cannot run on the int8 path" in lines[0], lines[0]
    assert "--runtime tflm" in lines[0]
    assert not (tmp_path / "native").exists()

