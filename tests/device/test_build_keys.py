"""Build folders are keyed by the model's content (and board and target), never by its
file name alone: two different `model.tflite` files get two firmware folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tinyedge.device.target import build_protocol_firmware
from tinyedge.firmware.build import build_firmware

CORPUS = Path(__file__).resolve().parents[1] / "fuzz" / "corpus"

pytestmark = pytest.mark.tools("arm-none-eabi-gcc")


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
    protocol = [build_protocol_firmware("mps2-an386", m, emulated=True).out_dir
                for m in models]
    assert protocol[0] != protocol[1]
    assert len({*plain, *protocol}) == 4
