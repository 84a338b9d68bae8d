"""CoGAN (Liu and Tuzel, 2016): the authors' coupled networks and their shared layers, one
training step against NumPy, pairs from shared noise, saving, and the command line on the
offline digit task (two domains in, samples from noise out)."""

import json

import keras
import numpy as np
import pytest
from PIL import Image

from keras_gans import cli, cogan

import step_checks
from cli_helpers import error_line
from conftest import BACKEND
from model_checks import assert_generates, assert_keras_round_trip, assert_trains_one_step
from model_checks import layer_types

SKIP_ON_JAX = pytest.mark.skipif(BACKEND == "jax", reason="layer sizes do not depend on the "
                                 "backend; counted on TensorFlow and PyTorch")


def trainable_count(network):
    return sum(int(np.prod(variable.shape)) for variable in network.trainable_variables)


def output_size(network, name):
    return tuple(network.get_layer(name).output.shape[1:])


@SKIP_ON_JAX
def test_generator_is_the_authors_cogen28x28():
    generator = cogan.build_generator()
    assert trainable_count(generator) == 7_842_694  # as the authors' PyTorch CoGen28x28
    transposed = [layer for layer in generator.layers if type(layer).__name__ == "Conv2DTranspose"]
    assert [(layer.filters, layer.kernel_size[0], layer.strides[0]) for layer in transposed] == [
        (1024, 4, 1), (512, 3, 2), (256, 3, 2), (128, 3, 2), (1, 6, 1), (1, 6, 1)]
    assert all(layer.padding == "valid" for layer in transposed)
    sizes = [output_size(generator, f"shared_convolution_{index}")[0] for index in range(4)]
    assert sizes == [4, 9, 15, 27]  # cropped by one pixel per side to 7, 13, 25
    crops = [layer.cropping for layer in generator.layers if type(layer).__name__ == "Cropping2D"]
    assert crops == [((1, 1), (1, 1))] * 5
    assert generator.output_shape == [(None, 28, 28, 1), (None, 28, 28, 1)]
    # Both private heads read the same shared features.
    assert generator.get_layer("head_1").input is generator.get_layer("head_2").input
    for layer in generator.layers:
        if type(layer).__name__ == "BatchNormalization":
            assert not layer.center and not layer.scale
            assert (layer.momentum, layer.epsilon) == (0.9, 1e-5)
    types = layer_types(generator)
    assert types.count("BatchNormalization") == 4 and types.count("PReLU") == 4
    assert [layer.activation.__name__ for layer in generator.layers[-2:]] == ["tanh", "tanh"]


@SKIP_ON_JAX
def test_discriminator_is_the_authors_codis28x28_with_shared_layers():
    discriminator = cogan.build_discriminator()
    # The authors' 427,593 weights, less the second logit of their two-way output (501).
    assert trainable_count(discriminator) == 427_092
    convolutions = [layer for layer in discriminator.layers if type(layer).__name__ == "Conv2D"]
    # Two private layers and three shared ones (eight if nothing were shared).
    assert [(layer.name, layer.filters, layer.kernel_size[0]) for layer in convolutions] == [
        ("private_convolution_1", 20, 5), ("private_convolution_2", 20, 5),
        ("shared_convolution_1", 50, 5), ("shared_convolution_2", 500, 4),
        ("shared_logit", 1, 1)]
    assert output_size(discriminator, "private_convolution_1") == (24, 24, 20)
    assert output_size(discriminator, "shared_convolution_1") == (8, 8, 50)
    assert output_size(discriminator, "shared_convolution_2") == (1, 1, 500)
    assert discriminator.output_shape == [(None, 1), (None, 1)]
    assert layer_types(discriminator).count("MaxPooling2D") == 3  # private, private, shared
    assert layer_types(discriminator).count("PReLU") == 1
    images = np.random.default_rng(0).uniform(-1, 1, (2, 28, 28, 1)).astype("float32")
    logits_1, logits_2 = discriminator([images, images])
    assert not np.allclose(keras.ops.convert_to_numpy(logits_1),
                           keras.ops.convert_to_numpy(logits_2))  # private first layers


@SKIP_ON_JAX
def test_authors_initialization_and_parametric_relu():
    generator = cogan.build_generator()
    layer = generator.get_layer("shared_convolution_1")
    kernel = keras.ops.convert_to_numpy(layer.kernel)
    limit = np.sqrt(2.0) * np.sqrt(6.0 / ((1024 + 512) * 9))  # Xavier uniform, gain √2
    assert 0.99 * limit < np.abs(kernel).max() <= limit * (1 + 1e-6)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer.bias), 0.1)
    for prelu in (layer for layer in generator.layers if type(layer).__name__ == "PReLU"):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(prelu.alpha), [[[0.25]]])


