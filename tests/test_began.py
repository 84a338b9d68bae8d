"""BEGAN (Berthelot et al., 2017): the paper's networks, the k_t controller, saving, the CLI."""

import json
import os

import keras
import numpy as np
import pytest

from keras_gans import began

from model_checks import assert_generates, assert_keras_round_trip, assert_trains_one_step
from model_checks import layer_types

IMAGE_SHAPE = (32, 32, 1)
SMALL = dict(filters=8, hidden_dim=8)  # the paper's layout at a width that trains fast
TINY_SHAPE = (16, 16, 1)  # two scales: the quickest model to compile


def real_images(count=4, image_shape=IMAGE_SHAPE):
    return np.random.default_rng(0).uniform(-1, 1, (count,) + image_shape).astype("float32")


def convolutions(network):
    return [layer for layer in network.layers if type(layer).__name__ == "Conv2D"]


def test_networks_follow_the_paper_at_32_pixels():
    n = 64
    discriminator = began.build_discriminator(IMAGE_SHAPE, filters=n, hidden_dim=64)
    # Encoder: c_n, then [c, c, c s2] at widths n, 2n (32 → 16 → 8), [c, c] at 3n; decoder: n.
    widths = [layer.filters for layer in convolutions(discriminator)]
    assert widths == [n, n, n, n, 2 * n, 2 * n, 2 * n, 3 * n, 3 * n] + [n] * 6 + [1]
    strides = [layer.strides[0] for layer in convolutions(discriminator)]
    assert [index for index, stride in enumerate(strides) if stride == 2] == [3, 6]
    assert all(layer.kernel_size == (3, 3) for layer in convolutions(discriminator))
    assert all(layer.activation.__name__ == "elu" for layer in convolutions(discriminator)[:-1])
    assert [layer.units for layer in discriminator.layers if hasattr(layer, "units")] == [
        64, 8 * 8 * n]
    types = layer_types(discriminator)
    assert "BatchNormalization" not in types
    assert types.count("UpSampling2D") == 2
    assert discriminator.output_shape == (None,) + IMAGE_SHAPE
    assert convolutions(discriminator)[-1].activation.__name__ == "linear"

    generator = began.build_generator(64, IMAGE_SHAPE, filters=n)
    assert generator.input_shape == (None, 64)
    assert [layer.filters for layer in convolutions(generator)] == [n] * 6 + [1]
    assert "BatchNormalization" not in layer_types(generator)
    assert generator.layers[-1].activation.__name__ == "tanh"


def test_scales_follow_the_image_size():
    discriminator = began.build_discriminator((64, 64, 3), **SMALL)
    assert sum(layer.strides[0] == 2 for layer in convolutions(discriminator)) == 3
    assert layer_types(discriminator).count("UpSampling2D") == 3
    assert discriminator.output_shape == (None, 64, 64, 3)


def test_skip_connections_concatenate_the_first_map_at_every_later_scale():
    generator = began.build_generator(64, IMAGE_SHAPE, filters=8, skip=True)
    concatenations = [layer for layer in generator.layers
                      if type(layer).__name__ == "Concatenate"]
    assert [layer.output.shape[1:] for layer in concatenations] == [(16, 16, 16), (32, 32, 16)]


@pytest.mark.parametrize("architecture, image_shape", [
    ("paper", (28, 28, 1)), ("paper", (32, 16, 1)), ("paper", (8, 8, 1)),
    ("compact", (30, 30, 1))])
def test_unsupported_sizes_are_refused_with_a_fix(architecture, image_shape):
    with pytest.raises(ValueError, match="--image-size"):
        began.BEGAN(image_shape=image_shape, architecture=architecture)


@pytest.mark.parametrize("options", [dict(gamma=0.0), dict(gamma=1.5), dict(lambda_k=-1.0)])
def test_bad_hyper_parameters_are_refused(options):
    with pytest.raises(ValueError, match="Received"):
        began.BEGAN(**options)


