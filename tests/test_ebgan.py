"""EBGAN (Zhao et al., 2016): the autoencoder discriminator, the margin, saving, the CLI."""

import os

import keras
import numpy as np
import pytest

from keras_gans import ebgan

import step_checks
from model_checks import assert_generates, assert_keras_round_trip, assert_trains_one_step
from model_checks import layer_types

IMAGE_SHAPE = (32, 32, 1)


def real_images(count=8):
    return np.random.default_rng(0).uniform(-1, 1, (count,) + IMAGE_SHAPE).astype("float32")


def test_discriminator_is_the_specified_autoencoder():
    discriminator = ebgan.build_discriminator((32, 32, 3))
    types = layer_types(discriminator)
    assert types == ["InputLayer", "ZeroPadding2D", "Conv2D", "ReLU", "Flatten", "Dense", "Dense",
                     "BatchNormalization", "ReLU", "Reshape", "UpSampling2D", "Conv2D"]
    encoder_conv, decoder_conv = [layer for layer in discriminator.layers
                                  if type(layer).__name__ == "Conv2D"]
    assert (encoder_conv.filters, encoder_conv.kernel_size, encoder_conv.strides) == (
        64, (3, 3), (2, 2))
    assert (decoder_conv.filters, decoder_conv.kernel_size) == (3, (3, 3))
    assert decoder_conv.activation.__name__ == "linear"  # a reconstruction, as in PyTorch-GAN
    assert [layer.units for layer in discriminator.layers if hasattr(layer, "units")] == [
        32, 64 * 16 * 16]
    (normalization,) = [layer for layer in discriminator.layers
                        if type(layer).__name__ == "BatchNormalization"]
    assert normalization.momentum == 0.9 and normalization.epsilon == 1e-5  # never eps 0.8
    assert discriminator.layers[-2].interpolation == "nearest"
    assert [tuple(shape) for shape in discriminator.output_shape] == [(None, 32, 32, 3),
                                                                      (None, 32)]


def test_generator_is_b_dc32_with_62_latent_dimensions():
    model = ebgan.EBGAN(image_shape=IMAGE_SHAPE)
    assert model.latent_dim == 62
    assert model.generator.input_shape == (None, 62)
    assert [layer.filters for layer in model.generator.layers
            if type(layer).__name__ == "Conv2DTranspose"] == [128, 64, 1]
    assert model.generator.layers[-1].activation.__name__ == "tanh"


@pytest.mark.parametrize("options", [dict(margin=0.0), dict(pull_away_weight=-1.0)])
def test_bad_hyper_parameters_are_refused(options):
    with pytest.raises(ValueError, match="Received"):
        ebgan.EBGAN(**options)


def test_odd_image_sizes_are_refused_with_a_fix():
    with pytest.raises(ValueError, match="--image-size"):
        ebgan.build_discriminator((31, 31, 1))


def tiny_model(**options):
    """An EBGAN on 8×8 images with tiny networks, quick to compile on every backend."""
    generator = keras.Sequential([keras.Input((4,)), keras.layers.Dense(64),
                                  keras.layers.Reshape((8, 8, 1)), keras.layers.Activation("tanh")],
                                 name="generator")
    discriminator = ebgan.build_discriminator((8, 8, 1), filters=4, embedding_dim=4)
    return ebgan.EBGAN(latent_dim=4, image_shape=(8, 8, 1), generator=generator,
                       discriminator=discriminator, seed=0, **options)


@pytest.mark.parametrize("margin, active", [(1e-9, 0.0), (1e9, 1.0)])
def test_margin_active_counts_fakes_inside_the_margin(margin, active):
    model = tiny_model(margin=margin)
    model.compile()
    images = np.random.default_rng(0).uniform(-1, 1, (4, 8, 8, 1)).astype("float32")
    history = model.fit(images, batch_size=4, epochs=1, verbose=0)
    assert history.history["margin_active"][-1] == active
    if active:  # every fake inside the margin: D loss = E(x) + m − E(G(z)) ≈ m
        assert history.history["d_loss"][-1] == pytest.approx(margin, rel=1e-6)


def test_real_and_fake_images_share_the_discriminators_batch_statistics():
    model = ebgan.EBGAN(image_shape=IMAGE_SHAPE, seed=0)
    real = real_images(4)
    dark, light = np.full_like(real, -0.5), np.full_like(real, 0.5)
    # Alone, any batch of identical fakes normalizes to the same code: D cannot tell them apart.
    alone = [keras.ops.convert_to_numpy(model.discriminator(fakes, training=True)[0])
             for fakes in (dark, light)]
    np.testing.assert_allclose(alone[0], alone[1], atol=1e-4)
    # With the real images in the same batch, their reconstructions differ.
    together = [keras.ops.convert_to_numpy(model.reconstruct(real, fakes)[1])
                for fakes in (dark, light)]
    assert np.abs(together[0] - together[1]).max() > 1e-2
    assert together[0].shape == real.shape


def test_energy_is_the_mean_squared_reconstruction_error():
    model = ebgan.EBGAN(image_shape=IMAGE_SHAPE, seed=0)
    images = real_images(2)
    energy, embeddings = model.energy(images)
    reconstructions, _ = model.discriminator(images, training=False)
    expected = np.mean((images - keras.ops.convert_to_numpy(reconstructions)) ** 2, axis=(1, 2, 3))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(energy), expected, rtol=1e-5)
    assert tuple(embeddings.shape) == (2, 32)


