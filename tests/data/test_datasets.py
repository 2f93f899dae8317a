import numpy as np
import pytest

from tinyedge.data import load_dataset
from tinyedge.data.synthetic import make_synthetic_dataset
from tinyedge.errors import DatasetError


def test_digits_is_real_resized_and_split_fixed():
    a, b = load_dataset("digits"), load_dataset("digits")
    assert a.train_images.shape == (1347, 32, 32, 3) and a.test_images.shape == (450, 32, 32, 3)
    assert a.train_images.dtype == np.uint8 and a.num_classes == 10
    np.testing.assert_array_equal(a.test_labels, b.test_labels)
    np.testing.assert_array_equal(a.test_images, b.test_images)
    # Stratified split: every digit appears in the test split 43–46 times.
    assert np.bincount(a.test_labels).min() >= 43
    # Grey replicated to RGB, using the full range.
    assert (a.train_images[..., 0] == a.train_images[..., 2]).all()
    assert a.train_images.max() == 255 and a.train_images.min() == 0


def test_normalization_is_per_channel_train_statistics():
    ds = make_synthetic_dataset(num_classes=3, train_per_class=5, test_per_class=1)
    mean, std = ds.normalization()
    pixels = ds.train_images.reshape(-1, 3) / 255.0
    np.testing.assert_allclose(mean, pixels.mean(0))
    np.testing.assert_allclose(std, pixels.std(0))


def test_synthetic_is_deterministic_and_balanced():
    a = make_synthetic_dataset(seed=1)
    b = make_synthetic_dataset(seed=1)
    c = make_synthetic_dataset(seed=2)
    np.testing.assert_array_equal(a.train_images, b.train_images)
    assert not np.array_equal(a.train_images, c.train_images)
    assert np.bincount(a.train_labels).tolist() == [40] * 10


def test_unknown_dataset_lists_valid_ones():
    with pytest.raises(DatasetError, match="valid datasets: cifar100, digits, synthetic"):
        load_dataset("imagenet")