def test_latent_is_uniform():
    model = began.BEGAN(image_shape=IMAGE_SHAPE, **SMALL)
    inputs = model.sample_inputs(256, seed=0)
    assert inputs.shape == (256, 64)
    assert inputs.min() >= -1.0 and inputs.max() <= 1.0 and inputs.min() < -0.9


def reconstruction_loss(model, images):
    reconstructions = keras.ops.convert_to_numpy(model.discriminator(images, training=False))
    return float(np.mean(np.abs(images - reconstructions)))


def test_one_step_moves_k_by_the_equilibrium_update_and_k_is_saved(tmp_path):
    gamma, lambda_k = 0.7, 0.1
    model = began.BEGAN(image_shape=TINY_SHAPE, gamma=gamma, lambda_k=lambda_k, skip=True,
                        architecture="paper", seed=0, filters=4, hidden_dim=4)
    model.compile()
    assert float(model.k) == 0.0
    assert any(variable is model.k for variable in model.non_trainable_variables)
    model.k.assign(0.5)
    images = real_images(image_shape=TINY_SHAPE)
    logs = {name: values[-1] for name, values in assert_trains_one_step(
        model, images, batch_size=4).history.items()}
    # L(x) is measured by the updated discriminator, which the step leaves as it is now.
    real_loss, fake_loss = reconstruction_loss(model, images), logs["g_loss"]
    expected_k = np.clip(0.5 + lambda_k * (gamma * real_loss - fake_loss), 0.0, 1.0)
    assert float(model.k) == pytest.approx(expected_k, abs=1e-5)
    assert float(model.k) != 0.5
    assert logs["k"] == pytest.approx(expected_k, abs=1e-5)
    assert logs["convergence"] == pytest.approx(
        real_loss + abs(gamma * real_loss - fake_loss), abs=1e-5)
    assert_generates(model, TINY_SHAPE)
    # k_t is saved in .keras files, with the configuration and every optimizer slot.
    model.k.assign(0.375)
    restored = assert_keras_round_trip(model, str(tmp_path / "began.keras"))
    assert float(restored.k) == 0.375
    assert (restored.gamma, restored.lambda_k, restored.skip, restored.filters,
            restored.architecture, restored.generator_first) == (
        gamma, lambda_k, True, 4, "paper", True)


def doubling_autoencoder():
    """A "reconstruction" 2v: L(v) = mean |v|, whose gradient the path through D flips."""
    images = keras.Input(TINY_SHAPE)
    return keras.Model(images, keras.layers.Rescaling(2.0)(images), name="discriminator")


@pytest.mark.parametrize("architecture, discriminator", [
    ("paper", None), ("compact", None), ("paper", doubling_autoencoder)],
    ids=["paper_autoencoder", "compact_autoencoder", "doubling_autoencoder"])
def test_generator_step_follows_the_gradient_through_the_autoencoder(architecture,
                                                                    discriminator):
    # One SGD step of rate 1 on L(G(z)) moves the generator by minus its gradient; the
    # gradient must include the path through D(G(z)), checked by central differences.
    keras.utils.set_random_seed(0)
    model = began.BEGAN(latent_dim=8, image_shape=TINY_SHAPE, filters=4, hidden_dim=4, seed=0,
                        architecture=architecture,
                        discriminator=discriminator and discriminator())
    model.compile()
    latent = np.random.default_rng(1).uniform(-1, 1, (4, 8)).astype("float32")
    variables = model.generator.trainable_variables
    before = [keras.ops.convert_to_numpy(variable.value) for variable in variables]

    def loss_at(values):
        for variable, value in zip(variables, values, strict=True):
            variable.assign(value)
        images = model.generator(latent, training=True)
        return float(keras.ops.convert_to_numpy(model.reconstruction_loss(images)))

    loss_at(before)
    model.minimize(lambda: model.reconstruction_loss(model.generator(latent, training=True)),
                   variables, keras.optimizers.SGD(1.0))
    gradients = [old - keras.ops.convert_to_numpy(variable.value)
                 for old, variable in zip(before, variables, strict=True)]
    # Along the unit gradient direction the directional derivative is the gradient's norm.
    norm = np.sqrt(sum(float(np.sum(np.square(gradient))) for gradient in gradients))
    # A short step: batch statistics over 4 images bend the loss within 1e-3 of the weights.
    step = 1e-4 / norm
    numeric = (loss_at([b + step * g for b, g in zip(before, gradients, strict=True)])
               - loss_at([b - step * g for b, g in zip(before, gradients, strict=True)])) / (2e-4)
    assert norm > 0
    assert numeric == pytest.approx(norm, rel=0.05)


