"""The user's float models (fast tier: ONNX and PyTorch, crafted files; Keras and float
TFLite run in tests/evaluate/test_user_models.py): formats told from content, safe
loading, layout, what the outputs are, MACs from a graph, and one-line refusals."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from tinyedge.errors import ModelError
from tinyedge.fileio import set_aside, write_manifest
from tinyedge.firmware.tflite_reader import Graph, Operator, Tensor, read_model
from tinyedge.floatmodel import (
    detect_format,
    graph_macs,
    graph_output_kind,
    graph_params,
    is_float_graph,
    load_float_model,
    output_kind_of_values,
)
from tinyedge.models import build_model, count_macs, resolve

CORPUS = Path(__file__).resolve().parents[1] / "fuzz" / "corpus"

NET = '''
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(torch.relu(self.conv(x)).mean(dim=(2, 3)))


def build():
    return Net()


def broken():
    raise ValueError("no such width")
'''


@pytest.fixture
def net(tmp_path: Path, monkeypatch) -> tuple[nn.Module, Path]:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "user_nets.py").write_text(NET)
    namespace: dict = {}
    exec(NET, namespace)
    torch.manual_seed(0)
    module = namespace["build"]().eval()
    torch.save(module.state_dict(), tmp_path / "net.pt")
    return module, tmp_path


def _images(n: int = 5) -> np.ndarray:
    return np.random.default_rng(0).normal(size=(n, 6, 6, 3)).astype(np.float32)


def _torch_out(module: nn.Module, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return module(torch.from_numpy(x.transpose(0, 3, 1, 2).copy())).numpy()


# --- formats ---------------------------------------------------------------------------

def test_formats_are_told_from_content(tmp_path: Path) -> None:
    tflite = tmp_path / "any.bin"
    tflite.write_bytes(b"\x1c\0\0\0TFL3" + bytes(16))
    assert detect_format(tflite) == "tflite"
    h5 = tmp_path / "m.weird"
    h5.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(8))
    assert detect_format(h5) == "keras"
    keras_zip = tmp_path / "m.keras"
    with zipfile.ZipFile(keras_zip, "w") as z:
        z.writestr("config.json", "{}")
        z.writestr("model.weights.h5", b"")
    assert detect_format(keras_zip) == "keras"
    script = tmp_path / "m.pt"
    with zipfile.ZipFile(script, "w") as z:
        z.writestr("m/code/__torch__.py", "")
        z.writestr("m/constants.pkl", b"")
    assert detect_format(script) == "torchscript"
    saved = tmp_path / "saved"
    saved.mkdir()
    with pytest.raises(ModelError, match=r"without saved_model\.pb"):
        detect_format(saved)
    (saved / "saved_model.pb").write_bytes(b"")
    assert detect_format(saved) == "savedmodel"
    onnx_file = tmp_path / "m.onnx"
    onnx_file.write_bytes(b"\x08\x07")
    assert detect_format(onnx_file) == "onnx"
    assert detect_format("my_pkg.nets:build_net") == "torch-module"
    assert detect_format("path/to/nets.py:build") == "torch-module"


def test_unknown_and_weight_only_files_are_refused_with_the_fix(tmp_path: Path) -> None:
    state = tmp_path / "weights.pt"
    torch.save(nn.Linear(2, 2).state_dict(), state)
    with pytest.raises(ModelError, match=r"state dict .*--model my_package.models:build_net"):
        detect_format(state)
    junk = tmp_path / "notes.txt"
    junk.write_text("hello")
    with pytest.raises(ModelError, match="unknown format"):
        detect_format(junk)
    with pytest.raises(ModelError, match="does not exist"):
        detect_format(tmp_path / "missing.onnx")


# --- ONNX and PyTorch --------------------------------------------------------------------

def test_onnx_model_runs_channels_first_like_pytorch(net) -> None:
    module, folder = net
    path = folder / "net.onnx"
    torch.onnx.export(module, (torch.zeros(1, 3, 6, 6),), str(path), dynamo=False,
                      input_names=["x"], output_names=["y"])
    model = load_float_model(path)
    x = _images()
    assert model.format == "onnx" and model.declared == (1, 3, 6, 6)
    assert model.layout((6, 6, 3)) == "NCHW" and model.output_kind == "logits"
    assert model.parameters == sum(p.numel() for p in module.parameters())
    np.testing.assert_allclose(model.run(x), _torch_out(module, x), atol=1e-5)
    with pytest.raises(ModelError, match=r"takes input of shape 1×3×6×6.*rows of 5×5×3"):
        model.check_input((5, 5, 3), "--data d.npz")


def test_onnx_softmax_head_is_probabilities_and_external_data_is_refused(net) -> None:
    import onnx

    module, folder = net
    path = folder / "soft.onnx"
    torch.onnx.export(nn.Sequential(module, nn.Softmax(dim=1)), (torch.zeros(1, 3, 6, 6),),
                      str(path), dynamo=False)
    assert load_float_model(path).output_kind == "probabilities"
    proto = onnx.load(str(path))
    onnx.save(proto, str(folder / "ext.onnx"), save_as_external_data=True,
              all_tensors_to_one_file=True, location="ext.data", size_threshold=0)
    with pytest.raises(ModelError, match="external files"):
        load_float_model(folder / "ext.onnx")


def test_pytorch_factory_with_a_weights_only_state_dict(net) -> None:
    module, folder = net
    x = _images()
    for spec in ("user_nets:build", "user_nets.py:build"):
        model = load_float_model(spec, folder / "net.pt")
        assert model.format == "torch-module" and model.layout((6, 6, 3)) == "NCHW"
        np.testing.assert_allclose(model.run(x), _torch_out(module, x), atol=1e-6)
        assert model.identity["factory"] == spec and model.output_kind is None
    scripted = folder / "net_ts.pt"  # scripted from the imported file (its source is there)
    torch.jit.save(torch.jit.trace(model.module, torch.zeros(1, 3, 6, 6)), scripted)
    np.testing.assert_allclose(load_float_model(scripted).run(x), _torch_out(module, x),
                               atol=1e-6)


class Payload:  # a pickled object: what weights_only refuses to construct
    pass


@pytest.mark.parametrize(("spec", "weights", "message"), [
    ("missing_mod:build", "net.pt", "cannot import missing_mod"),
    ("user_nets:nothing", "net.pt", "has no callable nothing"),
    ("user_nets:broken", "net.pt", r"user_nets:broken\(\) raised ValueError: no such width"),
    ("user_nets:build", "pickle.pt", "not a state dict tinyedge loads safely"),
    ("user_nets:build", "other.pt", "does not fit user_nets:build"),
    ("user_nets:build", None, "pass its state dict with --weights"),
])
def test_pytorch_refusals_are_one_line(net, spec, weights, message) -> None:
    _, folder = net
    torch.save({"x": Payload()}, folder / "pickle.pt")
    torch.save(nn.Linear(5, 5).state_dict(), folder / "other.pt")
    with pytest.raises(ModelError, match=message) as info:
        load_float_model(spec, None if weights is None else folder / weights)
    assert "\n" not in str(info.value)


def test_weights_without_a_factory_are_refused(net) -> None:
    module, folder = net
    torch.onnx.export(module, (torch.zeros(1, 3, 6, 6),), str(folder / "n.onnx"), dynamo=False)
    with pytest.raises(ModelError, match="--weights goes with --model module:factory"):
        load_float_model(folder / "n.onnx", folder / "net.pt")


# --- graphs: output kind, float or int8, MACs ---------------------------------------------

def _tensor(index: int, dtype: str = "INT8", scale: float = 0.1, zero: int = 0) -> Tensor:
    return Tensor(index, f"t{index}", (1, 4), dtype, (scale,), (zero,), 0, None)


def _graph(ops: list[str], out: Tensor) -> Graph:
    tensors = [_tensor(i) for i in range(len(ops))] + [out]
    operators = [Operator(i, op, (i,), (i + 1,), None) for i, op in enumerate(ops)]
    return Graph(tuple(tensors), tuple(operators), (0,), (len(ops),), "")


def test_output_kind_of_a_graph() -> None:
    logits = _tensor(3, scale=0.2, zero=5)
    assert graph_output_kind(_graph(["CONV_2D", "FULLY_CONNECTED", "RESHAPE"], logits)) == \
        "logits"
    assert graph_output_kind(_graph(["FULLY_CONNECTED", "SOFTMAX", "RESHAPE"], logits)) == \
        "probabilities"
    assert graph_output_kind(_graph(["FULLY_CONNECTED", "LOGISTIC", "DEQUANTIZE"],
                                    _tensor(3, "FLOAT32"))) == "probabilities"
    # TFLite's int8 probability encoding without the op in sight: scale 1/256, zp −128
    assert graph_output_kind(_graph(["FULLY_CONNECTED"], _tensor(1, scale=1 / 256,
                                                                 zero=-128))) == "probabilities"
    for name in ("op_fc", "zoo_scalecnn_4", "op_classifier_float_io"):
        assert graph_output_kind(read_model(CORPUS / f"{name}.tflite")) == "logits"


def test_output_kind_of_float_values_when_the_graph_cannot_say() -> None:
    assert output_kind_of_values(np.array([[0.7, 0.2, 0.1], [0.0, 1.0, 0.0]])) == \
        "probabilities"
    assert output_kind_of_values(np.array([[2.1, -0.3, 0.4]])) == "logits"
    assert output_kind_of_values(np.array([[0.5, 0.4, 0.0]])) == "logits"  # sums to 0.9
    assert output_kind_of_values(np.array([[0.2, 0.2], [0.9, 0.9]])) == "logits"  # sigmoids


def test_int8_models_with_float_edges_are_not_float_models() -> None:
    assert not is_float_graph(read_model(CORPUS / "op_classifier_float_io.tflite"))
    assert not is_float_graph(read_model(CORPUS / "op_fc.tflite"))
    float_graph = _graph(["CONV_2D"], _tensor(1, "FLOAT32"))
    float_graph = Graph((_tensor(0, "FLOAT32"), _tensor(1, "FLOAT32")),
                        float_graph.operators, (0,), (1,), "")
    assert is_float_graph(float_graph)


def test_macs_from_the_graph_equal_the_zoo_count() -> None:
    assert graph_macs(read_model(CORPUS / "zoo_scalecnn_4.tflite")) == count_macs(
        build_model(resolve("scalecnn", 4), 10)) == 921_920
    assert graph_macs(read_model(CORPUS / "zoo_mobilenetv2_0.1.tflite")) == count_macs(
        build_model(resolve("mobilenetv2", 0.1), 10))
    # op_fc: one FULLY_CONNECTED 12 → 5: 60 MACs
    assert graph_macs(read_model(CORPUS / "op_fc.tflite")) == 60


def test_params_of_the_deployed_graph() -> None:
    # ScaleCNN c=4, 10 classes: conv weights 3·3·(3·4 + 4·4 + 4·8 + 8·8 + 8·16 + 16·16
    # + 16·32 + 32·32) = 18,396, one folded bias per channel 120, FC 32·10 + 10 = 330:
    # 18,846 (PyTorch counts 18,966: two BatchNorm numbers per channel, no conv bias)
    assert graph_params(read_model(CORPUS / "zoo_scalecnn_4.tflite")) == 18_846
    assert graph_params(read_model(CORPUS / "op_fc.tflite")) == 12 * 5 + 5


# --- results of another model are moved aside, never overwritten ---------------------------

def test_set_aside_moves_only_another_models_evaluation(tmp_path: Path) -> None:
    folder = tmp_path / "results" / "m" / "tflm"
    write_manifest(folder, "evaluate", inputs={"model": {"sha256": "a" * 64}})
    assert set_aside(folder, "model", "a" * 64) is None and folder.is_dir()  # same model
    moved = set_aside(folder, "model", "b" * 64)
    assert moved == folder.with_name(".tflm-" + "a" * 12) and moved.is_dir()
    assert not folder.exists()
    zoo_float = tmp_path / "results" / "m" / "float"  # a zoo checkpoint's float record
    write_manifest(zoo_float, "evaluate", inputs={"checkpoint": {"sha256": "c" * 64}})
    assert set_aside(zoo_float, ("float_model", "checkpoint"), "c" * 64) is None
    assert set_aside(zoo_float, ("float_model", "checkpoint"), "d" * 64) is not None
    assert not zoo_float.exists()
    export = tmp_path / "export" / "m"
    write_manifest(export, "export", inputs={"model": {"sha256": "a" * 64}})
    assert set_aside(export, "model", "b" * 64) is None and export.is_dir()  # not a result
