"""Synthetic, learnable data of any input shape: one smooth template per class (or, for
anomaly detection, per normal and per anomalous machine state), samples = template ×
random contrast + Gaussian noise.

Two entry points: :func:`make_synthetic_dataset` (the ``synthetic`` dataset of the tests
and the scaling zoo, 32×32×3, 10 classes, and any shape a test asks for), and
:class:`SyntheticSpec`, a synthetic dataset whose *name* says everything it is made from
(``synthetic-49x10x1-12cls-seed0``, ``synthetic-anomaly-640-seed0``), so a run that
records the name records exactly which data produced it and any later stage re-creates
the same data from the name alone (:func:`tinyedge.data.load_dataset`)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from tinyedge.data.dataset import ImageDataset
from tinyedge.errors import DatasetError
from tinyedge.models import ARCHITECTURES, ModelSpec
from tinyedge.records import ANOMALY_CLASSES

SYNTHETIC = "synthetic"  # the --dataset word, and the scaling zoo's 32×32×3 dataset


def _templates(rng: np.random.Generator, count: int, shape: tuple[int, ...]) -> np.ndarray:
    """``count`` random low-frequency templates of ``shape`` (H, W, C images, or (F,)
    feature vectors): uniform values on a grid 8 times coarser, upsampled."""
    spatial = shape[:-1] if len(shape) == 3 else shape
    coarse_shape = tuple(-(-d // 8) for d in spatial) + tuple(shape[len(spatial):])
    templates = rng.uniform(0, 255, size=(count, *coarse_shape))
    for axis, size in enumerate(spatial, start=1):
        templates = templates.repeat(8, axis=axis).take(range(size), axis=axis)
    return templates


def _draw(rng: np.random.Generator, templates: np.ndarray, per_template: int,
          noise: float) -> tuple[np.ndarray, np.ndarray]:
    """``per_template`` samples of each template, shuffled: uint8 values and the index of
    the template each one comes from."""
    labels = np.repeat(np.arange(len(templates)), per_template)
    contrast = rng.uniform(0.7, 1.3, size=(len(labels),) + (1,) * (templates.ndim - 1))
    pixels = 128 + (templates[labels] - 128) * contrast
    pixels += rng.normal(0, noise, size=pixels.shape)
    order = rng.permutation(len(labels))
    images = pixels.round().clip(0, 255).astype(np.uint8)
    return images[order], labels[order].astype(np.int64)


def make_synthetic_dataset(
    num_classes: int = 10,
    train_per_class: int = 40,
    test_per_class: int = 10,
    seed: int = 0,
    noise: float = 30.0,
    shape: tuple[int, ...] = (32, 32, 3),
    name: str = SYNTHETIC,
) -> ImageDataset:
    """Each class is a random low-frequency template of ``shape`` (H, W, C images, or (F,)
    feature vectors): a grid 8 times coarser, upsampled; samples are the template scaled by
    a random contrast plus Gaussian noise. The default is 32×32×3 images. Deterministic for
    a given seed."""
    rng = np.random.default_rng(seed)
    templates = _templates(rng, num_classes, shape)
    train_images, train_labels = _draw(rng, templates, train_per_class, noise)
    test_images, test_labels = _draw(rng, templates, test_per_class, noise)
    return ImageDataset(
        name=name,
        train_images=train_images,
        train_labels=train_labels,
        test_images=test_images,
        test_labels=test_labels,
        class_names=tuple(f"class_{i}" for i in range(num_classes)),
    )


# Sizes of a named synthetic dataset: part of what its name stands for (change them and
# the names would lie), small enough to train the MLPerf Tiny models for a few epochs on a
# CPU. An anomaly dataset has NORMAL_STATES normal and as many anomalous machine states.
TRAIN_INPUTS, MIN_TRAIN_PER_CLASS = 1200, 100  # test split: a quarter of the train split
NORMAL_STATES, TRAIN_PER_STATE, TEST_PER_STATE = 4, 500, 25
NOISE = 30.0
MAX_VALUES = 64 * 1024 * 1024  # values of all inputs of a named dataset (64 MB of uint8)
_NAME = re.compile(r"synthetic-(?:(?P<anomaly>anomaly)-)?(?P<shape>\d+(?:x\d+)*)"
                   r"(?:-(?P<classes>\d+)cls)?-seed(?P<seed>\d+)")


@dataclass(frozen=True)
class SyntheticSpec:
    """A synthetic dataset fully named by its input ``shape`` (H, W, C or (F,)), its
    ``classes`` and its ``seed``; ``anomaly`` makes it an anomaly-detection set instead of
    a classification one: a training split of normal inputs only (label 0) and a test
    split of normal (0) and anomalous (1) inputs, the anomalous ones drawn from templates
    the normal data never uses."""

    shape: tuple[int, ...]
    classes: int = 2
    seed: int = 0
    anomaly: bool = False

    def __post_init__(self) -> None:
        bad = None
        if not 1 <= len(self.shape) <= 3 or len(self.shape) == 2 or \
                not all(isinstance(d, int) and d >= 1 for d in self.shape):
            bad = f"the shape {self.shape} is not H×W×C or F"
        elif not 2 <= self.classes <= 1000 or (self.anomaly and self.classes != 2):
            bad = f"{self.classes} classes (2…1000; an anomaly set has 2)"
        elif self.seed < 0:
            bad = f"the seed {self.seed} is negative"
        elif math.prod(self.shape) * self.size() > MAX_VALUES:
            bad = f"{self.size():,} inputs of {math.prod(self.shape):,} values are too many"
        if bad:
            raise DatasetError(f"synthetic dataset {self.name!r}: {bad}; name a dataset "
                               "that `tinyedge train --dataset synthetic` recorded")

    @property
    def name(self) -> str:
        dims = "x".join(map(str, self.shape))
        if self.anomaly:
            return f"{SYNTHETIC}-anomaly-{dims}-seed{self.seed}"
        return f"{SYNTHETIC}-{dims}-{self.classes}cls-seed{self.seed}"

    def size(self) -> int:
        """Inputs in both splits."""
        if self.anomaly:
            return NORMAL_STATES * (TRAIN_PER_STATE + 2 * TEST_PER_STATE)
        train, test = self._per_class()
        return self.classes * (train + test)

    def _per_class(self) -> tuple[int, int]:
        """Train and test inputs per class of a classification set: about TRAIN_INPUTS
        training inputs, at least MIN_TRAIN_PER_CLASS per class."""
        train = max(MIN_TRAIN_PER_CLASS, -(-TRAIN_INPUTS // self.classes))
        return train, train // 4

    @classmethod
    def parse(cls, name: str) -> SyntheticSpec | None:
        """The spec ``name`` stands for; None when it is not a named synthetic dataset.
        A name of the right form with impossible values raises :class:`DatasetError`."""
        match = _NAME.fullmatch(name)
        if match is None or (match["anomaly"] is None) == (match["classes"] is None):
            return None
        shape = tuple(int(d) for d in match["shape"].split("x"))
        anomaly = match["anomaly"] is not None
        return cls(shape, 2 if anomaly else int(match["classes"]), int(match["seed"]), anomaly)

    @classmethod
    def for_model(cls, spec: ModelSpec, seed: int = 0) -> SyntheticSpec:
        """Synthetic data of ``spec``'s own input shape and class count (an anomaly set for
        a reconstruction model)."""
        if spec.reconstructs:
            return cls(spec.sample_shape, 2, seed, anomaly=True)
        return cls(spec.sample_shape, spec.default_classes, seed)

    def as_dict(self) -> dict[str, object]:
        """What a manifest records of it: the name and every number behind it."""
        sizes = ({"normal_states": NORMAL_STATES, "train_per_state": TRAIN_PER_STATE,
                  "test_per_state": TEST_PER_STATE} if self.anomaly else
                 dict(zip(("train_per_class", "test_per_class"), self._per_class(),
                          strict=True)))
        return {"name": self.name, "task": "anomaly" if self.anomaly else "classify",
                "shape": list(self.shape), "classes": self.classes, "seed": self.seed,
                "noise": NOISE, **sizes}

    def make(self) -> ImageDataset:
        if not self.anomaly:
            return make_synthetic_dataset(self.classes, *self._per_class(), self.seed, NOISE,
                                          self.shape, name=self.name)
        rng = np.random.default_rng(self.seed)
        normal = _templates(rng, NORMAL_STATES, self.shape)
        anomalous = _templates(rng, NORMAL_STATES, self.shape)
        train, _ = _draw(rng, normal, TRAIN_PER_STATE, NOISE)
        test_normal, _ = _draw(rng, normal, TEST_PER_STATE, NOISE)
        test_anomalous, _ = _draw(rng, anomalous, TEST_PER_STATE, NOISE)
        order = rng.permutation(2 * len(test_normal))
        test = np.concatenate([test_normal, test_anomalous])[order]
        labels = np.repeat(np.array([0, 1], np.int64), len(test_normal))[order]
        return ImageDataset(self.name, train, np.zeros(len(train), np.int64), test, labels,
                            ANOMALY_CLASSES)


def synthetic_name_for(spec: ModelSpec, seed: int = 0) -> str:
    """What ``--dataset synthetic`` means for ``spec``: the 32×32×3 ``synthetic`` dataset
    for the scaling zoo (as it always was), synthetic data of the model's own input shape
    and class count, named by :class:`SyntheticSpec`, for the MLPerf Tiny models."""
    if ARCHITECTURES[spec.arch].family == "scaling":
        return SYNTHETIC
    return SyntheticSpec.for_model(spec, seed).name
