"""Relativistic GAN (Jolicoeur-Martineau, 2018): the relativistic losses really reach G, saving."""

import math

import keras
import numpy as np
import pytest

from keras_gans import losses
from keras_gans import relativistic_gan

import step_checks
from model_checks import assert_generates, assert_keras_round_trip, assert_trains_one_step
from model_checks import layer_types

IMAGE_SHAPE = (32, 32, 1)


def real_images(count=8, image_shape=IMAGE_SHAPE):
    return np.random.default_rng(0).uniform(-1, 1, (count,) + image_shape).astype("float32")


def test_networks_are_b_dc32_with_a_linear_output():
    model = relativistic_gan.RelativisticGAN(image_shape=IMAGE_SHAPE)
    assert [layer.filters for layer in model.generator.layers
            if type(layer).__name__ == "Conv2DTranspose"] == [128, 64, 1]
    assert [layer.filters for layer in model.discriminator.layers
            if type(layer).__name__ == "Conv2D"] == [64, 128, 256]
    assert layer_types(model.discriminator).count("BatchNormalization") == 2
    output = model.discriminator.layers[-1]
    assert output.units == 1 and output.activation.__name__ == "linear"
    assert model.relativistic_loss == "rasgan"  # the paper's recommended default


def constant_generator(latent_dim, image_shape):
    """A generator whose images ignore z (zero kernel), so a test knows every fake exactly."""
    latent = keras.Input((latent_dim,))
    x = keras.layers.Dense(math.prod(image_shape), kernel_initializer="zeros",
                           bias_initializer=keras.initializers.RandomUniform(-1, 1, seed=1))(
        latent)
    images = keras.layers.Reshape(image_shape)(keras.layers.Activation("tanh")(x))
    return keras.Model(latent, images, name="generator")


def linear_discriminator(image_shape):
    images = keras.Input(image_shape)
    logits = keras.layers.Dense(1, kernel_initializer=keras.initializers.RandomNormal(
        0.0, 0.3, seed=2))(keras.layers.Flatten()(images))
    return keras.Model(images, logits, name="discriminator")


def logits_of(network, images):
    return keras.ops.convert_to_numpy(network(images))


@pytest.mark.parametrize("loss", losses.RELATIVISTIC_LOSSES)
def test_generator_trains_on_the_relativistic_loss_through_the_updated_discriminator(loss):
    image_shape, latent_dim = (4, 4, 1), 3
    model = relativistic_gan.RelativisticGAN(
        latent_dim=latent_dim, image_shape=image_shape, loss=loss,
        generator=constant_generator(latent_dim, image_shape),
        discriminator=linear_discriminator(image_shape), seed=0)
    # D takes a large step; G's learning rate of 0 keeps every fake known.
    model.compile(g_optimizer=keras.optimizers.SGD(0.0), d_optimizer=keras.optimizers.SGD(1.0))
    real = real_images(8, image_shape)
    fake = keras.ops.convert_to_numpy(model.generator(np.zeros((8, latent_dim), "float32")))
    real_before, fake_before = logits_of(model.discriminator, real), logits_of(
        model.discriminator, fake)
    history = model.fit(real, batch_size=8, epochs=1, verbose=0, shuffle=False).history
    real_after, fake_after = logits_of(model.discriminator, real), logits_of(
        model.discriminator, fake)

    def value(loss_value):
        return float(keras.ops.convert_to_numpy(loss_value))

    # D's step: the relativistic discriminator loss of the initial networks.
    assert history["d_loss"][0] == pytest.approx(
        value(losses.relativistic_discriminator_loss(real_before, fake_before, loss)), rel=1e-4)
    # G's step: the relativistic generator loss, with D(x) recomputed by the updated D ...
    g_loss = history["g_loss"][0]
    assert g_loss == pytest.approx(
        value(losses.relativistic_generator_loss(real_after, fake_after, loss)), rel=1e-4)
    assert abs(g_loss - value(losses.relativistic_generator_loss(real_before, fake_before,
                                                                 loss))) > 1e-3
    # ... and not the standard loss PyTorch-GAN trains with by mistake (issue #52).
    assert abs(g_loss - value(losses.generator_loss_nonsaturating(fake_after))) > 1e-3


def test_unknown_loss_is_refused():
    with pytest.raises(ValueError, match="rasgan"):
        relativistic_gan.RelativisticGAN(loss="wgan")


def test_trains_one_step_generates_and_round_trips(tmp_path):
    model = relativistic_gan.RelativisticGAN(image_shape=IMAGE_SHAPE, loss="ralsgan", seed=0)
    model.compile()
    assert_trains_one_step(model, real_images(), batch_size=8)
    assert_generates(model, IMAGE_SHAPE)
    restored = assert_keras_round_trip(model, str(tmp_path / "relativistic_gan.keras"))
    assert restored.relativistic_loss == "ralsgan"
    assert "generator_loss" not in restored.get_config()


def test_paper_optimizer_defaults():
    model = relativistic_gan.RelativisticGAN(image_shape=IMAGE_SHAPE)
    model.compile()
    for optimizer in (model.g_optimizer, model.d_optimizer):
        assert float(optimizer.learning_rate) == pytest.approx(2e-4)
        assert optimizer.beta_1 == 0.5 and optimizer.beta_2 == 0.999
    defaults = relativistic_gan.DEFAULTS
    assert defaults["dataset"] == "mnist32" and defaults["batch_size"] == 64


def test_command_line_smoke_run(tmp_path):
    assert relativistic_gan.main(["--dataset", "shapes", "--smoke", "--loss", "rahinge",
                                  "--out", str(tmp_path), "--verbose", "0"]) == 0
    assert (tmp_path / "checkpoints" / "model.keras").exists()
    assert (tmp_path / "samples" / "epoch_0001.png").exists()


# --- The shared step with the relativistic average objectives -------------------------------
def test_rasgan_step_matches_numpy_and_moves_the_right_way():
    shape = (8, 8, 1)
    softplus = step_checks.softplus
    model = relativistic_gan.RelativisticGAN(
        latent_dim=4, image_shape=shape, loss="rasgan",
        generator=step_checks.linear_generator(4, shape),
        discriminator=step_checks.linear_discriminator(shape), seed=3)
    step_checks.assert_step_matches_numpy(
        model, step_checks.real_batch(8, shape),
        lambda real, fake, draws: (softplus(-(real - fake.mean())).mean()
                                   + softplus(fake - real.mean()).mean()),
        lambda real, fake, draws: (softplus(-(fake - real.mean())).mean()
                                   + softplus(real - fake.mean()).mean()),
        draws=step_checks.gan_draws(8, 4))
