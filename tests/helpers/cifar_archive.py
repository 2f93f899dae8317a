"""Builds small archives in the CIFAR-100 python layout (pickled with byte-string keys
as the official Python 2 pickles read with encoding="bytes" have)."""

from __future__ import annotations

import hashlib
import io
import pickle
import tarfile
from pathlib import Path

import numpy as np


def _pickle_bytes(obj) -> bytes:
    return pickle.dumps(obj, protocol=3)


def cifar_members(n_train: int = 20, n_test: int = 10, classes: int = 100, seed: int = 0):
    rng = np.random.default_rng(seed)
    files = {}
    for split, n in (("train", n_train), ("test", n_test)):
        files[split] = _pickle_bytes({
            b"data": rng.integers(0, 256, size=(n, 3072), dtype=np.uint8),
            b"fine_labels": [int(i % classes) for i in range(n)],
            b"coarse_labels": [0] * n,
            b"filenames": [b"x.png"] * n,
        })
    files["meta"] = _pickle_bytes({
        b"fine_label_names": [f"class{i}".encode() for i in range(classes)],
        b"coarse_label_names": [b"all"],
    })
    return files


def write_archive(path: Path, files: dict[str, bytes], prefix: str = "cifar-100-python/") -> str:
    """Write a .tar.gz holding ``files`` under ``prefix``; return its MD5."""
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(prefix + name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return hashlib.md5(path.read_bytes()).hexdigest()


def md5s(files: dict[str, bytes]) -> dict[str, str]:
    return {name: hashlib.md5(data).hexdigest() for name, data in files.items()}
