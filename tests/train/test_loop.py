import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from tinyedge.data import load_dataset
from tinyedge.errors import CheckpointError, TinyedgeError
from tinyedge.fileio import read_manifest
from tinyedge.models import resolve
from tinyedge.train import TrainConfig, cosine_lr, load_model, train
from tinyedge.train.loop import STATE_NAME

pytestmark = [pytest.mark.subprocess]


def _config(**kw):
    base = dict(arch="scalecnn", width=4, seed=0, dataset="synthetic", epochs=3, batch_size=32)
    return TrainConfig(**{**base, **kw})


def _weights(checkpoint: Path) -> dict[str, torch.Tensor]:
    return torch.load(checkpoint, weights_only=True)["state_dict"]


def _assert_same_weights(a: Path, b: Path) -> None:
    wa, wb = _weights(a), _weights(b)
    assert wa.keys() == wb.keys()
    for key in wa:
        assert torch.equal(wa[key], wb[key]), key


def test_cosine_schedule_endpoints():
    cfg = _config(epochs=200)
    assert cosine_lr(0, cfg) == pytest.approx(0.1)
    assert cosine_lr(100, cfg) == pytest.approx((0.1 + 1e-5) / 2)
    assert cosine_lr(200, cfg) == pytest.approx(1e-5)


def test_training_learns_and_writes_run_folder(tmp_path, synthetic):
    result = train(_config(epochs=6, lr=0.05), synthetic, tmp_path)
    assert result.run_dir == tmp_path / "scalecnn-w4-s0"
    assert result.checkpoint.is_file() and not (result.run_dir / STATE_NAME).exists()
    assert result.history[-1]["loss"] < result.history[0]["loss"]
    manifest = read_manifest(result.run_dir)
    assert manifest["stage"] == "train" and manifest["figures"]["params"] == 21_936 - 90 * 33
    assert manifest["parameters"]["config"]["epochs"] == 6
    assert manifest["outputs"]["checkpoint"]["sha256"]
    model, spec, payload = load_model(result.checkpoint, expect=resolve("scalecnn", 4))
    assert spec.name == "scalecnn-w4" and payload["class_names"][0] == "class_0"
    assert not model.training


def test_same_seed_gives_identical_weights_and_other_seed_differs(tmp_path, synthetic):
    a = train(_config(), synthetic, tmp_path / "a")
    b = train(_config(), synthetic, tmp_path / "b")
    _assert_same_weights(a.checkpoint, b.checkpoint)
    c = train(_config(seed=1), synthetic, tmp_path / "c")
    assert not torch.equal(_weights(a.checkpoint)["classifier.weight"],
                           _weights(c.checkpoint)["classifier.weight"])


def test_interrupted_run_resumes_to_identical_weights(tmp_path, synthetic):
    cfg = _config(arch="mobilenetv2", width=0.1)  # has dropout: the global RNG must resume too
    straight = train(cfg, synthetic, tmp_path / "straight")

    def interrupt(epoch, _stats):
        if epoch == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(cfg, synthetic, tmp_path / "resumed", on_epoch_end=interrupt)
    state = torch.load(tmp_path / "resumed/mobilenetv2-w0.10-s0" / STATE_NAME, weights_only=True)
    assert state["epoch"] == 1
    resumed = train(cfg, synthetic, tmp_path / "resumed")
    assert resumed.resumed_from_epoch == 1
    assert [h["epoch"] for h in resumed.history] == [1, 2, 3]
    _assert_same_weights(straight.checkpoint, resumed.checkpoint)


def test_completed_run_is_not_retrained_and_other_settings_are_refused(tmp_path, synthetic):
    first = train(_config(epochs=1), synthetic, tmp_path)
    again = train(_config(epochs=1), synthetic, tmp_path)
    assert again.already_complete and again.checkpoint == first.checkpoint
    with pytest.raises(TinyedgeError, match="--force"):
        train(_config(epochs=2), synthetic, tmp_path)
    forced = train(_config(epochs=2), synthetic, tmp_path, force=True)
    assert len(forced.history) == 2


def test_killed_cli_run_resumes_without_losing_epochs(tmp_path, synthetic):
    """SIGKILL mid-run (no chance to clean up), then the same command finishes the run."""
    exe = str(Path(sys.executable).with_name("tinyedge"))
    args = [exe, "-q", "train", "--arch", "scalecnn", "--width", "4", "--dataset", "synthetic",
            "--epochs", "12", "--batch-size", "32", "--no-eval", "--out", str(tmp_path / "cli")]
    state_path = tmp_path / "cli/scalecnn-w4-s0" / STATE_NAME
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while not state_path.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = torch.load(state_path, weights_only=True)["epoch"]
    assert 1 <= killed_at < 12, "the run must have been killed mid-way"
    done = subprocess.run([*args[:2], "--quiet", *args[2:]], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    reference = train(_config(epochs=12), load_dataset("synthetic"), tmp_path / "ref")
    _assert_same_weights(reference.checkpoint, tmp_path / "cli/scalecnn-w4-s0/checkpoint.pt")
    history = read_manifest(tmp_path / "cli/scalecnn-w4-s0")["figures"]["history"]
    assert [h["epoch"] for h in history] == list(range(1, 13))


def test_cuda_request_without_gpu_is_clear(tmp_path, synthetic):
    if torch.cuda.is_available():
        pytest.fail("this test expects a CPU-only machine (CI); run it where there is no GPU")
    with pytest.raises(TinyedgeError, match="no CUDA GPU"):
        train(_config(epochs=1), synthetic, tmp_path, device="cuda")


def test_model_of_another_input_shape_is_refused_before_anything_is_written(tmp_path,
                                                                              synthetic):
    with pytest.raises(TinyedgeError, match=r"dscnn-w64 takes 49×10×1 inputs but synthetic "
                                            r"holds 32×32×3"):
        train(_config(arch="dscnn", width=64, epochs=1), synthetic, tmp_path)
    assert not any(tmp_path.iterdir())


def test_checkpoint_errors(tmp_path, synthetic):
    result = train(_config(epochs=1), synthetic, tmp_path)
    with pytest.raises(CheckpointError, match="holds scalecnn-w4, not the requested scalecnn-w8"):
        load_model(result.checkpoint, expect=resolve("scalecnn", 8))
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(result.checkpoint.read_bytes()[:500])
    with pytest.raises(CheckpointError, match="not a readable tinyedge checkpoint"):
        load_model(corrupt)
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": np.zeros(3).tolist()}, foreign)
    with pytest.raises(CheckpointError, match="not a tinyedge checkpoint"):
        load_model(foreign)
    with pytest.raises(CheckpointError, match="does not exist"):
        load_model(tmp_path / "missing.pt")
