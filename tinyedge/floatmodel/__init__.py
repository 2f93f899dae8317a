"""The user's own float models — float TFLite, Keras, SavedModel, ONNX, PyTorch — told
apart by content, loaded safely by the library of their format, and run on float32
inputs as the float reference of the int8 model deployed from them (and as the source
that ``tinyedge export --model`` quantizes). Sits beside ``firmware`` (whose TFLite reader
it uses), below ``int8``."""

from tinyedge.floatmodel.formats import FORMATS, FloatFormat, detect_format
from tinyedge.floatmodel.head import (
    graph_macs,
    graph_output_kind,
    graph_params,
    is_float_graph,
    output_kind_of_values,
)
from tinyedge.floatmodel.model import FloatModel, folder_sha256, load_float_model

__all__ = [
    "FORMATS",
    "FloatFormat",
    "FloatModel",
    "detect_format",
    "folder_sha256",
    "graph_macs",
    "graph_output_kind",
    "graph_params",
    "is_float_graph",
    "load_float_model",
    "output_kind_of_values",
]
