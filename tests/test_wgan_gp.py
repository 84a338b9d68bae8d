"""WGAN-GP (Gulrajani et al., 2017): the B-DC28 networks, the gradient penalty, n_critic, saving."""

import math

import keras
import numpy as np
import pytest

from keras_gans import wgan_gp

import step_checks
from model_checks import assert_generates, assert_keras_round_trip, assert_trains_one_step
from model_checks import layer_types

IMAGE_SHAPE = (28, 28, 1)


def images(count, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (count,) + IMAGE_SHAPE).astype("float32")


def small_generator(latent_dim=8):
    """latent → fc 784 → tanh → 28×28×1: a cheap generator for wiring tests."""
    latent = keras.Input((latent_dim,))
    x = keras.layers.Dense(28 * 28, activation="tanh")(latent)
    return keras.Model(latent, keras.layers.Reshape(IMAGE_SHAPE)(x), name="generator")


def linear_critic():
    """D(x) = w·x + b, whose input gradient is w everywhere."""
    inputs = keras.Input(IMAGE_SHAPE)
    scores = keras.layers.Dense(1)(keras.layers.Flatten()(inputs))
    return keras.Model(inputs, scores, name="critic")


def kernel_norm(critic):
    return float(np.linalg.norm(keras.ops.convert_to_numpy(critic.layers[-1].kernel)))


def of_type(network, name):
    return [layer for layer in network.layers if type(layer).__name__ == name]


def test_generator_follows_the_authors_mnist_network():
    generator = wgan_gp.build_generator(128, IMAGE_SHAPE)
    assert [layer.units for layer in of_type(generator, "Dense")] == [4 * 4 * 256]
    transposed = of_type(generator, "Conv2DTranspose")
    assert [layer.filters for layer in transposed] == [128, 64, 1]
    assert all(layer.kernel_size == (5, 5) and layer.strides == (2, 2) for layer in transposed)
    # 4 → 8, cropped to 7 → 14 → 28.
    assert [layer.output.shape[1] for layer in transposed] == [8, 14, 28]
    assert of_type(generator, "Cropping2D")[0].output.shape[1:3] == (7, 7)
    assert generator.layers[-1].activation.__name__ == "tanh"
    assert generator.output_shape == (None,) + IMAGE_SHAPE
    assert "BatchNormalization" not in layer_types(generator)
    types = layer_types(wgan_gp.build_generator(128, IMAGE_SHAPE, normalization="batch"))
    # The WGAN form: batch norm after the fc layer and the first two transposed convolutions.
    assert types.count("BatchNormalization") == 3
    assert types.index("BatchNormalization") == types.index("Dense") + 1


def test_critic_follows_the_authors_mnist_network():
    critic = wgan_gp.build_critic(IMAGE_SHAPE)
    convolutions = of_type(critic, "Conv2D")
    assert [layer.filters for layer in convolutions] == [64, 128, 256]
    assert [layer.output.shape[1] for layer in convolutions] == [14, 7, 4]
    assert all(layer.kernel_size == (5, 5) and layer.strides == (2, 2) for layer in convolutions)
    assert all(layer.negative_slope == pytest.approx(0.2) for layer in of_type(critic, "LeakyReLU"))
    assert critic.layers[-1].units == 1 and critic.layers[-1].activation.__name__ == "linear"
    assert not {"BatchNormalization", "GroupNormalization"} & set(layer_types(critic))
    batch = layer_types(wgan_gp.build_critic(IMAGE_SHAPE, normalization="batch"))
    assert batch.count("BatchNormalization") == 2 and batch[1:3] == ["Conv2D", "LeakyReLU"]
    layer_norms = of_type(wgan_gp.build_critic(IMAGE_SHAPE, normalization="layer"),
                          "GroupNormalization")
    assert len(layer_norms) == 2 and all(layer.groups == 1 for layer in layer_norms)


def test_initialization_follows_the_authors_tflib():
    critic = wgan_gp.build_critic(IMAGE_SHAPE)
    second = of_type(critic, "Conv2D")[1]  # 64 → 128, k5, stride 2
    fan_in, fan_out = 64 * 25, 128 * 25 / 4
    kernel = keras.ops.convert_to_numpy(second.kernel)
    assert kernel.std() == pytest.approx(math.sqrt(4 / (fan_in + fan_out)), rel=0.05)
    assert np.abs(kernel).max() <= math.sqrt(12 / (fan_in + fan_out))
    assert not np.any(keras.ops.convert_to_numpy(second.bias))


def test_32_pixel_images_and_refused_sizes():
    assert wgan_gp.build_generator(128, (32, 32, 3)).output_shape == (None, 32, 32, 3)
    assert "Cropping2D" not in layer_types(wgan_gp.build_generator(128, (32, 32, 3)))
    with pytest.raises(ValueError, match="--image-size 28"):
        wgan_gp.WGANGP(image_shape=(64, 64, 1))


def test_settings_that_cannot_work_are_refused():
    with pytest.raises(ValueError, match="batch normalization"):
        wgan_gp.WGANGP(discriminator=wgan_gp.build_critic(IMAGE_SHAPE, "batch"))
    with pytest.raises(ValueError, match="normalization"):
        wgan_gp.WGANGP(critic_norm="batch")
    with pytest.raises(ValueError, match="n_critic"):
        wgan_gp.WGANGP(n_critic=0)


