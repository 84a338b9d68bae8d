"""CGAN (Mirza and Osindero, 2014): networks, labels through the step, the step's maths, the
command line with labels, `sample --label`."""

import keras
import numpy as np
import pytest
from PIL import Image

from keras_gans import cgan

import step_checks
from cli_helpers import error_line
from model_checks import assert_generates, assert_keras_round_trip, assert_trains_one_step
from model_checks import layer_types

ON_JAX = keras.backend.backend() == "jax"


@pytest.mark.skipif(ON_JAX, reason="architecture counts are checked on TensorFlow and PyTorch")
def test_networks_follow_the_zoo_widths_and_the_keras_io_layout():
    discriminator = cgan.build_discriminator((28, 28, 1), 10)
    dense = [layer.units for layer in discriminator.layers if type(layer).__name__ == "Dense"]
    assert dense == [512, 512, 512, 1]
    assert layer_types(discriminator).count("Dropout") == 2
    assert discriminator.layers[2].output.shape[-1] == 10  # the one-hot class goes in
    generator = cgan.build_generator(100, 10, (28, 28, 1))
    assert generator.input_shape == [(None, 100), (None, 10)]
    assert generator.output_shape == (None, 28, 28, 1)
    conv = cgan.CGAN(num_classes=10, arch="conv")
    assert conv.generator.output_shape == (None, 28, 28, 1)
    assert conv.discriminator.output_shape == (None, 1)
    with pytest.raises(ValueError, match="--image-size"):
        cgan.build_conv_generator(100, 10, (30, 30, 1))


def test_trains_one_step_generates_each_class_and_round_trips(tmp_path):
    image_shape = (8, 8, 1)
    model = cgan.CGAN(latent_dim=4, num_classes=3, image_shape=image_shape, seed=0)
    model.compile()
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (8,) + image_shape).astype("float32")
    labels = rng.integers(0, 3, 8)
    assert_trains_one_step(model, (images, labels), batch_size=8)
    assert_generates(model, image_shape, count=6)
    latent, grid_labels = model.sample_inputs(7, seed=0)
    assert grid_labels.tolist() == [0, 0, 1, 1, 2, 2]  # one full row per class
    assert model.sample_grid((latent[:6], grid_labels))[1] == 2
    twos = keras.ops.convert_to_numpy(model.generate(5, labels=2))
    assert twos.shape == (5,) + image_shape
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        model.generate(2, labels=3)
    assert_keras_round_trip(model, str(tmp_path / "cgan.keras"))
    with pytest.raises(ValueError, match="model.fit\\(images, labels"):
        model.fit(images, batch_size=8, epochs=1, verbose=0)


def test_step_matches_numpy_and_moves_the_right_way():
    shape, classes, latent_dim, batch = (4, 4, 1), 3, 3, 6
    model = cgan.CGAN(latent_dim=latent_dim, num_classes=classes, image_shape=shape, seed=5,
                      generator=step_checks.conditional_generator(latent_dim, classes, shape),
                      discriminator=step_checks.conditional_discriminator(shape, classes))
    images = step_checks.real_batch(batch, shape)
    labels = np.array([0, 1, 2, 0, 1, 2])
    step = step_checks.conditional_one_step(model, images, labels)
    d_classes, d_latent, g_classes, g_latent = (
        step.d_classes, step.d_latent, step.g_classes, step.g_latent)

    def fakes(generator, latent, fake_classes):
        return step_checks.conditional_fakes(generator, latent, fake_classes, classes, shape)

    def score(discriminator, pictures, picture_classes):
        return step_checks.scores(
            discriminator, step_checks.with_classes(pictures, picture_classes, classes))

    d_before, d_after = step.discriminator_before, step.discriminator_after
    real_before = score(d_before, images, labels)
    d_fakes = fakes(step.generator_before, d_latent, d_classes)
    fake_before = score(d_before, d_fakes, d_classes)
    np.testing.assert_allclose(
        step.logs["d_loss"], step_checks.cross_entropy_discriminator_loss(real_before, fake_before),
        rtol=1e-4)
    g_fakes = fakes(step.generator_before, g_latent, g_classes)
    np.testing.assert_allclose(
        step.logs["g_loss"],
        step_checks.nonsaturating_generator_loss(None, score(d_after, g_fakes, g_classes)),
        rtol=1e-4)
    # D rates real (image, class) pairs higher and its fakes lower; G's fresh fakes then rise.
    assert score(d_after, images, labels).mean() > real_before.mean()
    assert score(d_after, d_fakes, d_classes).mean() < fake_before.mean()
    g_after = fakes(step.generator_after, g_latent, g_classes)
    assert score(d_after, g_after, g_classes).mean() > score(d_after, g_fakes, g_classes).mean()


def test_command_line_trains_on_labels_and_samples_a_class(tmp_path, capsys):
    out = tmp_path / "run"
    assert cgan.main(["--dataset", "shapes", "--image-size", "28", "--smoke", "--out", str(out),
                      "--verbose", "0"]) == 0
    restored = keras.saving.load_model(out / "checkpoints" / "model.keras")
    assert restored.num_classes == 3  # the shapes' classes, read from the data
    grid = tmp_path / "triangles.png"
    assert cgan.main(["sample", "--checkpoint", str(out / "checkpoints" / "model.keras"),
                      "--label", "2", "--count", "4", "--output", str(grid)]) == 0
    assert Image.open(grid).size[0] > 0
    assert cgan.main(["sample", "--checkpoint", str(out / "checkpoints" / "model.keras"),
                      "--label", "3", "--output", str(tmp_path / "none.png")]) == 2
    assert "--label 3 is not a class of this model" in error_line(capsys)


def test_unlabelled_data_and_labels_out_of_range_stop_before_training(tmp_path, capsys):
    folder = tmp_path / "photos"
    folder.mkdir()
    for index in range(16):
        Image.fromarray(np.full((8, 8), index * 10, np.uint8)).save(folder / f"{index}.png")
    out = tmp_path / "run"
    assert cgan.main(["--dataset", str(folder), "--smoke", "--out", str(out)]) == 2
    assert "has none: use a labelled dataset" in error_line(capsys)
    assert cgan.main(["--dataset", "shapes", "--num-classes", "2", "--smoke",
                      "--out", str(out)]) == 2
    assert "pass --num-classes 3" in error_line(capsys)
    assert not out.exists()
