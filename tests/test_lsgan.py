"""LSGAN (Mao et al., 2016): linear D on the DCGAN backbone, the least-squares codings, saving."""

import math

import keras
import numpy as np
import pytest

from keras_gans import lsgan

import step_checks
from model_checks import assert_generates, assert_keras_round_trip, assert_trains_one_step
from model_checks import layer_types

IMAGE_SHAPE = (32, 32, 1)


def conv_layers(network, layer_type):
    return [layer for layer in network.layers if type(layer).__name__ == layer_type]


def real_images(count=8, image_shape=IMAGE_SHAPE):
    return np.random.default_rng(0).uniform(-1, 1, (count,) + image_shape).astype("float32")


def test_default_networks_are_b_dc32_with_a_linear_output():
    model = lsgan.LSGAN(image_shape=IMAGE_SHAPE)
    generator_widths = [layer.filters for layer in conv_layers(model.generator,
                                                                "Conv2DTranspose")]
    assert generator_widths == [128, 64, 1]
    assert model.generator.layers[1].units == 4 * 4 * 256
    assert model.generator.layers[-1].activation.__name__ == "tanh"
    assert [layer.filters for layer in conv_layers(model.discriminator, "Conv2D")] == [
        64, 128, 256]
    assert layer_types(model.discriminator).count("BatchNormalization") == 2
    output = model.discriminator.layers[-1]
    assert type(output).__name__ == "Dense" and output.units == 1
    assert output.activation.__name__ == "linear"  # no sigmoid: D(x) is regressed onto a, b


def test_64_pixel_images_get_the_dcgan_64_layout():
    model = lsgan.LSGAN(image_shape=(64, 64, 3))
    assert [layer.filters for layer in conv_layers(model.generator, "Conv2DTranspose")] == [
        256, 128, 64, 3]
    assert [layer.filters for layer in conv_layers(model.discriminator, "Conv2D")] == [
        64, 128, 256, 512]


def test_lsun112_networks_follow_the_paper():
    generator = lsgan.build_lsun_generator(100, (112, 112, 3))
    assert generator.layers[1].units == 7 * 7 * 256
    transposed = conv_layers(generator, "Conv2DTranspose")
    assert [layer.filters for layer in transposed] == [256, 256, 256, 256, 128, 64, 3]
    assert [layer.strides[0] for layer in transposed] == [2, 1, 2, 1, 2, 2, 1]
    assert all(layer.kernel_size == (3, 3) for layer in transposed)
    assert layer_types(generator).count("BatchNormalization") == 7  # fc and six hidden blocks
    assert generator.output_shape == (None, 112, 112, 3)
    discriminator = lsgan.build_lsun_discriminator((112, 112, 3))
    convolutions = conv_layers(discriminator, "Conv2D")
    assert [layer.filters for layer in convolutions] == [64, 128, 256, 512]
    assert all(layer.kernel_size == (5, 5) and layer.strides == (2, 2)
               for layer in convolutions)
    types = layer_types(discriminator)
    assert types[1:3] == ["Conv2D", "LeakyReLU"] and types.count("BatchNormalization") == 3
    assert discriminator.output_shape == (None, 1)
    assert discriminator.layers[-1].activation.__name__ == "linear"


def test_lsun112_model_generates_and_refuses_other_sizes():
    model = lsgan.LSGAN(image_shape=(112, 112, 3), arch="lsun112", seed=0)
    assert_generates(model, (112, 112, 3), count=2)
    with pytest.raises(ValueError, match="--image-size 112"):
        lsgan.LSGAN(image_shape=IMAGE_SHAPE, arch="lsun112")
    with pytest.raises(ValueError, match="kernel_size"):
        lsgan.LSGAN(image_shape=(112, 112, 3), arch="lsun112", kernel_size=5)


def test_unknown_coding_and_arch_are_refused():
    with pytest.raises(ValueError, match="pearson"):
        lsgan.LSGAN(coding="wasserstein")
    with pytest.raises(ValueError, match="lsun112"):
        lsgan.LSGAN(arch="resnet")


def constant_generator(latent_dim, image_shape):
    """A generator whose images ignore z (zero kernel), so a test knows every fake exactly."""
    latent = keras.Input((latent_dim,))
    x = keras.layers.Dense(math.prod(image_shape), kernel_initializer="zeros",
                           bias_initializer=keras.initializers.RandomUniform(-1, 1, seed=1))(
        latent)
    images = keras.layers.Reshape(image_shape)(keras.layers.Activation("tanh")(x))
    return keras.Model(latent, images, name="generator")


