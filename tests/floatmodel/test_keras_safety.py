"""Keras files are untrusted: a Lambda layer's pickled Python bytecode is never run —
`tinyedge evaluate` and `tinyedge export` refuse the file in one line (safe_mode), for the
native `.keras` format and the legacy `.h5` alike."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from helpers.cli import refusal_line

pytestmark = [pytest.mark.tensorflow]


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_lambda_layer_is_refused_and_never_run(tmp_path: Path, run_cli, monkeypatch, suffix):
    monkeypatch.chdir(tmp_path)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    marker = tmp_path / "lambda_ran"
    # Saving traces the lambda once: remove what that wrote before tinyedge loads the file.
    touch = f"lambda t: (open({str(marker)!r}, 'w').close(), t)[1]"
    model = keras.Sequential([keras.Input((4,)), keras.layers.Lambda(eval(touch)),
                              keras.layers.Dense(3)])
    model.save(f"lam{suffix}")
    marker.unlink(missing_ok=True)
    np.savez("d.npz", inputs=np.zeros((2, 4), np.float32), labels=np.array([0, 1]))
    for args in (("evaluate", "--model", f"lam{suffix}", "--data", "d.npz"),
                 ("export", "--model", f"lam{suffix}", "--calib", "d.npz")):
        refusal_line(run_cli(*args), "holds Python code (a Lambda layer")
        assert not marker.exists(), "the Lambda's code ran"
    assert not Path("results").exists() and not Path("export").exists()
