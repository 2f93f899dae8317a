"""Lower a validated TFLite graph to a sequence of int8 kernel calls with a static memory plan.

Everything the C kernels need is computed here, once, exactly as TFLite Micro computes it
at Prepare time (see :mod:`tinyedge.firmware.quant`): padding, requantization multipliers,
activation clamp ranges, zero-point offsets. Unsupported operators or options, and any
inconsistency the reader could not see (shapes that do not follow from the options, a
missing bias type, mismatched quantization), raise :class:`ModelError` naming the operator.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import numpy as np

from tinyedge.errors import ModelError
from tinyedge.firmware import dsp_pack, fold, host_pack, kernel_constants, limits, quant
from tinyedge.firmware.planner import Buffer, GreedyBySizePlanner, MemoryPlanner, arena_size
from tinyedge.firmware.tflite_reader import Graph, Operator, Tensor, schema

Dims = tuple[int, int, int, int]


@dataclass(frozen=True)
class Float32:
    """A ``float`` member of a kernel's parameter struct (codegen writes it as an exact
    hexadecimal float literal)."""

    value: float


class ArgKind(Enum):
    """What a kernel argument is; codegen emits each kind one way."""

    CTX = "ctx"  # the scratch context (te_context)
    PARAMS = "params"  # the op's parameter struct
    QUANT = "quant"  # per-channel multiplier/shift tables
    DIMS = "dims"  # a te_dims of some role
    TENSOR = "tensor"  # an activation tensor in the arena
    TENSORS = "tensors"  # an array of activation tensors (concatenation inputs)
    CONST = "const"  # a constant array of the layer (weights, bias)
    INT = "int"  # a plain integer (element counts)
    NULL = "null"  # an omitted optional tensor (no bias)


@dataclass(frozen=True)
class Arg:
    """One argument of a kernel call: what it is (``kind``), what it refers to (``value``:
    a dims tuple, a tensor index, a const array name, an int) and, for dims, whose dims they
    are (``role``: input, filter, bias or output). Build them with the constructors below."""

    kind: ArgKind
    value: Any = None
    role: str | None = None

    @staticmethod
    def ctx() -> Arg:
        return Arg(ArgKind.CTX)

    @staticmethod
    def params() -> Arg:
        return Arg(ArgKind.PARAMS)

    @staticmethod
    def quant(count: int) -> Arg:
        return Arg(ArgKind.QUANT, count)

    @staticmethod
    def dims(role: str, value: Dims) -> Arg:
        return Arg(ArgKind.DIMS, tuple(value), role)

    @staticmethod
    def tensor(index: int) -> Arg:
        return Arg(ArgKind.TENSOR, index)

    @staticmethod
    def tensors(indices: tuple[int, ...]) -> Arg:
        return Arg(ArgKind.TENSORS, tuple(indices))

    @staticmethod
    def const(name: str) -> Arg:
        return Arg(ArgKind.CONST, name)

    @staticmethod
    def int(value: int) -> Arg:
        return Arg(ArgKind.INT, value)

    @staticmethod
    def null() -> Arg:
        return Arg(ArgKind.NULL)


@dataclass
class Layer:
    """One kernel call."""

    index: int
    op: str
    kernel: str
    params_type: str | None
    params: dict[str, Any]
    args: list[Arg]
    inputs: tuple[int, ...]  # activation tensors read
    output: int  # activation tensor written
    consts: dict[str, np.ndarray] = field(default_factory=dict)
    alias_input: int | None = None  # input whose buffer the output may reuse
    alias_required: bool = False  # reshape: output is the input's memory
    scratch: int = 0  # bytes of te_context scratch the kernel variant needs

    def dims(self, role: str) -> Dims:
        """The dims of this call's ``role`` tensor (input, filter, bias or output)."""
        for arg in self.args:
            if arg.kind is ArgKind.DIMS and arg.role == role:
                return arg.value
        raise KeyError(f"{self.kernel} has no {role} dims")


@dataclass
class CompiledModel:
    """The lowered model: layers in execution order, arena plan and I/O description."""

    graph: Graph
    layers: list[Layer]
    offsets: dict[int, int]  # tensor index -> arena offset
    scratch_offsets: dict[int, int]  # layer index -> arena offset of its scratch
    arena_size: int
    input: Tensor
    output: Tensor
    buffers: list[Buffer]

    @property
    def tensor_bytes(self) -> int:
        """Sum of all activation tensor sizes (what an arena without reuse would need)."""
        return sum(self.graph.tensors[t].nbytes for t in self.offsets)


SUPPORTED_OPS = (
    "CONV_2D",
    "DEPTHWISE_CONV_2D",
    "FULLY_CONNECTED",
    "MAX_POOL_2D",
    "AVERAGE_POOL_2D",
    "MEAN",
    "ADD",
    "PAD",
    "PADV2",
    "RESHAPE",
    "SOFTMAX",
    "CONCATENATION",
    "RELU",
    "RELU6",
    "LEAKY_RELU",
    "MUL",
    "LOGISTIC",
    "HARD_SWISH",
    "QUANTIZE",
    "DEQUANTIZE",
    "STRIDED_SLICE",
    "TRANSPOSE",
    "SUB",
    "SQUEEZE",
    "EXPAND_DIMS",
    "MINIMUM",
    "MAXIMUM",
    "RESIZE_NEAREST_NEIGHBOR",
)


# One directory each under firmware/kernels/: reference (the oracle, any core), host_simd
# (the host build's wide-SIMD kernels), cortexm_dsp (Cortex-M cores with the DSP
# extension: M4, M7). A variant's missing op files fall back to the reference files.
KERNEL_VARIANTS = ("reference", "host_simd", "cortexm_dsp")


def _conv_patch_bytes(layer: Layer) -> int:
    """The host_simd conv's panel (host_pack.conv_scratch_bytes)."""
    return host_pack.conv_scratch_bytes(layer.dims("input"), layer.dims("filter"))


def _pack_host_conv(layer: Layer) -> None:
    """host_simd conv: 4-tap weight words and folded biases (host_pack.pack_conv)."""
    layer.consts["filter"] = host_pack.pack_conv(
        layer.consts["filter"].reshape(layer.dims("filter")), layer.consts.get("bias"),
        layer.params["input_offset"])


def _dw_acc_bytes(layer: Layer) -> int:
    """host_simd depthwise (host_pack.depthwise_scratch_bytes)."""
    return host_pack.depthwise_scratch_bytes(layer.dims("filter"))


def _dsp_col_bytes(k: int) -> int:
    """cortexm_dsp GEMM columns: TE_DSP_COLUMNS rows of ceil(K / 4) * 4 int16
    (te_gemm_col_bytes)."""
    groups = (k + kernel_constants.DSP_K_GROUP - 1) // kernel_constants.DSP_K_GROUP
    return groups * kernel_constants.DSP_K_GROUP * kernel_constants.DSP_COLUMNS * 2


def _dsp_conv_col_bytes(layer: Layer) -> int:
    """cortexm_dsp conv: the GEMM columns of one receptive field per pixel."""
    in_dims, f_dims = layer.dims("input"), layer.dims("filter")
    return _dsp_col_bytes(f_dims[1] * f_dims[2] * in_dims[3])


def _dsp_fc_col_bytes(layer: Layer) -> int:
    """cortexm_dsp fully connected: the GEMM columns of one input row each."""
    return _dsp_col_bytes(layer.dims("filter")[3])


def _dsp_add_table_bytes(layer: Layer) -> int:
    """cortexm_dsp ADD: the two rescale tables, for tensors of at least
    DSP_ADD_TABLE_MIN elements (te_add_s8_get_buffer_size)."""
    (size,) = [a.value for a in layer.args if a.kind is ArgKind.INT]
    return (kernel_constants.DSP_ADD_TABLE_BYTES if size >= kernel_constants.DSP_ADD_TABLE_MIN
            else 0)


# Python mirror of each variant's te_<op>_s8_get_buffer_size (reference kernels need none).
_SCRATCH: dict[tuple[str, str], Callable[[Layer], int]] = {
    ("host_simd", "te_conv_2d_s8"): _conv_patch_bytes,
    ("host_simd", "te_depthwise_conv_2d_s8"): _dw_acc_bytes,
    ("cortexm_dsp", "te_conv_2d_s8"): _dsp_conv_col_bytes,
    ("cortexm_dsp", "te_fully_connected_s8"): _dsp_fc_col_bytes,
    ("cortexm_dsp", "te_add_s8"): _dsp_add_table_bytes,
}