def test_default_configuration_is_the_one_that_learns_digits():
    model = began.BEGAN(image_shape=IMAGE_SHAPE, **SMALL)
    assert (model.architecture, model.gamma, model.generator_first) == ("compact", 0.75, True)
    model.compile()
    for optimizer in (model.g_optimizer, model.d_optimizer):
        assert float(optimizer.learning_rate) == pytest.approx(2e-4)
        assert optimizer.beta_1 == 0.5 and optimizer.beta_2 == 0.999


def test_learning_rates_halve_when_the_convergence_measure_stalls():
    model = began.BEGAN(image_shape=IMAGE_SHAPE, **SMALL)
    model.compile()
    callback = began.HalveLearningRateOnPlateau(patience=2)
    callback.set_model(model)
    for epoch, convergence in enumerate([0.30, 0.25, 0.249, 0.26]):
        callback.on_epoch_end(epoch, {"convergence": convergence})
    for optimizer in (model.g_optimizer, model.d_optimizer):
        assert float(optimizer.learning_rate) == pytest.approx(1e-4)


def test_command_line_smoke_run(tmp_path):
    assert began.main(["--dataset", "shapes", "--image-size", "16", "--smoke", "--filters", "8",
                       "--out", str(tmp_path), "--verbose", "0"]) == 0
    assert os.path.exists(tmp_path / "checkpoints" / "model.keras")


def test_command_line_halves_learning_rates_and_saves_them(tmp_path, monkeypatch):
    # A plateau callback that never sees an improvement halves at every epoch (patience 1);
    # it runs before the checkpoint, so the saved optimizers carry the halved rates.
    class NeverImproves(began.HalveLearningRateOnPlateau):
        def __init__(self, **kwargs):
            super().__init__(**dict(kwargs, min_delta=10.0))

    monkeypatch.setattr(began, "HalveLearningRateOnPlateau", NeverImproves)
    assert began.main(["--dataset", "shapes", "--image-size", "16", "--filters", "8",
                       "--hidden-dim", "8", "--epochs", "2", "--steps-per-epoch", "1",
                       "--batch-size", "8", "--limit", "16", "--lr-patience", "1",
                       "--out", str(tmp_path), "--verbose", "0"]) == 0
    restored = keras.saving.load_model(tmp_path / "checkpoints" / "model.keras")
    for optimizer in (restored.g_optimizer, restored.d_optimizer):
        assert float(optimizer.learning_rate) == pytest.approx(5e-5)


def test_learning_rate_patience_is_checked(tmp_path):
    assert began.main(["--dataset", "shapes", "--smoke", "--lr-patience", "-1",
                       "--out", str(tmp_path), "--verbose", "0"]) == 2
    assert not os.path.exists(tmp_path / "config.json")


def batch_normalization_epsilons(network):
    return [layer.epsilon for layer in network.layers
            if type(layer).__name__ == "BatchNormalization"]


