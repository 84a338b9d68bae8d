"""DRAGAN (Kodali et al., 2017): no batch norm in D, the whole D loss (BCE + penalty), saving."""

import json
import os

import keras
import numpy as np
import pytest

from keras_gans import dcgan
from keras_gans import dragan

import step_checks
from model_checks import assert_generates, assert_keras_round_trip, assert_trains_one_step
from model_checks import layer_types

IMAGE_SHAPE = (32, 32, 1)
BATCH = 8


def real_images(count=BATCH):
    return np.random.default_rng(0).uniform(-1, 1, (count,) + IMAGE_SHAPE).astype("float32")


def numpy_weights(network):
    return [keras.ops.convert_to_numpy(weight).copy() for weight in network.weights]


def softplus(x):
    return np.logaddexp(0.0, x)


def quadratic_discriminator(kernel):
    """D(x) = Σ w·x² + b: its input gradient 2·w·x is known in closed form."""
    images = keras.Input(IMAGE_SHAPE)
    squares = keras.layers.Multiply()([images, images])
    logits = keras.layers.Dense(1, name="logits")(keras.layers.Flatten()(squares))
    discriminator = keras.Model(images, logits, name="discriminator")
    discriminator.get_layer("logits").set_weights([kernel, np.array([0.1], "float32")])
    return discriminator


def expected_discriminator_loss(kernel, real, fake, noise, alpha, gp_weight, scale=0.5):
    """BCE + λ·E[(‖∇D(x̂)‖ − 1)²] for the quadratic discriminator, in NumPy."""
    weights = kernel.reshape(IMAGE_SHAPE)

    def logits(images):
        return (images**2).reshape(len(images), -1) @ kernel.ravel() + 0.1

    cross_entropy = 0.5 * (softplus(-logits(real)).mean() + softplus(logits(fake)).mean())
    perturbed = real + scale * real.std() * noise
    points = real + alpha * (perturbed - real)
    norms = np.sqrt(((2.0 * weights * points) ** 2).reshape(len(points), -1).sum(axis=1))
    return cross_entropy + gp_weight * np.mean((norms - 1.0) ** 2)


def test_networks_are_b_dc32_with_layer_norm_in_place_of_batch_norm():
    model = dragan.DRAGAN(image_shape=IMAGE_SHAPE)
    discriminator_types = layer_types(model.discriminator)
    assert "BatchNormalization" not in discriminator_types
    normalizations = [layer for layer in model.discriminator.layers
                      if type(layer).__name__ == "GroupNormalization"]
    assert len(normalizations) == 2 and all(layer.groups == 1 for layer in normalizations)
    convolutions = [layer for layer in model.discriminator.layers
                    if type(layer).__name__ == "Conv2D"]
    assert [layer.filters for layer in convolutions] == [64, 128, 256]
    assert all(layer.strides == (2, 2) and layer.kernel_size == (4, 4) for layer in convolutions)
    assert [layer.use_bias for layer in convolutions] == [True, False, False]
    assert discriminator_types.count("LeakyReLU") == 3
    assert all(layer.negative_slope == pytest.approx(0.2) for layer in model.discriminator.layers
               if type(layer).__name__ == "LeakyReLU")
    assert model.discriminator.layers[-1].activation.__name__ == "linear"  # a logit
    assert model.discriminator.output_shape == (None, 1)
    # The generator is DCGAN's: batch norm after every hidden layer, tanh output.
    generator_types = layer_types(model.generator)
    assert generator_types.count("BatchNormalization") == 3
    assert model.generator.layers[-1].activation.__name__ == "tanh"
    assert model.generator.output_shape == (None,) + IMAGE_SHAPE
    kernels = np.concatenate([keras.ops.convert_to_numpy(layer.kernel).ravel()
                              for layer in model.discriminator.layers
                              if hasattr(layer, "kernel")])
    assert abs(kernels.std() - 0.02) < 0.002


