"""WGAN (Arjovsky et al., 2017): the WGAN-form networks, weight clipping, the critic schedule."""

import math

import keras
import numpy as np
import pytest

from keras_gans import optimizers
from keras_gans import wgan

from model_checks import assert_generates, assert_keras_round_trip, assert_trains_one_step
from model_checks import layer_types

IMAGE_SHAPE = (28, 28, 1)


def images(count, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (count,) + IMAGE_SHAPE).astype("float32")


def small_networks(latent_dim=8):
    """A cheap generator (fc → tanh) and linear critic for schedule tests."""
    latent = keras.Input((latent_dim,))
    fake = keras.layers.Reshape(IMAGE_SHAPE)(keras.layers.Dense(784, activation="tanh")(latent))
    inputs = keras.Input(IMAGE_SHAPE)
    scores = keras.layers.Dense(1)(keras.layers.Flatten()(inputs))
    return dict(generator=keras.Model(latent, fake), discriminator=keras.Model(inputs, scores))


def iterations(optimizer):
    return int(keras.ops.convert_to_numpy(optimizer.iterations))


def authors_generator_steps(critic_iterations, n_critic, warmup_critic_iterations=100,
                            warmup_generator_steps=25, warmup_interval=500):
    """Generator steps martinarjovsky/WassersteinGAN's loop makes within so many critic steps.

    Its loop: Diters = 100 if gen_iterations < 25 or gen_iterations % 500 == 0 else n_critic
    critic iterations, then one generator step. Here each fit() step runs n_critic critic
    iterations, so Diters is rounded up to a multiple of n_critic.
    """
    generator_steps = 0
    while True:
        warming_up = (generator_steps < warmup_generator_steps
                      or generator_steps % warmup_interval == 0)
        needed = warmup_critic_iterations if warming_up else n_critic
        needed = math.ceil(needed / n_critic) * n_critic
        if needed > critic_iterations:
            return generator_steps
        critic_iterations -= needed
        generator_steps += 1


def test_networks_are_b_dc28_in_wgan_form():
    model = wgan.WGAN(image_shape=IMAGE_SHAPE)
    generator_types = layer_types(model.generator)
    # Batch norm after G's fc layer and its first two transposed convolutions.
    assert generator_types.count("BatchNormalization") == 3
    assert generator_types[-2:] == ["Conv2DTranspose", "Activation"]
    critic_types = layer_types(model.critic)
    # ... and after the critic's second and third convolutions; the critic's output is linear.
    assert critic_types.count("BatchNormalization") == 2
    assert critic_types[1:3] == ["Conv2D", "LeakyReLU"]
    assert model.critic.layers[-1].activation.__name__ == "linear"
    for layer in model.generator.layers + model.critic.layers:
        if type(layer).__name__ == "BatchNormalization":
            assert layer.epsilon == 1e-5 and layer.momentum == 0.9
    assert model.critic is model.discriminator


def test_trains_one_step_clips_every_critic_variable_and_round_trips(tmp_path):
    model = wgan.WGAN(image_shape=IMAGE_SHAPE, n_critic=1, critic_warmup=False, seed=0)
    model.compile()
    assert_trains_one_step(model, images(8), batch_size=8)
    assert iterations(model.d_optimizer) == 1 and iterations(model.g_optimizer) == 1
    for variable in model.critic.trainable_variables:
        assert np.abs(keras.ops.convert_to_numpy(variable)).max() <= 0.01 + 1e-7, variable.path
    gammas = [keras.ops.convert_to_numpy(layer.gamma) for layer in model.critic.layers
              if type(layer).__name__ == "BatchNormalization"]
    assert np.concatenate(gammas).min() > 0.009  # γ starts at 1: clipped too
    generator_gammas = [keras.ops.convert_to_numpy(layer.gamma)
                        for layer in model.generator.layers
                        if type(layer).__name__ == "BatchNormalization"]
    assert np.abs(np.concatenate(generator_gammas)).min() > 0.5  # the generator is not clipped
    assert_generates(model, IMAGE_SHAPE)
    restored = assert_keras_round_trip(model, str(tmp_path / "wgan.keras"))
    assert (restored.clip_value, restored.critic_warmup, restored.n_critic) == (0.01, False, 1)


@pytest.mark.parametrize("fit_steps", [19, 20])
def test_default_warmup_gives_100_critic_iterations_before_the_first_generator_step(fit_steps):
    model = wgan.WGAN(latent_dim=8, **small_networks(), seed=0)
    model.compile()
    model.fit(images(10 * fit_steps), batch_size=10, epochs=1, verbose=0, shuffle=False)
    assert iterations(model.d_optimizer) == 5 * fit_steps
    expected = authors_generator_steps(5 * fit_steps, 5)
    assert expected == (1 if fit_steps == 20 else 0)
    assert iterations(model.g_optimizer) == expected


