"""InfoGAN (Chen et al., 2016): the authors' MNIST networks, codes, inference, one step."""

import keras
import numpy as np
import pytest

from keras_gans import infogan

import step_checks
from model_checks import assert_generates, assert_keras_round_trip, assert_trains_one_step
from model_checks import layer_types

SMALL_SHAPE = (16, 16, 1)


def of_type(network, name):
    return [layer for layer in network.layers if type(layer).__name__ == name]


def images(count, shape=SMALL_SHAPE, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (count,) + shape).astype("float32")


# --- The paper's configuration ----------------------------------------------------------------
@pytest.mark.skipif(keras.backend.backend() == "jax", reason="architecture checked on TF/torch")
def test_networks_follow_the_authors_mnist_configuration():
    model = infogan.InfoGAN()
    generator, discriminator = model.generator, model.discriminator
    assert generator.input_shape == (None, 62 + 10 + 2)
    assert [layer.units for layer in of_type(generator, "Dense")] == [1024, 7 * 7 * 128]
    transposed = of_type(generator, "Conv2DTranspose")
    assert [layer.filters for layer in transposed] == [64, 1]
    assert [layer.output.shape[1] for layer in transposed] == [14, 28]
    assert all(layer.kernel_size == (4, 4) and layer.strides == (2, 2) for layer in transposed)
    assert layer_types(generator).count("BatchNormalization") == 3
    assert layer_types(generator).count("ReLU") == 3
    assert generator.layers[-1].activation.__name__ == "tanh"
    assert generator.output_shape == (None, 28, 28, 1)

    convolutions = of_type(discriminator, "Conv2D")
    assert [layer.filters for layer in convolutions] == [64, 128]
    assert [layer.output.shape[1] for layer in convolutions] == [14, 7]
    assert all(layer.kernel_size == (4, 4) and layer.strides == (2, 2) for layer in convolutions)
    # Trunk: conv → LReLU → conv → BN → LReLU → fc 1024 → BN → LReLU; Q: fc 128 → BN → LReLU.
    assert layer_types(discriminator)[1:3] == ["Conv2D", "LeakyReLU"]
    assert layer_types(discriminator).count("BatchNormalization") == 3
    dense = {layer.name: layer for layer in of_type(discriminator, "Dense")}
    assert [layer.units for layer in of_type(discriminator, "Dense")] == [1024, 128, 1, 10, 2]
    trunk_output = of_type(discriminator, "LeakyReLU")[2].output
    assert dense["logits"].input is trunk_output  # D's head sits on the trunk, beside Q's
    assert discriminator.output_shape == [(None, 1), (None, 10), (None, 2)]
    for name in ("logits", "categorical_logits", "continuous_means"):
        assert dense[name].activation.__name__ == "linear"  # logits and means, no softmax
    assert all(layer.negative_slope == pytest.approx(0.2)
               for layer in of_type(discriminator, "LeakyReLU"))
    for layer in generator.layers + discriminator.layers:
        if type(layer).__name__ == "BatchNormalization":
            assert layer.momentum == 0.9 and layer.epsilon == 1e-5
    assert (model.latent_dim, model.categories, model.continuous_codes) == (62, 10, 2)
    model.compile()
    assert float(model.g_optimizer.learning_rate) == pytest.approx(1e-3)
    assert float(model.d_optimizer.learning_rate) == pytest.approx(2e-4)
    assert model.g_optimizer.beta_1 == model.d_optimizer.beta_1 == 0.5
    assert model.info_weight == 1.0


def test_settings_that_cannot_work_are_refused():
    with pytest.raises(ValueError, match="--image-size 28"):
        infogan.build_generator(image_shape=(30, 30, 1))
    with pytest.raises(ValueError, match="at least 2 values"):
        infogan.InfoGAN(categories=1)
    with pytest.raises(ValueError, match="continuous code"):
        infogan.InfoGAN(continuous_codes=0)
    with pytest.raises(ValueError, match="info_weight"):
        infogan.InfoGAN(info_weight=-1.0)
    with pytest.raises(ValueError, match="three outputs"):
        infogan.InfoGAN(latent_dim=4, categories=3, image_shape=(8, 8, 1),
                        generator=step_checks.linear_generator(9, (8, 8, 1)),
                        discriminator=step_checks.linear_discriminator((8, 8, 1)))