def _requant_words(layer: Layer, channels: int) -> np.ndarray:
    return dsp_pack.requant_table(layer.consts["multiplier"], layer.consts["shift"], channels)


def _pack_filter_pairs(layer: Layer) -> None:
    """cortexm_dsp conv / fully connected: weights in the kernel's channel-pair layout,
    followed by the per-channel requantization table (dsp_pack.requant_table)."""
    channels = layer.dims("filter")[0] if layer.kernel == "te_conv_2d_s8" \
        else layer.dims("filter")[2]
    packed = dsp_pack.pack_channel_pairs(layer.consts["filter"].reshape(channels, -1))
    layer.consts["filter"] = dsp_pack.append_words(packed, _requant_words(layer, channels))


def _pack_depthwise(layer: Layer) -> None:
    """cortexm_dsp depthwise, multiplier 1 without dilation (the kernel's fast path, same
    condition): weights widened to int16 pairs per 4 channels, then the requantization
    table, then the full-window bias (dsp_pack.dw_full_bias); other cases keep the int8
    1HWC filter the kernel's reference loop reads."""
    conv = layer.params["conv"]
    if layer.params["depth_multiplier"] == 1 and conv["dilation_h"] == conv["dilation_w"] == 1:
        f_dims = layer.dims("filter")
        packed = dsp_pack.pack_depthwise(layer.consts["filter"].reshape(f_dims))
        full_bias = dsp_pack.dw_full_bias(layer.consts["filter"].reshape(f_dims),
                                          layer.consts.get("bias"), conv["input_offset"])
        words = np.concatenate([_requant_words(layer, f_dims[3]), full_bias])
        layer.consts["filter"] = dsp_pack.append_words(packed, words)


# Per-variant rewrites of a lowered layer's constants (the kernel's weight layout).
_SPECIALISE: dict[tuple[str, str], Callable[[Layer], None]] = {
    ("host_simd", "te_conv_2d_s8"): _pack_host_conv,
    ("cortexm_dsp", "te_conv_2d_s8"): _pack_filter_pairs,
    ("cortexm_dsp", "te_fully_connected_s8"): _pack_filter_pairs,
    ("cortexm_dsp", "te_depthwise_conv_2d_s8"): _pack_depthwise,
}


def _specialise(layer: Layer, variant: str) -> None:
    """Apply the variant's constant rewrite and size its te_context scratch."""
    rewrite = _SPECIALISE.get((variant, layer.kernel))
    if rewrite is not None:
        rewrite(layer)
    scratch = _SCRATCH.get((variant, layer.kernel))
    layer.scratch = scratch(layer) if scratch else 0


def compile_graph(
    graph: Graph, planner: MemoryPlanner | None = None, variant: str = "reference"
) -> CompiledModel:
    """Evaluate the static shape arithmetic (:func:`fold.fold_constants`), validate every
    remaining operator, lower it to a kernel call for the given kernel variant and plan the
    arena (tensors and per-layer scratch)."""
    if variant not in KERNEL_VARIANTS:
        raise ModelError(f"unknown kernel variant {variant!r}; choose {KERNEL_VARIANTS}")
    graph = fold.fold_constants(graph)
    _check_io(graph)
    check_operators(graph)
    produced = set(graph.inputs)
    layers = []
    work = 0
    for op in graph.operators:
        layer = _lower(graph, op)
        limits.check_int32(op.describe(), [layer.params, [a.value for a in layer.args
                                                          if a.kind in (ArgKind.DIMS,
                                                                        ArgKind.INT)]])
        work += _layer_work(layer)
        for t in layer.inputs:
            if t not in produced:
                raise ModelError(f"{op.describe()} reads tensor {t} before any operator writes it")
        if layer.output in produced:
            raise ModelError(f"{op.describe()} writes tensor {layer.output}, already written")
        produced.add(layer.output)
        _specialise(layer, variant)
        layers.append(layer)
    if graph.outputs[0] not in produced:
        raise ModelError("the model output is never computed")
    limits.check_work(work)
    buffers, groups = _lifetimes(graph, layers)
    scratch_id = {layer.index: len(graph.tensors) + layer.index for layer in layers}
    buffers += [
        Buffer(scratch_id[layer.index], layer.scratch, layer.index, layer.index)
        for layer in layers
        if layer.scratch
    ]
    offsets_by_group = (planner or GreedyBySizePlanner()).plan(buffers)
    offsets = {t: offsets_by_group[g] for t, g in groups.items()}
    limits.check_arena(arena_size(buffers, offsets_by_group))
    return CompiledModel(
        graph=graph,
        layers=layers,
        offsets=offsets,
        scratch_offsets={i: offsets_by_group[b] for i, b in scratch_id.items()
                         if b in offsets_by_group},
        arena_size=arena_size(buffers, offsets_by_group),
        input=graph.tensors[graph.inputs[0]],
        output=graph.tensors[graph.outputs[0]],
        buffers=buffers,
    )


def _layer_work(layer: Layer) -> int:
    """Upper bound of the multiply-accumulates / window taps / element operations of one
    kernel call (for :func:`limits.check_work`)."""
    dims = [a.value for a in layer.args if a.kind is ArgKind.DIMS]
    sizes = [math.prod(d) for d in dims]
    if layer.kernel in ("te_conv_2d_s8", "te_depthwise_conv_2d_s8"):
        taps = dims[1][1] * dims[1][2] * (dims[1][3] if layer.kernel == "te_conv_2d_s8" else 1)
        return sizes[-1] * taps
    if layer.kernel == "te_fully_connected_s8":
        return dims[0][2] * sizes[1]
    if layer.kernel in ("te_max_pool_2d_s8", "te_average_pool_2d_s8"):
        return sizes[-1] * layer.params["filter_h"] * layer.params["filter_w"]
    return max(sizes, default=0) + sum(int(a.value) for a in layer.args if a.kind is ArgKind.INT)


# ---------------------------------------------------------------- graph-level checks

# How to change a model so that tinyedge compiles it, for the operators where one is known.
_SHAPE_HINT = ("shape arithmetic that is not static, as a Keras Flatten or a tf.reshape on an "
               "input without a fixed batch size writes: fix the batch size to 1 (e.g. "
               "keras.Input(shape, batch_size=1)) before converting")
_HINTS = {
    "RESIZE_BILINEAR": "upsample with nearest neighbour instead "
                       "(UpSampling2D(interpolation='nearest'))",
    "BATCH_MATMUL": "a Dense layer or matmul on a tensor of rank 3 or more: flatten it to 2-D "
                    "first",
    "SPLIT": "take the parts with slices (x[..., a:b]) instead",
    "SPLIT_V": "take the parts with slices (x[..., a:b]) instead",
    "RELU_N1_TO_1": "use clip_by_value, or relu6",
    "GELU": "use relu or hard swish",
}


_FLOAT_HINT = ("computes in float32 inside the model, and tinyedge runs int8 only (float32 "
               "only at the model's input and output): convert with full-integer "
               "quantization (TFLITE_BUILTINS_INT8), replacing any layer the converter "
               "leaves in float")


def _float_inside(graph: Graph, op: Operator) -> bool:
    """``op`` reads or writes a float32 tensor other than the model's input and output."""
    edges = {*graph.inputs, *graph.outputs}
    return any(graph.tensors[t].dtype == "FLOAT32" and t not in edges
               for t in (*op.inputs, *op.outputs) if t >= 0)


def _shape_arithmetic(graph: Graph, op: Operator) -> bool:
    """``op`` computes int32/int64 values (that were not known ahead of time)."""
    return any(fold.is_shape_value(graph.tensors[t]) for t in op.outputs)


def unsupported_operators(graph: Graph) -> list[Operator]:
    """The operators of a (folded) graph that no kernel runs: an operator tinyedge has no
    kernel for, one computing int32/int64 values that were not known ahead of time, or one
    computing in float32 inside the model."""
    return [op for op in graph.operators
            if op.opcode not in _LOWERINGS or _shape_arithmetic(graph, op)
            or _float_inside(graph, op)]


