"""SGAN (Odena, 2016): the (N+1)-way discriminator, the labelled pool, the step's maths against
NumPy, the command line with a few labels, `classify`, resuming."""

import keras
import numpy as np
import pytest
from PIL import Image

from keras_gans import data as gan_data
from keras_gans import sgan

import step_checks
from cli_helpers import assert_same_training_state, error_line
from model_checks import assert_generates, assert_keras_round_trip, assert_trains_one_step
from model_checks import layer_types

ON_JAX = keras.backend.backend() == "jax"


# --- Networks ---------------------------------------------------------------------------------
@pytest.mark.skipif(ON_JAX, reason="architecture counts are checked on TensorFlow and PyTorch")
def test_networks_are_b_dc32_with_dropout_and_n_plus_one_logits():
    discriminator = sgan.build_discriminator((32, 32, 1), num_classes=10)
    types = layer_types(discriminator)
    convolutions = [layer for layer in discriminator.layers if type(layer).__name__ == "Conv2D"]
    assert [layer.filters for layer in convolutions] == [64, 128, 256]
    assert all(layer.kernel_size == (4, 4) and layer.strides == (2, 2) for layer in convolutions)
    assert types.count("BatchNormalization") == 2 and types.count("LeakyReLU") == 3
    dropouts = [layer.rate for layer in discriminator.layers if type(layer).__name__ == "Dropout"]
    assert dropouts == [0.25] * 3  # after every block
    assert types[-3:] == ["Dropout", "Flatten", "Dense"]
    assert discriminator.output_shape == [(None, 11), (None, 4 * 4 * 256)]
    assert discriminator.get_layer("logits").activation.__name__ == "linear"  # logits, no softmax
    assert "Softmax" not in types and "Activation" not in types
    generator = sgan.build_generator(100, (32, 32, 1))
    assert generator.layers[1].units == 4 * 4 * 256
    assert [layer.filters for layer in generator.layers
            if type(layer).__name__ == "Conv2DTranspose"] == [128, 64, 1]
    assert generator.layers[-1].activation.__name__ == "tanh"


# --- The model ----------------------------------------------------------------------------------
IMAGE_SHAPE = (16, 16, 1)


def small_pool(count=6, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.uniform(-1, 1, (count,) + IMAGE_SHAPE).astype("float32")
    return images, np.arange(count) % classes


def test_trains_one_step_classifies_generates_and_round_trips(tmp_path):
    pool_images, pool_labels = small_pool()
    model = sgan.SGAN(latent_dim=4, num_classes=3, image_shape=IMAGE_SHAPE, base_width=8,
                      labeled_images=pool_images, labeled_labels=pool_labels, seed=0)
    model.compile()
    images = np.random.default_rng(1).uniform(-1, 1, (8,) + IMAGE_SHAPE).astype("float32")
    assert_trains_one_step(model, images, batch_size=8)
    assert_generates(model, IMAGE_SHAPE)
    generated = keras.ops.convert_to_numpy(model.generate(5))
    assert generated.shape == (5,) + IMAGE_SHAPE and np.abs(generated).max() <= 1.0
    classes = keras.ops.convert_to_numpy(model.classify(images))
    assert classes.shape == (8,) and classes.min() >= 0 and classes.max() < 3
    np.testing.assert_array_equal(classes, keras.ops.convert_to_numpy(model.classify(images)))
    logits = keras.ops.convert_to_numpy(model.class_logits(images))
    assert logits.shape == (8, 3)  # the N real classes only
    np.testing.assert_array_equal(classes, logits.argmax(axis=1))
    restored = assert_keras_round_trip(model, str(tmp_path / "sgan.keras"))
    # The labelled pool is saved with the model.
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(restored.labeled_images),
                                  pool_images)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(restored.labeled_labels),
                                  pool_labels)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(restored.classify(images)), classes)
    with pytest.raises(ValueError, match=r"model.fit\(images\) without labels"):
        model.fit(images, np.zeros(8, "int64"), batch_size=8, epochs=1, verbose=0)


def test_the_labelled_pool_is_checked():
    with pytest.raises(ValueError, match="needs its labelled pool"):
        sgan.SGAN(num_classes=3, image_shape=IMAGE_SHAPE)
    model = sgan.SGAN(latent_dim=4, num_classes=3, image_shape=IMAGE_SHAPE, base_width=8,
                      num_labeled=6)
    model.compile()
    images = np.zeros((8,) + IMAGE_SHAPE, "float32")
    with pytest.raises(ValueError, match="labelled pool of this SGAN is empty"):
        model.fit(images, batch_size=8, epochs=1, verbose=0)
    pool_images, pool_labels = small_pool()
    with pytest.raises(ValueError, match="takes 6 images"):
        model.set_labeled(pool_images[:5], pool_labels[:5])
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        model.set_labeled(pool_images, pool_labels + 1)
    with pytest.raises(ValueError, match="generator_loss must be one of"):
        sgan.SGAN(num_classes=3, image_shape=IMAGE_SHAPE, num_labeled=6, generator_loss="l2")