def test_refuses_images_other_than_28_pixels():
    with pytest.raises(ValueError, match="28×28 .* pass --image-size 28"):
        cogan.CoGAN(image_shape=(32, 32, 1))
    with pytest.raises(ValueError, match="--image-size 28"):
        cogan.CoGAN(image_shape=(28, 28, 1), second_image_shape=(16, 16, 1))


# ------------------------------------------------------------------------------------------
# A small CoGAN: one step, generation, pairs, saving
# ------------------------------------------------------------------------------------------
@SKIP_ON_JAX
def test_domains_may_differ_in_channels():
    model = cogan.CoGAN(second_image_shape=(28, 28, 3), filters=2, discriminator_filters=2)
    assert model.generator.output_shape == [(None, 28, 28, 1), (None, 28, 28, 3)]
    assert [tuple(shape) for shape in model.discriminator.input_shape] == [
        (None, 28, 28, 1), (None, 28, 28, 3)]
    assert model.get_config()["second_image_shape"] == [28, 28, 3]
    grid, _ = model.sample_grid(model.sample_inputs(4))
    assert grid.shape == (8, 28, 28, 3)  # grey domain-1 images beside colour ones


@pytest.fixture(scope="module")
def trained():
    """A narrow CoGAN after one step on unpaired batches of 8: the command line's smoke
    model, so that JAX compiles its training step once for both."""
    keras.utils.set_random_seed(0)
    model = cogan.CoGAN(latent_dim=8, filters=4, discriminator_filters=2, seed=1)
    model.compile()
    rng = np.random.default_rng(0)
    batches = tuple(rng.uniform(-1, 1, (8, 28, 28, 1)).astype("float32") for _ in range(2))
    assert_trains_one_step(model, batches, batch_size=8)
    return model


def test_trains_one_step_generates_and_round_trips(trained, tmp_path):
    assert_generates(trained, (28, 28, 1))
    restored = assert_keras_round_trip(trained, str(tmp_path / "cogan.keras"))
    assert restored.filters == 4 and restored.discriminator_filters == 2
    latent = trained.sample_inputs(3, seed=5)
    for mine, theirs in zip(trained.pairs_from(latent), restored.pairs_from(latent)):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(mine),
                                   keras.ops.convert_to_numpy(theirs), atol=1e-6)


# Inference below uses batches of 3 or 4 only: JAX compiles each new batch size anew.
def test_pairs_come_from_one_latent_vector(trained):
    latent = trained.sample_inputs(4, seed=2)
    images_1, images_2 = (keras.ops.convert_to_numpy(images)
                          for images in trained.pairs_from(latent))
    assert images_1.shape == images_2.shape == (4, 28, 28, 1)
    assert np.abs(images_1).max() <= 1 and np.abs(images_2).max() <= 1
    assert not np.allclose(images_1, images_2)  # the private heads differ
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(trained(latent)), images_1)
    again = keras.ops.convert_to_numpy(trained.pairs_from(latent)[1])
    np.testing.assert_array_equal(again, images_2)  # inference is deterministic
    np.testing.assert_array_equal(latent, trained.sample_inputs(4, seed=2))
    # generate_pairs draws one z per pair from the model's noise, fresh at every call.
    state = keras.ops.convert_to_numpy(trained.seed_generator.state).copy()
    drawn = [keras.ops.convert_to_numpy(images) for images in trained.generate_pairs(3)]
    (latent,) = step_checks.replay(state, [("normal", (3, 8))])
    for images, expected in zip(drawn, trained.pairs_from(latent.astype("float32"))):
        np.testing.assert_allclose(images, keras.ops.convert_to_numpy(expected), atol=1e-6)
    again = keras.ops.convert_to_numpy(trained.generate_pairs(3)[1])
    assert drawn[1].shape == (3, 28, 28, 1) and not np.array_equal(drawn[1], again)
    assert not getattr(trained.generate_pairs(3)[1], "requires_grad", False)
    assert tuple(trained.generate(3).shape) == (3, 28, 28, 1)