def check_operators(graph: Graph) -> None:
    """Refuse a (folded) graph with operators tinyedge cannot compile, naming every one of
    them in one line (:func:`unsupported_message`)."""
    bad = unsupported_operators(graph)
    if bad:
        verb = "is" if len(bad) == 1 else "are"
        raise ModelError(unsupported_message(graph, bad,
                                             f"{verb} not supported by the tinyedge compiler"))


def unsupported_message(graph: Graph, bad: list[Operator], verb: str) -> str:
    """One line naming every operator of ``bad`` (``verb`` says what is wrong with them),
    with a hint how to change the model where one is known, and the operators that work."""
    hints: dict[str, str] = {}
    for op in bad:
        if _shape_arithmetic(graph, op):
            hints.setdefault("shape", f"{op.describe()} is {_SHAPE_HINT}")
        elif _float_inside(graph, op):
            hints.setdefault("float", f"{op.describe()} {_FLOAT_HINT}")
        elif op.opcode in _HINTS:
            hints.setdefault(op.opcode, f"{op.opcode}: {_HINTS[op.opcode]}")
    names = ", ".join(op.describe() for op in bad)
    hint = f" ({'; '.join(hints.values())})" if hints else ""
    them = "them" if len(bad) > 1 else "it"
    return (f"{names} {verb}{hint}; tinyedge compiles {', '.join(SUPPORTED_OPS)}, and "
            f"evaluates static shape arithmetic ahead of time: change the model to avoid "
            f"{them} (TFLite Micro and LiteRT can still evaluate the model: --runtime tflm)")


def _check_io(graph: Graph) -> None:
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        raise ModelError(
            f"expected one input and one output, found {len(graph.inputs)} and "
            f"{len(graph.outputs)}"
        )
    if not graph.operators:
        raise ModelError("the model has no operators")
    for role, idx in (("input", graph.inputs[0]), ("output", graph.outputs[0])):
        shape = graph.tensors[idx].shape
        if len(shape) >= 2 and shape[0] != 1:
            raise ModelError(
                f"model {role} has batch {shape[0]} (shape {list(shape)}); tinyedge runs one "
                "input at a time: export the model with batch 1")
        t = graph.tensors[idx]
        if t.dtype == "FLOAT32" and not t.is_constant:
            float_edge(graph, role)
            continue
        if t.dtype != "INT8" or t.is_constant:
            raise ModelError(
                f"model {role} {t.describe()} must be a non-constant int8 tensor, or float32 "
                f"{'into a QUANTIZE' if role == 'input' else 'out of a DEQUANTIZE'}; export "
                "with int8 input and output (full-integer quantization)"
            )
        _activation_quant(t, f"model {role}")


def float_edge(graph: Graph, role: str) -> tuple[Operator, Tensor]:
    """The operator at a float32 model ``role`` ("input" or "output") and the int8 tensor on
    its other side: the one QUANTIZE the input feeds and its output, or the DEQUANTIZE the
    output comes from and its input. tinyedge runs float only at these edges; anything
    else is refused naming the operator."""
    t = graph.tensors[graph.inputs[0] if role == "input" else graph.outputs[0]]
    if role == "input":
        readers = [op for op in graph.operators if t.index in op.inputs]
        if [op.opcode for op in readers] == ["QUANTIZE"] and len(readers[0].outputs) == 1:
            return readers[0], graph.tensors[readers[0].outputs[0]]
        wrong = [op for op in readers if op.opcode != "QUANTIZE"] or readers[1:]
        where = wrong[0].describe() if wrong else "no operator"
        raise ModelError(
            f"model input {t.describe()} is float32 and feeds {where}; tinyedge runs "
            "float only at the edges (a QUANTIZE right after the input): export with "
            "int8 input (full-integer quantization) or a quantizing input")
    writers = [op for op in graph.operators if t.index in op.outputs]
    if [op.opcode for op in writers] == ["DEQUANTIZE"] and writers[0].inputs and \
            writers[0].inputs[0] >= 0:
        return writers[0], graph.tensors[writers[0].inputs[0]]
    where = writers[0].describe() if writers else "no operator"
    raise ModelError(
        f"model output {t.describe()} is float32 and comes from {where}; tinyedge "
        "runs float only at the edges (a DEQUANTIZE right before the output): export "
        "with int8 output (full-integer quantization) or a dequantizing output")


def _activation_quant(t: Tensor, where: str) -> tuple[float, int]:
    if len(t.scales) != 1:
        raise ModelError(f"{where}: {t.describe()} needs per-tensor quantization")
    if not quant.INT8_MIN <= t.zero_point <= quant.INT8_MAX:
        raise ModelError(f"{where}: {t.describe()} zero point {t.zero_point} is outside int8")
    return t.scale, t.zero_point


# ---------------------------------------------------------------- lifetimes


def _lifetimes(graph: Graph, layers: list[Layer]) -> tuple[list[Buffer], dict[int, int]]:
    """Group tensors that share memory (reshape always, add when an input dies there) and
    return one buffer per group plus the tensor -> group id map."""
    last_read: dict[int, int] = {}
    for layer in layers:
        for t in layer.inputs:
            last_read[t] = layer.index
    last_read[graph.outputs[0]] = layers[-1].index + 1  # folded operators leave gaps
    produced_at = {graph.inputs[0]: 0} | {layer.output: layer.index for layer in layers}
    group: dict[int, int] = {graph.inputs[0]: graph.inputs[0]}
    members: dict[int, list[int]] = {graph.inputs[0]: [graph.inputs[0]]}
    for layer in layers:
        g = layer.output
        if layer.alias_input is not None:
            candidate = group[layer.alias_input]
            others = [group[t] for t in layer.inputs if t != layer.alias_input]
            dies_here = all(last_read.get(t, -1) <= layer.index for t in members[candidate])
            if layer.alias_required or (dies_here and candidate not in others):
                g = candidate
        group[layer.output] = g
        members.setdefault(g, []).append(layer.output)
    buffers = []
    for g, ts in sorted(members.items()):
        size = max(graph.tensors[t].nbytes for t in ts)
        first = min(produced_at[t] for t in ts)
        last = max(max(last_read.get(t, produced_at[t]) for t in ts), first)
        buffers.append(Buffer(g, size, first, last))
    return buffers, group


# ---------------------------------------------------------------- per-op lowering


def _lower(graph: Graph, op: Operator) -> Layer:
    return _LOWERINGS[op.opcode](graph, op)  # check_operators refused any other opcode


def _tensor(graph: Graph, op: Operator, position: int, role: str, kind: str) -> Tensor:
    """Input ``position`` of ``op``: kind 'act' (non-constant int8), 'const' or 'any'."""
    if position >= len(op.inputs) or op.inputs[position] < 0:
        raise ModelError(f"{op.describe()} is missing its {role} input")
    t = graph.tensors[op.inputs[position]]
    if kind == "act" and (t.is_constant or t.dtype != "INT8"):
        raise ModelError(
            f"{op.describe()} {role} {t.describe()} must be a non-constant int8 tensor"
        )
    if kind == "const" and not t.is_constant:
        raise ModelError(f"{op.describe()} {role} {t.describe()} must be constant")
    return t


def _output(graph: Graph, op: Operator) -> Tensor:
    if len(op.outputs) != 1:
        raise ModelError(f"{op.describe()} must have exactly one output, has {len(op.outputs)}")
    t = graph.tensors[op.outputs[0]]
    if t.is_constant or t.dtype != "INT8":
        raise ModelError(
            f"{op.describe()} output {t.describe()} must be a non-constant int8 tensor"
        )
    _activation_quant(t, op.describe())
    return t


def _options(op: Operator, class_name: str) -> Any:
    expected = getattr(schema(), class_name)
    if not isinstance(op.options, expected):
        raise ModelError(f"{op.describe()} lacks its {class_name.removesuffix('T')}")
    return op.options


def _n_inputs(op: Operator, allowed: tuple[int, ...]) -> None:
    if len(op.inputs) not in allowed:
        raise ModelError(f"{op.describe()} has {len(op.inputs)} inputs, expected {allowed}")


def _dims4(t: Tensor, op: Operator, role: str) -> Dims:
    if len(t.shape) != 4:
        raise ModelError(f"{op.describe()} {role} {t.describe()} must be 4-D NHWC")
    return (t.shape[0], t.shape[1], t.shape[2], t.shape[3])


def _as_dims(shape: tuple[int, ...]) -> Dims:
    padded = (1,) * (4 - len(shape)) + tuple(shape)
    return (padded[0], padded[1], padded[2], padded[3])


