"""The int8 contract: what an exported model must look like (its signature check, its
input and output against a dataset, its export manifest), the one preprocess/quantise
function and the inputs it makes of a dataset or the user's data, the host interpreters
that run it (TFLite Micro, LiteRT, LiteRT-ref, tinyedge's native build) plus TFLite
Micro's arena query, and the fields an int8 record adds (similarity to the float model).

``export``, ``evaluate`` and ``device`` all use this package and do not import each other
for it; it sits above ``firmware`` (whose compiler and host build it uses) and below them.
"""

from tinyedge.int8.float_reference import float_similarity, record_extra
from tinyedge.int8.inputs import (
    ModelInputs,
    Normalization,
    check_model_io,
    export_info,
    model_inputs,
)
from tinyedge.int8.preprocess import quantize_images
from tinyedge.int8.runtimes import RUNTIMES, Runtime, prepare_int8, run_int8, tflm_arena_bytes
from tinyedge.int8.signature import Int8Signature, check_int8_model, output_record

__all__ = [
    "RUNTIMES",
    "Int8Signature",
    "ModelInputs",
    "Normalization",
    "Runtime",
    "check_int8_model",
    "check_model_io",
    "export_info",
    "float_similarity",
    "model_inputs",
    "output_record",
    "prepare_int8",
    "quantize_images",
    "record_extra",
    "run_int8",
    "tflm_arena_bytes",
]
