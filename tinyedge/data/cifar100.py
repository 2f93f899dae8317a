"""CIFAR-100 in its standard python archive layout: download, verify, extract, read.

Safety: the archive's MD5 is checked before it is opened, members are extracted only if
they are plain files or folders inside ``cifar-100-python/``, and each extracted file's
MD5 is checked before it is unpickled, with an unpickler that admits only the numpy
classes the official files use.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import shutil
import tarfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath

import numpy as np

from tinyedge.data.dataset import ImageDataset
from tinyedge.errors import DatasetError
from tinyedge.fileio import atomic_path, md5_file

URL = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
ARCHIVE_NAME = "cifar-100-python.tar.gz"
ARCHIVE_MD5 = "eb9058c3a382ffc7106e4002c42a8d85"
FOLDER = "cifar-100-python"
FILE_MD5: Mapping[str, str] = {
    "train": "16019d7e3df5f24257cddd939b257f8d",
    "test": "f0ef6b0ae62326f3e7ffdfab6717acfc",
    "meta": "7973b15100ade9c7d40fb424638fde48",
}
FETCH_HINT = "run `tinyedge data fetch cifar100 --root {root}`"
# The official archive is 169 MB and its largest file (train) 155 MB: anything far larger
# (a sparse or hostile file) is refused before it is hashed, extracted or read.
MAX_ARCHIVE_BYTES = 512 * 1024 * 1024
MAX_FILE_BYTES = 512 * 1024 * 1024

Progress = Callable[[int, int | None], None]  # (bytes so far, total bytes or None)


def fetch(
    root: str | Path,
    *,
    url: str = URL,
    archive_md5: str = ARCHIVE_MD5,
    file_md5: Mapping[str, str] = FILE_MD5,
    progress: Progress | None = None,
    timeout: float = 60.0,
) -> Path:
    """Make ``root/cifar-100-python`` hold verified CIFAR-100 files; return that folder.

    A verified extracted copy is used as is; a present archive is verified and extracted,
    never re-downloaded; otherwise the archive is downloaded to a temporary file, its MD5
    checked, and only then moved into place and extracted.
    """
    root = Path(root)
    folder = root / FOLDER
    if _extracted_ok(folder, file_md5):
        return folder
    archive = root / ARCHIVE_NAME
    if archive.exists() or archive.is_symlink():
        _check_size(archive, MAX_ARCHIVE_BYTES, root)
        if md5_file(archive) != archive_md5:
            raise DatasetError(
                f"{archive} is corrupt (MD5 mismatch); delete it and "
                + FETCH_HINT.format(root=root)
            )
    else:
        _download(url, archive, archive_md5, progress, timeout)
    _safe_extract(archive, root)
    if not _extracted_ok(folder, file_md5):
        raise DatasetError(f"{archive} did not contain valid CIFAR-100 files; delete it and "
                           + FETCH_HINT.format(root=root))
    return folder


def _extracted_ok(folder: Path, file_md5: Mapping[str, str]) -> bool:
    for name, md5 in file_md5.items():
        path = folder / name
        if not path.is_file():
            return False
        _check_size(path, MAX_FILE_BYTES, folder.parent)
        if md5_file(path) != md5:
            return False
    return True


def _check_size(path: Path, limit: int, root: Path) -> None:
    """Refuse a file that is not regular or far larger than CIFAR-100's."""
    if not path.is_file():
        raise DatasetError(f"{path} is not a regular file; delete it and "
                           + FETCH_HINT.format(root=root))
    size = path.stat().st_size
    if size > limit:
        raise DatasetError(f"{path} is {size:,} bytes, far more than CIFAR-100's "
                           f"(at most {limit:,}); delete it and " + FETCH_HINT.format(root=root))


def _download(
    url: str, archive: Path, expected_md5: str, progress: Progress | None, timeout: float
) -> None:
    parts = urllib.parse.urlsplit(url)
    local_mirror = parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")
    if not (parts.scheme == "https" and parts.hostname) and not local_mirror:
        raise DatasetError(f"refusing to download from {url!r}: only https:// URLs are "
                           f"fetched; pass an https:// mirror or copy the archive into "
                           f"{archive.parent} by hand")
    archive.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(archive) as tmp:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response, open(tmp, "wb") as out:
                total = response.length
                done = 0
                while block := response.read(1 << 20):
                    out.write(block)
                    done += len(block)
                    if done > MAX_ARCHIVE_BYTES:
                        raise DatasetError(
                            f"{url} sends more than {MAX_ARCHIVE_BYTES:,} bytes, far more "
                            "than the CIFAR-100 archive; check that the URL serves "
                            "cifar-100-python.tar.gz")
                    if progress:
                        progress(done, total)
        except (urllib.error.URLError, OSError) as exc:
            raise DatasetError(
                f"could not download {url}: {exc}; check the network or fetch the archive "
                f"by hand into {archive.parent}"
            ) from exc
        if md5_file(tmp) != expected_md5:
            raise DatasetError(
                f"downloaded {url} has the wrong MD5 (expected {expected_md5}); refusing it — "
                "retry, or check that the URL serves the official CIFAR-100 python archive"
            )


