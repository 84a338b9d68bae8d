"""GAN (Goodfellow et al., 2014): the B-MLP networks, both generator losses, saving."""

import numpy as np
import pytest

from keras_gans import gan

import step_checks
from model_checks import assert_generates, assert_keras_round_trip, assert_trains_one_step
from model_checks import layer_types

IMAGE_SHAPE = (28, 28, 1)


def real_images(count=16):
    return np.random.default_rng(0).uniform(-1, 1, (count,) + IMAGE_SHAPE).astype("float32")


def test_networks_follow_the_b_mlp_backbone():
    generator = gan.build_generator(100, IMAGE_SHAPE)
    dense_units = [layer.units for layer in generator.layers if hasattr(layer, "units")]
    assert dense_units == [256, 512, 1024, 784]
    normalizations = [layer for layer in generator.layers
                      if type(layer).__name__ == "BatchNormalization"]
    assert len(normalizations) == 3
    assert all(layer.momentum == 0.8 and layer.epsilon == 1e-3 for layer in normalizations)
    assert generator.output_shape == (None,) + IMAGE_SHAPE
    discriminator = gan.build_discriminator(IMAGE_SHAPE)
    assert [layer.units for layer in discriminator.layers if hasattr(layer, "units")] == [
        512, 256, 1]
    assert "BatchNormalization" not in layer_types(discriminator)
    assert discriminator.layers[-1].activation.__name__ == "linear"  # a logit


@pytest.mark.parametrize("generator_loss", ["nonsaturating", "minimax"])
def test_trains_one_step_and_generates(generator_loss):
    model = gan.GAN(image_shape=IMAGE_SHAPE, generator_loss=generator_loss, seed=0)
    model.compile()
    assert_trains_one_step(model, real_images(), batch_size=16)
    assert_generates(model, IMAGE_SHAPE)


def test_paper_optimizer_defaults():
    model = gan.GAN(image_shape=IMAGE_SHAPE)
    model.compile()
    for optimizer in (model.g_optimizer, model.d_optimizer):
        assert float(optimizer.learning_rate) == pytest.approx(2e-4)
        assert optimizer.beta_1 == 0.5 and optimizer.beta_2 == 0.999


def test_keras_round_trip(tmp_path):
    model = gan.GAN(image_shape=IMAGE_SHAPE, generator_loss="minimax", seed=0)
    model.compile()
    assert_trains_one_step(model, real_images(), batch_size=16)
    restored = assert_keras_round_trip(model, str(tmp_path / "gan.keras"))
    assert restored.generator_loss == "minimax"


def test_unknown_generator_loss_is_refused():
    with pytest.raises(ValueError, match="Unknown generator loss"):
        gan.GAN(generator_loss="saturated")


# --- The shared step (DCGAN, LSGAN, DRAGAN and the relativistic GAN use it) ----------------
SMALL_SHAPE = (8, 8, 1)
GENERATOR_LOSSES = {"nonsaturating": step_checks.nonsaturating_generator_loss,
                    "minimax": step_checks.minimax_generator_loss}


@pytest.mark.parametrize("generator_loss", sorted(GENERATOR_LOSSES))
def test_step_matches_numpy_and_moves_the_right_way(generator_loss):
    model = gan.GAN(latent_dim=4, image_shape=SMALL_SHAPE, generator_loss=generator_loss,
                    generator=step_checks.linear_generator(4, SMALL_SHAPE),
                    discriminator=step_checks.linear_discriminator(SMALL_SHAPE), seed=3)
    step_checks.assert_step_matches_numpy(
        model, step_checks.real_batch(8, SMALL_SHAPE),
        step_checks.cross_entropy_discriminator_loss, GENERATOR_LOSSES[generator_loss],
        draws=step_checks.gan_draws(8, 4))
