"""CycleGAN (Zhu et al., 2017): ResNet generators and PatchGANs as in the reference code, the
generator step's fakes reaching the pools, saving with the pools, both directions."""

import keras
import numpy as np
import pytest

from keras_gans import cyclegan

from model_checks import as_json
from translation_checks import ARCHITECTURE_ONCE, fit_pairs, pytorch_transposed_reach, random_pairs
from translation_checks import trainable_count, transposed_reach


@ARCHITECTURE_ONCE
def test_resnet_9blocks_and_patchgan_match_the_reference_sizes():
    generator = cyclegan.build_generator((None, None, 3), residual_blocks=9)
    assert trainable_count(generator) == 11_378_179  # 11.378 M in the reference code
    discriminator = cyclegan.build_discriminator((256, 256, 3))
    assert trainable_count(discriminator) == 2_764_737  # 2.765 M
    assert discriminator.output_shape == (None, 30, 30, 1)


def test_upsampling_aligns_with_pytorch_output_padding():
    reach = transposed_reach(_Upsampling, 4)
    assert reach == pytorch_transposed_reach(4, 3, 2, 1, 1)


class _Upsampling(keras.layers.Layer):
    """cyclegan.upsampling_convolution as one layer, for the reach test."""

    def build(self, input_shape):
        inputs = keras.Input(input_shape[1:])
        self.network = keras.Model(inputs, cyclegan.upsampling_convolution(inputs, 1))

    def call(self, inputs):
        return self.network(inputs)


def test_refuses_sizes_and_identity_it_cannot_take():
    with pytest.raises(ValueError, match="multiple of 4"):
        cyclegan.CycleGAN(image_shape_a=(18, 18, 3))
    with pytest.raises(ValueError, match="--identity-weight 0"):
        cyclegan.CycleGAN(image_shape_a=(16, 16, 1), image_shape_b=(16, 16, 3), filters=2)


@pytest.fixture(scope="module")
def trained():
    """A tiny CycleGAN after two steps on batches of 2, with a pool of 3 per direction; with
    the fakes its first generator step made and the pools just after that step."""
    keras.utils.set_random_seed(0)
    model = cyclegan.CycleGAN(image_shape_a=(16, 16, 3), filters=4, discriminator_filters=4,
                              residual_blocks=1, pool_size=3, seed=1)
    model.compile()
    before = [keras.ops.convert_to_numpy(w).copy() for w in model.trainable_weights]
    images_a, images_b = random_pairs(4, 16, 3, 3)
    # Instance norm and no dropout: inference gives the generator step's own fakes.
    first_fakes = [keras.ops.convert_to_numpy(model.translate(images, to=to))
                   for images, to in ((images_b[:2], "A"), (images_a[:2], "B"))]
    history = fit_pairs(model, (images_a, images_b), batch_size=2)
    first_pools = [keras.ops.convert_to_numpy(pool.images)[:2].copy()
                   for pool in (model.pool_a, model.pool_b)]
    history = fit_pairs(model, (images_a[2:], images_b[2:]), batch_size=2)
    return model, (images_a, images_b), history, before, (first_fakes, first_pools)


def test_two_steps_train_every_network_and_fill_the_pools(trained):
    model, _, history, before, _ = trained
    assert set(history.history) == set(model.loss_names)
    changed = [not np.array_equal(old, keras.ops.convert_to_numpy(new))
               for old, new in zip(before, model.trainable_weights, strict=True)]
    assert all(changed)
    for pool in (model.pool_a, model.pool_b):
        assert int(keras.ops.convert_to_numpy(pool.count)) == 3
    for optimizer in model.player_optimizers.values():
        assert int(keras.ops.convert_to_numpy(optimizer.iterations)) == 2


def test_pools_hold_the_generator_steps_fakes(trained):
    """The discriminator step gets the fakes of the generator step before it, through the
    pools, without a second generator pass."""
    _, _, _, _, (first_fakes, first_pools) = trained
    for fakes, pooled in zip(first_fakes, first_pools, strict=True):
        np.testing.assert_allclose(pooled, fakes, atol=1e-5)


def test_translate_both_ways_and_sample_grid(trained):
    model, (images_a, images_b), _, _, _ = trained
    fake_b = keras.ops.convert_to_numpy(model.translate(images_a, to="B"))
    assert fake_b.shape == images_a.shape and np.abs(fake_b).max() <= 1
    assert keras.ops.convert_to_numpy(model.translate(images_b, to="A")).shape == images_b.shape
    with pytest.raises(ValueError, match="'A' or 'B'"):
        model.translate(images_a, to="C")
    grid, columns = model.sample_grid((images_a[:2], images_b[:2]))
    assert columns == 6 and grid.shape == (12, 16, 16, 3)
    np.testing.assert_array_equal(grid[0], images_a[0])
    np.testing.assert_array_equal(grid[3], images_b[0])


def test_keras_round_trip_keeps_the_pools(trained, tmp_path):
    model, (images_a, _), _, _, _ = trained
    path = str(tmp_path / "cyclegan.keras")
    model.save(path)
    restored = keras.saving.load_model(path)
    assert type(restored) is cyclegan.CycleGAN
    assert as_json(restored.get_config()) == as_json(model.get_config())
    for name in ("pool_a", "pool_b"):
        for attribute in ("images", "count"):
            np.testing.assert_array_equal(
                keras.ops.convert_to_numpy(getattr(getattr(model, name), attribute)),
                keras.ops.convert_to_numpy(getattr(getattr(restored, name), attribute)))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model.translate(images_a)),
                               keras.ops.convert_to_numpy(restored.translate(images_a)),
                               atol=1e-6)
    for name, optimizer in model.player_optimizers.items():
        reloaded = getattr(restored, name).variables
        for saved, loaded in zip(optimizer.variables, reloaded, strict=True):
            np.testing.assert_array_equal(keras.ops.convert_to_numpy(saved),
                                          keras.ops.convert_to_numpy(loaded))