def test_sample_grid_shows_pairs_side_by_side(trained):
    latent = trained.sample_inputs(4, seed=3)
    images_1, images_2 = (keras.ops.convert_to_numpy(images)
                          for images in trained.pairs_from(latent))
    grid, columns = trained.sample_grid(latent)
    assert columns == 4 and grid.shape == (8, 28, 28, 1)  # 2 pairs per row, 2 rows
    np.testing.assert_array_equal(grid[2], images_1[1])
    np.testing.assert_array_equal(grid[3], images_2[1])


# ------------------------------------------------------------------------------------------
# The training step against NumPy, with linear coupled networks
# ------------------------------------------------------------------------------------------
SHAPE, LATENT_DIM, BATCH = (4, 4, 1), 3, 6


def discriminator_gradients(discriminator, weights, real_images, fake_images):
    """∂/∂(every weight) of Σ_d ½[BCE(D_d(x_d), 1) + BCE(D_d(G_d(z)), 0)], D linear."""
    named = step_checks.named_weights(discriminator, weights)
    shared, bias = named["shared/kernel"], named["shared/bias"]
    gradients = {"shared/kernel": 0.0, "shared/bias": 0.0}
    for domain, real, fake in zip((1, 2), real_images, fake_images):
        private = named[f"private_{domain}/kernel"]
        gradients[f"private_{domain}/kernel"] = 0.0
        for images, loss_slope in ((real, lambda s: -step_checks.sigmoid(-s)),
                                   (fake, step_checks.sigmoid)):
            pixels = np.asarray(images, "float64").reshape(len(images), -1)
            features = pixels @ private
            slope = 0.5 * loss_slope(features @ shared + bias) / len(pixels)
            gradients["shared/kernel"] = gradients["shared/kernel"] + features.T @ slope
            gradients["shared/bias"] = gradients["shared/bias"] + slope.sum(0)
            gradients[f"private_{domain}/kernel"] += pixels.T @ (slope @ shared.T)
    return gradients


def generator_gradients(generator, generator_weights, discriminator, discriminator_weights,
                        latent):
    """∂/∂(every weight) of Σ_d BCE(D_d(G_d(z)), 1), G and D linear, backpropagated through
    the shared trunk from both domains."""
    named_g = step_checks.named_weights(generator, generator_weights)
    named_d = step_checks.named_weights(discriminator, discriminator_weights)
    hidden, fakes = step_checks.coupled_generated(generator, generator_weights, latent, SHAPE)
    scores = step_checks.coupled_scores(discriminator, discriminator_weights, fakes)
    gradients, hidden_gradient = {}, 0.0
    for domain, images, score in zip((1, 2), fakes, scores):
        pixels = images.reshape(len(images), -1)
        slope = -step_checks.sigmoid(-score) / len(pixels)
        direction = named_d[f"private_{domain}/kernel"] @ named_d["shared/kernel"]
        before_tanh = (slope @ direction.T) * (1.0 - pixels**2)
        gradients[f"head_{domain}/kernel"] = hidden.T @ before_tanh
        gradients[f"head_{domain}/bias"] = before_tanh.sum(0)
        hidden_gradient = hidden_gradient + before_tanh @ named_g[f"head_{domain}/kernel"].T
    gradients["shared/kernel"] = np.asarray(latent, "float64").T @ hidden_gradient
    return gradients


def assert_sgd_step(network, before, after, gradients, learning_rate):
    """Every weight moved by −lr·gradient (NumPy)."""
    before = step_checks.named_weights(network, before)
    after = step_checks.named_weights(network, after)
    assert set(gradients) == set(before)
    for name, gradient in gradients.items():
        np.testing.assert_allclose(after[name], before[name] - learning_rate * gradient,
                                   rtol=1e-4, atol=1e-6, err_msg=name)


