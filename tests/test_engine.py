"""The engine: one step on every backend, input gradients, saving, exact resume, replicas."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from keras import layers

from keras_gans import engine
from keras_gans import gan
from keras_gans import losses

from conftest import BACKEND

IMAGE_SHAPE = (8, 8, 1)


def small_gan(seed=3, batch_norm=True):
    """A GAN small enough for unit tests (optionally with batch statistics)."""
    generator_layers = [keras.Input((4,)), layers.Dense(32)]
    if batch_norm:
        generator_layers.append(layers.BatchNormalization())
    generator_layers += [layers.ReLU(), layers.Dense(64, activation="tanh"),
                         layers.Reshape(IMAGE_SHAPE)]
    generator = keras.Sequential(generator_layers, name="generator")
    discriminator = keras.Sequential(
        [keras.Input(IMAGE_SHAPE), layers.Flatten(), layers.Dense(16), layers.LeakyReLU(0.2),
         layers.Dense(1)], name="discriminator")
    model = gan.GAN(latent_dim=4, image_shape=IMAGE_SHAPE, generator=generator,
                    discriminator=discriminator, seed=seed)
    model.compile()
    return model


def images(count=64, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (count,) + IMAGE_SHAPE).astype("float32")


def numpy_state(model):
    """Every variable of the model and its optimizers, as NumPy arrays."""
    variables = list(model.variables) + list(model.optimizer.variables)
    return [keras.ops.convert_to_numpy(v) for v in variables]


def iterations(optimizer):
    return int(keras.ops.convert_to_numpy(optimizer.iterations))


def test_backend_is_the_requested_one():
    assert BACKEND == os.environ.get("KERAS_BACKEND", "tensorflow")


def test_one_step_updates_both_players():
    model = small_gan()
    discriminator_before = [keras.ops.convert_to_numpy(v)
                            for v in model.discriminator.trainable_variables]
    generator_before = [keras.ops.convert_to_numpy(v) for v in model.generator.trainable_variables]
    history = model.fit(images(16), batch_size=16, epochs=1, verbose=0)
    assert set(history.history) == {"d_loss", "g_loss"}
    assert all(np.isfinite(history.history[key][0]) for key in history.history)
    assert iterations(model.d_optimizer) == 1 and iterations(model.g_optimizer) == 1
    for before, network in ((discriminator_before, model.discriminator),
                            (generator_before, model.generator)):
        for old, variable in zip(before, network.trainable_variables, strict=True):
            assert not np.allclose(old, keras.ops.convert_to_numpy(variable))


def test_optimizer_group_holds_every_player_slot_and_nothing_else():
    model = small_gan()
    group = model.optimizer
    assert isinstance(group, engine.OptimizerGroup)
    # Its own training-step count, then every player's variables.
    expected = 1 + len(model.d_optimizer.variables) + len(model.g_optimizer.variables)
    assert len(group.variables) == expected and group.variables[0] is group.iterations
    # Adam: iterations + learning rate + two slots per trainable variable.
    discriminator_count = len(model.discriminator.trainable_variables)
    assert len(model.d_optimizer.variables) == 2 + 2 * discriminator_count


class PenaltyOnly(engine.GAN):
    """A critic x·w trained only on the gradient penalty (‖∇ₓ(x·w)‖ − 1)² = (‖w‖ − 1)²."""

    loss_names = ("penalty",)

    def __init__(self, **kwargs):
        super().__init__(seed=0, **kwargs)
        self.critic = keras.Sequential(
            [keras.Input((3,)), layers.Dense(1, use_bias=False,
                                             kernel_initializer=keras.initializers.Constant(2.0))])
        self.finish_init()

    def compile(self, c_optimizer=None, **kwargs):
        self.compile_players(
            {"c_optimizer": (c_optimizer or keras.optimizers.SGD(0.1),
                             self.critic.trainable_variables)}, **kwargs)

    def gan_step(self, data):
        def penalty():
            gradients = self.input_gradients(lambda x: self.critic(x), data)
            return losses.gradient_penalty(gradients)

        return self.track(penalty=self.minimize(penalty, self.critic.trainable_variables,
                                                self.c_optimizer))


def test_input_gradients_reach_the_critic_weights():
    model = PenaltyOnly()
    model.compile()
    model.fit(np.ones((4, 3), "float32"), batch_size=4, epochs=1, verbose=0)
    weights = np.full(3, 2.0)
    norm = np.linalg.norm(weights)
    expected = weights - 0.1 * 2 * (norm - 1) * weights / norm
    kernel = keras.ops.convert_to_numpy(model.critic.trainable_variables[0])[:, 0]
    np.testing.assert_allclose(kernel, expected, rtol=1e-5)


def test_keras_file_restores_weights_both_optimizers_and_noise(tmp_path):
    model = small_gan()
    model.fit(images(32), batch_size=16, epochs=1, verbose=0)
    path = str(tmp_path / "model.keras")
    model.save(path)
    restored = keras.saving.load_model(path)
    assert type(restored) is gan.GAN
    assert iterations(restored.d_optimizer) == 2 and iterations(restored.g_optimizer) == 2
    for saved, loaded in zip(numpy_state(model), numpy_state(restored), strict=True):
        np.testing.assert_array_equal(saved, loaded)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(model.seed_generator.state),
        keras.ops.convert_to_numpy(restored.seed_generator.state))


def test_resumed_training_continues_exactly(tmp_path):
    data = images(64)
    keras.utils.set_random_seed(0)
    uninterrupted = small_gan()
    initial = uninterrupted.get_weights()
    interrupted = small_gan()
    interrupted.set_weights(initial)
    uninterrupted.fit(data, batch_size=16, epochs=2, shuffle=False, verbose=0)

    interrupted.fit(data, batch_size=16, epochs=1, shuffle=False, verbose=0)
    path = str(tmp_path / "model.keras")
    interrupted.save(path)
    resumed = keras.saving.load_model(path)
    resumed.fit(data, batch_size=16, epochs=2, initial_epoch=1, shuffle=False, verbose=0)

    for expected, actual in zip(numpy_state(uninterrupted), numpy_state(resumed), strict=True):
        np.testing.assert_allclose(expected, actual, rtol=1e-5, atol=1e-6)


def test_unknown_strategy_is_refused():
    with pytest.raises(ValueError, match="Unknown strategy"):
        engine.distribution_scope("everywhere")


@pytest.mark.skipif(BACKEND == "torch", reason="data parallel training runs on TF and JAX")
def test_two_replicas_match_one_replica():
    environment = dict(os.environ)
    environment["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    environment["PYTHONPATH"] = root + os.pathsep + environment.get("PYTHONPATH", "")
    result = subprocess.run(
        [sys.executable, os.path.join(root, "tests", "replica_check.py")],
        env=environment, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "devices=2" in result.stdout


class ConditionalStep(engine.GAN):
    """Updates a weight w by SGD on w² only when the batch's first value is positive."""

    loss_names = ("loss",)

    def __init__(self, **kwargs):
        super().__init__(seed=0, **kwargs)
        self.weight = keras.Variable(1.0, name="weight")
        self.finish_init()

    def compile(self, **kwargs):
        self.compile_players({"w_optimizer": (keras.optimizers.Adam(0.1), [self.weight])},
                             **kwargs)

    def gan_step(self, data):
        enabled = data[0, 0] > 0
        loss = self.minimize(lambda: keras.ops.square(self.weight.value * 1.0), [self.weight],
                             self.w_optimizer, enabled=enabled)
        return self.track(loss=loss)


def test_disabled_minimize_changes_neither_variables_nor_optimizer_state():
    model = ConditionalStep()
    model.compile()
    model.fit(np.array([[-1.0], [-1.0]], "float32"), batch_size=1, epochs=1, verbose=0)
    assert float(keras.ops.convert_to_numpy(model.weight)) == 1.0
    assert iterations(model.w_optimizer) == 0
    model.fit(np.array([[1.0], [-1.0]], "float32"), batch_size=1, epochs=1, verbose=0)
    assert float(keras.ops.convert_to_numpy(model.weight)) == pytest.approx(0.9, abs=1e-4)
    assert iterations(model.w_optimizer) == 1


def test_split_real_batches_and_clip_variables():
    model = small_gan()
    parts = model.split_real_batches(keras.ops.arange(12), 3)
    assert [keras.ops.convert_to_numpy(part).tolist() for part in parts] == [
        [0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]
    variable = keras.Variable(np.array([-1.0, 0.005, 2.0], "float32"))
    model.clip_variables([variable], 0.01)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(variable), [-0.01, 0.005, 0.01])
