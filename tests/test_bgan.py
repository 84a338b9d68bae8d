"""BGAN (Hjelm et al., 2017): networks, the boundary-seeking loss wiring, discrete option, CLI."""

import keras
import numpy as np
import pytest

from keras_gans import bgan
from keras_gans import losses

from model_checks import assert_generates, assert_keras_round_trip, assert_trains_one_step
from model_checks import layer_types

IMAGE_SHAPE = (28, 28, 1)


def real_images(count=8, image_shape=IMAGE_SHAPE):
    return np.random.default_rng(0).uniform(-1, 1, (count,) + image_shape).astype("float32")


def numpy(tensor):
    return keras.ops.convert_to_numpy(tensor)


def test_default_networks_are_b_mlp_with_a_logit():
    model = bgan.BGAN(image_shape=IMAGE_SHAPE)
    dense_units = [layer.units for layer in model.generator.layers if hasattr(layer, "units")]
    assert dense_units == [256, 512, 1024, 784]
    assert model.generator.output_shape == (None,) + IMAGE_SHAPE
    assert [layer.units for layer in model.discriminator.layers if hasattr(layer, "units")] == [
        512, 256, 1]
    assert "BatchNormalization" not in layer_types(model.discriminator)
    assert model.discriminator.layers[-1].activation.__name__ == "linear"  # a logit


def test_dcgan_arch_uses_b_dc32_and_refuses_bad_sizes():
    model = bgan.BGAN(image_shape=(32, 32, 1), arch="dcgan")
    assert [layer.filters for layer in model.generator.layers
            if type(layer).__name__ == "Conv2DTranspose"] == [128, 64, 1]
    assert [layer.filters for layer in model.discriminator.layers
            if type(layer).__name__ == "Conv2D"] == [64, 128, 256]
    assert model.discriminator.layers[-1].activation.__name__ == "linear"
    with pytest.raises(ValueError, match="--image-size"):
        bgan.BGAN(image_shape=(30, 30, 1), arch="dcgan")
    with pytest.raises(ValueError, match="arch='mlp'"):
        bgan.BGAN(arch="resnet")
    with pytest.raises(ValueError, match="samples_per_latent"):
        bgan.BGAN(discrete=True, samples_per_latent=0)


def test_losses_are_bce_for_d_and_half_squared_logit_for_g():
    """The logged losses are the BCE of D on the step's batch and ½E[ℓ²] through the updated D."""
    model = bgan.BGAN(image_shape=IMAGE_SHAPE, seed=3)
    model.compile(g_optimizer=keras.optimizers.Adam(0.0))  # G stays as it is for the check
    images = real_images()
    # The step's noise, drawn from a copy of the model's seed generator.
    seeds = keras.random.SeedGenerator(0)
    seeds.state.assign(model.seed_generator.state.value)
    d_latent = keras.random.normal((8, 100), seed=seeds)
    g_latent = keras.random.normal((8, 100), seed=seeds)
    expected_d_loss = losses.discriminator_loss(
        model.discriminator(images), model.discriminator(model.generator(d_latent, training=True)))
    history = model.fit(images, batch_size=8, epochs=1, verbose=0, shuffle=False)
    fake_logits = model.discriminator(model.generator(g_latent, training=True))  # updated D
    assert history.history["d_loss"][0] == pytest.approx(float(numpy(expected_d_loss)), rel=1e-4)
    assert history.history["g_loss"][0] == pytest.approx(
        0.5 * float(np.mean(numpy(fake_logits) ** 2)), rel=1e-4)


def test_trains_one_step_generates_and_round_trips(tmp_path):
    model = bgan.BGAN(image_shape=(32, 32, 1), arch="dcgan", seed=0)
    model.compile()
    assert_trains_one_step(model, real_images(8, (32, 32, 1)), batch_size=8)
    assert_generates(model, (32, 32, 1))
    restored = assert_keras_round_trip(model, str(tmp_path / "bgan.keras"))
    assert restored.arch == "dcgan" and restored.generator_loss == "boundary_seeking"
    assert "generator_loss" not in restored.get_config()


