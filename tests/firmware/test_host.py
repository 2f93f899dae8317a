"""Whole zoo models on the host build: 100% identical outputs to TFLite Micro."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers.firmware_models import random_inputs, tflm_outputs

from tinyedge.firmware.host import InputError, build_native, run_native

pytestmark = [pytest.mark.tensorflow]

# The four zoo models issue 4 names: 200 random inputs each, both kernel variants.
ZOO = [("scalecnn", 4), ("scalecnn", 8), ("mobilenetv2", 0.10), ("mobilenetv2", 0.35)]


@pytest.mark.parametrize("variant", ["reference", "host_simd"])
@pytest.mark.parametrize(("arch", "width"), ZOO, ids=[f"{a}-{w}" for a, w in ZOO])
def test_zoo_model_bit_exact(zoo_int8, native_cache: Path, arch: str, width: float,
                             variant: str) -> None:
    path = zoo_int8(arch, width)
    native = build_native(path, native_cache, variant)
    inputs = random_inputs(native.input_shape, 198, seed=1)  # + 2 extremes = 200
    expected = tflm_outputs(path, inputs)
    got = native.run(inputs)
    assert got.shape == (200, 10)
    assert (got == expected).all(axis=1).mean() == 1.0


# The MLPerf Tiny reference models with their published class counts (the autoencoder
# reconstructs its 640 inputs; its 2 synthetic labels only name the inputs).
MLPERF = [("resnet8", 16, 10), ("dscnn", 64, 12), ("mobilenetv1", 0.25, 2),
          ("fcautoencoder", 128, 2)]


@pytest.mark.parametrize(("arch", "width", "classes"), MLPERF, ids=[m[0] for m in MLPERF])
def test_mlperf_tiny_model_bit_exact(zoo_int8, native_cache: Path, arch: str, width: float,
                                     classes: int) -> None:
    from tinyedge.models import resolve

    spec = resolve(arch, width)
    path = zoo_int8(arch, width, classes)
    inputs = None
    for variant in ("reference", "host_simd"):
        native = build_native(path, native_cache, variant)
        # NHWC images, or the autoencoder's 1×640 feature vector.
        shape = spec.input_shape
        assert native.input_shape == ((1, *shape[1:], shape[0]) if len(shape) == 3
                                      else (1, *shape))
        if inputs is None:
            inputs = random_inputs(native.input_shape, 38, seed=2)  # + 2 extremes = 40
            expected = tflm_outputs(path, inputs)
        got = native.run(inputs)
        assert got.shape == (40, spec.outputs(classes))
        assert (got == expected).all(), variant


def test_run_native_accepts_batches_and_single_inputs(zoo_int8, native_cache: Path) -> None:
    path = zoo_int8("scalecnn", 4)
    inputs = random_inputs((1, 32, 32, 3), 3)
    batch = run_native(path, inputs, native_cache)
    single = run_native(path, inputs[0], native_cache)
    assert batch.dtype == np.int8 and batch.shape == (5, 10)
    assert (single[0] == batch[0]).all()
    with pytest.raises(InputError, match="int8"):
        run_native(path, inputs.astype(np.float32), native_cache)
    with pytest.raises(InputError, match="do not fit"):
        run_native(path, inputs[:, :16], native_cache)


def test_build_is_cached_by_content(zoo_int8, native_cache: Path) -> None:
    path = zoo_int8("scalecnn", 4)
    first = build_native(path, native_cache, "reference").library_path
    second = build_native(path, native_cache, "reference").library_path
    other = build_native(path, native_cache, "host_simd").library_path
    assert first == second and first != other


def test_host_simd_on_a_baseline_cpu_takes_the_portable_path(zoo_int8, native_cache: Path
                                                              ) -> None:
    """A build for plain x86-64 (no AVX-512) runs host_simd's portable loops, equal to the
    AVX-512 build and to TFLite Micro, and is cached apart from the -march=native build."""
    import platform

    path = zoo_int8("mobilenetv2", 0.10)
    native = build_native(path, native_cache, "host_simd")
    if platform.machine() not in ("x86_64", "AMD64"):
        assert not native.vector_path  # the vector path is x86 AVX-512 only
        return
    baseline = build_native(path, native_cache, "host_simd", extra_flags=("-march=x86-64",))
    assert not baseline.vector_path
    assert baseline.library_path != native.library_path
    inputs = random_inputs(native.input_shape, 30, seed=3)
    expected = tflm_outputs(path, inputs)
    assert (baseline.run(inputs) == expected).all()
    assert (native.run(inputs) == expected).all()