def linear_discriminator(image_shape):
    latent = keras.Input(image_shape)
    outputs = keras.layers.Dense(1, kernel_initializer=keras.initializers.RandomNormal(
        0.0, 0.3, seed=2))(keras.layers.Flatten()(latent))
    return keras.Model(latent, outputs, name="discriminator")


@pytest.mark.parametrize("coding, targets", [("binary", (0, 1, 1)), ("pearson", (-1, 1, 0))])
def test_logged_losses_are_the_least_squares_losses_of_the_coding(coding, targets):
    image_shape, latent_dim = (4, 4, 1), 3
    model = lsgan.LSGAN(latent_dim=latent_dim, image_shape=image_shape, coding=coding,
                        generator=constant_generator(latent_dim, image_shape),
                        discriminator=linear_discriminator(image_shape), seed=0)
    # With learning rates of 0 the losses are those of the initial networks.
    model.compile(g_optimizer=keras.optimizers.SGD(0.0), d_optimizer=keras.optimizers.SGD(0.0))
    real = real_images(8, image_shape)
    fake = keras.ops.convert_to_numpy(model.generator(np.zeros((8, latent_dim), "float32")))
    real_outputs = keras.ops.convert_to_numpy(model.discriminator(real))
    fake_outputs = keras.ops.convert_to_numpy(model.discriminator(fake))
    history = model.fit(real, batch_size=8, epochs=1, verbose=0, shuffle=False).history
    a, b, c = targets
    expected_d = 0.5 * np.mean((real_outputs - b) ** 2) + 0.5 * np.mean((fake_outputs - a) ** 2)
    expected_g = 0.5 * np.mean((fake_outputs - c) ** 2)
    assert history["d_loss"][0] == pytest.approx(expected_d, rel=1e-4)
    assert history["g_loss"][0] == pytest.approx(expected_g, rel=1e-4)


def test_trains_one_step_generates_and_round_trips(tmp_path):
    model = lsgan.LSGAN(image_shape=IMAGE_SHAPE, coding="pearson", seed=0)
    model.compile()
    assert_trains_one_step(model, real_images(), batch_size=8)
    assert_generates(model, IMAGE_SHAPE)
    restored = assert_keras_round_trip(model, str(tmp_path / "lsgan.keras"))
    assert restored.coding == "pearson" and restored.targets == (-1.0, 1.0, 0.0)
    assert "generator_loss" not in restored.get_config()


def test_paper_optimizer_defaults():
    model = lsgan.LSGAN(image_shape=IMAGE_SHAPE)
    model.compile()
    for optimizer in (model.g_optimizer, model.d_optimizer):
        assert float(optimizer.learning_rate) == pytest.approx(2e-4)
        assert optimizer.beta_1 == 0.5 and optimizer.beta_2 == 0.999
    assert lsgan.DEFAULTS["dataset"] == "mnist32" and lsgan.DEFAULTS["batch_size"] == 64


def test_command_line_smoke_run(tmp_path):
    assert lsgan.main(["--dataset", "shapes", "--smoke", "--coding", "pearson", "--out",
                       str(tmp_path), "--verbose", "0"]) == 0
    assert (tmp_path / "checkpoints" / "model.keras").exists()
    assert (tmp_path / "samples" / "epoch_0001.png").exists()


# --- The shared step with the least-squares objectives --------------------------------------
@pytest.mark.parametrize("coding", sorted(lsgan.CODINGS))
def test_step_matches_numpy(coding):
    shape = (8, 8, 1)
    fake_target, real_target, generator_target = lsgan.CODINGS[coding]
    model = lsgan.LSGAN(latent_dim=4, image_shape=shape, coding=coding,
                        generator=step_checks.linear_generator(4, shape),
                        discriminator=step_checks.linear_discriminator(shape), seed=3)
    step_checks.assert_step_matches_numpy(
        model, step_checks.real_batch(8, shape),
        lambda real, fake, draws: (0.5 * ((real - real_target) ** 2).mean()
                                   + 0.5 * ((fake - fake_target) ** 2).mean()),
        lambda real, fake, draws: 0.5 * ((fake - generator_target) ** 2).mean(),
        draws=step_checks.gan_draws(8, 4),
        directions=False)  # scores move towards targets, not always up or down