# --- One small model shared by the training and inference tests -------------------------------
@pytest.fixture(scope="module")
def model():
    model = infogan.InfoGAN(
        latent_dim=8, image_shape=SMALL_SHAPE, seed=0,
        generator=infogan.build_generator(8, 10, 2, SMALL_SHAPE, dense_width=32, filters=8),
        discriminator=infogan.build_discriminator(SMALL_SHAPE, 10, 2, filters=8, dense_width=32,
                                                  recognition_width=16))
    model.compile()
    return model


def test_trains_one_step_generates_and_round_trips(model, tmp_path):
    assert_trains_one_step(model, images(16), batch_size=16)
    assert_generates(model, SMALL_SHAPE)
    restored = assert_keras_round_trip(model, str(tmp_path / "infogan.keras"))
    assert (restored.latent_dim, restored.categories, restored.continuous_codes,
            restored.info_weight) == (8, 10, 2, 1.0)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(model.classify(images(16))),
                                  keras.ops.convert_to_numpy(restored.classify(images(16))))


def test_generate_fixes_the_codes_it_is_given(model):
    count = 100  # one batch size throughout, so that JAX compiles each operation once
    inputs = keras.ops.convert_to_numpy(
        model.code_inputs(count, code={"categorical": 3, "continuous": [0.5, None]}))
    noise, categorical, continuous = inputs[:, :8], inputs[:, 8:18], inputs[:, 18:]
    np.testing.assert_array_equal(categorical, np.eye(10)[[3] * count])
    np.testing.assert_array_equal(continuous[:, 0], 0.5)
    assert np.all(np.abs(continuous[:, 1]) <= 1) and np.unique(continuous[:, 1]).size == count
    assert np.all(np.abs(noise) <= 1) and np.unique(noise[:, 0]).size == count
    chosen = np.random.default_rng(0).uniform(-1, 1, (count, 2))
    per_sample = keras.ops.convert_to_numpy(model.code_inputs(
        count, code={"categorical": np.arange(count) % 10, "continuous": chosen}))
    np.testing.assert_array_equal(per_sample[:, 8:18].argmax(axis=1), np.arange(count) % 10)
    np.testing.assert_allclose(per_sample[:, 18:], chosen, rtol=1e-6)
    random = keras.ops.convert_to_numpy(model.code_inputs(count))
    assert sorted(np.unique(random[:, 8:18].argmax(axis=1))) == list(range(10))
    assert set(np.unique(random[:, 8:18])) == {0.0, 1.0}
    samples = keras.ops.convert_to_numpy(model.generate(count, code={"categorical": 7}))
    assert samples.shape == (count,) + SMALL_SHAPE and np.all(np.abs(samples) <= 1)


@pytest.mark.parametrize("code, problem", [
    ({"categorical": 10}, r"lie in \[0, 10\)"), ({"categorical": 1.5}, "whole numbers"),
    ({"categorical": [1, 2, 3]}, "or 2 of them"), ({"continuous": [1.0]}, "hold 2 values"),
    ({"continuous": ["left", 0]}, "hold 2 values"), ({"style": 1}, "Unknown code keys")])
def test_codes_that_cannot_work_are_refused(model, code, problem):
    with pytest.raises(ValueError, match=problem):
        model.generate(2, code=code)


def test_classify_and_recognize_real_images(model):
    batch = images(16)
    labels = keras.ops.convert_to_numpy(model.classify(batch))
    assert labels.shape == (16,) and labels.dtype.kind == "i"
    assert labels.min() >= 0 and labels.max() < 10
    np.testing.assert_array_equal(labels, keras.ops.convert_to_numpy(model.classify(batch)))
    np.testing.assert_array_equal(labels, keras.ops.convert_to_numpy(model.cluster(batch)))
    probabilities, means = (keras.ops.convert_to_numpy(x) for x in model.recognize(batch))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(probabilities.argmax(axis=1), labels)
    assert means.shape == (16, 2)


