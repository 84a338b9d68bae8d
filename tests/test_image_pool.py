"""ImagePool (Shrivastava et al., 2017; CycleGAN): fill first, then swap with probability ½,
state kept in variables so that it is saved and resumed."""

import keras
import numpy as np

from keras_gans.layers import ImagePool


def constant_images(values, size=2):
    return np.stack([np.full((size, size, 1), value, "float32") for value in values])


def pooled(pool, images, seed):
    return keras.ops.convert_to_numpy(pool(images, seed=seed))[:, 0, 0, 0]


def stored(pool):
    return sorted(keras.ops.convert_to_numpy(pool.images)[:, 0, 0, 0].tolist())


def test_fills_then_returns_new_or_stored_images():
    pool = ImagePool(size=3)
    pool.build((None, 2, 2, 1))
    seed = keras.random.SeedGenerator(0)
    # Filling: the images come back unchanged and are kept.
    np.testing.assert_array_equal(pooled(pool, constant_images([1, 2]), seed), [1, 2])
    np.testing.assert_array_equal(pooled(pool, constant_images([3]), seed), [3])
    assert stored(pool) == [1, 2, 3]
    assert int(keras.ops.convert_to_numpy(pool.count)) == 3
    # Full: each call returns the new image, or a stored one that the new image replaces.
    returned = [pooled(pool, constant_images([value]), seed)[0] for value in range(10, 210)]
    swaps = [value for value, new in zip(returned, range(10, 210)) if value != new]
    assert 70 < len(swaps) < 130  # p = ½ over 200 draws
    assert all(value in [1, 2, 3] + list(range(10, 210)) for value in swaps)
    pool_values = stored(pool)
    assert len(set(pool_values)) == 3 and max(pool_values) >= 100


def test_batch_while_filling_and_after():
    pool = ImagePool(size=4)
    pool.build((None, 2, 2, 1))
    seed = keras.random.SeedGenerator(1)
    np.testing.assert_array_equal(pooled(pool, constant_images([1, 2, 3]), seed), [1, 2, 3])
    out = pooled(pool, constant_images([4, 5, 6]), seed)
    assert out[0] == 4  # the fourth image still fills the pool
    assert all(value in (1, 2, 3, 4, new) for value, new in zip(out[1:], (5, 6)))
    assert int(keras.ops.convert_to_numpy(pool.count)) == 4


def test_size_zero_is_the_identity():
    pool = ImagePool(size=0)
    images = constant_images([7, 8])
    np.testing.assert_array_equal(pooled(pool, images, keras.random.SeedGenerator(0)), [7, 8])
