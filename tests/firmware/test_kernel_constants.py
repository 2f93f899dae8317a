"""The kernels' scratch geometry has one owner (tinyedge.firmware.kernel_constants): the
generated header carries every constant, and the compiler's scratch sizes equal what the C
kernels ask for (te_*_get_buffer_size, compiled here with that header) on odd shapes."""

from __future__ import annotations

import ctypes
import subprocess
from pathlib import Path

import pytest

from tinyedge.firmware import host_pack, kernel_constants
from tinyedge.firmware.compiler import _dsp_col_bytes
from tinyedge.firmware.host import firmware_root, kernel_sources

pytestmark = pytest.mark.tools("gcc")


class Dims(ctypes.Structure):
    _fields_ = [("n", ctypes.c_int32), ("h", ctypes.c_int32), ("w", ctypes.c_int32),
                ("c", ctypes.c_int32)]


def test_header_defines_every_constant(tmp_path: Path) -> None:
    text = kernel_constants.write_header(tmp_path).read_text()
    for name, value in (("TE_HOST_LANES", kernel_constants.HOST_LANES),
                        ("TE_HOST_WORD_TAPS", kernel_constants.HOST_WORD_TAPS),
                        ("TE_HOST_DW_BLOCK", kernel_constants.HOST_DW_BLOCK),
                        ("TE_DSP_K_GROUP", kernel_constants.DSP_K_GROUP),
                        ("TE_DSP_COLUMNS", kernel_constants.DSP_COLUMNS),
                        ("TE_DSP_ADD_TABLE_MIN", kernel_constants.DSP_ADD_TABLE_MIN),
                        ("TE_DSP_ADD_TABLE_BYTES", kernel_constants.DSP_ADD_TABLE_BYTES)):
        assert f"#define {name} {value}\n" in text


@pytest.fixture(scope="module")
def libraries(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ctypes.CDLL]:
    folder = tmp_path_factory.mktemp("scratch")
    return {variant: _library(variant, folder) for variant in ("host_simd", "cortexm_dsp")}


def _library(variant: str, tmp_path: Path) -> ctypes.CDLL:
    root = firmware_root()
    kernel_constants.write_header(tmp_path)
    lib = tmp_path / f"{variant}.so"
    subprocess.run(["gcc", "-std=c11", "-O1", "-fPIC", "-shared", f"-I{tmp_path}",
                    f"-I{root / 'include'}", f"-I{root / 'kernels'}",
                    *map(str, kernel_sources(variant)), "-o", str(lib)], check=True)
    return ctypes.CDLL(str(lib))


SHAPES = [((1, 32, 32, 3), (8, 3, 3, 3)), ((1, 7, 5, 13), (5, 1, 1, 13)),
          ((1, 9, 11, 8), (48, 5, 3, 8)), ((2, 4, 4, 17), (3, 3, 3, 17))]


@pytest.mark.parametrize(("input_dims", "filter_dims"), SHAPES)
def test_compiler_scratch_equals_the_kernels(libraries, input_dims, filter_dims) -> None:
    host, dsp = libraries["host_simd"], libraries["cortexm_dsp"]
    i, f = Dims(*input_dims), Dims(*filter_dims)
    dw = Dims(1, filter_dims[1], filter_dims[2], input_dims[3])
    assert host.te_conv_2d_s8_get_buffer_size(ctypes.byref(i), ctypes.byref(f)) == \
        host_pack.conv_scratch_bytes(input_dims, filter_dims)
    assert host.te_depthwise_conv_2d_s8_get_buffer_size(ctypes.byref(i), ctypes.byref(dw)) == \
        host_pack.depthwise_scratch_bytes((1, filter_dims[1], filter_dims[2], input_dims[3]))
    k = filter_dims[1] * filter_dims[2] * input_dims[3]
    assert dsp.te_conv_2d_s8_get_buffer_size(ctypes.byref(i), ctypes.byref(f)) == \
        _dsp_col_bytes(k)
    fc = Dims(1, 1, filter_dims[0], k)
    assert dsp.te_fully_connected_s8_get_buffer_size(ctypes.byref(fc)) == _dsp_col_bytes(k)


@pytest.mark.parametrize("size", [1, 255, 256, 257, 16384])
def test_compiler_add_scratch_equals_the_kernels(libraries, size: int) -> None:
    """cortexm_dsp ADD tabulates its input rescales from DSP_ADD_TABLE_MIN elements on."""
    from tinyedge.firmware.compiler import Arg, Layer, _dsp_add_table_bytes

    layer = Layer(0, "ADD", "te_add_s8", "te_add_params", {},
                  [Arg.ctx(), Arg.params(), Arg.int(size), Arg.tensor(0), Arg.tensor(1),
                   Arg.tensor(2)], (0, 1), 2)
    expected = kernel_constants.DSP_ADD_TABLE_BYTES if size >= 256 else 0
    assert libraries["cortexm_dsp"].te_add_s8_get_buffer_size(size) == expected == \
        _dsp_add_table_bytes(layer)
    assert libraries["host_simd"].te_add_s8_get_buffer_size(size) == 0