_ENUM_CACHE: dict[str, dict[int, str]] = {}


def _enum(name: str, value: int) -> str:
    if name not in _ENUM_CACHE:
        cls = getattr(schema(), name)
        _ENUM_CACHE[name] = {v: k for k, v in vars(cls).items() if not k.startswith("_")}
    return _ENUM_CACHE[name].get(int(value), f"UNKNOWN({value})")


def _activation(op: Operator, options: Any, out: Tensor) -> tuple[int, int]:
    name = _enum("ActivationFunctionType", options.fusedActivationFunction)
    if name not in quant.ACTIVATIONS:
        raise ModelError(
            f"{op.describe()} fused activation {name} is not supported "
            f"(supported: {', '.join(quant.ACTIVATIONS)})"
        )
    return quant.activation_range(name, out.scale, out.zero_point)


def _padding(op: Operator, options: Any) -> str:
    name = _enum("Padding", options.padding)
    if name not in ("SAME", "VALID"):
        raise ModelError(f"{op.describe()} padding {name} is not supported (SAME or VALID)")
    return name


def _out_size(padding: str, size: int, kernel: int, stride: int, dilation: int) -> int:
    effective = (kernel - 1) * dilation + 1
    if padding == "SAME":
        return (size + stride - 1) // stride
    return (size + stride - effective) // stride


def _pad_before(size: int, kernel: int, stride: int, dilation: int, out: int) -> int:
    """TFLM's ComputePaddingWithOffset: the smaller half goes before, any odd row after."""
    effective = (kernel - 1) * dilation + 1
    total = max((out - 1) * stride + effective - size, 0)
    return total // 2


def _positive(op: Operator, **values: int) -> None:
    for name, v in values.items():
        if v < 1:
            raise ModelError(f"{op.describe()} option {name}={v} must be >= 1")


def _spatial(
    op: Operator, padding: str, in_dims: Dims, kernel: tuple[int, int],
    stride: tuple[int, int], dilation: tuple[int, int],
) -> tuple[int, int, int, int]:
    """Output height/width and before-padding for a windowed op."""
    out_h = _out_size(padding, in_dims[1], kernel[0], stride[0], dilation[0])
    out_w = _out_size(padding, in_dims[2], kernel[1], stride[1], dilation[1])
    if out_h < 1 or out_w < 1:
        raise ModelError(f"{op.describe()} window is larger than its input {list(in_dims)}")
    pad_h = _pad_before(in_dims[1], kernel[0], stride[0], dilation[0], out_h)
    pad_w = _pad_before(in_dims[2], kernel[1], stride[1], dilation[1], out_w)
    limits.check_window(op.describe(), "height", in_dims[1], out_h, kernel[0], stride[0],
                        dilation[0], pad_h)
    limits.check_window(op.describe(), "width", in_dims[2], out_w, kernel[1], stride[1],
                        dilation[1], pad_w)
    return out_h, out_w, pad_h, pad_w


def _expect_shape(op: Operator, out: Tensor, expected: tuple[int, ...]) -> None:
    if tuple(out.shape) != tuple(expected):
        raise ModelError(
            f"{op.describe()} output shape {list(out.shape)} does not match the shape "
            f"{list(expected)} implied by its inputs and options"
        )


def _weights(op: Operator, w: Tensor, channels: int, channel_axis: int) -> list[float]:
    if w.dtype != "INT8":
        raise ModelError(f"{op.describe()} weights {w.describe()} must be int8 (got {w.dtype})")
    if len(w.scales) not in (1, channels):
        raise ModelError(
            f"{op.describe()} weights have {len(w.scales)} scales for {channels} channels"
        )
    if len(w.scales) > 1 and w.quantized_dimension != channel_axis:
        raise ModelError(
            f"{op.describe()} weights are quantized along dimension {w.quantized_dimension}, "
            f"expected {channel_axis}"
        )
    if any(z != 0 for z in w.zero_points):
        raise ModelError(f"{op.describe()} weights must be symmetric (zero point 0)")
    return list(w.scales)


def _bias(graph: Graph, op: Operator, position: int, channels: int) -> np.ndarray | None:
    if len(op.inputs) <= position or op.inputs[position] < 0:
        return None
    b = _tensor(graph, op, position, "bias", "const")
    if b.dtype != "INT32" or b.shape != (channels,):
        raise ModelError(
            f"{op.describe()} bias {b.describe()} must be int32 of shape [{channels}]"
        )
    return b.data.astype(np.int32)


def _quant_arrays(
    layer_consts: dict[str, np.ndarray], multipliers: list[int], shifts: list[int]
) -> Arg:
    layer_consts["multiplier"] = np.asarray(multipliers, dtype=np.int32)
    layer_consts["shift"] = np.asarray(shifts, dtype=np.int32)
    return Arg.quant(len(multipliers))


def _lower_conv(graph: Graph, op: Operator) -> Layer:
    def fit(opts: Any, in_dims: Dims, f_dims: Dims) -> tuple[int, int, int]:
        if f_dims[3] != in_dims[3]:
            raise ModelError(
                f"{op.describe()} filter depth {f_dims[3]} != input channels {in_dims[3]} "
                "(grouped convolution is not supported)"
            )
        return f_dims[0], 0, f_dims[1] * f_dims[2] * f_dims[3]

    return _lower_windowed_conv(graph, op, "Conv2DOptionsT", fit, "te_conv_2d_s8",
                                "te_conv_params", lambda conv, opts: conv)


def _lower_depthwise(graph: Graph, op: Operator) -> Layer:
    def fit(opts: Any, in_dims: Dims, f_dims: Dims) -> tuple[int, int, int]:
        channels, multiplier = f_dims[3], int(opts.depthMultiplier)
        if f_dims[0] != 1 or multiplier < 1 or channels != in_dims[3] * multiplier:
            raise ModelError(
                f"{op.describe()} filter shape {list(f_dims)} and depth_multiplier "
                f"{multiplier} do not fit {in_dims[3]} input channels"
            )
        return channels, 3, f_dims[1] * f_dims[2]

    return _lower_windowed_conv(
        graph, op, "DepthwiseConv2DOptionsT", fit, "te_depthwise_conv_2d_s8",
        "te_dw_conv_params",
        lambda conv, opts: {"conv": conv, "depth_multiplier": int(opts.depthMultiplier)})


def _lower_windowed_conv(
    graph: Graph, op: Operator, options: str,
    fit: Callable[[Any, Dims, Dims], tuple[int, int, int]], kernel: str, params_type: str,
    wrap: Callable[[dict[str, Any], Any], dict[str, Any]],
) -> Layer:
    """What CONV_2D and DEPTHWISE_CONV_2D share: a filter window slid over an NHWC input,
    per-channel requantization and a fused activation. ``fit`` checks the filter against
    the input and returns (output channels, the filter's channel axis, products summed per
    output value); ``wrap`` builds the kernel's params struct around the common
    ``te_conv_params`` fields."""
    _n_inputs(op, (2, 3))
    opts = _options(op, options)
    x = _tensor(graph, op, 0, "input", "act")
    w = _tensor(graph, op, 1, "filter", "const")
    out = _output(graph, op)
    in_dims, f_dims = _dims4(x, op, "input"), _dims4(w, op, "filter")
    channels, channel_axis, depth = fit(opts, in_dims, f_dims)
    _positive(op, stride_h=opts.strideH, stride_w=opts.strideW,
              dilation_h=opts.dilationHFactor, dilation_w=opts.dilationWFactor)
    stride, dilation = (opts.strideH, opts.strideW), (opts.dilationHFactor, opts.dilationWFactor)
    oh, ow, ph, pw = _spatial(op, _padding(op, opts), in_dims, f_dims[1:3], stride, dilation)
    _expect_shape(op, out, (in_dims[0], oh, ow, channels))
    scales = _weights(op, w, channels, channel_axis)
    bias = _bias(graph, op, 2, channels)
    limits.check_accumulator(op.describe(), depth, bias)
    in_scale, in_zp = _activation_quant(x, op.describe())
    mults, shifts = quant.conv_multipliers(in_scale, scales, out.scale, channels)
    act_min, act_max = _activation(op, opts, out)
    conv = {
        "input_offset": -in_zp, "output_offset": out.zero_point,
        "stride_h": stride[0], "stride_w": stride[1], "pad_h": ph, "pad_w": pw,
        "dilation_h": dilation[0], "dilation_w": dilation[1],
        "act_min": act_min, "act_max": act_max,
    }
    consts: dict[str, np.ndarray] = {"filter": w.data.astype(np.int8)}
    if bias is not None:
        consts["bias"] = bias
    q = _quant_arrays(consts, mults, shifts)
    bias_arg = Arg.const("bias") if bias is not None else Arg.null()
    args = [
        Arg.ctx(), Arg.params(), q,
        Arg.dims("input", _as_dims(x.shape)), Arg.tensor(x.index),
        Arg.dims("filter", _as_dims(w.shape)), Arg.const("filter"),
        Arg.dims("bias", (1, 1, 1, len(mults))), bias_arg,
        Arg.dims("output", _as_dims(out.shape)), Arg.tensor(out.index),
    ]
    return Layer(op.index, op.opcode, kernel, params_type, wrap(conv, opts), args, (x.index,),
                 out.index, consts)