def test_balanced_subset_spreads_the_labels_over_the_classes():
    labels = np.repeat(np.arange(4), [30, 5, 20, 9])
    chosen = gan_data.balanced_subset(labels, 10, seed=3)
    assert len(chosen) == 10 and len(set(chosen)) == 10
    assert sorted(np.bincount(labels[chosen])) == [2, 2, 3, 3]
    np.testing.assert_array_equal(chosen, gan_data.balanced_subset(labels, 10, seed=3))
    assert not np.array_equal(chosen, gan_data.balanced_subset(labels, 10, seed=4))
    with pytest.raises(gan_data.DataError, match="keep at least 4"):
        gan_data.balanced_subset(labels, 3)
    with pytest.raises(gan_data.DataError, match="Class 1 has 5 examples"):
        gan_data.balanced_subset(labels, 40)
    images = np.arange(64, dtype="float32").reshape(64, 1, 1, 1) / 64
    data = gan_data.ImageData(images, labels, "array")
    for source in (data, gan_data.stream_from_images(data)):
        pool_images, pool_labels = gan_data.examples_at(source, chosen)
        np.testing.assert_array_equal(pool_images, images[chosen])
        np.testing.assert_array_equal(pool_labels, labels[chosen])


# --- The step's maths ---------------------------------------------------------------------------
def real_classes_loss(logits):
    """−log(1 − p_fake) = logsumexp(all) − logsumexp(real classes), batch mean."""
    return np.mean(np.logaddexp.reduce(logits, axis=1)
                   - np.logaddexp.reduce(logits[:, :-1], axis=1))


def fake_class_loss(logits):
    """−log p_fake, batch mean."""
    return -np.mean(step_checks.log_softmax(logits)[:, -1])


def p_fake(logits):
    return np.exp(step_checks.log_softmax(logits)[:, -1])


@pytest.mark.parametrize("generator_loss", ["nonsaturating", "feature_matching"])
def test_step_matches_numpy_and_moves_the_right_way(generator_loss):
    shape, classes, latent_dim, batch = (4, 4, 1), 3, 3, 6
    pool = step_checks.real_batch(5, shape, seed=1)
    pool_labels = np.array([0, 1, 2, 0, 1])
    model = sgan.SGAN(latent_dim=latent_dim, num_classes=classes, image_shape=shape,
                      labeled_images=pool, labeled_labels=pool_labels,
                      generator_loss=generator_loss, seed=5,
                      generator=step_checks.linear_generator(latent_dim, shape),
                      discriminator=step_checks.multiclass_discriminator(shape, classes + 1))
    images = step_checks.real_batch(batch, shape)
    draws = [("uniform", (batch,)), ("normal", (batch, latent_dim)),
             ("normal", (batch, latent_dim))]
    step = step_checks.OneStep(model, images, draws)
    pool_draws, d_latent, g_latent = step.draws
    chosen = step_checks.drawn_classes(pool_draws, len(pool))  # ⌊u·count⌋: with replacement
    labeled, labels = pool[chosen], pool_labels[chosen]
    d_before, d_after = step.discriminator_before, step.discriminator_after
    g_before, g_after = step.generator_before, step.generator_after
    fakes = step_checks.generated(g_before, d_latent, shape)
    scores = step_checks.class_scores

    # D's loss, term by term: CE of the labelled draws, −log(1 − p_fake) of the unlabelled
    # batch, −log p_fake of the fakes.
    terms = {
        "d_class_loss": lambda d: step_checks.categorical_crossentropy(scores(d, labeled),
                                                                       labels),
        "d_unlabeled_loss": lambda d: real_classes_loss(scores(d, images)),
        "d_fake_loss": lambda d: fake_class_loss(scores(d, fakes)),
    }
    for name, term in terms.items():
        np.testing.assert_allclose(step.logs[name], term(d_before), rtol=1e-4, err_msg=name)
        # Each term pulls on D by itself...
        gradients = step_checks.numerical_gradients(term, d_before)
        assert step.learning_rate * np.abs(gradients[0]).max() > 1e-3, name

    def discriminator_loss(d):
        return sum(term(d) for term in terms.values())

    np.testing.assert_allclose(step.logs["d_loss"], discriminator_loss(d_before), rtol=1e-4)
    # ... and the SGD step moves D by exactly their sum's gradient.
    step_checks.assert_sgd_update(d_before, d_after,
                                  step_checks.numerical_gradients(discriminator_loss, d_before))

    # D's step: the true class of labelled images rises, unlabelled images look less fake,
    # fakes more fake.
    rows = np.arange(batch)
    assert (scores(d_after, labeled)[rows, labels].mean()
            > scores(d_before, labeled)[rows, labels].mean())
    assert (step_checks.class_log_probabilities(scores(d_after, labeled), labels).mean()
            > step_checks.class_log_probabilities(scores(d_before, labeled), labels).mean())
    assert p_fake(scores(d_after, images)).mean() < p_fake(scores(d_before, images)).mean()
    assert p_fake(scores(d_after, fakes)).mean() > p_fake(scores(d_before, fakes)).mean()

    # G's step, through the updated D on fresh fakes.
    real_mean = images.reshape(batch, -1).mean(axis=0)

    def generator_loss_of(g):
        fresh = step_checks.generated(g, g_latent, shape)
        if generator_loss == "nonsaturating":
            return real_classes_loss(scores(d_after, fresh))
        # D's features are the flattened images: the distance between the batch means.
        return np.sum((real_mean - fresh.reshape(batch, -1).mean(axis=0)) ** 2)

    np.testing.assert_allclose(step.logs["g_loss"], generator_loss_of(g_before), rtol=1e-4)
    step_checks.assert_sgd_update(g_before, g_after,
                                  step_checks.numerical_gradients(generator_loss_of, g_before))
    assert generator_loss_of(g_after) < generator_loss_of(g_before)
    if generator_loss == "nonsaturating":  # fresh fakes look less fake to D
        fresh, fresh_after = (step_checks.generated(g, g_latent, shape)
                              for g in (g_before, g_after))
        assert p_fake(scores(d_after, fresh_after)).mean() < p_fake(scores(d_after, fresh)).mean()


