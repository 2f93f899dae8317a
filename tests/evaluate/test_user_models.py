"""Any model in, the whole analysis out — through the CLI as a user runs it, on the real
libraries: a small Keras CNN and a small PyTorch CNN (not zoo definitions) are exported
with `tinyedge export --model … --calib …`, evaluated in float, on native, TFLite Micro
and the emulated nucleo-f746 (its firmware in QEMU); a float/int8 `.tflite` pair
converted outside tinyedge is paired with `--float-model`. Every int8 record gains
`float_similarity`, and the report shows each model's float-vs-deployed sections."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import numpy as np
import pytest
from helpers.cli import refusal_line

from tinyedge.fileio import sha256_file
from tinyedge.records import load_record

pytestmark = [
    pytest.mark.tools("qemu-system-arm", "arm-none-eabi-gcc"),
    pytest.mark.cross,
    pytest.mark.qemu,
    pytest.mark.tensorflow,
]

CLASSES = 4
SIDE = 12


def _images(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A learnable toy task: classes 0-2 brighten one colour channel in a random quadrant,
    class 3 all three."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, CLASSES, n)
    images = rng.integers(0, 90, (n, SIDE, SIDE, 3)).astype(np.uint8)
    half = SIDE // 2
    for i, c in enumerate(labels):
        y, x = rng.integers(0, 2, 2)
        channels = slice(None) if c == 3 else int(c)
        images[i, y * half:(y + 1) * half, x * half:(x + 1) * half, channels] += 120
    return images, labels


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    train, train_labels = _images(256, 0)
    test, test_labels = _images(48, 1)
    np.savez(tmp_path / "calib.npz", images=train[:64])  # calibration needs no labels
    np.savez(tmp_path / "test.npz", images=test, labels=test_labels,
             class_names=np.array(["red", "green", "blue", "red2"]))
    np.save(tmp_path / "train_x.npy", train)
    np.save(tmp_path / "train_y.npy", train_labels)
    return tmp_path


def _keras_cnn(path: Path, train: np.ndarray, labels: np.ndarray) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((SIDE, SIDE, 3)),
        keras.layers.Conv2D(8, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(CLASSES, activation="softmax"),  # the usual Keras head
    ])
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit((train / 255.0 - 0.5) / 0.25, labels, epochs=12, batch_size=32, verbose=0)
    model.save(path)


TORCH_NET = '''
import torch
from torch import nn


class TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8),
                                      nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(8, 16, 3, padding=1), nn.ReLU())
        self.head = nn.Linear(16, 4)

    def forward(self, x):
        return self.head(self.features(x).mean(dim=(2, 3)))


def build():
    return TinyNet()
'''


def _torch_cnn(folder: Path, train: np.ndarray, labels: np.ndarray) -> None:
    import torch

    (folder / "tinynets.py").write_text(TORCH_NET)
    namespace: dict = {}
    exec(TORCH_NET, namespace)
    torch.manual_seed(0)
    net = namespace["build"]()
    x = torch.from_numpy(((train / 255.0 - 0.5) / 0.25).astype(np.float32)).permute(0, 3, 1, 2)
    y = torch.from_numpy(labels)
    opt = torch.optim.Adam(net.parameters(), 1e-2)
    for _ in range(60):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(x), y).backward()
        opt.step()
    torch.save(net.eval().state_dict(), folder / "tinynet.pt")


def _check_model_results(folder: Path, runtimes: tuple[str, ...], float_sha: str) -> None:
    """float/ holds the float model's record; every int8 record has float_similarity on
    all 48 images; native and the device equal TFLite Micro byte for byte."""
    manifest = json.loads((folder / "float" / "manifest.json").read_text())
    assert manifest["inputs"]["float_model"]["sha256"] == float_sha
    for runtime in runtimes:
        metrics = json.loads((folder / runtime / "metrics.json").read_text())
        s = metrics["float_similarity"]
        assert s["n"] == 48 and s["reference"] == "float", runtime
        assert s["cosine_similarity"] > 0.9 and 0 <= s["l2_relative_error"] < 0.5, (runtime, s)
    tflm = load_record(folder / "tflm").logits
    for runtime in runtimes:
        np.testing.assert_array_equal(load_record(folder / runtime).logits, tflm)


def _check_report(run_cli, names: list[str]) -> str:
    result = run_cli("report", "results")
    assert result.code == 0, result.err
    page = Path("results/report.html").read_text()
    with open("results/pairs.csv", newline="") as fh:
        pairs = list(csv.DictReader(fh))
    for name in names:
        section = page[page.index(f'id="model-{name}"'):]
        section = section[:section.index("</section>", section.index("Which inputs flipped"))]
        for heading in ("error-set Jaccard vs float", "flips vs float", "logits vs float: L2",
                        "Gini of per-class accuracy", "Per-class accuracy", "Calibration",
                        "Which inputs flipped"):
            assert heading in section, (name, heading)
        compared = {p["b"] for p in pairs if p["variant"] == name and p["a"] == "float"}
        assert {"tflm", "native", "device-nucleo-f746-qemu"} <= compared, (name, compared)
    return page


def test_keras_and_pytorch_models_exported_evaluated_everywhere_and_reported(workdir: Path,
                                                                            run_cli) -> None:
    train, labels = np.load("train_x.npy"), np.load("train_y.npy")
    _keras_cnn(workdir / "kcnn.keras", train, labels)
    _torch_cnn(workdir, train, labels)
    norm = "0.5,0.25"
    result = run_cli("export", "--model", "kcnn.keras", "--calib", "calib.npz", "--normalize",
                     norm, "--verify", "test.npz")
    assert result.code == 0, result.err
    assert "float↔int8 top-1 agreement" in result.out
    result = run_cli("export", "--model", "tinynets:build", "--weights", "tinynet.pt",
                     "--calib", "calib.npz", "--normalize", norm, "--name", "tnet")
    assert result.code == 0, result.err

    exported = json.loads(Path("export/kcnn/manifest.json").read_text())
    assert exported["inputs"]["float_model"]["sha256"] == sha256_file("kcnn.keras")
    assert exported["inputs"]["calib"]["sha256"] == sha256_file("calib.npz")
    assert exported["parameters"]["normalization"] == {"mean": [0.5] * 3, "std": [0.25] * 3}
    assert exported["parameters"]["outputs"] == "probabilities"  # Dense(softmax)
    assert exported["figures"]["float_top1"] > 0.5  # the toy task was learnt
    assert exported["figures"]["macs"] == 12 * 12 * 8 * 27 + 6 * 6 * 16 * 72 + 16 * 4
    result = run_cli("export", "--model", "kcnn.keras", "--calib", "calib.npz", "--normalize",
                     norm, "--name", "kcnn-again")
    assert result.code == 0, result.err  # deterministic: the same bytes again
    assert sha256_file("export/kcnn-again/model_int8.tflite") == sha256_file(
        "export/kcnn/model_int8.tflite")
    torch_export = json.loads(Path("export/tnet/manifest.json").read_text())
    assert torch_export["inputs"]["float_model"]["factory"] == "tinynets:build"
    assert torch_export["inputs"]["float_model"]["sha256"] == sha256_file("tinynet.pt")
    assert torch_export["parameters"]["outputs"] == "logits"

    runtimes = ("tflm", "native", "device-nucleo-f746-qemu")
    for name in ("kcnn", "tnet"):
        model = f"export/{name}/model_int8.tflite"
        for runtime in ("tflm", "native"):
            result = run_cli("evaluate", "--model", model, "--runtime", runtime, "--data",
                             "test.npz")
            assert result.code == 0, result.err
        result = run_cli("evaluate", "--board", "nucleo-f746", "--model", model, "--data",
                         "test.npz")
        assert result.code == 0, result.err
    _check_model_results(Path("results/kcnn"), runtimes, sha256_file("kcnn.keras"))
    _check_model_results(Path("results/tnet"), runtimes, sha256_file("tinynet.pt"))
    keras_metrics = json.loads(Path("results/kcnn/tflm/metrics.json").read_text())
    assert keras_metrics["outputs"] == "probabilities"
    assert keras_metrics["class_names"] == ["red", "green", "blue", "red2"]

    # The float model on its own, by the library of its format: the same outputs as the
    # float partner record evaluated beside the int8 runs.
    result = run_cli("evaluate", "--model", "kcnn.keras", "--data", "test.npz", "--normalize",
                     norm)
    assert result.code == 0, result.err
    alone = Path(f"results/kcnn-{sha256_file('kcnn.keras')[:8]}/float")
    np.testing.assert_allclose(load_record(alone).logits,
                               load_record("results/kcnn/float").logits, rtol=0, atol=1e-6)
    assert json.loads((alone / "metrics.json").read_text())["outputs"] == "probabilities"

    page = _check_report(run_cli, ["kcnn", "tnet"])
    assert "tinyedge report" in page


def test_a_float_and_int8_tflite_pair_converted_elsewhere(workdir: Path, run_cli) -> None:
    """A vendor's pair: both files converted with TensorFlow's converter, not tinyedge;
    paired by --float-model on the host and on the emulated board."""
    import tensorflow as tf

    train, labels = np.load("train_x.npy"), np.load("train_y.npy")
    _keras_cnn(workdir / "src.keras", train, labels)
    import keras

    model = keras.models.load_model("src.keras")
    Path("vendor_float.tflite").write_bytes(
        tf.lite.TFLiteConverter.from_keras_model(model).convert())
    x = ((train[:64] / 255.0 - 0.5) / 0.25).astype(np.float32)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([x[i:i + 1]] for i in range(len(x)))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = converter.inference_output_type = tf.int8
    Path("vendor_int8.tflite").write_bytes(converter.convert())

    pair = ("--data", "test.npz", "--normalize", "0.5,0.25", "--float-model",
            "vendor_float.tflite")
    for runtime in ("tflm", "native"):
        result = run_cli("evaluate", "--model", "vendor_int8.tflite", "--runtime", runtime,
                         *pair)
        assert result.code == 0, result.err
    result = run_cli("evaluate", "--board", "nucleo-f746", "--model", "vendor_int8.tflite",
                     *pair)
    assert result.code == 0, result.err
    name = f"vendor_int8-{sha256_file('vendor_int8.tflite')[:8]}"
    folder = Path("results") / name
    _check_model_results(folder, ("tflm", "native", "device-nucleo-f746-qemu"),
                         sha256_file("vendor_float.tflite"))
    for runtime in ("tflm", "native", "device-nucleo-f746-qemu"):  # both hashes recorded
        inputs = json.loads((folder / runtime / "manifest.json").read_text())["inputs"]
        assert inputs["model"]["sha256"] == sha256_file("vendor_int8.tflite")
        assert inputs["float_model"]["sha256"] == sha256_file("vendor_float.tflite")
    float_metrics = json.loads((folder / "float" / "metrics.json").read_text())
    assert float_metrics["outputs"] == "probabilities"  # the float graph's final SOFTMAX
    _check_report(run_cli, [name])

    # A float model that does not fit the int8 one is refused in one line, nothing written.
    np.savez("wrong.npz", images=np.zeros((2, 20, 20, 3), np.uint8), labels=np.zeros(2, int))
    refusal_line(run_cli("evaluate", "--model", "vendor_float.tflite", "--data", "wrong.npz",
                         "--normalize", "0.5,0.25"), "takes input of shape 1×12×12×3")
