"""Resource and arithmetic limits every model must meet before C is generated for it.

The C kernels index memory and accumulate in ``int32_t``. Instead of widening every
expression, the validator proves, per layer, that no expression a kernel evaluates can
leave the ``int32_t`` range, and refuses the model (one :class:`ModelError` line) when it
cannot. The bounds, each checked in Python's unbounded integers:

- **Tensor sizes**: every tensor has at most ``MAX_ELEMENTS`` (2^26) elements (checked by
  the reader), so a flat index ``((n*H + y)*W + x)*C + c`` stays below 2^26.
- **Windows** (conv, depthwise, pooling): strides, dilations and padding at most 2^15-1
  (TFLite Micro stores them in ``int16_t``: larger values would be truncated there, so
  refusing is the only exact answer). With output size O, stride s, kernel k, dilation
  d and before-padding p, a kernel computes ``o*s - p + t*d`` for 0 <= o < O, 0 <= t < k.
  Requiring ``(O-1)*s + (k-1)*d + 1 <= MAX_EXTENT`` and ``p <= MAX_EXTENT`` keeps every such
  coordinate within ``[-2^24, 2^24]``.
- **Accumulators**: a dot product of depth K adds K terms of at most 255*255 in magnitude
  (offset-corrected int8 times int8) to an int32 bias, so ``|bias| + K*65025 < 2^31`` is
  required; MEAN and AVERAGE_POOL sum at most ``MAX_SUM_COUNT`` values of magnitude 255.
- **Parameters**: every integer handed to C (options, offsets, multipliers, shifts, dims)
  fits ``int32_t``.
- **SOFTMAX** sums one Q12.19 exponential of at most 2^19 per element of a row into an
  ``int32_t`` and shifts the result right by 23 plus the sum's bits above 2^19, which the
  kernel's rounding shift supports up to 31: rows of at most ``MAX_SOFTMAX_DEPTH`` (511)
  elements keep the sum below 2^28 and the shift at most 31.
- **CONCATENATION** takes at most ``MAX_CONCAT_INPUTS`` inputs (a pointer table per call).
- **Work and memory**: the arena is at most ``HOST_ARENA_CAP`` bytes (a board build is held
  to the board's RAM afterwards by the fit check), and one inference performs at most
  ``MAX_WORK`` multiply-accumulates or window taps, so no accepted model can make the host
  allocate gigabytes or loop for hours.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tinyedge.errors import ModelError

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1
INT16_MAX = (1 << 15) - 1
MAX_EXTENT = 1 << 24
MAX_TERM = 255 * 255
MAX_SUM_COUNT = 1 << 23  # 2^23 * 255 < 2^31
MAX_SOFTMAX_DEPTH = 511
MAX_CONCAT_INPUTS = 1024
HOST_ARENA_CAP = 256 * 1024 * 1024
MAX_WORK = 1 << 33


def check_window(where: str, axis: str, size: int, out: int, kernel: int, stride: int,
                 dilation: int, pad: int) -> None:
    """Refuse a window whose coordinates could leave ``[-MAX_EXTENT, MAX_EXTENT]``."""
    for name, value in (("stride", stride), ("dilation", dilation), ("padding", pad)):
        if value > INT16_MAX:
            raise ModelError(
                f"{where}: {axis} {name} {value:,} exceeds {INT16_MAX:,}; TFLite's kernels hold "
                "strides, dilations and padding in 16 bits, so no TFLite runtime runs it as "
                "written")
    reach = (out - 1) * stride + (kernel - 1) * dilation + 1
    if reach > MAX_EXTENT or pad > MAX_EXTENT or size > MAX_EXTENT:
        raise ModelError(
            f"{where}: its {axis} window spans {reach:,} input positions (kernel {kernel}, "
            f"stride {stride}, dilation {dilation}, padding {pad}); the runtime supports at "
            f"most {MAX_EXTENT:,}")


def check_accumulator(where: str, depth: int, bias: Iterable[int] | None) -> None:
    """Refuse a dot product whose int32 accumulator could overflow."""
    largest_bias = max((abs(int(b)) for b in bias), default=0) if bias is not None else 0
    bound = largest_bias + depth * MAX_TERM
    if bound > INT32_MAX:
        raise ModelError(
            f"{where}: a dot product of depth {depth:,} with biases up to {largest_bias:,} can "
            f"overflow the int32 accumulator (bound {bound:,} > 2^31-1); such a model cannot be "
            f"run exactly by any int8 runtime")


def check_sum_count(where: str, count: int) -> None:
    if count > MAX_SUM_COUNT:
        raise ModelError(
            f"{where}: sums {count:,} values into an int32; the runtime supports at most "
            f"{MAX_SUM_COUNT:,}")


def check_softmax_depth(where: str, depth: int) -> None:
    """Refuse a SOFTMAX row whose int32 sum of exponentials could reach 2^28."""
    if depth > MAX_SOFTMAX_DEPTH:
        raise ModelError(
            f"{where}: a softmax over {depth:,} values; the int8 runtime supports at most "
            f"{MAX_SOFTMAX_DEPTH} (its fixed-point sum of exponentials must stay below 2^28)")


def check_int32(where: str, values: Any, name: str = "parameter") -> None:
    """Every integer inside ``values`` (nested dicts, lists, tuples) fits ``int32_t``."""
    if isinstance(values, dict):
        for key, value in values.items():
            check_int32(where, value, str(key))
    elif isinstance(values, list | tuple):
        for value in values:
            check_int32(where, value, name)
    elif isinstance(values, bool | int) and not INT32_MIN <= int(values) <= INT32_MAX:
        raise ModelError(f"{where}: {name} = {int(values)} does not fit a 32-bit integer")


def check_arena(arena_bytes: int, cap: int = HOST_ARENA_CAP) -> None:
    if arena_bytes > cap:
        raise ModelError(
            f"the model needs a {arena_bytes:,}-byte activation arena; tinyedge runs models "
            f"with at most {cap:,} bytes (microcontrollers have far less RAM)")


def check_work(total: int) -> None:
    if total > MAX_WORK:
        raise ModelError(
            f"the model needs {total:,} multiply-accumulates or window taps per inference; "
            f"tinyedge runs at most {MAX_WORK:,}")