def test_paper_optimizer_defaults():
    model = ebgan.EBGAN(image_shape=IMAGE_SHAPE)
    model.compile()
    for optimizer in (model.g_optimizer, model.d_optimizer):
        assert float(optimizer.learning_rate) == pytest.approx(2e-4)
        assert optimizer.beta_1 == 0.5 and optimizer.beta_2 == 0.999


def test_trains_one_step_generates_and_round_trips(tmp_path):
    model = tiny_model(margin=2.0, pull_away_weight=0.5)
    model.compile()
    images = np.random.default_rng(0).uniform(-1, 1, (8, 8, 8, 1)).astype("float32")
    assert_trains_one_step(model, images, batch_size=8)
    assert_generates(model, (8, 8, 1))
    restored = assert_keras_round_trip(model, str(tmp_path / "ebgan.keras"))
    assert (restored.margin, restored.pull_away_weight) == (2.0, 0.5)


def test_command_line_smoke_run(tmp_path):
    assert ebgan.main(["--dataset", "shapes", "--image-size", "16", "--smoke", "--out",
                       str(tmp_path), "--verbose", "0"]) == 0
    assert os.path.exists(tmp_path / "checkpoints" / "model.keras")


# --- The step's values and directions, with a linear autoencoder ---------------------------
def linear_autoencoder(image_shape, embedding_dim=3, seed=0):
    """S = xE + e and D(x) = SR + r: an autoencoder NumPy can follow."""
    rng = np.random.default_rng(seed)
    size = int(np.prod(image_shape))
    constant = keras.initializers.Constant
    images = keras.Input(image_shape)
    embeddings = keras.layers.Dense(
        embedding_dim, kernel_initializer=constant(rng.normal(0, 0.2, (size, embedding_dim))),
        bias_initializer=constant(rng.normal(0, 0.1, embedding_dim)))(
            keras.layers.Flatten()(images))
    decoded = keras.layers.Dense(
        size, kernel_initializer=constant(rng.normal(0, 0.2, (embedding_dim, size))))(embeddings)
    reconstructions = keras.layers.Reshape(image_shape)(decoded)
    return keras.Model(images, [reconstructions, embeddings], name="discriminator")


def autoencode(weights, images):
    """NumPy energies (per-sample mean squared error) and embeddings of the linear autoencoder."""
    encoder, encoder_bias, decoder, decoder_bias = weights
    flat = images.reshape(len(images), -1)
    embeddings = flat @ encoder + encoder_bias
    return ((flat - (embeddings @ decoder + decoder_bias)) ** 2).mean(axis=1), embeddings


def pull_away(embeddings):
    """Mean over i ≠ j of cos²(S_i, S_j)."""
    unit = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    cosine_squared = (unit @ unit.T) ** 2
    count = len(embeddings)
    return (cosine_squared.sum() - np.trace(cosine_squared)) / (count * (count - 1))


@pytest.mark.parametrize("pull_away_weight", [0.0, 0.5])
def test_step_matches_numpy_and_moves_the_energies_the_right_way(pull_away_weight):
    shape, margin = (8, 8, 1), 2.0
    model = ebgan.EBGAN(latent_dim=4, image_shape=shape, margin=margin,
                        pull_away_weight=pull_away_weight,
                        generator=step_checks.linear_generator(4, shape),
                        discriminator=linear_autoencoder(shape), seed=3)
    real = step_checks.real_batch(8, shape)
    step = step_checks.OneStep(model, real, step_checks.gan_draws(8, 4))
    d_latent, g_latent = step.draws
    d_fakes = step_checks.generated(step.generator_before, d_latent, shape)
    real_energy, _ = autoencode(step.discriminator_before, real)
    fake_energy, _ = autoencode(step.discriminator_before, d_fakes)
    assert (fake_energy < margin).all()  # every fake inside the margin trains D
    np.testing.assert_allclose(step.logs["d_loss"], real_energy.mean() + np.maximum(
        0.0, margin - fake_energy).mean(), rtol=1e-4)
    g_fakes = step_checks.generated(step.generator_before, g_latent, shape)
    g_energy, g_embeddings = autoencode(step.discriminator_after, g_fakes)
    expected_g_loss = g_energy.mean() + pull_away_weight * pull_away(g_embeddings)
    np.testing.assert_allclose(step.logs["g_loss"], expected_g_loss, rtol=1e-4)
    # D's step lowers its objective at the same batch, mostly by lowering the energy of the
    # real images; G's step then lowers the energy of its fresh fakes.
    def d_objective(weights):
        return autoencode(weights, real)[0].mean() + np.maximum(
            0.0, margin - autoencode(weights, d_fakes)[0]).mean()

    assert d_objective(step.discriminator_after) < d_objective(step.discriminator_before)
    assert autoencode(step.discriminator_after, real)[0].mean() < real_energy.mean()
    fresh_fakes = step_checks.generated(step.generator_after, g_latent, shape)
    assert autoencode(step.discriminator_after, fresh_fakes)[0].mean() < g_energy.mean()
