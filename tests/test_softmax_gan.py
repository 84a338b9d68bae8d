"""Softmax GAN (Lin, 2017): energies, the two softmax targets, two real batches per step, CLI."""

import keras
import numpy as np
import pytest

from keras_gans import losses
from keras_gans import softmax_gan

from model_checks import assert_generates, assert_keras_round_trip, assert_trains_one_step
from model_checks import layer_types

IMAGE_SHAPE = (28, 28, 1)


def real_images(count=16):
    return np.random.default_rng(0).uniform(-1, 1, (count,) + IMAGE_SHAPE).astype("float32")


def numpy(tensor):
    return keras.ops.convert_to_numpy(tensor)


def test_networks_are_b_mlp_with_a_linear_energy():
    model = softmax_gan.SoftmaxGAN(image_shape=IMAGE_SHAPE)
    dense_units = [layer.units for layer in model.generator.layers if hasattr(layer, "units")]
    assert dense_units == [256, 512, 1024, 784]
    assert model.generator.layers[-2].activation.__name__ == "tanh"
    assert [layer.units for layer in model.discriminator.layers if hasattr(layer, "units")] == [
        512, 256, 1]
    assert "BatchNormalization" not in layer_types(model.discriminator)
    assert model.discriminator.layers[-1].activation.__name__ == "linear"  # an energy
    assert model.real_batches_per_step == 2


def test_logged_losses_are_the_softmax_losses_of_the_networks():
    """D's loss on the first real batch, G's on the second one through the updated D."""
    model = softmax_gan.SoftmaxGAN(image_shape=IMAGE_SHAPE, seed=5)
    model.compile(g_optimizer=keras.optimizers.Adam(0.0))  # G stays as it is for the check
    images = real_images(16)
    images[:8] = -1.0  # two distinguishable real batches of 8
    # The step's noise, drawn from a copy of the model's seed generator.
    seeds = keras.random.SeedGenerator(0)
    seeds.state.assign(model.seed_generator.state.value)
    d_latent = keras.random.normal((8, 100), seed=seeds)
    g_latent = keras.random.normal((8, 100), seed=seeds)
    expected_d_loss = losses.softmax_discriminator_loss(
        model.discriminator(images[:8]),
        model.discriminator(model.generator(d_latent, training=True)))
    history = model.fit(images, batch_size=16, epochs=1, verbose=0, shuffle=False)
    fake_energy = model.discriminator(model.generator(g_latent, training=True))  # updated D
    expected_g_loss = losses.softmax_generator_loss(model.discriminator(images[8:]), fake_energy)
    stale_g_loss = losses.softmax_generator_loss(model.discriminator(images[:8]), fake_energy)
    assert history.history["d_loss"][0] == pytest.approx(float(numpy(expected_d_loss)), rel=1e-4)
    assert history.history["g_loss"][0] == pytest.approx(float(numpy(expected_g_loss)), rel=1e-4)
    assert abs(float(numpy(stale_g_loss)) - float(numpy(expected_g_loss))) > 1e-3


def test_discriminator_target_puts_the_mass_on_real_samples():
    """After a few steps on a tiny problem, real energies fall below the fakes' energies."""
    model = softmax_gan.SoftmaxGAN(image_shape=IMAGE_SHAPE, seed=0)
    model.compile(d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5))
    images = np.where(np.arange(28)[None, :, None, None] % 4 == 0, 1.0, -1.0).astype("float32")
    images = np.broadcast_to(images, (64,) + IMAGE_SHAPE).copy()  # striped "digits"
    history = model.fit(images, batch_size=16, epochs=2, verbose=0, shuffle=False)
    assert all(np.isfinite(values).all() for values in history.history.values())
    real_energy = numpy(model.discriminator(images[:16])).mean()
    fake_energy = numpy(model.discriminator(model.generate(16))).mean()
    assert real_energy < fake_energy - 1.0
    # The softmax then puts more than half of the batch's mass on the real samples.
    mass_on_real = numpy(keras.ops.softmax(-keras.ops.concatenate(
        [model.discriminator(images[:16]), model.discriminator(model.generate(16))], axis=0),
        axis=0))[:16].sum()
    assert mass_on_real > 0.5


def test_trains_one_step_generates_and_round_trips(tmp_path):
    model = softmax_gan.SoftmaxGAN(image_shape=IMAGE_SHAPE, seed=0)
    model.compile()
    assert_trains_one_step(model, real_images(16), batch_size=16)  # 2 × 8 real images
    assert_generates(model, IMAGE_SHAPE)
    restored = assert_keras_round_trip(model, str(tmp_path / "softmax_gan.keras"))
    assert restored.real_batches_per_step == 2
    assert "generator_loss" not in restored.get_config()


def test_paper_optimizer_defaults():
    model = softmax_gan.SoftmaxGAN(image_shape=IMAGE_SHAPE)
    model.compile()
    for optimizer in (model.g_optimizer, model.d_optimizer):
        assert float(optimizer.learning_rate) == pytest.approx(2e-4)
        assert optimizer.beta_1 == 0.5 and optimizer.beta_2 == 0.999


def test_command_line_smoke_run(tmp_path):
    out = tmp_path / "run"
    assert softmax_gan.main(["--dataset", "shapes", "--image-size", "28", "--smoke", "--out",
                             str(out), "--verbose", "0"]) == 0
    assert (out / "checkpoints" / "model.keras").exists()