def test_sample_grid_rows_are_categories_and_columns_sweep_c1(model):
    inputs = model.sample_inputs(64, seed=3)
    np.testing.assert_array_equal(inputs, model.sample_inputs(64, seed=3))
    assert not np.array_equal(inputs, model.sample_inputs(64, seed=4))
    grid, columns = model.sample_grid(inputs)
    assert columns == 6 and keras.ops.convert_to_numpy(grid).shape == (60,) + SMALL_SHAPE
    rows = inputs[:60].reshape(10, 6, -1)
    np.testing.assert_array_equal(rows[:, :, 8:18].argmax(axis=2),
                                  np.repeat(np.arange(10)[:, None], 6, axis=1))
    np.testing.assert_allclose(rows[:, :, 18], np.tile(np.linspace(-1, 1, 6), (10, 1)))
    # Within a row the noise and c2 stay fixed; rows differ.
    assert np.all(rows[:, :, :8] == rows[:, :1, :8]) and np.all(rows[:, :, 19] == rows[:, :1, 19])
    assert np.unique(rows[:, 0, 0]).size == 10


def test_command_line_smoke_run_and_classify(tmp_path, capsys):
    # 16-pixel images: the paper's layers at a third of the weights of 28 pixels (4×4 maps
    # before the fully connected layers), so that the run and its checkpoint stay small.
    code = infogan.main(["--dataset", "shapes", "--image-size", "16", "--smoke", "--out",
                         str(tmp_path), "--verbose", "0"])
    assert code == 0
    checkpoint = tmp_path / "checkpoints" / "model.keras"
    assert checkpoint.exists()
    output = tmp_path / "categories.npy"
    assert infogan.main(["classify", "--checkpoint", str(checkpoint), "--dataset", "shapes",
                         "--image-size", "16", "--limit", "32", "--output", str(output)]) == 0
    categories = np.load(output)
    assert categories.shape == (32,) and categories.min() >= 0 and categories.max() < 10
    assert infogan.main(["--dataset", "shapes", "--image-size", "30", "--smoke", "--out",
                         str(tmp_path / "odd"), "--verbose", "0"]) == 2
    assert "--image-size 28" in capsys.readouterr().err
    assert not (tmp_path / "odd").exists()


# --- The training step against NumPy ----------------------------------------------------------
STEP_SHAPE, NOISE, CATEGORIES, CODES, INFO_WEIGHT = (8, 8, 1), 4, 3, 2, 2.0


def log_softmax(logits):
    return logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)


def information(categorical_logits, means, one_hot, continuous):
    """L_I = CE + ½Σ(c − μ)², batch means."""
    return (-(one_hot * log_softmax(categorical_logits)).sum(axis=1).mean()
            + 0.5 * ((continuous - means) ** 2).sum(axis=1).mean())


def codes(noise_draw, category_draw, continuous_draw):
    """The generator inputs, one-hot categories and continuous codes of one step's draws."""
    one_hot = np.eye(CATEGORIES)[step_checks.drawn_classes(category_draw, CATEGORIES)]
    continuous = 2.0 * continuous_draw - 1.0
    inputs = np.concatenate([2.0 * noise_draw - 1.0, one_hot, continuous], axis=1)
    return inputs, one_hot, continuous


def discriminator_objective(weights, real, fakes, one_hot, continuous):
    """BCE(D(x), 1) + BCE(D(G(z, c)), 0) + λ·L_I, and L_I."""
    real_scores = step_checks.head_outputs(weights, real)[0]
    fake_scores, categorical_logits, means = step_checks.head_outputs(weights, fakes)
    info = information(categorical_logits, means, one_hot, continuous)
    gan = step_checks.softplus(-real_scores).mean() + step_checks.softplus(fake_scores).mean()
    return gan + INFO_WEIGHT * info, info


