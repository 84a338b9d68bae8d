"""Tests of keras_gans.data: loaders, scaling, errors and reproducible batching."""

import gzip
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

from keras_gans import data

from conftest import MNIST_DIR, require_module


def write_png(path, size=(8, 8), mode="RGB", value=128):
    """Writes a solid-colour PNG of `size` (width, height) and `mode`; returns its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, value if mode == "L" else (value,) * len(mode)).save(path)
    return path


def raw_mnist_labels():
    """Reads the shared MNIST test labels straight from the gzipped IDX file."""
    with gzip.open(MNIST_DIR / "t10k-labels-idx1-ubyte.gz", "rb") as file:
        return np.frombuffer(file.read(), dtype=np.uint8, offset=8)


def first_batches(dataset, count):
    """Returns the first `count` elements of a tf.data.Dataset as NumPy arrays."""
    return [np.asarray(batch) for batch in dataset.take(count).as_numpy_iterator()]


# Built-in shapes.


def test_shapes_have_the_documented_size_range_and_labels():
    shapes = data.load("shapes")
    assert shapes.images.shape == (8000, 32, 32, 1)
    assert shapes.images.dtype == np.float32
    assert set(np.unique(shapes.images)) == {-1.0, 1.0}
    assert shapes.labels.dtype == np.int64
    assert set(np.unique(shapes.labels)) == {0, 1, 2}
    assert shapes.class_names == ["circle", "square", "triangle"]
    assert shapes.num_classes == 3 and shapes.image_shape == (32, 32, 1) and len(shapes) == 8000
    foreground = (shapes.images > 0).mean(axis=(1, 2, 3))
    assert foreground.min() > 0.01 and foreground.max() < 0.7  # one visible shape per image


def test_shapes_are_deterministic_per_seed_and_split():
    first, again = data.load("shapes", limit=500), data.load("shapes", limit=500)
    np.testing.assert_array_equal(first.images, again.images)
    np.testing.assert_array_equal(first.labels, again.labels)
    other_seed = data.load("shapes", limit=500, seed=1)
    assert not np.array_equal(first.images, other_seed.images)
    test = data.load("shapes", split="test")
    assert len(test) == 2000
    assert not np.array_equal(test.images[:500], first.images)
    np.testing.assert_array_equal(data.load("shapes").images[:500], first.images)


def test_shapes_size_and_channels_options():
    shapes = data.load("shapes", image_size=(16, 24), channels=3, limit=10)
    assert shapes.images.shape == (10, 16, 24, 3)
    np.testing.assert_array_equal(shapes.images[..., 0], shapes.images[..., 2])
    with pytest.raises(data.DataError, match="split"):
        data.load("shapes", split="validation")


# Scaling.


def test_scale_images_and_to_uint8_round_trip():
    pixels = np.arange(256, dtype=np.uint8).reshape(1, 16, 16, 1)
    scaled = data.scale_images(pixels)
    assert scaled.dtype == np.float32 and scaled.min() == -1.0 and scaled.max() == 1.0
    np.testing.assert_array_equal(data.to_uint8(scaled), pixels)
    np.testing.assert_allclose(data.scale_images(np.array([0.0, 0.5, 1.0])), [-1.0, 0.0, 1.0])
    already = np.array([-1.0, 0.25, 1.0], np.float32)
    np.testing.assert_array_equal(data.scale_images(already), already)
    np.testing.assert_array_equal(data.to_uint8(keras.ops.convert_to_tensor(already)),
                                  [0, 159, 255])
    with pytest.raises(data.DataError, match="values"):
        data.scale_images(np.array([-2.0, 0.5]))


# Image folders.


def test_flat_folder(tmp_path):
    for index in range(5):
        write_png(tmp_path / f"image_{index}.png", value=index * 50)
    (tmp_path / "notes.txt").write_text("not an image")
    folder = data.load(str(tmp_path))
    assert folder.images.shape == (5, 8, 8, 3)
    assert folder.labels is None and folder.num_classes is None
    assert folder.images.min() == -1.0 and folder.images.max() <= 1.0
    assert folder.name == str(tmp_path)


def test_class_per_subfolder(tmp_path):
    for name, count in (("dogs", 2), ("cats", 3)):
        for index in range(count):
            write_png(tmp_path / name / f"{index}.PNG", size=(10, 6), mode="L")
    folder = data.load(tmp_path)
    assert folder.images.shape == (5, 6, 10, 1)
    assert folder.class_names == ["cats", "dogs"]
    np.testing.assert_array_equal(folder.labels, [0, 0, 0, 1, 1])
    assert folder.num_classes == 2


def test_rgba_images_drop_alpha(tmp_path):
    write_png(tmp_path / "a.png", mode="RGBA")
    assert data.load(tmp_path).image_shape == (8, 8, 3)


def test_resizing_with_image_size(tmp_path):
    write_png(tmp_path / "small.png", size=(8, 8))
    write_png(tmp_path / "large.jpg", size=(20, 12))
    folder = data.load(tmp_path, image_size=16)
    assert folder.images.shape == (2, 16, 16, 3)
    assert data.load(tmp_path, image_size=(4, 6)).image_shape == (4, 6, 3)


def test_missing_folder_is_a_data_error(tmp_path):
    with pytest.raises(data.DataError, match="does not exist"):
        data.load(tmp_path / "missing")
    with pytest.raises(data.DataError, match="does not exist"):
        data.load(str(tmp_path / "missing" / "images"))
    with pytest.raises(data.DataError, match="does not exist"):
        data.load("mnist", data_dir=tmp_path / "missing")


def test_empty_folder_is_a_data_error(tmp_path):
    (tmp_path / "empty_class").mkdir()
    with pytest.raises(data.DataError, match="contains no images"):
        data.load(tmp_path)


def test_unreadable_image_is_a_data_error(tmp_path):
    write_png(tmp_path / "good.png")
    (tmp_path / "broken.png").write_bytes(b"this is not a png file")
    with pytest.raises(data.DataError, match="broken.png could not be read as an image"):
        data.load(tmp_path)


def test_wrong_channel_count_is_a_data_error(tmp_path):
    write_png(tmp_path / "rgb.png", mode="RGB")
    with pytest.raises(data.DataError, match="have 3 channels but --channels 1"):
        data.load(tmp_path, channels=1)
    assert data.load(tmp_path, channels=3).image_shape == (8, 8, 3)


def test_mixed_channels_are_a_data_error(tmp_path):
    write_png(tmp_path / "a.png", mode="RGB")
    write_png(tmp_path / "b.png", mode="L")
    with pytest.raises(data.DataError, match="mix grayscale and RGB"):
        data.load(tmp_path)


def test_mixed_sizes_without_image_size_are_a_data_error(tmp_path):
    write_png(tmp_path / "a.png", size=(8, 8))
    write_png(tmp_path / "b.png", size=(9, 8))
    with pytest.raises(data.DataError, match="--image-size"):
        data.load(tmp_path)


def test_data_error_messages_are_one_sentence(tmp_path):
    with pytest.raises(data.DataError) as error:
        data.load(tmp_path / "missing")
    message = str(error.value)
    assert isinstance(error.value, ValueError)
    assert message.endswith(".") and ": " in message and message.count(". ") == 0


# Arrays and files.


def test_npz_and_npy_files(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (6, 5, 7, 3), dtype=np.uint8)
    np.savez(tmp_path / "named.npz", images=images, labels=np.arange(6))
    np.savez(tmp_path / "keras_style.npz", x_train=images[..., 0], y_train=np.ones(6))
    np.save(tmp_path / "plain.npy", images.astype(np.float32) / 255.0)
    named = data.load(tmp_path / "named.npz")
    assert named.images.shape == (6, 5, 7, 3)
    np.testing.assert_array_equal(named.labels, np.arange(6))
    np.testing.assert_array_equal(data.to_uint8(named.images), images)
    keras_style = data.load(str(tmp_path / "keras_style.npz"), limit=4)
    assert keras_style.images.shape == (4, 5, 7, 1) and keras_style.labels.tolist() == [1] * 4
    plain = data.load(tmp_path / "plain.npy", image_size=10)
    assert plain.images.shape == (6, 10, 10, 3) and plain.labels is None
    np.savez(tmp_path / "other.npz", pixels=images)
    with pytest.raises(data.DataError, match="no array named images"):
        data.load(tmp_path / "other.npz")


def test_numpy_array_source():
    array = np.full((4, 6, 6), 255, np.uint8)
    loaded = data.load(array)
    assert loaded.images.shape == (4, 6, 6, 1) and np.all(loaded.images == 1.0)
    assert loaded.labels is None
    with pytest.raises(data.DataError, match="have 1 channel but --channels 3"):
        data.load(array, channels=3)
    with pytest.raises(data.DataError, match="shape"):
        data.load(np.zeros((4, 6), np.uint8))


# MNIST.


def test_mnist_offline_split_from_the_shared_folder(mnist_dir):
    train = data.load("mnist", data_dir=MNIST_DIR)
    test = data.load("mnist", data_dir=str(MNIST_DIR), split="test")
    assert train.images.shape == (8000, 28, 28, 1) and test.images.shape == (2000, 28, 28, 1)
    raw = raw_mnist_labels()
    np.testing.assert_array_equal(np.bincount(train.labels, minlength=10),
                                  np.bincount(raw[:8000], minlength=10))
    np.testing.assert_array_equal(test.labels, raw[8000:])
    assert train.images.min() == -1.0 and train.images.max() == 1.0
    assert train.num_classes == 10 and train.name == "mnist"


def test_idx_file_path_and_channels(mnist_dir):
    digits = data.load(MNIST_DIR / "t10k-images-idx3-ubyte.gz", limit=100)
    assert digits.images.shape == (100, 28, 28, 1)
    np.testing.assert_array_equal(digits.labels, raw_mnist_labels()[:100])
    rgb = data.load("mnist", data_dir=MNIST_DIR, channels=3, limit=10)
    assert rgb.images.shape == (10, 28, 28, 3)


def test_mnist32_is_padded_with_background(mnist_dir):
    digits = data.load("mnist32", data_dir=MNIST_DIR, limit=50)
    assert digits.images.shape == (50, 32, 32, 1)
    border = np.concatenate([digits.images[:, :2].ravel(), digits.images[:, -2:].ravel(),
                             digits.images[:, :, :2].ravel(), digits.images[:, :, -2:].ravel()])
    assert np.all(border == -1.0)
    assert digits.images.max() == 1.0


def test_idx_folder_without_mnist_files_is_a_data_error(tmp_path):
    with pytest.raises(data.DataError, match="t10k-images-idx3-ubyte"):
        data.load("mnist", data_dir=tmp_path)


def test_mnist_without_data_dir_or_network_is_a_data_error(monkeypatch):
    def no_network():
        raise Exception("URL fetch failure")  # noqa: TRY002 - what keras get_file raises

    monkeypatch.setattr(keras.datasets.mnist, "load_data", no_network)
    with pytest.raises(data.DataError, match="MNIST could not be found or downloaded"):
        data.load("mnist")


def test_tensorflow_datasets_names_are_read_with_limit_and_resize():
    tfds = require_module("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=12):  # random examples, no files or network
        digits = data.load("tfds:mnist", limit=5)
        horses = data.load("cycle_gan/horse2zebra", split="trainA", limit=3, image_size=16)
    assert digits.images.shape == (5, 28, 28, 1) and digits.labels.shape == (5,)
    assert digits.class_names == [str(digit) for digit in range(10)]
    assert digits.images.min() >= -1.0 and digits.images.max() <= 1.0
    assert horses.images.shape == (3, 16, 16, 3) and horses.num_classes == 2


def test_unknown_dataset_name_lists_the_builtins():
    with pytest.raises(data.DataError, match="shapes, mnist, mnist32"):
        data.load("no_such_dataset_anywhere")
    assert set(data.BUILTIN_DATASETS) >= {"shapes", "mnist", "mnist32", "fashion_mnist", "cifar10"}


def test_module_imports_without_tensorflow_datasets():
    code = "import sys, keras_gans.data; assert 'tensorflow_datasets' not in sys.modules"
    root = str(Path(__file__).parents[1])
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root, env=env, timeout=300)


# Batching.


def numbered_images(count):
    """ImageData whose image i is filled with a value that identifies i."""
    values = np.linspace(-1, 1, count, dtype=np.float32)
    images = np.broadcast_to(values[:, None, None, None], (count, 4, 4, 1)).copy()
    return data.ImageData(images, np.arange(count, dtype=np.int64), "numbered")


def batch_order(batch):
    """The image indices of a batch of `numbered_images`."""
    return tuple(np.asarray(batch)[:, 0, 0, 0].round(6))


def test_batches_shapes_and_labels():
    images = numbered_images(20)
    assert data.steps_per_epoch(images, 8) == 2
    batch = first_batches(data.batches(images, 8), 1)[0]
    assert batch.shape == (8, 4, 4, 1) and batch.dtype == np.float32
    pixels, labels = next(iter(data.batches(images, 8, labels=True)))
    assert tuple(pixels.shape) == (8, 4, 4, 1) and labels.dtype == np.int64
    np.testing.assert_allclose(np.asarray(pixels)[:, 0, 0, 0],
                               np.asarray(images.images)[np.asarray(labels), 0, 0, 0])


def test_batches_resume_exactly_and_reshuffle_each_epoch():
    images = numbered_images(20)
    uninterrupted = [batch_order(b) for b in first_batches(data.batches(images, 5, seed=3), 12)]
    resumed = [batch_order(b) for b in
               first_batches(data.batches(images, 5, seed=3, start_epoch=1), 8)]
    again = [batch_order(b) for b in
             first_batches(data.batches(images, 5, seed=3, start_epoch=1), 8)]
    assert resumed == again == uninterrupted[4:]
    epoch_0, epoch_1 = uninterrupted[:4], uninterrupted[4:8]
    assert epoch_0 != epoch_1
    assert sorted(sum(epoch_0, ())) == sorted(sum(epoch_1, ()))  # each epoch is a permutation
    other_seed = [batch_order(b) for b in first_batches(data.batches(images, 5, seed=4), 4)]
    assert other_seed != epoch_0


def test_batches_without_shuffle_keep_the_order():
    images = numbered_images(10)
    batch = first_batches(data.batches(images, 10, shuffle=False), 2)
    np.testing.assert_array_equal(batch[0], images.images)
    np.testing.assert_array_equal(batch[1], images.images)


def test_dataset_smaller_than_a_batch_is_a_data_error():
    images = numbered_images(6)
    with pytest.raises(data.DataError, match="has 6 images, fewer than one batch of 8"):
        data.batches(images, 8)
    with pytest.raises(data.DataError, match="fewer than one batch"):
        data.steps_per_epoch(images, 8)
    with pytest.raises(data.DataError, match="no labels"):
        data.batches(data.ImageData(images.images, None, "unlabelled"), 2, labels=True)
