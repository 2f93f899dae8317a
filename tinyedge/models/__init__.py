"""Model zoo: ScaleCNN and MobileNetV2 at the widths of SPEC §2."""

from tinyedge.models.zoo import (
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
    resolve,
)

__all__ = [
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
    "resolve",
]