def test_penalty_of_a_linear_critic_is_the_distance_of_its_norm_to_one():
    model = wgan_gp.WGANGP(latent_dim=8, generator=small_generator(), discriminator=linear_critic(),
                           seed=0)
    expected = (kernel_norm(model.critic) - 1.0) ** 2
    penalty = model.penalty(images(4), images(4, seed=1))
    assert float(keras.ops.convert_to_numpy(penalty)) == pytest.approx(expected, rel=1e-4)


def test_critic_loss_is_wasserstein_loss_plus_weighted_penalty():
    model = wgan_gp.WGANGP(latent_dim=8, n_critic=1, gp_weight=10.0, generator=small_generator(),
                           discriminator=linear_critic(), seed=0)
    model.compile()
    norm_before = kernel_norm(model.critic)
    history = model.fit(images(4), batch_size=4, epochs=1, verbose=0, shuffle=False).history
    # The logged penalty is the one the critic's update was computed from.
    assert history["gradient_penalty"][0] == pytest.approx((norm_before - 1) ** 2, rel=1e-4)
    assert history["d_loss"][0] == pytest.approx(
        -history["wasserstein_estimate"][0] + 10 * history["gradient_penalty"][0], rel=1e-4)


def test_n_critic_updates_on_separate_batches_per_generator_update():
    model = wgan_gp.WGANGP(latent_dim=8, n_critic=3, generator=small_generator(),
                           discriminator=linear_critic(), seed=0)
    model.compile()
    assert model.real_batches_per_step == 3
    # Two steps of 3 batches of 4: six critic updates, two generator updates.
    model.fit(images(24), batch_size=12, epochs=1, verbose=0, shuffle=False)
    assert int(keras.ops.convert_to_numpy(model.d_optimizer.iterations)) == 6
    assert int(keras.ops.convert_to_numpy(model.g_optimizer.iterations)) == 2


def test_trains_one_step_generates_and_round_trips(tmp_path):
    model = wgan_gp.WGANGP(image_shape=IMAGE_SHAPE, n_critic=2, critic_norm="layer", seed=0)
    model.compile()
    assert_trains_one_step(model, images(8), batch_size=8)
    assert_generates(model, IMAGE_SHAPE)
    restored = assert_keras_round_trip(model, str(tmp_path / "wgan_gp.keras"))
    assert (restored.n_critic, restored.gp_weight, restored.critic_norm) == (2, 10.0, "layer")
    assert restored.real_batches_per_step == 2


def test_paper_optimizer_defaults():
    model = wgan_gp.WGANGP(latent_dim=8, generator=small_generator(), discriminator=linear_critic())
    model.compile()
    assert model.n_critic == 5 and model.gp_weight == 10.0 and model.latent_dim == 8
    for optimizer in (model.g_optimizer, model.d_optimizer):
        assert isinstance(optimizer, keras.optimizers.Adam)
        assert float(optimizer.learning_rate) == pytest.approx(1e-4)
        assert optimizer.beta_1 == 0.5 and optimizer.beta_2 == 0.9


def test_command_line_smoke_run(tmp_path):
    code = wgan_gp.main(["--dataset", "shapes", "--image-size", "28", "--smoke", "--n-critic",
                         "1", "--beta-1", "0", "--out", str(tmp_path), "--verbose", "0"])
    assert code == 0
    assert (tmp_path / "checkpoints" / "model.keras").exists()
    restored = keras.saving.load_model(tmp_path / "checkpoints" / "model.keras")
    assert restored.n_critic == 1 and restored.g_optimizer.beta_1 == 0.0


# --- The penalty reaches the critic, and the Wasserstein step's values and directions -------
SMALL_SHAPE = (8, 8, 1)


def wasserstein_adversarial_gradient(w, b, real, fake):
    """∂/∂(w, b) of E[D(G(z))] − E[D(x)] for D(x) = w·x + b."""
    return fake.mean(axis=0) - real.mean(axis=0), 0.0


def test_gradient_penalty_reaches_the_critic():
    fake_image = np.full(SMALL_SHAPE, 0.3, "float32")
    model = wgan_gp.WGANGP(latent_dim=4, image_shape=SMALL_SHAPE, n_critic=1, gp_weight=10.0,
                           generator=step_checks.constant_generator(4, fake_image),
                           discriminator=step_checks.linear_discriminator(SMALL_SHAPE), seed=2)
    step_checks.assert_penalty_reaches_the_critic(
        model, step_checks.real_batch(8, SMALL_SHAPE), fake_image,
        wasserstein_adversarial_gradient,
        lambda w: 2.0 * (np.linalg.norm(w) - 1.0) * w / np.linalg.norm(w), weight=10.0)


def test_wasserstein_step_matches_numpy_and_moves_the_right_way():
    model = wgan_gp.WGANGP(latent_dim=4, image_shape=SMALL_SHAPE, n_critic=1, gp_weight=10.0,
                           generator=step_checks.linear_generator(4, SMALL_SHAPE),
                           discriminator=step_checks.linear_discriminator(SMALL_SHAPE), seed=2)
    w_norm = 0.5  # the linear critic's ‖w‖: its penalty is (‖w‖ − 1)² at every point
    step_checks.assert_step_matches_numpy(
        model, step_checks.real_batch(8, SMALL_SHAPE),
        lambda real, fake, draws: fake.mean() - real.mean() + 10.0 * (w_norm - 1.0) ** 2,
        lambda real, fake, draws: -fake.mean(),
        draws=[("normal", (8, 4)), ("uniform", (8, 1, 1, 1)), ("normal", (8, 4))])
