"""One protocol definition (tinyedge.protocol): the firmware header is generated from it,
the host decodes with it, and a device of another protocol version is refused."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from helpers.fake_device import info_payload

from tinyedge import protocol
from tinyedge.boards import load_board
from tinyedge.device.evaluate import DeviceMismatch, DeviceTarget, _check_model
from tinyedge.device.messages import DeviceInfo


def test_generated_header_carries_every_code_and_offset() -> None:
    header = protocol.c_header()
    for command in protocol.Command:
        assert f"#define TE_CMD_{command.name} 0x{command.value:02X}u" in header
    for reply in protocol.Reply:
        assert f"#define TE_REPLY_{reply.name} 0x{reply.value:02X}u" in header
    assert f"#define TE_INFO_SIZE {protocol.INFO.size}u" in header
    assert f"#define TE_FRAME_MAX_PAYLOAD {protocol.REQUEST_MAX_PAYLOAD}u" in header
    assert protocol.info_offsets()["board"] + 16 == protocol.INFO.size


def test_generated_header_agrees_with_python_when_compiled(tmp_path: Path) -> None:
    """Compile the header with the host C compiler and print the layout back."""
    (tmp_path / "te_protocol_gen.h").write_text(protocol.c_header())
    (tmp_path / "main.c").write_text(
        '#include <stdio.h>\n#include "te_protocol_gen.h"\n'
        'int main(void) { printf("%u %u %u %u", TE_PROTOCOL_VERSION, TE_INFO_SIZE, '
        "TE_INFO_OFF_MODEL_SHA256, TE_REPLY_FAULT); return 0; }\n")
    subprocess.run(["gcc", "-std=c11", "-Wall", "-Werror", str(tmp_path / "main.c"), "-o",
                    str(tmp_path / "main")], check=True)
    out = subprocess.run([str(tmp_path / "main")], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [str(protocol.PROTOCOL_VERSION), str(protocol.INFO.size),
                                  str(protocol.info_offsets()["model_sha256"]),
                                  str(int(protocol.Reply.FAULT))]


def target() -> DeviceTarget:
    return DeviceTarget(load_board("nucleo-f746"), Path("fw.elf"), {}, port="/dev/ttyACM0")


def test_a_device_of_another_protocol_version_is_refused() -> None:
    info = DeviceInfo.decode(info_payload(protocol=protocol.PROTOCOL_VERSION - 1))
    with pytest.raises(DeviceMismatch) as error:
        _check_model(info, "00" * 32, target(), 4, 3)
    message = str(error.value)
    assert f"protocol version {protocol.PROTOCOL_VERSION - 1}" in message
    assert f"speaks {protocol.PROTOCOL_VERSION}" in message and "re-flash" in message


def test_a_device_whose_output_size_differs_is_refused() -> None:
    info = DeviceInfo.decode(info_payload(output_bytes=10))
    with pytest.raises(DeviceMismatch, match="10-byte output"):
        _check_model(info, "00" * 32, target(), 4, 3)
