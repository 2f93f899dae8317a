"""The int8 contract: what an exported model must look like (its signature check), the one
preprocess/quantise function, and the host interpreters that run it (TFLite Micro, LiteRT,
LiteRT-ref, tinyedge's native build) plus TFLite Micro's arena query.

``export``, ``evaluate`` and ``device`` all use this package and do not import each other
for it; it sits above ``firmware`` (whose compiler and host build it uses) and below them.
"""

from tinyedge.int8.preprocess import quantize_images
from tinyedge.int8.runtimes import RUNTIMES, Runtime, prepare_int8, run_int8, tflm_arena_bytes
from tinyedge.int8.signature import Int8Signature, check_int8_model

__all__ = [
    "RUNTIMES",
    "Int8Signature",
    "Runtime",
    "check_int8_model",
    "prepare_int8",
    "quantize_images",
    "run_int8",
    "tflm_arena_bytes",
]