def generator_objective(generator_weights, discriminator_weights, inputs, one_hot, continuous):
    """BCE(D(G(z, c)), 1) + λ·L_I, and L_I."""
    fakes = step_checks.generated(generator_weights, inputs, STEP_SHAPE)
    scores, categorical_logits, means = step_checks.head_outputs(discriminator_weights, fakes)
    info = information(categorical_logits, means, one_hot, continuous)
    return step_checks.softplus(-scores).mean() + INFO_WEIGHT * info, info


def test_step_matches_numpy_and_the_information_term_reaches_every_network():
    generator = step_checks.linear_generator(NOISE + CATEGORIES + CODES, STEP_SHAPE)
    discriminator = step_checks.linear_discriminator_with_heads(STEP_SHAPE, (CATEGORIES, CODES))
    model = infogan.InfoGAN(latent_dim=NOISE, categories=CATEGORIES, continuous_codes=CODES,
                            image_shape=STEP_SHAPE, info_weight=INFO_WEIGHT, generator=generator,
                            discriminator=discriminator, seed=5)
    real = step_checks.real_batch(8, STEP_SHAPE)
    one_step_draws = [("uniform", (8, NOISE)), ("uniform", (8,)), ("uniform", (8, CODES))]
    step = step_checks.OneStep(model, real, one_step_draws * 2)
    d_before, d_after = step.discriminator_before, step.discriminator_after
    g_before, g_after = step.generator_before, step.generator_after
    d_inputs, d_one_hot, d_continuous = codes(*step.draws[:3])
    g_inputs, g_one_hot, g_continuous = codes(*step.draws[3:])
    d_fakes = step_checks.generated(g_before, d_inputs, STEP_SHAPE)

    # The logged values are the NumPy objectives at the step's draws.
    d_loss, d_info = discriminator_objective(d_before, real, d_fakes, d_one_hot, d_continuous)
    g_loss, _ = generator_objective(g_before, d_after, g_inputs, g_one_hot, g_continuous)
    np.testing.assert_allclose(
        [step.logs["d_loss"], step.logs["info_loss"], step.logs["g_loss"]],
        [d_loss, d_info, g_loss], rtol=1e-4, atol=1e-6)

    # D's trunk and both heads move by −lr·∇(BCE + λ·L_I); G by −lr·∇(BCE + λ·L_I).
    def d_objective(weights, part=0):
        return discriminator_objective(weights, real, d_fakes, d_one_hot, d_continuous)[part]

    def g_objective(weights, part=0):
        return generator_objective(weights, d_after, g_inputs, g_one_hot, g_continuous)[part]

    step_checks.assert_sgd_update(
        d_before, d_after, step_checks.numerical_gradients(d_objective, d_before),
        names=["trunk kernel", "trunk bias", "D kernel", "D bias", "Q categorical kernel",
               "Q categorical bias", "Q continuous kernel", "Q continuous bias"])
    step_checks.assert_sgd_update(g_before, g_after,
                                  step_checks.numerical_gradients(g_objective, g_before),
                                  names=["G kernel", "G bias"])
    # L_I's own share of those updates is large enough for the checks above to see it, in the
    # trunk, both Q heads and the generator.
    d_info_gradients = step_checks.numerical_gradients(lambda w: d_objective(w, 1), d_before)
    g_info_gradients = step_checks.numerical_gradients(lambda w: g_objective(w, 1), g_before)
    for gradient in [d_info_gradients[i] for i in (0, 4, 6)] + [g_info_gradients[0]]:
        assert step.learning_rate * INFO_WEIGHT * np.abs(gradient).max() > 1e-3

    # Directions: D rates the real batch higher and its fakes lower, and Q recovers their codes
    # better; the G step lowers its objective at its own draws.
    assert (step_checks.head_outputs(d_after, real)[0].mean()
            > step_checks.head_outputs(d_before, real)[0].mean())
    assert (step_checks.head_outputs(d_after, d_fakes)[0].mean()
            < step_checks.head_outputs(d_before, d_fakes)[0].mean())
    assert d_objective(d_after, 1) < d_objective(d_before, 1)
    assert g_objective(g_after) < g_objective(g_before)