def _lower_fully_connected(graph: Graph, op: Operator) -> Layer:
    _n_inputs(op, (2, 3))
    opts = _options(op, "FullyConnectedOptionsT")
    if _enum("FullyConnectedOptionsWeightsFormat", opts.weightsFormat) != "DEFAULT":
        raise ModelError(f"{op.describe()} uses a shuffled weights format; only DEFAULT works")
    if opts.asymmetricQuantizeInputs:
        raise ModelError(f"{op.describe()} uses hybrid (asymmetric_quantize_inputs) mode")
    x = _tensor(graph, op, 0, "input", "act")
    w = _tensor(graph, op, 1, "weights", "const")
    out = _output(graph, op)
    if len(w.shape) != 2:
        raise ModelError(f"{op.describe()} weights {w.describe()} must be 2-D [units, depth]")
    units, depth = w.shape
    if x.size % depth:
        raise ModelError(f"{op.describe()} input size {x.size} is not a multiple of {depth}")
    batches = x.size // depth
    if out.size != batches * units or out.shape[-1] != units:
        raise ModelError(
            f"{op.describe()} output shape {list(out.shape)} does not match {batches}x{units}"
        )
    if w.dtype != "INT8" or len(w.scales) not in (1, units):
        raise ModelError(f"{op.describe()} weights must be int8 with 1 or {units} scales")
    if len(w.scales) > 1:
        _weights(op, w, units, 0)
    filter_offset = -w.zero_points[0] if w.zero_points else 0
    if not quant.INT8_MIN <= -filter_offset <= quant.INT8_MAX:
        raise ModelError(f"{op.describe()} weights zero point {-filter_offset} is outside int8")
    bias = _bias(graph, op, 2, units)
    limits.check_accumulator(op.describe(), depth, bias)
    in_scale, in_zp = _activation_quant(x, op.describe())
    mults, shifts = quant.conv_multipliers(in_scale, list(w.scales), out.scale, len(w.scales))
    act_min, act_max = _activation(op, opts, out)
    params = {
        "input_offset": -in_zp, "filter_offset": filter_offset,
        "output_offset": out.zero_point, "act_min": act_min, "act_max": act_max,
    }
    consts: dict[str, np.ndarray] = {"filter": w.data.astype(np.int8)}
    if bias is not None:
        consts["bias"] = bias
    q = _quant_arrays(consts, mults, shifts)
    args = [
        Arg.ctx(), Arg.params(), q,
        Arg.dims("input", (1, 1, batches, depth)), Arg.tensor(x.index),
        Arg.dims("filter", (1, 1, units, depth)), Arg.const("filter"),
        Arg.dims("bias", (1, 1, 1, units)),
        Arg.const("bias") if bias is not None else Arg.null(),
        Arg.dims("output", (1, 1, batches, units)), Arg.tensor(out.index),
    ]
    return Layer(op.index, op.opcode, "te_fully_connected_s8", "te_fc_params", params, args,
                 (x.index,), out.index, consts)


def _same_quant(op: Operator, a: Tensor, b: Tensor) -> None:
    if a.scales != b.scales or a.zero_points != b.zero_points:
        raise ModelError(
            f"{op.describe()} needs the same scale and zero point on input and output "
            f"(input {a.scales}/{a.zero_points}, output {b.scales}/{b.zero_points})"
        )


def _lower_pool(graph: Graph, op: Operator) -> Layer:
    _n_inputs(op, (1,))
    opts = _options(op, "Pool2DOptionsT")
    x = _tensor(graph, op, 0, "input", "act")
    out = _output(graph, op)
    in_dims = _dims4(x, op, "input")
    _positive(op, stride_h=opts.strideH, stride_w=opts.strideW,
              filter_h=opts.filterHeight, filter_w=opts.filterWidth)
    kernel, stride = (opts.filterHeight, opts.filterWidth), (opts.strideH, opts.strideW)
    oh, ow, ph, pw = _spatial(op, _padding(op, opts), in_dims, kernel, stride, (1, 1))
    _expect_shape(op, out, (in_dims[0], oh, ow, in_dims[3]))
    limits.check_sum_count(op.describe(), kernel[0] * kernel[1])
    _activation_quant(x, op.describe())
    _same_quant(op, x, out)
    act_min, act_max = _activation(op, opts, out)
    params = {
        "stride_h": stride[0], "stride_w": stride[1], "pad_h": ph, "pad_w": pw,
        "filter_h": kernel[0], "filter_w": kernel[1], "act_min": act_min, "act_max": act_max,
    }
    kernel_name = "te_max_pool_2d_s8" if op.opcode == "MAX_POOL_2D" else "te_average_pool_2d_s8"
    args = [Arg.ctx(), Arg.params(), Arg.dims("input", in_dims), Arg.tensor(x.index),
            Arg.dims("output", _as_dims(out.shape)), Arg.tensor(out.index)]
    return Layer(op.index, op.opcode, kernel_name, "te_pool_params", params, args, (x.index,),
                 out.index)


def _lower_mean(graph: Graph, op: Operator) -> Layer:
    _n_inputs(op, (2,))
    opts = _options(op, "ReducerOptionsT")
    x = _tensor(graph, op, 0, "input", "act")
    axis_t = _tensor(graph, op, 1, "axis", "const")
    out = _output(graph, op)
    if axis_t.dtype != "INT32" or len(axis_t.shape) > 1:
        raise ModelError(f"{op.describe()} axis {axis_t.describe()} must be an int32 vector")
    rank = len(x.shape)
    axes = set()
    for a in axis_t.data.reshape(-1).tolist():
        if not -rank <= a < rank:
            raise ModelError(f"{op.describe()} axis {a} is out of range for rank {rank}")
        axes.add(a % rank)
    if not axes:
        raise ModelError(f"{op.describe()} has no axes to reduce")
    kept = [1 if i in axes else d for i, d in enumerate(x.shape)]
    expected = kept if opts.keepDims else [d for i, d in enumerate(x.shape) if i not in axes]
    _expect_shape(op, out, tuple(expected))
    in_scale, in_zp = _activation_quant(x, op.describe())
    count = math.prod(x.shape[i] for i in axes)
    limits.check_sum_count(op.describe(), count)
    mult, shift = quant.mean_multiplier(in_scale, out.scale, count)
    offset = 4 - rank  # axes of the rank-r tensor map onto the last r of NHWC
    params = {
        "input_zero_point": in_zp, "output_zero_point": out.zero_point,
        "multiplier": mult, "shift": shift,
        "axis_mask": sum(1 << (a + offset) for a in sorted(axes)),
    }
    args = [Arg.ctx(), Arg.params(), Arg.dims("input", _as_dims(x.shape)),
            Arg.tensor(x.index), Arg.dims("output", _as_dims(tuple(kept))),
            Arg.tensor(out.index)]
    return Layer(op.index, op.opcode, "te_mean_s8", "te_mean_params", params, args, (x.index,),
                 out.index)


def _operand(graph: Graph, op: Operator, position: int, role: str,
             consts: dict[str, np.ndarray]) -> tuple[Tensor, Arg]:
    """An element-wise operand: an activation tensor, or a constant int8 tensor stored with
    the layer (as ``role``)."""
    if position < len(op.inputs) and op.inputs[position] >= 0:
        t = graph.tensors[op.inputs[position]]
        if t.is_constant and t.dtype == "INT8":
            _activation_quant(t, op.describe())
            consts[role] = t.data.astype(np.int8)
            return t, Arg.const(role)
    t = _tensor(graph, op, position, role, "act")
    return t, Arg.tensor(t.index)