def test_discrete_option():
    """Binary samples follow the generator's means; the importance weights sum to 1 per z."""
    model = bgan.BGAN(image_shape=IMAGE_SHAPE, discrete=True, samples_per_latent=4, seed=0)
    means = keras.ops.convert_to_tensor(np.linspace(-1, 1, 784, dtype="float32").reshape(
        (1,) + IMAGE_SHAPE))
    samples = numpy(model.binary_samples(keras.ops.tile(means, (2, 1, 1, 1)), 500))
    assert samples.shape == (2, 500) + IMAGE_SHAPE
    assert set(np.unique(samples)) == {-1.0, 1.0}
    np.testing.assert_allclose(samples.mean(axis=(0, 1)), numpy(means)[0], atol=0.15)
    # Weighted likelihood: with equal log-weights it is the mean log-likelihood per z.
    log_likelihoods = keras.ops.convert_to_tensor(np.array([[-1.0, -3.0], [-2.0, -2.0]],
                                                           "float32"))
    equal = losses.importance_weighted_generator_loss(keras.ops.zeros((2, 2)), log_likelihoods)
    assert float(numpy(equal)) == pytest.approx(2.0)
    # A much larger weight on the first sample selects its log-likelihood.
    skewed = losses.importance_weighted_generator_loss(
        keras.ops.convert_to_tensor(np.array([[50.0, 0.0], [0.0, 0.0]], "float32")),
        log_likelihoods)
    assert float(numpy(skewed)) == pytest.approx((1.0 + 2.0) / 2)
    # The Bernoulli log-likelihood of x = 1 under mean 0 (p = ½) is log ½ per pixel.
    half = losses.bernoulli_log_likelihood(keras.ops.ones((1, 1, 2, 2, 1)),
                                         keras.ops.zeros((1, 1, 2, 2, 1)))
    assert float(numpy(half)[0, 0]) == pytest.approx(4 * np.log(0.5))


def test_discrete_generator_moves_towards_samples_the_discriminator_prefers():
    """A fixed D that only likes a lit first pixel: the importance weights make G light it."""
    latent = keras.Input((100,))
    pixels = keras.layers.Dense(784, activation="tanh", kernel_initializer="zeros")(latent)
    generator = keras.Model(latent, keras.layers.Reshape(IMAGE_SHAPE)(pixels))
    images = keras.Input(IMAGE_SHAPE)
    scoring = keras.layers.Dense(1)
    discriminator = keras.Model(images, scoring(keras.layers.Flatten()(images)))
    kernel = np.zeros((784, 1), "float32")
    kernel[0] = 5.0
    scoring.set_weights([kernel, np.zeros(1, "float32")])
    model = bgan.BGAN(image_shape=IMAGE_SHAPE, discrete=True, samples_per_latent=8, seed=0,
                      generator=generator, discriminator=discriminator)
    model.compile(g_optimizer=keras.optimizers.SGD(0.1), d_optimizer=keras.optimizers.SGD(0.0))
    assert_trains_one_step(model, real_images(32), batch_size=8)
    model.fit(real_images(32), batch_size=8, epochs=2, verbose=0)
    means = assert_generates(model, IMAGE_SHAPE, count=64).reshape(64, -1).mean(axis=0)
    assert means[0] > 0.35  # P(first pixel lit) went from ½ to more than ⅔
    assert means[0] > np.abs(means[1:]).max()
    assert abs(means[1:].mean()) < 0.05


def test_paper_optimizer_defaults():
    model = bgan.BGAN(image_shape=IMAGE_SHAPE)
    model.compile()
    for optimizer in (model.g_optimizer, model.d_optimizer):
        assert float(optimizer.learning_rate) == pytest.approx(2e-4)
        assert optimizer.beta_1 == 0.5 and optimizer.beta_2 == 0.999


def test_command_line_smoke_run(tmp_path):
    out = tmp_path / "run"
    assert bgan.main(["--dataset", "shapes", "--image-size", "28", "--smoke", "--out", str(out),
                      "--verbose", "0"]) == 0
    assert (out / "checkpoints" / "model.keras").exists()


def test_samples_per_latent_needs_discrete(tmp_path, capsys):
    assert bgan.main(["--dataset", "shapes", "--image-size", "28", "--smoke", "--out",
                      str(tmp_path / "run"), "--samples-per-latent", "5"]) == 2
    assert "--discrete" in capsys.readouterr().err