def _safe_extract(archive: Path, root: Path) -> None:
    """Extract only regular files and folders under ``cifar-100-python/`` (no links,
    devices, absolute paths or ``..``), into a temp folder renamed into place."""
    staging = root / f".{FOLDER}.extracting"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = []
            total = 0
            for member in tar:  # stops at the first unsafe or oversized entry
                _check_member(member, archive)
                total += member.size
                if member.size > MAX_FILE_BYTES or total > 2 * MAX_FILE_BYTES:
                    raise DatasetError(
                        f"{archive} holds {member.name!r} of {member.size:,} bytes (more than "
                        "CIFAR-100's files); refusing to extract it — delete the archive and "
                        + FETCH_HINT.format(root=root))
                members.append(member)
            tar.extractall(staging, members=members, filter="data")
        target = root / FOLDER
        shutil.rmtree(target, ignore_errors=True)
        (staging / FOLDER).rename(target)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise DatasetError(f"{archive} could not be extracted ({exc}); delete it and "
                           + FETCH_HINT.format(root=root)) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _check_member(member: tarfile.TarInfo, archive: Path) -> None:
    path = PurePosixPath(member.name)
    unsafe = path.is_absolute() or ".." in path.parts or path.parts[:1] != (FOLDER,)
    if unsafe or not (member.isfile() or member.isdir()):
        raise DatasetError(
            f"{archive} contains an unsafe entry {member.name!r}; refusing to extract it"
        )


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles dicts, lists, bytes and numpy arrays; any other class is refused."""

    ALLOWED: frozenset[tuple[str, str]] = frozenset({
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
    })

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        return super().find_class(module, name)


def _unpickle(path: Path, expected_md5: str) -> dict:
    _check_size(path, MAX_FILE_BYTES, path.parent.parent)
    data = path.read_bytes()
    if hashlib.md5(data).hexdigest() != expected_md5:
        raise DatasetError(
            f"{path} is corrupt (MD5 mismatch); delete {path.parent} and "
            + FETCH_HINT.format(root=path.parent.parent)
        )
    try:
        obj = _NumpyOnlyUnpickler(io.BytesIO(data), encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, KeyError, AttributeError,
            IndexError, MemoryError, RecursionError) as exc:
        raise DatasetError(f"{path} could not be read: {exc}") from exc
    return {k.decode() if isinstance(k, bytes) else k: v for k, v in obj.items()}


def load_cifar100(root: str | Path, *, file_md5: Mapping[str, str] = FILE_MD5) -> ImageDataset:
    """Read ``root/cifar-100-python/{train,test,meta}`` (fine labels) into memory."""
    root = Path(root)
    folder = root / FOLDER
    missing = [n for n in ("train", "test", "meta") if not (folder / n).is_file()]
    if missing:
        raise DatasetError(
            f"CIFAR-100 not found in {folder} (missing {', '.join(missing)}); "
            + FETCH_HINT.format(root=root)
        )
    meta = _unpickle(folder / "meta", file_md5["meta"])
    names = tuple(_text(n) for n in meta["fine_label_names"])
    splits = {}
    for split in ("train", "test"):
        raw = _unpickle(folder / split, file_md5[split])
        data = np.asarray(raw["data"], dtype=np.uint8)
        labels = np.asarray(raw["fine_labels"], dtype=np.int64)
        if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(labels) != len(data):
            raise DatasetError(f"{folder / split} has an unexpected layout {data.shape}")
        if labels.min(initial=0) < 0 or labels.max(initial=0) >= len(names):
            raise DatasetError(f"{folder / split} has labels outside 0..{len(names) - 1}")
        # Rows hold three 32×32 planes (R, G, B); the project's layout is NHWC.
        splits[split] = (data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy(), labels)
    return ImageDataset(
        name="cifar100",
        train_images=splits["train"][0],
        train_labels=splits["train"][1],
        test_images=splits["test"][0],
        test_labels=splits["test"][1],
        class_names=names,
    )


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