def _broadcast_dims(op: Operator, a: Tensor, b: Tensor, out: Tensor) -> tuple[Dims, Dims, Dims]:
    """The operands' and output's 4-D dims; every operand extent equals the output's or is 1."""
    if max(len(a.shape), len(b.shape), len(out.shape)) > 4:
        raise ModelError(f"{op.describe()} has more than 4 dimensions")
    da, db, do = _as_dims(a.shape), _as_dims(b.shape), _as_dims(out.shape)
    expected = tuple(max(x, y) for x, y in zip(da, db, strict=True))
    if any(x not in (1, e) or y not in (1, e) for x, y, e in zip(da, db, expected, strict=True)) \
            or expected != do or len(out.shape) != max(len(a.shape), len(b.shape)):
        raise ModelError(
            f"{op.describe()} shapes {list(a.shape)} and {list(b.shape)} do not broadcast to "
            f"its output {list(out.shape)}")
    return da, db, do


def _binary(op: Operator, kernel: str, params_type: str | None, params: dict[str, Any],
            operands: tuple[tuple[Tensor, Arg], tuple[Tensor, Arg]], out: Tensor,
            consts: dict[str, np.ndarray]) -> Layer:
    """A broadcasting element-wise kernel call (ADD, SUB, MUL; MINIMUM and MAXIMUM, which
    have no parameters: ``params_type`` None)."""
    (a, arg_a), (b, arg_b) = operands
    da, db, do = _broadcast_dims(op, a, b, out)
    args = [Arg.ctx(), *([Arg.params()] if params_type else []), Arg.dims("input1", da),
            arg_a, Arg.dims("input2", db), arg_b, Arg.dims("output", do),
            Arg.tensor(out.index)]
    reads = tuple(t.index for t, arg in operands if arg.kind is ArgKind.TENSOR)
    return Layer(op.index, op.opcode, kernel, params_type, params, args, reads, out.index,
                 consts)


def _binary_inputs(graph: Graph, op: Operator, options: str) -> tuple[
        dict[str, np.ndarray], tuple[tuple[Tensor, Arg], tuple[Tensor, Arg]], Tensor,
        dict[str, int]]:
    """ADD's and MUL's operands, output and the offsets and clamp they share."""
    _n_inputs(op, (2,))
    opts = _options(op, options)
    consts: dict[str, np.ndarray] = {}
    operands = (_operand(graph, op, 0, "input1", consts), _operand(graph, op, 1, "input2", consts))
    out = _output(graph, op)
    (a, _), (b, _) = operands
    _activation_quant(a, op.describe())
    _activation_quant(b, op.describe())
    act_min, act_max = _activation(op, opts, out)
    common = {"input1_offset": -a.zero_point, "input2_offset": -b.zero_point,
              "output_offset": out.zero_point, "act_min": act_min, "act_max": act_max}
    return consts, operands, out, common


def _lower_add(graph: Graph, op: Operator) -> Layer:
    consts, operands, out, common = _binary_inputs(graph, op, "AddOptionsT")
    (a, _), (b, _) = operands
    params = {k: common[k] for k in ("input1_offset", "input2_offset", "output_offset")}
    params |= quant.add_multipliers(a.scale, b.scale, out.scale)
    params |= {"act_min": common["act_min"], "act_max": common["act_max"]}
    if a.shape != b.shape or out.shape != a.shape or consts:
        return _binary(op, "te_add_broadcast_s8", "te_add_params", params, operands, out,
                       consts)
    args = [Arg.ctx(), Arg.params(), Arg.int(out.size), Arg.tensor(a.index),
            Arg.tensor(b.index), Arg.tensor(out.index)]
    layer = Layer(op.index, op.opcode, "te_add_s8", "te_add_params", params, args,
                  (a.index, b.index), out.index)
    layer.alias_input = a.index
    return layer


def _lower_sub(graph: Graph, op: Operator) -> Layer:
    """SUB: ADD's scheme (the same multipliers, as the TFLite Micro interpreter computes
    them) with the difference of the rescaled inputs; broadcasting."""
    consts, operands, out, common = _binary_inputs(graph, op, "SubOptionsT")
    (a, _), (b, _) = operands
    params = {k: common[k] for k in ("input1_offset", "input2_offset", "output_offset")}
    params |= quant.add_multipliers(a.scale, b.scale, out.scale)
    params |= {"act_min": common["act_min"], "act_max": common["act_max"]}
    return _binary(op, "te_sub_s8", "te_add_params", params, operands, out, consts)


def _lower_min_max(graph: Graph, op: Operator) -> Layer:
    """MINIMUM / MAXIMUM: TFLite Micro compares the raw int8 values, which is the real
    minimum / maximum only when both inputs and the output share one quantization (what
    the converter writes); anything else is refused. Broadcasting."""
    _n_inputs(op, (2,))
    consts: dict[str, np.ndarray] = {}
    operands = (_operand(graph, op, 0, "input1", consts), _operand(graph, op, 1, "input2", consts))
    out = _output(graph, op)
    for t, _ in operands:
        _same_quant(op, t, out)
    kernel = "te_maximum_s8" if op.opcode == "MAXIMUM" else "te_minimum_s8"
    return _binary(op, kernel, None, {}, operands, out, consts)


def _lower_mul(graph: Graph, op: Operator) -> Layer:
    consts, operands, out, common = _binary_inputs(graph, op, "MulOptionsT")
    (a, _), (b, _) = operands
    mult, shift = quant.quantize_multiplier(float(a.scale) * float(b.scale) / float(out.scale),
                                            "MUL scale")
    params = {k: common[k] for k in ("input1_offset", "input2_offset", "output_offset")}
    params |= {"multiplier": mult, "shift": shift, "act_min": common["act_min"],
               "act_max": common["act_max"]}
    return _binary(op, "te_mul_s8", "te_mul_params", params, operands, out, consts)


def _unary(op: Operator, kernel: str, params_type: str, params: dict[str, Any], x: Tensor,
           out: Tensor) -> Layer:
    """An element-wise kernel call over ``size`` elements; the output may reuse the input."""
    if x.shape != out.shape:
        raise ModelError(f"{op.describe()} output shape {list(out.shape)} differs from its "
                         f"input's {list(x.shape)}")
    args = [Arg.ctx(), Arg.params(), Arg.int(out.size), Arg.tensor(x.index),
            Arg.tensor(out.index)]
    layer = Layer(op.index, op.opcode, kernel, params_type, params, args, (x.index,), out.index)
    layer.alias_input = x.index
    return layer


def _lower_rescale(graph: Graph, op: Operator) -> Layer:
    """RELU and int8 -> int8 QUANTIZE: rescale to the output, then clamp. RELU6 as TFLite
    Micro runs it: the input clamped to 0 and 6 on the input's own scale, not rescaled (its
    result is read with the output's scale, which the converter may have made different)."""
    _n_inputs(op, (1,))
    source = graph.tensors[op.inputs[0]] if op.inputs[0] >= 0 else None
    if op.opcode == "QUANTIZE" and source is not None and source.dtype != "INT8":
        return _lower_quantize_float(graph, op, source)
    x = _tensor(graph, op, 0, "input", "act")
    out = _output(graph, op)
    in_scale, in_zp = _activation_quant(x, op.describe())
    if op.opcode == "RELU6":
        act_min, act_max = quant.activation_range("RELU6", in_scale, in_zp)
        params = {"input_offset": 0, "output_offset": 0, "multiplier": 1 << 30, "shift": 1}
    else:
        act_min, act_max = quant.activation_range(
            "RELU" if op.opcode == "RELU" else "NONE", out.scale, out.zero_point)
        mult, shift = quant.quantize_multiplier(float(in_scale) / float(out.scale),
                                                f"{op.opcode} scale")
        params = {"input_offset": -in_zp, "output_offset": out.zero_point,
                  "multiplier": mult, "shift": shift}
    params |= {"act_min": act_min, "act_max": act_max}
    return _unary(op, "te_rescale_s8", "te_rescale_params", params, x, out)