# --- Command line -------------------------------------------------------------------------------
SMOKE = ["--dataset", "shapes", "--image-size", "28", "--verbose", "0"]


def test_command_line_keeps_few_labels_classifies_and_resumes_exactly(tmp_path, capsys):
    first = tmp_path / "first"
    assert sgan.main([*SMOKE, "--smoke", "--out", str(first)]) == 0
    checkpoint = first / "checkpoints" / "model.keras"
    model = keras.saving.load_model(checkpoint)
    # --smoke keeps 2 labels per class; they are the balanced, seeded choice, and only they.
    shapes = gan_data.load("shapes", split="train", image_size=28, limit=64)
    chosen = gan_data.balanced_subset(shapes.labels, 6, seed=0)
    assert model.num_classes == 3 and model.num_labeled == 6
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(model.labeled_labels),
                                  shapes.labels[chosen])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model.labeled_images),
                               shapes.images[chosen])

    classes = tmp_path / "classes.npy"
    assert sgan.main(["classify", "--checkpoint", str(checkpoint), "--dataset", "shapes",
                      "--image-size", "28", "--limit", "20", "--output", str(classes)]) == 0
    predicted = np.load(classes)
    assert predicted.shape == (20,) and predicted.dtype == np.int64
    assert predicted.min() >= 0 and predicted.max() < 3
    assert "accuracy against the data's labels" in capsys.readouterr().out
    assert sgan.main(["sample", "--checkpoint", str(checkpoint), "--label", "1",
                      "--output", str(tmp_path / "ones.png")]) == 2
    assert "does not draw samples of a class" in error_line(capsys)
    assert sgan.main(["sample", "--checkpoint", str(checkpoint), "--count", "4",
                      "--output", str(tmp_path / "grid.png")]) == 0
    assert Image.open(tmp_path / "grid.png").size[0] > 0

    # A resumed run draws the labelled batches an uninterrupted run draws.
    assert sgan.main(["--resume", "--out", str(first), "--epochs", "2", "--verbose", "0"]) == 0
    whole = tmp_path / "whole"
    assert sgan.main([*SMOKE, "--limit", "64", "--batch-size", "8", "--steps-per-epoch", "2",
                      "--labeled", "6", "--epochs", "2", "--out", str(whole)]) == 0
    assert_same_training_state(whole / "checkpoints" / "model.keras", checkpoint)


def test_bad_label_settings_stop_before_training(tmp_path, capsys):
    out = tmp_path / "run"
    assert sgan.main([*SMOKE, "--limit", "64", "--labeled", "2", "--out", str(out)]) == 2
    assert "pass --labeled 3 or more" in error_line(capsys)
    assert sgan.main([*SMOKE, "--limit", "64", "--labeled", "90", "--out", str(out)]) == 2
    assert "keep fewer labelled examples" in error_line(capsys)
    folder = tmp_path / "photos"
    folder.mkdir()
    for index in range(16):
        Image.fromarray(np.full((8, 8), index * 10, np.uint8)).save(folder / f"{index}.png")
    assert sgan.main(["--dataset", str(folder), "--smoke", "--out", str(out)]) == 2
    assert "has none: use a labelled dataset" in error_line(capsys)
    assert not out.exists()
