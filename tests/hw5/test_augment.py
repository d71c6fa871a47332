"""hw5.augment.warp_images: identity without a warp, exact shifts and quarter turns, ink kept, white border."""
import numpy as np

from hw5.augment import warp_images


class TopOfRange:
    """A stand-in generator whose uniform draws all sit at the top of their range: a known warp."""

    def uniform(self, low, high, size):
        return np.full(size, float(high))


def test_warps_move_ink_inside_a_white_border(rng):
    x = np.ones((5, 1024), np.float32)
    x.reshape(5, 32, 32)[:, 14:18, 14:18] = 0.0                  # a dark square far from the edges
    still = warp_images(x, rng, max_shift=0, max_rotate=0, max_zoom=0)
    np.testing.assert_allclose(still, x, atol=1e-6)               # no warp: identity
    moved = warp_images(x, rng, max_shift=2, max_rotate=0, max_zoom=0).reshape(5, 32, 32)
    ink = (1 - moved).sum(axis=(1, 2))
    np.testing.assert_allclose(ink, 16, atol=1e-4)                # a shift moves ink, neither loses nor invents it
    rows = [np.average(np.arange(32), weights=(1 - im).sum(1)) for im in moved]   # ink's centre row, was 15.5
    assert all(13.5 - 1e-6 <= r <= 17.5 + 1e-6 for r in rows) and np.ptp(rows) > 0.1
    turned = warp_images(x, rng, max_shift=0, max_rotate=45, max_zoom=0.2).reshape(5, 32, 32)
    assert (turned[:, :8] == 1).all() and (turned[:, :, :8] == 1).all()    # border stays white (cval)
    assert not np.allclose(turned, x.reshape(5, 32, 32))


def test_a_whole_pixel_shift_moves_the_grid_by_one():
    x = np.ones((1, 1024), np.float32)
    x.reshape(32, 32)[14, 20] = 0.0
    out = warp_images(x, TopOfRange(), max_shift=1, max_rotate=0, max_zoom=0).reshape(32, 32)
    expected = np.ones((32, 32), np.float32)
    expected[13, 19] = 0.0                                        # output (r, c) samples input (r + 1, c + 1)
    np.testing.assert_array_equal(out, expected)
    assert out.dtype == np.float32


def test_a_quarter_turn_is_rot90(rng):
    x = rng.random((2, 1024)).astype(np.float32)
    out = warp_images(x, TopOfRange(), max_shift=0, max_rotate=90, max_zoom=0).reshape(2, 32, 32)
    turned = np.rot90(x.reshape(2, 32, 32), -1, axes=(1, 2))
    # on the border, round-off puts some source points a hair outside the grid, where they read white
    np.testing.assert_allclose(out[:, 1:-1, 1:-1], turned[:, 1:-1, 1:-1], atol=1e-5)