def _affine_params(t: Tensor, where: str) -> dict[str, Any]:
    """The int8 side of a float edge: its scale (as the float TFLite Micro computes with)
    and zero point."""
    scale, zero_point = _activation_quant(t, where)
    if not (math.isfinite(scale) and np.float32(scale) > 0):
        raise ModelError(f"{where}: {t.describe()} scale {scale!r} must be a finite number > 0")
    return {"scale": Float32(float(np.float32(scale))), "zero_point": zero_point}


def _float_edge(op: Operator, kernel: str, params: dict[str, Any], x: Tensor, out: Tensor
                ) -> Layer:
    """A float32 <-> int8 conversion at a model edge (never in place: the sizes differ)."""
    if x.shape != out.shape:
        raise ModelError(f"{op.describe()} output shape {list(out.shape)} differs from its "
                         f"input's {list(x.shape)}")
    args = [Arg.ctx(), Arg.params(), Arg.int(out.size), Arg.tensor(x.index),
            Arg.tensor(out.index)]
    return Layer(op.index, op.opcode, kernel, "te_affine_params", params, args, (x.index,),
                 out.index)


def _lower_quantize_float(graph: Graph, op: Operator, source: Tensor) -> Layer:
    """float32 -> int8 QUANTIZE, only of the model's input."""
    if source.dtype != "FLOAT32" or source.index != graph.inputs[0]:
        raise ModelError(
            f"{op.describe()} converts {source.dtype} {source.describe()} to int8; tinyedge "
            "converts only a float32 model input (full-integer quantization otherwise)")
    out = _output(graph, op)
    return _float_edge(op, "te_quantize_f32_s8", _affine_params(out, op.describe()), source,
                       out)


def _lower_dequantize(graph: Graph, op: Operator) -> Layer:
    """int8 -> float32 DEQUANTIZE, only into the model's output."""
    _n_inputs(op, (1,))
    x = _tensor(graph, op, 0, "input", "act")
    if len(op.outputs) != 1:
        raise ModelError(f"{op.describe()} must have exactly one output, has {len(op.outputs)}")
    out = graph.tensors[op.outputs[0]]
    if out.dtype != "FLOAT32" or out.index != graph.outputs[0] or out.is_constant:
        raise ModelError(
            f"{op.describe()} writes {out.describe()}; tinyedge dequantizes only into a "
            "float32 model output (full-integer quantization otherwise)")
    return _float_edge(op, "te_dequantize_s8_f32", _affine_params(x, op.describe()), x, out)


def _lower_leaky_relu(graph: Graph, op: Operator) -> Layer:
    _n_inputs(op, (1,))
    alpha = float(_options(op, "LeakyReluOptionsT").alpha)
    x = _tensor(graph, op, 0, "input", "act")
    out = _output(graph, op)
    in_scale, in_zp = _activation_quant(x, op.describe())
    if not 0.0 <= alpha <= 1.0:
        raise ModelError(f"{op.describe()} alpha {alpha!r} must lie in [0, 1]")
    ratio = float(in_scale) / float(out.scale)
    identity, identity_shift = quant.quantize_multiplier(ratio, "LEAKY_RELU scale")
    alpha_mult, alpha_shift = quant.quantize_multiplier(
        float(np.float32(in_scale) * np.float32(alpha) / np.float32(out.scale)),
        "LEAKY_RELU alpha scale")
    params = {"input_offset": -in_zp, "output_offset": out.zero_point,
              "identity_multiplier": identity, "identity_shift": identity_shift,
              "alpha_multiplier": alpha_mult, "alpha_shift": alpha_shift}
    return _unary(op, "te_leaky_relu_s8", "te_leaky_relu_params", params, x, out)


def _fixed_output(op: Operator, out: Tensor) -> None:
    """SOFTMAX and LOGISTIC write int8 probabilities: scale 1/256, zero point -128."""
    scale, zero_point = quant.SOFTMAX_OUTPUT
    if out.zero_point != zero_point or abs(out.scale - scale) > 0.001 * scale:
        raise ModelError(
            f"{op.describe()} output {out.describe()} must have scale 1/256 and zero point "
            f"-128 (has {out.scale!r}, {out.zero_point}), as TFLite's int8 kernel requires")


def _lower_softmax(graph: Graph, op: Operator) -> Layer:
    _n_inputs(op, (1,))
    beta = float(_options(op, "SoftmaxOptionsT").beta)
    x = _tensor(graph, op, 0, "input", "act")
    out = _output(graph, op)
    in_scale, _ = _activation_quant(x, op.describe())
    _fixed_output(op, out)
    if x.shape != out.shape or len(x.shape) > 4:
        raise ModelError(f"{op.describe()} needs input and output of one shape, at most 4-D")
    limits.check_softmax_depth(op.describe(), x.shape[-1])
    params = quant.softmax_params(beta, in_scale)
    args = [Arg.ctx(), Arg.params(), Arg.dims("input", _as_dims(x.shape)),
            Arg.tensor(x.index), Arg.tensor(out.index)]
    return Layer(op.index, op.opcode, "te_softmax_s8", "te_softmax_params", params, args,
                 (x.index,), out.index)


def _lower_logistic(graph: Graph, op: Operator) -> Layer:
    _n_inputs(op, (1,))
    x = _tensor(graph, op, 0, "input", "act")
    out = _output(graph, op)
    in_scale, in_zp = _activation_quant(x, op.describe())
    _fixed_output(op, out)
    return _unary(op, "te_logistic_s8", "te_logistic_params",
                  quant.logistic_params(in_scale, in_zp), x, out)


def _lower_hard_swish(graph: Graph, op: Operator) -> Layer:
    _n_inputs(op, (1,))
    x = _tensor(graph, op, 0, "input", "act")
    out = _output(graph, op)
    in_scale, in_zp = _activation_quant(x, op.describe())
    params = quant.hard_swish_params(in_scale, in_zp, out.scale, out.zero_point)
    return _unary(op, "te_hard_swish_s8", "te_hard_swish_params", params, x, out)


def _lower_concatenation(graph: Graph, op: Operator) -> Layer:
    opts = _options(op, "ConcatenationOptionsT")
    if not 1 <= len(op.inputs) <= limits.MAX_CONCAT_INPUTS:
        raise ModelError(f"{op.describe()} has {len(op.inputs)} inputs; the runtime "
                         f"concatenates 1 to {limits.MAX_CONCAT_INPUTS}")
    if _enum("ActivationFunctionType", opts.fusedActivationFunction) != "NONE":
        raise ModelError(f"{op.describe()} has a fused activation; TFLite Micro supports none")
    out = _output(graph, op)
    rank = len(out.shape)
    axis = int(opts.axis)
    if not -rank <= axis < rank:
        raise ModelError(f"{op.describe()} axis {axis} is out of range for rank {rank}")
    axis %= rank
    inputs = [_tensor(graph, op, i, f"input{i + 1}", "act") for i in range(len(op.inputs))]
    for t in inputs:
        _same_quant(op, t, out)
        if len(t.shape) != rank or any(d != o for i, (d, o) in enumerate(
                zip(t.shape, out.shape, strict=True)) if i != axis):
            raise ModelError(f"{op.describe()} input {t.describe()} does not fit its output "
                             f"{list(out.shape)} along axis {axis}")
    _expect_shape(op, out, (*out.shape[:axis], sum(t.shape[axis] for t in inputs),
                            *out.shape[axis + 1:]))
    if any(t.size == 0 for t in inputs):
        raise ModelError(f"{op.describe()} has an empty input")
    consts = {"copy_sizes": np.asarray([math.prod(t.shape[axis:]) for t in inputs],
                                       dtype=np.int32)}
    args = [Arg.ctx(), Arg.int(len(inputs)), Arg.tensors(tuple(t.index for t in inputs)),
            Arg.const("copy_sizes"), Arg.dims("output", _as_dims(out.shape)),
            Arg.tensor(out.index)]
    return Layer(op.index, op.opcode, "te_concatenation_s8", None, {}, args,
                 tuple(t.index for t in inputs), out.index, consts)


def _const_ints(graph: Graph, op: Operator, position: int, role: str, count: int) -> list[int]:
    t = _tensor(graph, op, position, role, "const")
    if t.dtype not in ("INT32", "INT64") or t.shape != (count,):
        raise ModelError(f"{op.describe()} {role} {t.describe()} must be an int vector of "
                         f"{count}")
    values = [int(v) for v in t.data.reshape(-1)]
    limits.check_int32(op.describe(), values, role)
    return values


