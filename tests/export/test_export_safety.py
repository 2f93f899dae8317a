"""Issue 10, part B: an export is published whole or not at all, and evaluate trusts an
exported model only when its manifest describes that very file and its dataset."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers.cli import refusal_line, run_cli_subprocess, snapshot

from tinyedge.data.synthetic import make_synthetic_dataset
from tinyedge.export import pipeline
from tinyedge.export.untrained import export_untrained
from tinyedge.fileio import sha256_file
from tinyedge.models import resolve

pytestmark = [pytest.mark.tensorflow]

SPEC = resolve("scalecnn", 4)


@pytest.fixture(scope="module")
def five_class_export(tmp_path_factory):
    """An untrained ScaleCNN c=4 exported for a 5-class synthetic set (the `synthetic`
    dataset evaluate loads by name has 10 classes)."""
    work = tmp_path_factory.mktemp("export5")
    result = export_untrained(SPEC, work, make_synthetic_dataset(num_classes=5),
                              calib_samples=20, verify_samples=5)
    return work, result


@pytest.fixture(scope="module")
def synthetic_export(tmp_path_factory):
    """An untrained ScaleCNN c=4 exported for the `synthetic` dataset itself."""
    return export_untrained(SPEC, tmp_path_factory.mktemp("export10"), calib_samples=20,
                            verify_samples=5)


def _copy_export(result, tmp_path: Path) -> Path:
    folder = tmp_path / "export" / result.folder.name
    shutil.copytree(result.folder, folder)
    return folder / "model_int8.tflite"


def _refused(tmp_path: Path, *args: str, message: str) -> str:
    before = snapshot(tmp_path)
    line = refusal_line(run_cli_subprocess(*args, cwd=tmp_path), message)
    assert snapshot(tmp_path) == before, "nothing may be written"
    return line


def test_export_folder_is_complete_and_its_manifest_names_the_final_paths(five_class_export):
    work, result = five_class_export
    assert sorted(p.name for p in (work / "export").iterdir()) == [result.folder.name]
    outputs = result.manifest["outputs"]
    assert outputs["tflite"]["path"] == str(result.folder / "model_int8.tflite")
    assert outputs["tflite"]["sha256"] == sha256_file(result.tflite)
    assert (result.folder.stat().st_mode & 0o777) != 0o700  # not mkdtemp's private mode


def test_interrupted_re_export_leaves_the_previous_export_whole(five_class_export, tmp_path,
                                                                monkeypatch):
    work, result = five_class_export
    out = tmp_path / "export"
    shutil.copytree(result.folder, out / result.folder.name)
    before = {p.name: p.read_bytes() for p in (out / result.folder.name).iterdir()}

    def ctrl_c(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "onnx_to_int8_tflite", ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        pipeline.export_model(SPEC, work / f"{SPEC.run_name(0)}.pt", out,
                              dataset=make_synthetic_dataset(num_classes=5),
                              calib_samples=20, verify_samples=5)
    assert [p.name for p in out.iterdir()] == [result.folder.name], "no partial folder left"
    assert {p.name: p.read_bytes() for p in (out / result.folder.name).iterdir()} == before


def test_export_refuses_to_replace_a_folder_it_did_not_write(five_class_export, tmp_path):
    from tinyedge.errors import TinyedgeError

    work, _ = five_class_export
    mine = tmp_path / "export" / SPEC.run_name(0)
    mine.mkdir(parents=True)
    (mine / "notes.txt").write_text("precious")
    with pytest.raises(TinyedgeError, match="holds files an export did not write"):
        pipeline.export_model(SPEC, work / f"{SPEC.run_name(0)}.pt", tmp_path / "export",
                              dataset=make_synthetic_dataset(num_classes=5), calib_samples=20,
                              verify_samples=5)
    assert (mine / "notes.txt").read_text() == "precious"


def test_model_not_matching_its_manifest_is_refused(five_class_export, tmp_path):
    _, result = five_class_export
    model = _copy_export(result, tmp_path)
    model.write_bytes(model.read_bytes() + b"\0")  # a new .tflite beside the old manifest
    line = _refused(tmp_path, "evaluate", "--model", str(model), "--runtime", "tflm",
                    "--dataset", "synthetic", message="its sha256 differs")
    assert "manifest.json" in line


def test_class_count_differing_from_the_dataset_is_refused(five_class_export, tmp_path):
    _, result = five_class_export
    model = _copy_export(result, tmp_path)
    _refused(tmp_path, "evaluate", "--model", str(model), "--runtime", "tflm",
             message="has 5 output classes but synthetic has 10")


MANIFEST_CASES = {
    "not JSON": (lambda m: "{", "manifest.json is not valid JSON"),
    "a list": (lambda m: "[]", "holds a JSON list"),
    "NaN": (lambda m: json.dumps(m).replace('"input_scale": ', '"input_scale": NaN, "x": '),
            "NaN is not a number JSON allows"),
    "no stage": (lambda m: json.dumps({k: v for k, v in m.items() if k != "stage"}),
                 "field 'stage' must be a string"),
    "normalization a string": (
        lambda m: json.dumps({**m, "parameters": {**m["parameters"], "normalization": "x"}}),
        "field 'parameters.normalization' must be an object"),
    "std zero": (lambda m: json.dumps({**m, "parameters": {
        **m["parameters"], "normalization": {"mean": [0, 0, 0], "std": [0, 1, 1]}}}),
        "field 'parameters.normalization.std'"),
    "num_classes float": (lambda m: json.dumps({**m, "parameters": {
        **m["parameters"], "num_classes": 5.0}}), "field 'parameters.num_classes'"),
    "class_names short": (lambda m: json.dumps({**m, "parameters": {
        **m["parameters"], "class_names": ["a"]}}), "field 'parameters.class_names'"),
    "no tflite hash": (lambda m: json.dumps({**m, "outputs": {}}), "field 'outputs.tflite'"),
    "dataset a number": (lambda m: json.dumps({**m, "inputs": {**m["inputs"], "dataset": 3}}),
                         "field 'inputs.dataset' must be a string"),
}


@pytest.mark.parametrize("case", list(MANIFEST_CASES))
def test_broken_export_manifest_is_one_line(five_class_export, tmp_path, case):
    _, result = five_class_export
    model = _copy_export(result, tmp_path)
    manifest = model.parent / "manifest.json"
    edit, message = MANIFEST_CASES[case]
    manifest.write_text(edit(json.loads(manifest.read_text())))
    line = _refused(tmp_path, "evaluate", "--model", str(model), "--runtime", "tflm",
                    message=message)
    assert str(manifest) in line


def test_manifest_that_is_a_folder_is_one_line(five_class_export, tmp_path):
    _, result = five_class_export
    model = _copy_export(result, tmp_path)
    (model.parent / "manifest.json").unlink()
    (model.parent / "manifest.json").mkdir()
    _refused(tmp_path, "evaluate", "--model", str(model), "--runtime", "tflm",
             message="manifest.json is a folder")


def test_model_input_that_is_not_32x32x3_is_refused(five_class_export, tmp_path):
    import numpy as np
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([1, 8, 8, 3], tf.float32)])
    def odd(x):
        return tf.reduce_mean(x, axis=[1, 2])

    def representative():
        rng = np.random.default_rng(0)
        for _ in range(8):
            yield [rng.normal(size=(1, 8, 8, 3)).astype(np.float32)]

    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [odd.get_concrete_function()], odd)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = converter.inference_output_type = tf.int8
    _, result = five_class_export
    folder = tmp_path / "export" / "odd"
    folder.mkdir(parents=True)
    model = folder / "model_int8.tflite"
    model.write_bytes(converter.convert())
    manifest = json.loads((result.folder / "manifest.json").read_text())
    manifest["outputs"]["tflite"]["sha256"] = sha256_file(model)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    _refused(tmp_path, "evaluate", "--model", str(model), "--runtime", "tflm",
             message="takes input of shape 1×8×8×3, but tinyedge evaluates 1×32×32×3")


def test_untrained_nan_model_is_refused_and_metrics_never_hold_nan(tmp_path):
    """A checkpoint whose weights are NaN evaluates to NaN logits: refused, nothing written."""
    import torch

    from tinyedge.models import build_model
    from tinyedge.train import save_checkpoint

    ds = make_synthetic_dataset()
    model = build_model(SPEC, ds.num_classes)
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(float("nan"))
    checkpoint = tmp_path / "nan.pt"
    save_checkpoint(checkpoint, SPEC, model, class_names=ds.class_names,
                    normalization=ds.normalization(), extra={"dataset": "synthetic"})
    _refused(tmp_path, "--quiet", "evaluate", "--checkpoint", str(checkpoint), "--out", "r",
             message="outputs are NaN or infinite")


def test_export_of_a_nan_model_is_refused_and_writes_nothing(tmp_path):
    import torch

    from tinyedge.models import build_model
    from tinyedge.train import save_checkpoint

    ds = make_synthetic_dataset()
    model = build_model(SPEC, ds.num_classes)
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(float("nan"))
    checkpoint = tmp_path / "nan.pt"
    save_checkpoint(checkpoint, SPEC, model, class_names=ds.class_names,
                    normalization=ds.normalization(), extra={"dataset": "synthetic"})
    _refused(tmp_path, "--quiet", "export", "--arch", "scalecnn", "--width", "4",
             "--checkpoint", str(checkpoint), "--out", "export",
             message="produces NaN or infinite logits")


def _with_tiny_relu6_scale(result, tmp_path: Path) -> Path:
    """The export with its first convolution's output scale set to 1e-45 and a fused RELU6
    (the clamp bound 6 / 1e-45 overflows every integer type)."""
    import flatbuffers

    from tinyedge.firmware.tflite_reader import schema

    sch = schema()
    model = sch.ModelT.InitFromPackedBuf(bytearray(result.tflite.read_bytes()), 0)
    graph = model.subgraphs[0]
    conv = graph.operators[0]
    conv.builtinOptions.fusedActivationFunction = sch.ActivationFunctionType.RELU6
    graph.tensors[conv.outputs[0]].quantization.scale = [1e-45]
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    path = _copy_export(result, tmp_path)
    path.write_bytes(bytes(builder.Output()))
    manifest = json.loads((path.parent / "manifest.json").read_text())
    manifest["outputs"]["tflite"]["sha256"] = sha256_file(path)
    (path.parent / "manifest.json").write_text(json.dumps(manifest))
    return path


@pytest.mark.parametrize(("runtime", "message"), [
    ("tflm", "TFLite Micro cannot load"),
    ("litert", "LiteRT cannot load"),
    ("native", "too large for int32 fixed point"),
])
def test_output_scale_1e_45_with_relu6_is_one_line(synthetic_export, tmp_path, runtime,
                                                   message):
    model = _with_tiny_relu6_scale(synthetic_export, tmp_path)
    _refused(tmp_path, "--quiet", "evaluate", "--model", str(model), "--runtime", runtime,
             "--dataset", "synthetic", "--out", "r", message=message)