def test_bad_settings_are_refused_with_a_fix():
    with pytest.raises(ValueError, match="normalization='layer'"):
        dragan.DRAGAN(discriminator=dcgan.build_discriminator(IMAGE_SHAPE))
    with pytest.raises(ValueError, match="discriminator_norm"):
        dragan.DRAGAN(discriminator_norm="batch")
    with pytest.raises(ValueError, match="gp_weight"):
        dragan.DRAGAN(gp_weight=-1.0)
    with pytest.raises(ValueError, match="perturbation_scale"):
        dragan.DRAGAN(perturbation_scale=-0.5)
    with pytest.raises(ValueError, match="--image-size"):
        dragan.DRAGAN(image_shape=(30, 30, 1))


def test_logged_d_loss_is_cross_entropy_plus_weighted_penalty():
    # With a discriminator whose input gradient is known, replay the step's random draws
    # (latent, then u per element, then α per sample) and recompute the loss in NumPy.
    kernel = np.random.default_rng(1).normal(0.0, 0.05, (1024, 1)).astype("float32")
    model = dragan.DRAGAN(image_shape=IMAGE_SHAPE, discriminator=quadratic_discriminator(kernel),
                          gp_weight=10.0, seed=3)
    model.compile()
    real = real_images()
    generator = keras.random.SeedGenerator(3)
    latent = keras.random.normal((BATCH, 100), seed=generator)
    noise = keras.ops.convert_to_numpy(keras.random.uniform(real.shape, seed=generator))
    alpha = keras.ops.convert_to_numpy(keras.random.uniform((BATCH, 1, 1, 1), seed=generator))
    fake = keras.ops.convert_to_numpy(model.generator(latent, training=True))
    expected = expected_discriminator_loss(kernel, real, fake, noise, alpha, gp_weight=10.0)
    # The model's own loss at the same tensors, and the value fit() logs.
    real_tensor, fake_tensor, noise_tensor, alpha_tensor = [
        keras.ops.convert_to_tensor(value) for value in (real, fake, noise, alpha)]
    direct = model.penalized_loss(
        real_tensor, model.discriminator(real_tensor, training=True),
        model.discriminator(fake_tensor, training=True), noise_tensor, alpha_tensor)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(direct), expected, rtol=1e-5)
    history = model.fit(real, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
    np.testing.assert_allclose(history.history["d_loss"][0], expected, rtol=1e-5)
    penalty_only = expected_discriminator_loss(kernel, real, fake, noise, alpha, gp_weight=0.0)
    assert expected - penalty_only > 1e-3  # the penalty term is really there


def test_discriminator_update_applies_the_cross_entropy_and_round_trips(tmp_path):
    # PyTorch-GAN back-propagated only the penalty. With λ = 0 DRAGAN's discriminator must
    # still move, exactly as DCGAN's does from the same weights and noise.
    model = dragan.DRAGAN(image_shape=IMAGE_SHAPE, gp_weight=0.0, perturbation_scale=0.25,
                          seed=5)
    reference = dcgan.DCGAN(
        image_shape=IMAGE_SHAPE,
        generator=keras.models.clone_model(model.generator),
        discriminator=keras.models.clone_model(model.discriminator),
        seed=5,
    )
    reference.generator.set_weights(model.generator.get_weights())
    reference.discriminator.set_weights(model.discriminator.get_weights())
    before = numpy_weights(model.discriminator)
    for gan_model in (model, reference):
        gan_model.compile()
        assert_trains_one_step(gan_model, real_images(), batch_size=BATCH)
    after = numpy_weights(model.discriminator)
    assert any(np.abs(new - old).max() > 1e-6 for new, old in zip(after, before, strict=True))
    for ours, theirs in zip(after, numpy_weights(reference.discriminator), strict=True):
        np.testing.assert_allclose(ours, theirs, atol=1e-6)
    # Samples, and a .keras file that keeps the penalty's settings.
    assert_generates(model, IMAGE_SHAPE)
    restored = assert_keras_round_trip(model, str(tmp_path / "dragan.keras"))
    assert restored.gp_weight == 0.0 and restored.perturbation_scale == 0.25
    assert "BatchNormalization" not in layer_types(restored.discriminator)


def test_plain_discriminator_has_no_normalization_and_is_kept_by_saving(tmp_path):
    model = dragan.DRAGAN(image_shape=IMAGE_SHAPE, discriminator_norm=None)
    types = layer_types(model.discriminator)
    assert "BatchNormalization" not in types and "GroupNormalization" not in types
    assert all(layer.use_bias for layer in model.discriminator.layers
               if type(layer).__name__ == "Conv2D")
    model.compile()
    assert_trains_one_step(model, real_images(), batch_size=BATCH)
    restored = assert_keras_round_trip(model, str(tmp_path / "plain.keras"))
    assert restored.discriminator_norm is None
    assert "GroupNormalization" not in layer_types(restored.discriminator)


def test_paper_defaults():
    model = dragan.DRAGAN()
    assert model.gp_weight == 10.0 and model.perturbation_scale == 0.5
    assert model.latent_dim == 100 and model.image_shape == IMAGE_SHAPE
    model.compile()
    for optimizer in (model.g_optimizer, model.d_optimizer):
        assert float(optimizer.learning_rate) == pytest.approx(2e-4)
        assert optimizer.beta_1 == 0.5 and optimizer.beta_2 == 0.999
    assert dragan.DEFAULTS["dataset"] == "mnist32" and dragan.DEFAULTS["batch_size"] == 64


def test_command_line_smoke_run(tmp_path):
    out = tmp_path / "run"
    code = dragan.main(["--dataset", "shapes", "--smoke", "--out", str(out), "--verbose", "0",
                        "--gp-weight", "5", "--discriminator-norm", "none"])
    assert code == 0
    assert os.path.exists(out / "checkpoints" / "model.keras")
    with open(out / "config.json") as file:
        config = json.load(file)
    assert config["gp_weight"] == 5.0 and config["perturbation_scale"] == 0.5
    assert config["discriminator_norm"] == "none"
    restored = keras.saving.load_model(out / "checkpoints" / "model.keras")
    assert restored.discriminator_norm is None


# --- The penalty reaches the discriminator, and the step's values and directions -----------
SMALL_SHAPE = (8, 8, 1)


def cross_entropy_gradient(w, b, real, fake):
    """∂/∂(w, b) of ½[BCE(D(x), 1) + BCE(D(G(z)), 0)] for D(x) = w·x + b."""
    real_weight = -step_checks.sigmoid(-(real @ w + b))  # ∂softplus(−l)/∂l
    fake_weight = step_checks.sigmoid(fake @ w + b)  # ∂softplus(l)/∂l
    gradient_w = 0.5 * ((real_weight[:, None] * real).mean(axis=0)
                        + (fake_weight[:, None] * fake).mean(axis=0))
    return gradient_w, 0.5 * (real_weight.mean() + fake_weight.mean())


def test_gradient_penalty_reaches_the_discriminator():
    fake_image = np.full(SMALL_SHAPE, 0.3, "float32")
    model = dragan.DRAGAN(latent_dim=4, image_shape=SMALL_SHAPE, gp_weight=10.0,
                          generator=step_checks.constant_generator(4, fake_image),
                          discriminator=step_checks.linear_discriminator(SMALL_SHAPE), seed=2)
    step_checks.assert_penalty_reaches_the_critic(
        model, step_checks.real_batch(8, SMALL_SHAPE), fake_image, cross_entropy_gradient,
        lambda w: 2.0 * (np.linalg.norm(w) - 1.0) * w / np.linalg.norm(w), weight=10.0)


def test_step_matches_numpy_and_moves_the_right_way():
    model = dragan.DRAGAN(latent_dim=4, image_shape=SMALL_SHAPE, gp_weight=10.0,
                          generator=step_checks.linear_generator(4, SMALL_SHAPE),
                          discriminator=step_checks.linear_discriminator(SMALL_SHAPE), seed=2)
    softplus_ = step_checks.softplus
    step_checks.assert_step_matches_numpy(
        model, step_checks.real_batch(8, SMALL_SHAPE),
        lambda real, fake, draws: (0.5 * (softplus_(-real).mean() + softplus_(fake).mean())
                                   + 10.0 * (0.5 - 1.0) ** 2),  # ‖w‖ = 0.5 at every point
        lambda real, fake, draws: softplus_(-fake).mean(),
        draws=[("normal", (8, 4)), ("uniform", (8,) + SMALL_SHAPE), ("uniform", (8, 1, 1, 1)),
               ("normal", (8, 4))])