def test_compact_networks_have_pytorch_gans_layout_and_sizes():
    # PyTorch-GAN's BEGAN at 32 px with z of 62: 738,689 generator and 1,099,041
    # discriminator parameters; batch normalization ε 0.8 where it passes 0.8.
    generator = began.build_compact_generator(62, IMAGE_SHAPE)
    discriminator = began.build_compact_discriminator(IMAGE_SHAPE)
    assert (generator.count_params() - 640, discriminator.count_params() - 32_832) == (
        738_689, 1_099_041)  # less the moving statistics of batch normalization
    assert generator.output_shape == discriminator.output_shape == (None,) + IMAGE_SHAPE
    assert batch_normalization_epsilons(generator) == [1e-5, 0.8, 0.8]
    assert batch_normalization_epsilons(discriminator) == [0.8, 1e-5]
    assert [layer.units for layer in discriminator.layers if hasattr(layer, "units")] == [
        32, 64 * 16 * 16]
    assert convolutions(discriminator)[0].strides == (2, 2)
    assert generator.layers[-1].activation.__name__ == "tanh"
    model = began.BEGAN(image_shape=IMAGE_SHAPE, architecture="compact")
    assert model.hidden_dim == 32
    with pytest.raises(ValueError, match="skip"):
        began.BEGAN(architecture="compact", skip=True)
    with pytest.raises(ValueError, match="architecture"):
        began.BEGAN(architecture="wide")


@pytest.mark.parametrize("generator_first", [False, True])
def test_update_order_and_the_fakes_the_discriminator_sees(generator_first):
    # Generator first, the discriminator's step then reconstructs the generator step's own
    # fakes before either network has moved again: its L(G(z)) is the logged g_loss, so
    # d_loss = L(x) − k·g_loss with L(x) of the untouched discriminator. Discriminator first,
    # with its own noise, it is not.
    model = began.BEGAN(image_shape=TINY_SHAPE, filters=4, hidden_dim=4, seed=0,
                        generator_first=generator_first)
    model.compile()
    model.k.assign(0.5)
    images = real_images(image_shape=TINY_SHAPE)
    real_loss = float(keras.ops.convert_to_numpy(model.reconstruction_loss(images)))
    logs = {name: values[-1] for name, values in model.fit(
        images, batch_size=4, epochs=1, verbose=0, shuffle=False).history.items()}
    matches = logs["d_loss"] == pytest.approx(real_loss - 0.5 * logs["g_loss"], abs=1e-5)
    assert matches == generator_first


def test_files_saved_before_the_compact_default_load_as_the_papers_networks():
    model = began.BEGAN(image_shape=TINY_SHAPE, architecture="paper", generator_first=False,
                        filters=4, hidden_dim=4)
    config = model.get_config()
    del config["architecture"], config["generator_first"]
    restored = began.BEGAN.from_config(config)
    assert (restored.architecture, restored.generator_first) == ("paper", False)
    assert restored.discriminator.count_params() == model.discriminator.count_params()


def test_resuming_a_run_saved_before_the_compact_default_keeps_its_settings(tmp_path):
    # A run of the paper's configuration whose settings, like those of runs started before
    # --architecture and --update-order existed, do not name them.
    common = ["--dataset", "shapes", "--image-size", "16", "--filters", "8", "--hidden-dim",
              "8", "--steps-per-epoch", "1", "--batch-size", "8", "--limit", "16",
              "--out", str(tmp_path), "--verbose", "0"]
    assert began.main(common + ["--epochs", "1", "--architecture", "paper",
                                "--update-order", "discriminator-first"]) == 0
    config_path = tmp_path / "config.json"
    config = json.loads(config_path.read_text())
    del config["architecture"], config["update_order"]
    config_path.write_text(json.dumps(config))
    assert began.main(common + ["--epochs", "3", "--resume", "--architecture", "compact"]) == 2
    assert began.main(common + ["--epochs", "2", "--resume"]) == 0
    resumed = json.loads((tmp_path / "config_resume_0001.json").read_text())
    assert (resumed["architecture"], resumed["update_order"]) == ("paper", "discriminator-first")
