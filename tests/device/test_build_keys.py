"""Build folders are keyed by the model's content (and board and target), never by its
file name alone: two different `model.tflite` files get two firmware folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tinyedge.device.target import build_protocol_firmware
from tinyedge.firmware.build import build_firmware

CORPUS = Path(__file__).resolve().parents[1] / "fuzz" / "corpus"

pytestmark = [pytest.mark.tools("arm-none-eabi-gcc"), pytest.mark.cross]


@pytest.mark.slow
def test_same_file_name_different_models_build_apart(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    models = []
    for folder, seed in (("a", "op_conv.tflite"), ("b", "op_fc.tflite")):
        (tmp_path / folder).mkdir()
        models.append(tmp_path / folder / "model.tflite")
        shutil.copyfile(CORPUS / seed, models[-1])
    plain = [build_firmware("mps2-an386", m, target="emulator").out_dir for m in models]
    assert plain[0] != plain[1] and all((p / "firmware.elf").is_file() for p in plain)
    # `tinyedge build` and `tinyedge flash`/`evaluate` reuse one folder per (model, board,
    # target) instead of one each.
    protocol = [build_protocol_firmware("mps2-an386", m, emulated=True).out_dir
                for m in models]
    assert protocol == plain


@pytest.mark.slow
def test_build_and_flash_share_one_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          run_cli) -> None:
    monkeypatch.chdir(tmp_path)
    model = tmp_path / "model.tflite"
    shutil.copyfile(CORPUS / "op_conv.tflite", model)
    assert run_cli("build", "--board", "mps2-an386", "--model", str(model), "--emulator").code == 0
    out = build_protocol_firmware("mps2-an386", model, emulated=True).out_dir
    elves = [p.relative_to(tmp_path) for p in (tmp_path / "build").rglob("firmware.elf")]
    assert elves == [out / "firmware.elf"]
