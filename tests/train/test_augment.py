import torch

from tinyedge.train.augment import cutout, normalize, random_crop, random_hflip, to_float


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_to_float_and_normalize():
    x = torch.tensor([[[[0, 255, 51]]]], dtype=torch.uint8)  # 1×1×1×3 NHWC
    f = to_float(x)
    assert f.shape == (1, 3, 1, 1)
    torch.testing.assert_close(f.flatten(), torch.tensor([0.0, 1.0, 0.2]))
    n = normalize(f, torch.tensor([0.0, 0.5, 0.2]), torch.tensor([1.0, 0.5, 2.0]))
    torch.testing.assert_close(n.flatten(), torch.tensor([0.0, 1.0, 0.0]))


def test_feature_vectors_keep_their_layout_with_one_mean_and_std():
    x = torch.tensor([[0, 255, 51], [102, 0, 255]], dtype=torch.uint8)  # 2 vectors of 3
    f = to_float(x)
    assert f.shape == (2, 3)
    n = normalize(f, torch.tensor([0.2]), torch.tensor([0.5]))
    torch.testing.assert_close(n, torch.tensor([[-0.4, 1.6, 0.0], [0.4, -0.4, 1.6]]))


def test_random_crop_is_a_shifted_window_with_zero_fill():
    x = torch.arange(1, 1 + 2 * 3 * 8 * 8, dtype=torch.float32).view(2, 3, 8, 8)
    out = random_crop(x, 2, _gen())
    assert out.shape == x.shape
    padded = torch.nn.functional.pad(x, (2, 2, 2, 2))
    for i in range(2):
        matches = [(t, s) for t in range(5) for s in range(5)
                   if torch.equal(out[i], padded[i, :, t:t + 8, s:s + 8])]
        assert matches, "every output must be a window of the padded image"
    assert torch.equal(random_crop(x, 2, _gen(5)), random_crop(x, 2, _gen(5)))


def test_hflip_flips_some_and_keeps_others():
    x = torch.randn(64, 3, 4, 4)
    out = random_hflip(x, _gen())
    flipped = [torch.equal(out[i], x[i].flip(2)) for i in range(64)]
    kept = [torch.equal(out[i], x[i]) for i in range(64)]
    assert all(f or k for f, k in zip(flipped, kept, strict=True))
    assert 16 < sum(flipped) < 48


def test_cutout_zeroes_one_clipped_square():
    x = torch.ones(200, 1, 32, 32)
    out = cutout(x, 8, _gen())
    zeros = (out == 0).sum(dim=(1, 2, 3))
    assert zeros.max() == 64 and zeros.min() >= 16  # a corner centre keeps a 4×4 quarter
    # Zeroed pixels form one axis-aligned rectangle.
    for i in range(5):
        ys, xs = torch.nonzero(out[i, 0] == 0, as_tuple=True)
        h, w = int(ys.max() - ys.min() + 1), int(xs.max() - xs.min() + 1)
        assert h * w == int(zeros[i]) and h <= 8 and w <= 8
