"""AC-GAN (Odena et al., 2017): networks, the two-head step against NumPy, classify, the
command line with labels."""

import keras
import numpy as np
import pytest
from PIL import Image

from keras_gans import acgan

import step_checks
from cli_helpers import error_line
from model_checks import assert_generates, assert_keras_round_trip, assert_trains_one_step
from model_checks import layer_types

ON_JAX = keras.backend.backend() == "jax"
SMALL_SHAPE = (16, 16, 1)


def of_type(network, name):
    return [layer for layer in network.layers if type(layer).__name__ == name]


@pytest.mark.skipif(ON_JAX, reason="architecture counts are checked on TensorFlow and PyTorch")
def test_networks_are_b_dc32_with_a_class_embedding_dropout_and_two_heads():
    generator = acgan.build_generator(100, 10, (32, 32, 1))
    assert generator.input_shape == [(None, 100), (None, 10)]
    embedding = generator.get_layer("class_embedding")
    assert embedding.units == 100 and not embedding.use_bias  # embedding(c, 100)
    assert type(generator.get_layer("conditioned_latent")).__name__ == "Multiply"  # z ⊙ e(c)
    body = generator.layers[-1]
    assert of_type(body, "Dense")[0].units == 4 * 4 * 256
    assert [layer.filters for layer in of_type(body, "Conv2DTranspose")] == [128, 64, 1]
    assert body.layers[-1].activation.__name__ == "tanh"
    assert generator.output_shape == (None, 32, 32, 1)

    discriminator = acgan.build_discriminator((32, 32, 1), 10)
    convolutions = of_type(discriminator, "Conv2D")
    assert [layer.filters for layer in convolutions] == [64, 128, 256]
    assert all(layer.kernel_size == (4, 4) and layer.strides == (2, 2) for layer in convolutions)
    types = layer_types(discriminator)
    # conv → (BN) → LeakyReLU → dropout 0.25, for each of the three blocks.
    assert [types[i - 1] for i, t in enumerate(types) if t == "Dropout"] == ["LeakyReLU"] * 3
    assert all(layer.rate == 0.25 for layer in of_type(discriminator, "Dropout"))
    assert all(layer.epsilon == 1e-5 and layer.momentum == 0.9
               for layer in of_type(discriminator, "BatchNormalization"))
    assert len(of_type(discriminator, "BatchNormalization")) == 2
    # Two linear heads on the same features: 1 source logit and N class logits, no softmax.
    assert discriminator.output_shape == [(None, 1), (None, 10)]
    heads = of_type(discriminator, "Dense")
    assert [layer.units for layer in heads] == [1, 10]
    assert all(layer.activation.__name__ == "linear" for layer in heads)
    assert "Softmax" not in types and "Activation" not in types
    # The 64-pixel variant adds a stage to each network.
    assert [layer.filters for layer in of_type(acgan.build_discriminator((64, 64, 3), 10),
                                               "Conv2D")] == [64, 128, 256, 512]
    assert acgan.build_generator(100, 10, (64, 64, 3)).output_shape == (None, 64, 64, 3)


@pytest.fixture(scope="module")
def small_model():
    """A compiled AC-GAN of 3 classes on 16×16 images with narrow networks."""
    model = acgan.ACGAN(latent_dim=4, num_classes=3, image_shape=SMALL_SHAPE, base_width=4,
                        seed=0)
    model.compile()
    return model


def small_batch(count=8, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.uniform(-1, 1, (count,) + SMALL_SHAPE).astype("float32"),
            rng.integers(0, 3, count))


def test_trains_one_step_generates_each_class_classifies_and_round_trips(small_model, tmp_path):
    model = small_model
    images, labels = small_batch()
    history = assert_trains_one_step(model, (images, labels), batch_size=8)
    assert history.history["d_class_loss"][-1] > 0 and history.history["g_class_loss"][-1] > 0
    assert_generates(model, SMALL_SHAPE, count=6)
    latent, grid_labels = model.sample_inputs(7, seed=0)
    assert grid_labels.tolist() == [0, 0, 1, 1, 2, 2]  # one full row per class
    assert model.sample_grid((latent[:6], grid_labels))[1] == 2
    twos = keras.ops.convert_to_numpy(model.generate(5, labels=2))
    assert twos.shape == (5,) + SMALL_SHAPE and np.abs(twos).max() <= 1
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        model.generate(2, labels=3)

    classes = keras.ops.convert_to_numpy(model.classify(images))
    assert classes.shape == (8,) and classes.dtype.kind == "i"
    assert classes.min() >= 0 and classes.max() < 3
    # The class head's argmax, with dropout off: the same classes every time.
    _, logits = model.discriminator(images, training=False)
    np.testing.assert_array_equal(classes, keras.ops.convert_to_numpy(logits).argmax(axis=1))
    np.testing.assert_array_equal(classes, keras.ops.convert_to_numpy(model.classify(images)))

    restored = assert_keras_round_trip(model, str(tmp_path / "acgan.keras"))
    assert (restored.base_width, restored.dropout) == (4, 0.25)
    np.testing.assert_array_equal(classes,
                                  keras.ops.convert_to_numpy(restored.classify(images)))
    with pytest.raises(ValueError, match="model.fit\\(images, labels"):
        model.fit(images, batch_size=8, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="dropout must lie in"):
        acgan.ACGAN(image_shape=SMALL_SHAPE, dropout=1.0)


