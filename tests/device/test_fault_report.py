"""A firmware fault is named by the host (exception, PC, layer) instead of surfacing as a
connection error: real firmware with a trap planted in layer 1's code, real QEMU, real
serial link."""

from __future__ import annotations

from pathlib import Path

import pytest

import tinyedge.firmware.build as build_module
from tinyedge.device.emulator import QemuConfig, QemuProcess
from tinyedge.device.messages import DeviceFault
from tinyedge.device.session import DeviceSession
from tinyedge.device.transport import SerialTransport
from tinyedge.firmware.build import build_firmware
from tinyedge.firmware.codegen import GeneratedSource

SEED = Path(__file__).resolve().parents[1] / "fuzz" / "corpus" / "zoo_scalecnn_4.tflite"

pytestmark = [
    pytest.mark.tools("qemu-system-arm", "arm-none-eabi-gcc"),
    pytest.mark.cross,
    pytest.mark.qemu,
]


@pytest.mark.slow
def test_a_fault_in_a_layer_is_reported_with_its_layer(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    real_compile = build_module.compile_model

    def compile_with_trap(path, variant):
        compiled, generated = real_compile(path, variant)
        files = dict(generated.files)
        head = "static te_status layer_1(uint8_t *arena)\n{"
        assert head in files["model.c"]
        files["model.c"] = files["model.c"].replace(head, head + "\n    __builtin_trap();", 1)
        return compiled, GeneratedSource(files)

    monkeypatch.setattr(build_module, "compile_model", compile_with_trap)
    build = build_firmware("mps2-an500", SEED, tmp_path / "fw", target="emulator")
    config = QemuConfig("mps2-an500", build.elf, 7, None, time_limit_s=60)
    with QemuProcess(config) as qemu:
        transport = SerialTransport(qemu.url)
        try:
            session = DeviceSession(transport, timeout=5, retries=1, alive=qemu.check_alive)
            info = session.hello()
            with pytest.raises(DeviceFault) as fault:
                session.infer(bytes(info.input_bytes))
        finally:
            transport.close()
    message = str(fault.value)
    assert "HardFault at PC 0x" in message and "while running layer 1" in message
