"""The user's own evaluation data (``--data FILE.npz``), read without pickle and checked.

Format (one ``.npz`` written with ``numpy.savez`` or ``savez_compressed``)::

    images       uint8 (N, H, W, C)   raw pixels, normalised like the model's training data
    inputs       int8  (N, H, W, C)   or: inputs already quantised to the model's int8 input
                       or (N, F)      (N, F for a model whose input is a 1×F vector);
                                      float32 for a model with a float32 input
    labels       integer (N,)         true class of each row, 0 … classes − 1
    class_names  str (classes,)       optional, one name per model output

Exactly one of ``images`` and ``inputs``; no other member. What the file holds is checked
here (members, dtypes, shapes, sizes); whether it fits a model (image shape, label range,
number of class names) is :func:`check_fits`. Every refusal is one :class:`DatasetError`
line naming the file and the fix. The file is never unpickled (``allow_pickle=False``), and
its size and its members' uncompressed sizes are capped before anything is read.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tinyedge.errors import DatasetError
from tinyedge.fileio import sha256_file

MEMBERS = ("images", "inputs", "labels", "class_names")
# CIFAR-100's test split is 31 MB of pixels; 2 GiB holds ~700,000 such images.
MAX_DATA_BYTES = 2 << 30
SPLIT = "file"  # the image set of a --data file is the whole file


@dataclass(frozen=True)
class UserData:
    """A validated ``--data`` file. ``images`` (uint8) or ``inputs`` (int8) is set."""

    path: Path
    sha256: str
    labels: np.ndarray
    images: np.ndarray | None = None
    inputs: np.ndarray | None = None
    class_names: tuple[str, ...] | None = None

    @property
    def name(self) -> str:
        """How records and reports name this data: the file's name."""
        return self.path.name

    @property
    def quantized(self) -> bool:
        return self.inputs is not None

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """(H, W, C) of one row, or (F,) for vectors."""
        rows = self.inputs if self.inputs is not None else self.images
        assert rows is not None
        return tuple(rows.shape[1:])

    def image_set(self) -> dict[str, Any]:
        """The identity of the evaluated rows for a manifest's ``inputs.images``, as
        :func:`tinyedge.records.image_set` has it for a dataset split: the file's sha256
        stands for the images and labels it holds."""
        return {"dataset": self.name, "split": SPLIT, "size": len(self.labels),
                "sha256": self.sha256}


def _fail(path: Path, problem: str, fix: str = "") -> DatasetError:
    fix = fix or ("write it with numpy.savez(path, images=uint8 N×H×W×C, labels=int N) "
                  "(see docs/your-own-model.md)")
    return DatasetError(f"--data {path}: {problem}; {fix}")


def load_user_data(path: str | Path, max_bytes: int = MAX_DATA_BYTES, *,
                   labelled: bool = True) -> UserData:
    """Read and check ``path`` (see the module docstring); raise :class:`DatasetError`.
    Calibration data (``labelled=False``) may leave out ``labels`` (then all 0)."""
    path = Path(path)
    if not path.is_file():
        raise _fail(path, "is not a regular file" if path.exists() else "does not exist",
                    "pass the path of an .npz file")
    size = path.stat().st_size
    if size > max_bytes:
        raise _fail(path, f"is {size:,} bytes, more than the {max_bytes:,} tinyedge reads",
                    "evaluate a subset (split the file) or pass fewer images")
    arrays = _read_members(path, max_bytes, labelled)
    names = arrays.get("class_names")
    rows = _rows(path, arrays)
    if not labelled and "labels" not in arrays:
        arrays["labels"] = np.zeros(len(rows), np.int64)
    labels = _labels(path, arrays.get("labels"))
    if len(rows) != len(labels):
        kind = "inputs" if "inputs" in arrays else "images"
        raise _fail(path, f"holds {len(rows)} rows of {kind} but {len(labels)} labels",
                    "give one label per image")
    class_names = None
    if names is not None:
        if names.ndim != 1 or names.dtype.kind != "U" or len(names) < 2:
            raise _fail(path, f"class_names must be a 1-D array of ≥ 2 strings, got "
                        f"{names.dtype} {names.shape}",
                        "save it as numpy.array(['cat', 'dog', …]) (a str array, not objects)")
        class_names = tuple(str(n) for n in names)
    return UserData(path, sha256_file(path), labels,
                    images=arrays.get("images"), inputs=arrays.get("inputs"),
                    class_names=class_names)