def _lower_strided_slice(graph: Graph, op: Operator) -> Layer:
    _n_inputs(op, (4,))
    opts = _options(op, "StridedSliceOptionsT")
    x = _tensor(graph, op, 0, "input", "act")
    out = _output(graph, op)
    rank = len(x.shape)
    if rank > 4 or opts.ellipsisMask or opts.newAxisMask or opts.offset:
        raise ModelError(f"{op.describe()} uses more than 4 dimensions, an ellipsis or new "
                         "axis mask, or offset mode; TFLite Micro does not support them")
    begin, end, strides = (_const_ints(graph, op, i, role, rank)
                           for i, role in ((1, "begin"), (2, "end"), (3, "strides")))
    axes = fold.slice_axes(op, opts, x.shape, begin, end, strides)
    starts, steps = [a[0] for a in axes], [a[1] for a in axes]
    counts = [a[2] for a in axes]
    kept = [count for _, _, count, shrunk in axes if not shrunk]
    _expect_shape(op, out, tuple(kept))
    _activation_quant(x, op.describe())
    _same_quant(op, x, out)
    lead = 4 - rank
    params = {"start": [0] * lead + starts, "stride": [1] * lead + steps}
    args = [Arg.ctx(), Arg.params(), Arg.dims("input", _as_dims(x.shape)), Arg.tensor(x.index),
            Arg.dims("output", _as_dims(tuple(counts))), Arg.tensor(out.index)]
    return Layer(op.index, op.opcode, "te_strided_slice_s8", "te_strided_slice_params", params,
                 args, (x.index,), out.index)


def _lower_transpose(graph: Graph, op: Operator) -> Layer:
    _n_inputs(op, (2,))
    x = _tensor(graph, op, 0, "input", "act")
    out = _output(graph, op)
    rank = len(x.shape)
    if rank > 4:
        raise ModelError(f"{op.describe()} has more than 4 dimensions")
    perm = _const_ints(graph, op, 1, "perm", rank)
    if sorted(perm) != list(range(rank)):
        raise ModelError(f"{op.describe()} perm {perm} is not a permutation of 0..{rank - 1}")
    _expect_shape(op, out, tuple(x.shape[p] for p in perm))
    _activation_quant(x, op.describe())
    _same_quant(op, x, out)
    lead = 4 - rank
    params = {"perm": list(range(lead)) + [p + lead for p in perm]}
    args = [Arg.ctx(), Arg.params(), Arg.dims("input", _as_dims(x.shape)), Arg.tensor(x.index),
            Arg.dims("output", _as_dims(out.shape)), Arg.tensor(out.index)]
    return Layer(op.index, op.opcode, "te_transpose_s8", "te_transpose_params", params, args,
                 (x.index,), out.index)


def _lower_pad(graph: Graph, op: Operator) -> Layer:
    _n_inputs(op, (2, 3) if op.opcode == "PADV2" else (2,))
    x = _tensor(graph, op, 0, "input", "act")
    paddings = _tensor(graph, op, 1, "paddings", "const")
    out = _output(graph, op)
    rank = len(x.shape)
    if paddings.dtype not in ("INT32", "INT64") or paddings.shape != (rank, 2):
        raise ModelError(f"{op.describe()} paddings {paddings.describe()} must be int [{rank}, 2]")
    pads = paddings.data.astype(np.int64)
    if (pads < 0).any() or (pads > 1 << 16).any():
        raise ModelError(f"{op.describe()} paddings {pads.tolist()} must be small and >= 0")
    _expect_shape(op, out, tuple(int(d + p.sum()) for d, p in zip(x.shape, pads, strict=True)))
    _activation_quant(x, op.describe())
    _same_quant(op, x, out)
    pad_value = out.zero_point
    if len(op.inputs) == 3 and op.inputs[2] >= 0:
        value = _tensor(graph, op, 2, "constant_values", "const")
        if value.dtype != "INT8" or value.size != 1:
            raise ModelError(f"{op.describe()} constant_values must be a single int8 value")
        pad_value = int(value.data.reshape(-1)[0])
    lead = [[0, 0]] * (4 - rank)
    full = lead + pads.tolist()
    params = {"before": [int(p[0]) for p in full], "after": [int(p[1]) for p in full],
              "pad_value": pad_value}
    args = [Arg.ctx(), Arg.params(), Arg.dims("input", _as_dims(x.shape)),
            Arg.tensor(x.index), Arg.dims("output", _as_dims(out.shape)),
            Arg.tensor(out.index)]
    return Layer(op.index, op.opcode, "te_pad_s8", "te_pad_params", params, args, (x.index,),
                 out.index)


def _lower_reshape(graph: Graph, op: Operator) -> Layer:
    _n_inputs(op, (1, 2))
    x = _tensor(graph, op, 0, "input", "act")
    out = _output(graph, op)
    if x.size != out.size:
        raise ModelError(f"{op.describe()} changes the element count ({x.size} -> {out.size})")
    _activation_quant(x, op.describe())
    _same_quant(op, x, out)
    args = [Arg.ctx(), Arg.int(out.size), Arg.tensor(x.index), Arg.tensor(out.index)]
    layer = Layer(op.index, op.opcode, "te_reshape_s8", None, {}, args, (x.index,), out.index)
    layer.alias_input = x.index
    layer.alias_required = True
    return layer


def _lower_resize_nearest(graph: Graph, op: Operator) -> Layer:
    """RESIZE_NEAREST_NEIGHBOR: each output row and column copies the input row / column
    TFLite Micro picks (quant.nearest_indices, tabulated here); no requantization."""
    _n_inputs(op, (2,))
    opts = _options(op, "ResizeNearestNeighborOptionsT")
    x = _tensor(graph, op, 0, "input", "act")
    out = _output(graph, op)
    in_dims = _dims4(x, op, "input")
    height, width = _const_ints(graph, op, 1, "size", 2)
    if height < 1 or width < 1:
        raise ModelError(f"{op.describe()} size {[height, width]} must be positive")
    _expect_shape(op, out, (in_dims[0], height, width, in_dims[3]))
    _activation_quant(x, op.describe())
    _same_quant(op, x, out)
    align, half = bool(opts.alignCorners), bool(opts.halfPixelCenters)
    consts = {"rows": np.asarray(quant.nearest_indices(in_dims[1], height, align, half),
                                 dtype=np.int32),
              "cols": np.asarray(quant.nearest_indices(in_dims[2], width, align, half),
                                 dtype=np.int32)}
    args = [Arg.ctx(), Arg.dims("input", in_dims), Arg.tensor(x.index), Arg.const("rows"),
            Arg.const("cols"), Arg.dims("output", _as_dims(out.shape)), Arg.tensor(out.index)]
    return Layer(op.index, op.opcode, "te_resize_nearest_neighbor_s8", None, {}, args,
                 (x.index,), out.index, consts)


_LOWERINGS: dict[str, Callable[[Graph, Operator], Layer]] = {
    "CONV_2D": _lower_conv,
    "DEPTHWISE_CONV_2D": _lower_depthwise,
    "FULLY_CONNECTED": _lower_fully_connected,
    "MAX_POOL_2D": _lower_pool,
    "AVERAGE_POOL_2D": _lower_pool,
    "MEAN": _lower_mean,
    "ADD": _lower_add,
    "PAD": _lower_pad,
    "PADV2": _lower_pad,
    "RESHAPE": _lower_reshape,
    "SOFTMAX": _lower_softmax,
    "CONCATENATION": _lower_concatenation,
    "RELU": _lower_rescale,
    "RELU6": _lower_rescale,
    "QUANTIZE": _lower_rescale,
    "DEQUANTIZE": _lower_dequantize,
    "LEAKY_RELU": _lower_leaky_relu,
    "MUL": _lower_mul,
    "LOGISTIC": _lower_logistic,
    "HARD_SWISH": _lower_hard_swish,
    "STRIDED_SLICE": _lower_strided_slice,
    "TRANSPOSE": _lower_transpose,
    "SUB": _lower_sub,
    "SQUEEZE": _lower_reshape,  # SQUEEZE and EXPAND_DIMS only rename the dims: an alias
    "EXPAND_DIMS": _lower_reshape,
    "MINIMUM": _lower_min_max,
    "MAXIMUM": _lower_min_max,
    "RESIZE_NEAREST_NEIGHBOR": _lower_resize_nearest,
}