def test_warmup_schedule_matches_the_authors_loop(tmp_path):
    schedule = dict(warmup_critic_iterations=6, warmup_generator_steps=2, warmup_interval=4)
    model = wgan.WGAN(latent_dim=8, n_critic=2, **schedule, **small_networks(), seed=0)
    model.compile()
    expected = []
    for steps in range(1, 15):
        model.fit(images(4), batch_size=4, epochs=1, verbose=0, shuffle=False)
        expected.append(authors_generator_steps(2 * steps, 2, **schedule))
        assert iterations(model.g_optimizer) == expected[-1]
    # Warm-up for the first 2 generator steps and again at the 4th: 3 fit steps each.
    assert expected == [0, 0, 1, 1, 1, 2, 3, 4, 4, 4, 5, 6, 7, 8]
    # The critic iterations owed to the generator are saved with the model.
    model.fit(images(4), batch_size=4, epochs=1, verbose=0, shuffle=False)
    model.save(tmp_path / "wgan.keras")
    restored = keras.saving.load_model(tmp_path / "wgan.keras")
    assert int(keras.ops.convert_to_numpy(restored.critic_iterations)) == 2
    assert restored.warmup_critic_iterations == 6


def test_without_warmup_the_generator_trains_every_step():
    model = wgan.WGAN(latent_dim=8, critic_warmup=False, **small_networks(), seed=0)
    model.compile()
    model.fit(images(30), batch_size=10, epochs=1, verbose=0, shuffle=False)
    assert iterations(model.d_optimizer) == 15 and iterations(model.g_optimizer) == 3


def test_paper_optimizer_defaults():
    model = wgan.WGAN(latent_dim=8, **small_networks())
    model.compile()
    assert model.n_critic == 5 and model.clip_value == 0.01 and model.critic_warmup
    for optimizer in (model.g_optimizer, model.d_optimizer):
        assert isinstance(optimizer, optimizers.RMSprop)
        assert float(optimizer.learning_rate) == pytest.approx(5e-5)
        assert optimizer.momentum == 0.0


def torch_rmsprop(parameter, gradients, learning_rate, alpha=0.99, epsilon=1e-8, momentum=0.0,
                  centered=False):
    """NumPy transcription of torch.optim.RMSprop's update, ε outside the square root."""
    square_average = np.zeros_like(parameter)
    gradient_average = np.zeros_like(parameter)
    buffer = np.zeros_like(parameter)
    for gradient in gradients:
        square_average = alpha * square_average + (1 - alpha) * gradient**2
        average = square_average
        if centered:
            gradient_average = alpha * gradient_average + (1 - alpha) * gradient
            average = square_average - gradient_average**2
        step = gradient / (np.sqrt(average) + epsilon)
        if momentum > 0:
            buffer = momentum * buffer + step
            step = buffer
        parameter = parameter - learning_rate * step
    return parameter


@pytest.mark.parametrize("options", [{}, {"momentum": 0.5, "centered": True}])
def test_rmsprop_matches_pytorch_epsilon_semantics(options):
    rng = np.random.default_rng(0)
    start = rng.normal(size=(5,))
    # Tiny gradients, where ε inside or outside the square root makes the difference.
    gradients = [rng.normal(size=(5,)) * 1e-6 for _ in range(3)]
    variable = keras.Variable(start.astype("float32"))
    optimizer = optimizers.RMSprop(0.01, rho=0.99, epsilon=1e-8, **options)
    for gradient in gradients:
        optimizer.apply([keras.ops.convert_to_tensor(gradient.astype("float32"))], [variable])
    expected = torch_rmsprop(start, gradients, 0.01, epsilon=1e-8, **options)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(variable), expected, rtol=1e-5)
    restored = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    assert type(restored) is optimizers.RMSprop and restored.epsilon == 1e-8


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="clip_value"):
        wgan.WGAN(clip_value=0.0)
    with pytest.raises(ValueError, match="warmup_interval"):
        wgan.WGAN(warmup_interval=0)


def test_command_line_smoke_run(tmp_path):
    code = wgan.main(["--dataset", "shapes", "--image-size", "28", "--smoke", "--n-critic", "1",
                      "--no-critic-warmup", "--out", str(tmp_path), "--verbose", "0"])
    assert code == 0
    restored = keras.saving.load_model(tmp_path / "checkpoints" / "model.keras")
    assert restored.critic_warmup is False and restored.n_critic == 1
    assert iterations(restored.g_optimizer) == 2