def _read_members(path: Path, max_bytes: int, labelled: bool = True
                  ) -> dict[str, np.ndarray]:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _fail(path, f"is not an .npz archive ({type(exc).__name__})") from exc
    members = [info.filename.removesuffix(".npy") for info in infos]
    unknown = [m for m in members if m not in MEMBERS]
    if unknown:
        raise _fail(path, f"holds the unknown member(s) {', '.join(map(repr, unknown))}",
                    f"keep only {', '.join(MEMBERS)}")
    unpacked = sum(info.file_size for info in infos)
    declared = _declared_bytes(path, infos)
    if max(unpacked, declared) > max_bytes:
        raise _fail(path, f"unpacks to {max(unpacked, declared):,} bytes, more than the "
                    f"{max_bytes:,} tinyedge reads", "evaluate a subset (split the file)")
    if ("images" in members) == ("inputs" in members):
        raise _fail(path, "must hold exactly one of 'images' (uint8 pixels) and 'inputs' "
                    "(int8, already quantised)" + (", it holds both" if "images" in members
                                                   else ""))
    if labelled and "labels" not in members:
        raise _fail(path, "has no 'labels' array", "add labels=int array of N class ids")
    try:
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except ValueError as exc:  # an object array (pickled) is refused by allow_pickle=False
        raise _fail(path, f"holds an array numpy cannot read without pickle ({exc})",
                    "save plain numeric and str arrays, not Python objects") from exc
    except (OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise _fail(path, f"is corrupt ({type(exc).__name__}: {str(exc)[:80]})") from exc


def _declared_bytes(path: Path, infos: list[zipfile.ZipInfo]) -> int:
    """The bytes the members' .npy headers declare (shape × item size), read before any
    array is: a header may promise far more than the member holds."""
    total = 0
    try:
        with zipfile.ZipFile(path) as archive:
            for info in infos:
                with archive.open(info) as fh:
                    version = np.lib.format.read_magic(fh)
                    read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                            else np.lib.format.read_array_header_2_0)
                    shape, _, dtype = read(fh, max_header_size=10_000)
                total += int(np.prod(shape, dtype=object)) * dtype.itemsize
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, RuntimeError) as exc:
        raise _fail(path, f"holds a member that is not a numpy array ({str(exc)[:80]})"
                    ) from exc
    return total


def _labels(path: Path, labels: np.ndarray | None) -> np.ndarray:
    assert labels is not None
    if labels.ndim != 1 or labels.dtype.kind not in "iu" or len(labels) < 1:
        raise _fail(path, f"labels must be a non-empty 1-D integer array, got {labels.dtype} "
                    f"{labels.shape}", "save labels as numpy int64 class ids, one per image")
    if labels.min() < 0:
        raise _fail(path, f"labels must be ≥ 0, found {int(labels.min())}",
                    "use class ids 0 … classes − 1")
    return labels.astype(np.int64)


def _rows(path: Path, arrays: dict[str, np.ndarray]) -> np.ndarray:
    name, dtype = ("inputs", np.int8) if "inputs" in arrays else ("images", np.uint8)
    rows = arrays[name]
    if name == "inputs" and rows.dtype == np.float32:  # a model that quantizes its input
        dtype = np.float32
        if rows.size and not np.isfinite(rows).all():
            raise _fail(path, "inputs hold NaN or infinite values",
                        "replace them with finite float32 values")
    # Images are NHWC pixels; quantised inputs may also be N×F vectors (a feature model).
    dims = (4,) if name == "images" else (2, 4)
    if rows.ndim not in dims or rows.dtype != dtype or 0 in rows.shape:
        layout = "N×H×W×C (NHWC)" if name == "images" else "N×H×W×C (NHWC) or N×F"
        kind = np.dtype(dtype).name
        if name == "inputs" and dtype == np.int8:
            kind = "int8 (float32 for a model with a float32 input)"
        raise _fail(path, f"{name} must be {kind} {layout}, got "
                    f"{rows.dtype} {'×'.join(map(str, rows.shape)) or 'a scalar'}",
                    f"convert it with {name}.astype(numpy.{np.dtype(dtype).name})"
                    + (" of pixels 0…255 and give it 4 dimensions" if name == "images"
                       else " and give it 2 or 4 dimensions"))
    return rows


def check_fits(data: UserData, sample_shape: tuple[int, ...], classes: int,
               model: str | Path) -> None:
    """Refuse ``data`` unless one row has the model's input shape ((H, W, C), or (F,) for a
    vector), every label is a class of its ``classes`` outputs and ``class_names`` (if any)
    names them all."""
    if data.sample_shape != tuple(sample_shape):
        shape = "×".join(map(str, sample_shape))
        layout, fix = (("H×W×C", f"resize the images to {shape}") if len(sample_shape) == 3
                       else ("F", f"give rows of {shape} values"))
        raise _fail(data.path, f"rows are {'×'.join(map(str, data.sample_shape))}, but "
                    f"{model} takes {shape} ({layout})", fix)
    top = int(data.labels.max())
    if top >= classes:
        raise _fail(data.path, f"labels reach {top}, but {model} has {classes} outputs "
                    f"(classes 0…{classes - 1})", "use the class ids of the model's outputs")
    if data.class_names is not None and len(data.class_names) != classes:
        raise _fail(data.path, f"names {len(data.class_names)} classes, but {model} has "
                    f"{classes} outputs", "give one class name per output, or none")
