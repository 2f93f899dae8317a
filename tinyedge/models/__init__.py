"""Model zoo: ScaleCNN and MobileNetV2 at the widths of SPEC §2, and the MLPerf Tiny
reference models."""

from tinyedge.models.zoo import (
    ARCHITECTURES,
    INPUT_SHAPE,
    WIDTHS,
    ZOO_CLASSES,
    ModelSpec,
    all_specs,
    build_model,
    count_macs,
    count_parameters,
    describe,
    format_width,
    model_input_shape,
    reference_specs,
    resolve,
)

__all__ = [
    "ARCHITECTURES",
    "INPUT_SHAPE",
    "WIDTHS",
    "ZOO_CLASSES",
    "ModelSpec",
    "all_specs",
    "build_model",
    "count_macs",
    "count_parameters",
    "describe",
    "format_width",
    "model_input_shape",
    "reference_specs",
    "resolve",
]
