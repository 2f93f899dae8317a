"""Named synthetic datasets (tinyedge/data/synthetic.py SyntheticSpec): the name says the
shape, classes, seed and kind, load_dataset re-creates the same data from it, the scaling
zoo's `synthetic` stays what it was, and `--dataset` is mapped or refused per model before
anything is loaded."""

from __future__ import annotations

import numpy as np
import pytest

from tinyedge.data import dataset_for, load_dataset
from tinyedge.data.synthetic import SyntheticSpec, make_synthetic_dataset
from tinyedge.errors import DatasetError
from tinyedge.models import resolve

NAMES = {
    ("dscnn", 64): "synthetic-49x10x1-12cls-seed0",
    ("mobilenetv1", 0.25): "synthetic-96x96x3-2cls-seed0",
    ("resnet8", 16): "synthetic-32x32x3-10cls-seed0",
    ("fcautoencoder", 128): "synthetic-anomaly-640-seed0",
    ("scalecnn", 4): "synthetic",  # the scaling zoo keeps the 32×32×3, 10-class set
    ("mobilenetv2", 0.35): "synthetic",
}


@pytest.mark.parametrize(("arch", "width"), NAMES)
def test_synthetic_means_the_models_own_shape_and_classes(arch, width):
    spec = resolve(arch, width)
    name = dataset_for("synthetic", spec)
    assert name == NAMES[arch, width]
    if name == "synthetic":
        return
    named = SyntheticSpec.parse(name)
    assert named is not None and named.name == name
    assert named.shape == spec.sample_shape
    assert named.classes == (2 if spec.reconstructs else spec.default_classes)
    assert named.anomaly == spec.reconstructs


def test_named_dataset_is_recreated_identically_from_its_name():
    name = "synthetic-49x10x1-12cls-seed0"
    a, b = load_dataset(name), load_dataset(name)
    assert a.name == name and a.train_images.shape[1:] == (49, 10, 1)
    assert a.num_classes == 12 and sorted(np.unique(a.test_labels)) == list(range(12))
    for split in ("train", "test"):
        for x, y in zip(a.split(split), b.split(split), strict=True):
            np.testing.assert_array_equal(x, y)
    other_seed = load_dataset("synthetic-49x10x1-12cls-seed1")
    assert not np.array_equal(a.train_images, other_seed.train_images)
    # Its numbers are recorded in full, and the split sizes follow from them.
    info = SyntheticSpec.parse(name).as_dict()
    assert info["shape"] == [49, 10, 1] and info["classes"] == 12 and info["seed"] == 0
    assert len(a.train_labels) == 12 * info["train_per_class"]
    assert len(a.test_labels) == 12 * info["test_per_class"]


def test_anomaly_set_trains_on_normal_inputs_and_tests_on_both_kinds():
    ds = load_dataset("synthetic-anomaly-640-seed0")
    info = SyntheticSpec.parse(ds.name).as_dict()
    assert ds.class_names == ("normal", "anomalous")
    assert ds.train_images.shape == (info["normal_states"] * info["train_per_state"], 640)
    assert (ds.train_labels == 0).all()
    assert np.bincount(ds.test_labels).tolist() == [info["normal_states"]
                                                    * info["test_per_state"]] * 2
    # Anomalous inputs come from other templates: far from every normal training input.
    train = ds.train_images.astype(float)
    normal, anomalous = (ds.test_images[ds.test_labels == k].astype(float) for k in (0, 1))

    def nearest(x):
        return min(((train - row) ** 2).mean(1).min() for row in x[:10])

    assert nearest(anomalous) > 2 * nearest(normal)


def test_the_scaling_zoos_synthetic_dataset_is_unchanged():
    a, b = load_dataset("synthetic"), make_synthetic_dataset()
    assert a.name == "synthetic" and a.train_images.shape == (400, 32, 32, 3)
    np.testing.assert_array_equal(a.train_images, b.train_images)


@pytest.mark.parametrize("name", ["synthetic-49x10x1-seed0", "synthetic-anomaly-640-2cls-seed0",
                                  "synthetic-49x10-12cls-seed0x", "synthetic-", "cifar-10"])
def test_other_names_are_not_named_synthetic_sets(name):
    assert SyntheticSpec.parse(name) is None
    with pytest.raises(DatasetError, match="unknown dataset"):
        load_dataset(name)


@pytest.mark.parametrize(("name", "problem"), [
    ("synthetic-49x10-12cls-seed0", "is not H×W×C or F"),
    ("synthetic-0-2cls-seed0", "is not H×W×C or F"),
    ("synthetic-640-1cls-seed0", "1 classes"),
    ("synthetic-100000x100000x3-2cls-seed0", "too many"),
])
def test_impossible_named_sets_are_one_line(name, problem):
    with pytest.raises(DatasetError, match=problem) as info:
        load_dataset(name)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("dataset", ["cifar100", "digits", "synthetic-32x32x3-10cls-seed0"])
def test_a_dataset_the_model_cannot_take_is_refused_with_the_fix(dataset):
    with pytest.raises(DatasetError, match=rf"dscnn-w64 takes 49×10×1 inputs but {dataset} "
                                           r"holds 32×32×3; use --dataset synthetic"):
        dataset_for(dataset, resolve("dscnn", 64))
    assert dataset_for(dataset, resolve("resnet8", 16)) == dataset  # 32×32×3: fine


def test_refused_combination_on_the_command_line_is_one_line_exit_2(run_cli, tmp_path):
    out = tmp_path / "runs"
    result = run_cli("train", "--arch", "fcautoencoder", "--width", "128", "--dataset",
                     "cifar100", "--out", str(out), "--results", str(tmp_path / "results"))
    assert result.code == 2
    assert result.err.strip() == (
        "tinyedge: error: fcautoencoder-w128 takes 640 inputs but cifar100 holds 32×32×3; use "
        "--dataset synthetic (synthetic inputs of the model's own shape) — no dataset of its "
        "kind is bundled")
    assert not any(tmp_path.iterdir())