def test_step_matches_numpy_and_moves_the_right_way():
    shape, classes, latent_dim = (4, 4, 1), 3, 3
    model = acgan.ACGAN(
        latent_dim=latent_dim, num_classes=classes, image_shape=shape, seed=5,
        generator=step_checks.conditional_generator(latent_dim, classes, shape),
        discriminator=step_checks.two_head_discriminator(shape, classes))
    images, labels = step_checks.real_batch(6, shape), np.array([0, 1, 2, 0, 1, 2])
    step = step_checks.conditional_one_step(model, images, labels)
    crossentropy = step_checks.categorical_crossentropy

    def fakes(generator, latent, fake_classes):
        return step_checks.conditional_fakes(generator, latent, fake_classes, classes, shape)

    d_classes, g_classes, g_latent = step.d_classes, step.g_classes, step.g_latent
    d_fakes = fakes(step.generator_before, step.d_latent, d_classes)

    def discriminator_terms(discriminator):
        """D's whole loss and its class term, at the D step's real batch and fakes."""
        real_source, real_logits = step_checks.two_head_outputs(discriminator, images)
        fake_source, fake_logits = step_checks.two_head_outputs(discriminator, d_fakes)
        class_loss = 0.5 * (crossentropy(real_logits, labels)
                            + crossentropy(fake_logits, d_classes))
        adversarial = step_checks.cross_entropy_discriminator_loss(real_source, fake_source)
        return adversarial + class_loss, class_loss

    def generator_terms(generator):
        """G's whole loss and its class term, for fresh fakes judged by the updated D."""
        source, logits = step_checks.two_head_outputs(
            step.discriminator_after, fakes(generator, g_latent, g_classes))
        class_loss = crossentropy(logits, g_classes)
        return step_checks.nonsaturating_generator_loss(None, source) + class_loss, class_loss

    # The logged values at the replayed draws.
    expected = {"d_loss": discriminator_terms(step.discriminator_before)[0],
                "d_class_loss": discriminator_terms(step.discriminator_before)[1],
                "g_loss": generator_terms(step.generator_before)[0],
                "g_class_loss": generator_terms(step.generator_before)[1]}
    for name, value in expected.items():
        np.testing.assert_allclose(step.logs[name], value, rtol=1e-4, err_msg=name)

    # Each player took one SGD step on its whole loss: both terms reach its weights.
    step_checks.assert_sgd_step_on_loss(step.discriminator_before, step.discriminator_after,
                                  lambda weights: discriminator_terms(weights)[0])
    step_checks.assert_sgd_step_on_loss(step.generator_before, step.generator_after,
                                  lambda weights: generator_terms(weights)[0])

    # D: real images rated more real, its fakes less, and both more likely of their class.
    def outputs(discriminator, pictures, picture_classes):
        source, logits = step_checks.two_head_outputs(discriminator, pictures)
        return source.mean(), step_checks.class_log_probabilities(logits, picture_classes).mean()

    d_before, d_after = step.discriminator_before, step.discriminator_after
    real_before, real_after = outputs(d_before, images, labels), outputs(d_after, images, labels)
    fake_before = outputs(d_before, d_fakes, d_classes)
    fake_after = outputs(d_after, d_fakes, d_classes)
    assert real_after[0] > real_before[0] and fake_after[0] < fake_before[0]
    assert real_after[1] > real_before[1] and fake_after[1] > fake_before[1]
    # G: its fresh fakes rated more real and more likely of the class they were drawn for.
    fresh_before = outputs(d_after, fakes(step.generator_before, g_latent, g_classes), g_classes)
    fresh_after = outputs(d_after, fakes(step.generator_after, g_latent, g_classes), g_classes)
    assert fresh_after[0] > fresh_before[0] and fresh_after[1] > fresh_before[1]


def test_command_line_trains_on_labels_classifies_and_samples_a_class(tmp_path, capsys):
    out = tmp_path / "run"
    assert acgan.main(["--dataset", "shapes", "--image-size", "28", "--smoke", "--out",
                       str(out), "--verbose", "0"]) == 0
    checkpoint = str(out / "checkpoints" / "model.keras")
    restored = keras.saving.load_model(checkpoint)
    assert restored.num_classes == 3  # the shapes' classes, read from the data
    capsys.readouterr()

    classes_file = tmp_path / "classes.npy"
    assert acgan.main(["classify", "--checkpoint", checkpoint, "--dataset", "shapes",
                       "--image-size", "28", "--limit", "20", "--output",
                       str(classes_file)]) == 0
    classes = np.load(classes_file)
    assert classes.shape == (20,) and classes.dtype == np.int64
    assert classes.min() >= 0 and classes.max() < 3
    assert "accuracy against the data's labels" in capsys.readouterr().out

    grid = tmp_path / "triangles.png"
    assert acgan.main(["sample", "--checkpoint", checkpoint, "--label", "2", "--count", "4",
                       "--output", str(grid)]) == 0
    assert Image.open(grid).size[0] > 0

    assert acgan.main(["--dataset", "shapes", "--image-size", "30", "--smoke",
                       "--out", str(tmp_path / "odd")]) == 2
    assert "pass --image-size" in error_line(capsys)
    assert acgan.main(["--dataset", "shapes", "--num-classes", "2", "--smoke",
                       "--out", str(tmp_path / "few")]) == 2
    assert "pass --num-classes 3" in error_line(capsys)
    assert not (tmp_path / "odd").exists() and not (tmp_path / "few").exists()