def test_step_matches_numpy_trains_shared_layers_from_both_domains_and_moves_the_right_way():
    model = cogan.CoGAN(latent_dim=LATENT_DIM, image_shape=SHAPE,
                        generator=step_checks.linear_coupled_generator(LATENT_DIM, SHAPE),
                        discriminator=step_checks.linear_coupled_discriminator(SHAPE), seed=3)
    real = (step_checks.real_batch(BATCH, SHAPE, seed=0), step_checks.real_batch(BATCH, SHAPE,
                                                                                 seed=1))
    step = step_checks.OneStep(model, real, step_checks.gan_draws(BATCH, LATENT_DIM))
    d_latent, g_latent = step.draws
    generator, discriminator = model.generator, model.discriminator

    def scores(weights, images):
        return step_checks.coupled_scores(discriminator, weights, images)

    def fakes(weights, latent):
        return step_checks.coupled_generated(generator, weights, latent, SHAPE)[1]

    d_fakes = fakes(step.generator_before, d_latent)
    real_before, fake_before = scores(step.discriminator_before, real), scores(
        step.discriminator_before, d_fakes)
    expected_d = sum(step_checks.cross_entropy_discriminator_loss(r, f)
                     for r, f in zip(real_before, fake_before))
    fresh_before = scores(step.discriminator_after, fakes(step.generator_before, g_latent))
    expected_g = sum(step_checks.nonsaturating_generator_loss(None, f) for f in fresh_before)
    np.testing.assert_allclose(step.logs["d_loss"], expected_d, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(step.logs["g_loss"], expected_g, rtol=1e-4, atol=1e-6)

    # Exact SGD updates: the shared layers get both domains' gradients.
    assert_sgd_step(discriminator, step.discriminator_before, step.discriminator_after,
                    discriminator_gradients(discriminator, step.discriminator_before, real,
                                            d_fakes), step.learning_rate)
    assert_sgd_step(generator, step.generator_before, step.generator_after,
                    generator_gradients(generator, step.generator_before, discriminator,
                                        step.discriminator_after, g_latent),
                    step.learning_rate)

    # Each domain's discriminator now rates its real images higher and the fakes lower; each
    # domain's fresh fakes from the same noise are rated higher after the generator step.
    real_after, fake_after = scores(step.discriminator_after, real), scores(
        step.discriminator_after, d_fakes)
    fresh_after = scores(step.discriminator_after, fakes(step.generator_after, g_latent))
    for domain in range(2):
        assert real_after[domain].mean() > real_before[domain].mean()
        assert fake_after[domain].mean() < fake_before[domain].mean()
        assert fresh_after[domain].mean() > fresh_before[domain].mean()


# ------------------------------------------------------------------------------------------
# The command line: two domains in, samples from noise out
# ------------------------------------------------------------------------------------------
TINY = ["--filters", "4", "--discriminator-filters", "2", "--latent-dim", "8", "--verbose", "0"]


def test_command_line_reads_two_domains_and_samples_from_noise(tmp_path, shared_mnist_dir,
                                                               capsys):
    out = tmp_path / "run"
    assert cogan.main(["--smoke", "--data-dir", shared_mnist_dir, "--eval-every", "1",
                       "--out", str(out), *TINY]) == 0
    assert (out / "checkpoints" / "model.keras").is_file()
    config = json.loads((out / "config.json").read_text())
    assert (config["dataset"], config["data_shapes"]) == ("mnist_cogan",
                                                          [[28, 28, 1], [28, 28, 1]])
    with Image.open(out / "samples" / "epoch_0001.png") as grid:
        assert grid.size == (8 * 28, 4 * 28)  # 16 pairs from noise, 4 pairs per row
    header, row = (out / "metrics.csv").read_text().splitlines()[:2]
    assert "fcd" in header.split(",")  # measured against the held-out digits of domain 1
    checkpoint = str(out / "checkpoints" / "model.keras")
    assert cogan.main(["sample", "--checkpoint", checkpoint, "--count", "4",
                       "--output", str(tmp_path / "pairs.png")]) == 0
    with Image.open(tmp_path / "pairs.png") as grid:
        assert grid.size == (4 * 28, 2 * 28)
    capsys.readouterr()
    assert cogan.main(["translate", "--checkpoint", checkpoint, "--input", str(tmp_path),
                       "--output", str(tmp_path / "out")]) == 2
    assert "generates images from noise" in error_line(capsys)


def test_command_line_flags_of_a_two_domain_model_from_noise():
    parser = cli.module_parser("cogan")
    flags = {option for action in parser._actions for option in action.option_strings}
    assert {"--latent-dim", "--load-size", "--no-flip", "--filters"} <= flags
    assert "--direction" not in flags
    assert not cli.translates(cogan)
    args = cli.parse_arguments("cogan", [])
    assert (args.batch_size, args.latent_dim, args.g_lr, args.d_lr) == (64, 100, 2e-4, 2e-4)


def test_command_line_refuses_other_image_sizes(tmp_path, shared_mnist_dir, capsys):
    assert cogan.main(["--smoke", "--data-dir", shared_mnist_dir, "--image-size", "32",
                       "--out", str(tmp_path / "run"), *TINY]) == 2
    assert "pass --image-size 28" in error_line(capsys)
    assert not (tmp_path / "run").exists()
