"""WGAN-div (Wu et al., 2018): the k·E‖∇D‖^p penalty at both kinds of points, defaults, saving."""

import keras
import numpy as np
import pytest

from keras_gans import wgan_div
from keras_gans import wgan_gp

import step_checks
from model_checks import assert_generates, assert_keras_round_trip, assert_trains_one_step
from model_checks import layer_types

IMAGE_SHAPE = (28, 28, 1)


def images(count, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    return (scale * rng.uniform(-1, 1, (count,) + IMAGE_SHAPE)).astype("float32")


def small_generator(latent_dim=8):
    latent = keras.Input((latent_dim,))
    x = keras.layers.Dense(28 * 28, activation="tanh")(latent)
    return keras.Model(latent, keras.layers.Reshape(IMAGE_SHAPE)(x))


def linear_critic():
    """D(x) = w·x + b: ‖∇D‖ = ‖w‖ at every point."""
    inputs = keras.Input(IMAGE_SHAPE)
    return keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Flatten()(inputs)))


def quadratic_critic():
    """D(x) = ½‖x‖²: ∇D(x) = x, so the penalty depends on where it is taken."""
    inputs = keras.Input(IMAGE_SHAPE)
    scores = keras.layers.Lambda(
        lambda x: 0.5 * keras.ops.sum(keras.ops.square(x), axis=(1, 2, 3))[:, None])(inputs)
    return keras.Model(inputs, scores)


def mean_norm_power(batch, power=6):
    return np.mean(np.linalg.norm(batch.reshape(len(batch), -1), axis=1) ** power)


def as_float(value):
    return float(keras.ops.convert_to_numpy(value))


def test_networks_have_no_normalization():
    model = wgan_div.WGANDiv(image_shape=IMAGE_SHAPE)
    for network in (model.generator, model.critic):
        assert not {"BatchNormalization", "GroupNormalization"} & set(layer_types(network))
    assert model.critic.layers[-1].activation.__name__ == "linear"
    assert model.generator.output_shape == (None,) + IMAGE_SHAPE
    with pytest.raises(ValueError, match="batch normalization"):
        wgan_div.WGANDiv(discriminator=wgan_gp.build_critic(IMAGE_SHAPE, "batch"))
    # The fix names WGAN-div's own way out: it has no critic_norm argument.
    with pytest.raises(ValueError, match=r"WGAN-div.*build_critic\(image_shape, "
                                         r"normalization='layer'\)"):
        wgan_div.WGANDiv(discriminator=wgan_gp.build_critic(IMAGE_SHAPE, "batch"))
    with pytest.raises(ValueError, match="penalty_points"):
        wgan_div.WGANDiv(penalty_points="real")


def test_penalty_at_interpolates_and_at_real_and_fake_points():
    real, fake = images(4, scale=0.05), images(4, seed=1, scale=0.04)
    # Interpolates between identical real and fake images are those images, whatever α.
    model = wgan_div.WGANDiv(latent_dim=8, generator=small_generator(),
                             discriminator=quadratic_critic(), seed=0)
    assert as_float(model.penalty(real, real)) == pytest.approx(mean_norm_power(real), rel=1e-4)
    # real_fake: ½(E‖∇D(x)‖^p + E‖∇D(G(z))‖^p), i.e. k/2 on each.
    model = wgan_div.WGANDiv(latent_dim=8, penalty_points="real_fake",
                             generator=small_generator(), discriminator=quadratic_critic())
    expected = 0.5 * (mean_norm_power(real) + mean_norm_power(fake))
    assert as_float(model.penalty(real, fake)) == pytest.approx(expected, rel=1e-4)


def test_training_step_adds_k_times_the_penalty():
    model = wgan_div.WGANDiv(latent_dim=8, n_critic=1, generator=small_generator(),
                             discriminator=linear_critic(), seed=0)
    model.compile()
    norm = float(np.linalg.norm(keras.ops.convert_to_numpy(model.critic.layers[-1].kernel)))
    history = model.fit(images(4), batch_size=4, epochs=1, verbose=0).history
    assert history["gradient_penalty"][0] == pytest.approx(norm**6, rel=1e-4)
    assert history["d_loss"][0] == pytest.approx(
        -history["wasserstein_estimate"][0] + 2.0 * history["gradient_penalty"][0], rel=1e-4)


def test_trains_one_step_generates_and_round_trips(tmp_path):
    model = wgan_div.WGANDiv(image_shape=IMAGE_SHAPE, n_critic=2, penalty_points="real_fake",
                             seed=0)
    model.compile()
    assert_trains_one_step(model, images(8), batch_size=8)
    assert int(keras.ops.convert_to_numpy(model.d_optimizer.iterations)) == 2
    assert_generates(model, IMAGE_SHAPE)
    restored = assert_keras_round_trip(model, str(tmp_path / "wgan_div.keras"))
    assert (restored.penalty_points, restored.penalty_weight, restored.penalty_power) == (
        "real_fake", 2.0, 6.0)


def test_paper_defaults():
    model = wgan_div.WGANDiv(latent_dim=8, generator=small_generator(),
                             discriminator=linear_critic())
    model.compile()
    assert (model.n_critic, model.penalty_weight, model.penalty_power) == (4, 2.0, 6.0)
    assert model.penalty_points == "interpolates"
    for optimizer in (model.g_optimizer, model.d_optimizer):
        assert isinstance(optimizer, keras.optimizers.Adam)
        assert float(optimizer.learning_rate) == pytest.approx(2e-4)
        assert optimizer.beta_1 == 0.0 and optimizer.beta_2 == 0.9


def test_command_line_smoke_run(tmp_path):
    code = wgan_div.main(["--dataset", "shapes", "--image-size", "28", "--smoke", "--n-critic",
                          "1", "--penalty-points", "real_fake", "--out", str(tmp_path),
                          "--verbose", "0"])
    assert code == 0
    restored = keras.saving.load_model(tmp_path / "checkpoints" / "model.keras")
    assert restored.penalty_points == "real_fake" and restored.n_critic == 1


# --- The penalty reaches the critic ---------------------------------------------------------
SMALL_SHAPE = (8, 8, 1)


@pytest.mark.parametrize("penalty_points", ["interpolates", "real_fake"])
def test_divergence_penalty_reaches_the_critic(penalty_points):
    fake_image = np.full(SMALL_SHAPE, 0.3, "float32")
    model = wgan_div.WGANDiv(latent_dim=4, image_shape=SMALL_SHAPE, n_critic=1,
                             penalty_weight=2.0, penalty_power=6.0, penalty_points=penalty_points,
                             generator=step_checks.constant_generator(4, fake_image),
                             discriminator=step_checks.linear_discriminator(SMALL_SHAPE, norm=1.5),
                             seed=2)
    step_checks.assert_penalty_reaches_the_critic(
        model, step_checks.real_batch(8, SMALL_SHAPE), fake_image,
        lambda w, b, real, fake: (fake.mean(axis=0) - real.mean(axis=0), 0.0),
        lambda w: 6.0 * np.linalg.norm(w) ** 4 * w, weight=2.0)  # ∂‖w‖⁶/∂w
