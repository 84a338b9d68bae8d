"""Streaming pipelines: equal to the in-memory path, deterministic per epoch, exact on resume;
and the offline digit tasks mnist_edges and mnist_color."""

import colorsys

import keras
import numpy as np
import pytest
from PIL import Image

from keras_gans import data
from keras_gans.data import digits, streaming

from conftest import missing, require_module

HAS_TENSORFLOW = streaming.tensorflow_available()


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("pictures")
    rng = np.random.default_rng(0)
    for index in range(10):
        Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)).save(
            root / f"{index:02d}.png")
    return root


@pytest.fixture(scope="module")
def paired(tmp_path_factory):
    root = tmp_path_factory.mktemp("pairs")
    rng = np.random.default_rng(1)
    (root / "train").mkdir()
    for index in range(6):
        Image.fromarray(rng.integers(0, 256, (8, 16, 3), dtype=np.uint8)).save(
            root / "train" / f"{index}.png")
    return data.open_stream(root, "paired", load_size=10, flip=True)


def test_streamed_folder_equals_the_in_memory_folder(folder):
    stream = data.open_folder_stream(folder)
    in_memory = data.load(folder)
    np.testing.assert_array_equal(stream.examples(10), in_memory.images)
    assert stream.image_shape == in_memory.image_shape and len(stream) == len(in_memory)


def test_sequence_and_tf_data_read_the_same_batches(folder):
    stream = data.open_folder_stream(folder, flip=True)
    sequence = data.StreamSequence(stream, 3, seed=5, steps_per_epoch=4)
    expected = [sequence.batch_at(position) for position in range(7)]  # crosses a pass
    plan = data.epoch_plan(stream, 5, 0, 3)
    in_memory = data.load(folder).images
    np.testing.assert_array_equal(
        expected[0], [in_memory[i][:, ::-1] if f else in_memory[i]
                      for i, f in zip(plan["index_a"][:3], plan["flip_a"][:3])])
    if not HAS_TENSORFLOW:
        missing("TensorFlow is not installed")
    batches = data.tensorflow_batches(stream, 3, seed=5)
    for got, want in zip(batches.take(7).as_numpy_iterator(), expected, strict=True):
        np.testing.assert_array_equal(got, want)


def test_each_epoch_draws_a_new_seeded_permutation(paired):
    first, second = (data.epoch_plan(paired, 0, epoch, 2) for epoch in (0, 1))
    assert sorted(first["index_a"]) == list(range(6))
    assert not np.array_equal(first["index_a"], second["index_a"])
    again = data.epoch_plan(paired, 0, 0, 2)
    for key in data.streaming.PLAN_KEYS:
        np.testing.assert_array_equal(first[key], again[key])


def test_sequence_resumes_exactly_at_epoch_3(paired):
    steps = 2  # fewer steps than a pass: the data's passes and fit's epochs differ
    uninterrupted = data.StreamSequence(paired, 2, seed=3, steps_per_epoch=steps)
    tracker = uninterrupted.tracker()
    for epoch in range(4):
        tracker.on_epoch_begin(epoch)
    resumed = data.StreamSequence(paired, 2, seed=3, steps_per_epoch=steps, initial_epoch=3)
    assert len(resumed) == steps
    for index in range(steps):
        for got, want in zip(resumed[index], uninterrupted[index], strict=True):
            np.testing.assert_array_equal(got, want)
    fresh = data.StreamSequence(paired, 2, seed=3, steps_per_epoch=steps)
    assert not np.array_equal(fresh[0][0], resumed[0][0])


def test_tf_data_resumes_exactly_at_epoch_3(paired):
    if not HAS_TENSORFLOW:
        missing("TensorFlow is not installed")
    steps = 2
    uninterrupted, _ = data.training_inputs(paired, 2, seed=3, steps_per_epoch=steps)
    resumed, options = data.training_inputs(paired, 2, seed=3, steps_per_epoch=steps,
                                            initial_epoch=3)
    assert options["steps_per_epoch"] == steps
    want = list(uninterrupted.skip(3 * steps).take(steps).as_numpy_iterator())
    for got, expected in zip(resumed.take(steps).as_numpy_iterator(), want, strict=True):
        for got_images, expected_images in zip(got, expected, strict=True):
            np.testing.assert_allclose(got_images, expected_images, atol=1e-6)


def test_sequence_feeds_fit_on_every_backend(paired):
    sequence = data.StreamSequence(paired, 2, seed=0, steps_per_epoch=2)
    inputs = keras.Input((8, 8, 3))
    model = keras.Model(inputs, keras.layers.Conv2D(3, 1)(inputs))
    model.compile(optimizer="sgd", loss="mse", run_eagerly=True)
    seen = []
    read = sequence.batch_at
    sequence.batch_at = lambda position: seen.append(position) or read(position)
    history = model.fit(sequence, epochs=3, initial_epoch=1, verbose=0,
                        callbacks=[sequence.tracker()])
    assert len(history.history["loss"]) == 2 and sequence.epoch == 2
    assert {2, 3, 4, 5} <= set(seen) and max(seen) == 5  # epochs 1 and 2, two steps each


def test_mnist_edges_is_the_morphological_gradient(mnist_dir):
    stream = data.open_stream("mnist_edges", "paired", data_dir=mnist_dir)
    assert len(stream) == 8000 and stream.image_shape == (32, 32, 1) and not stream.flip
    assert stream.load_size == (32, 32)
    edges, digit_images = stream.domain_a.images, stream.domain_b.images
    binary = digit_images[5, ..., 0] > 0
    padded = np.pad(binary, 1)
    windows = np.stack([padded[y:y + 32, x:x + 32] for y in range(3) for x in range(3)])
    expected = windows.any(0) & ~windows.all(0)
    np.testing.assert_array_equal(edges[5, ..., 0] > 0, expected)
    assert set(np.unique(edges)) == {-1.0, 1.0}
    np.testing.assert_array_equal(stream.domain_a.labels, stream.domain_b.labels)
    held_out = data.held_out_pairs("mnist_edges", 2000, kind="paired", data_dir=mnist_dir)
    assert held_out.images_a.shape == (2000, 32, 32, 1) and len(held_out.labels_b) == 2000


def test_mnist_color_hue_bins_and_splits(mnist_dir):
    stream = data.open_stream("mnist_color", "unpaired", data_dir=mnist_dir)
    grey, coloured = stream.domain_a, stream.domain_b
    assert (len(grey), len(coloured), len(stream)) == (4000, 4000, 4000)
    np.testing.assert_array_equal(grey.images[..., 0], grey.images[..., 2])
    train = data.load("mnist32", data_dir=mnist_dir).labels
    np.testing.assert_array_equal(grey.labels, train[:4000])
    np.testing.assert_array_equal(coloured.labels, train[4000:])
    assert set(np.unique(coloured.styles)) == set(range(8))
    for index in range(20):
        rgb = (coloured.images[index] + 1) / 2
        stroke = rgb.max(-1) > 0.5
        hue = colorsys.rgb_to_hsv(*rgb[stroke].mean(0))[0] * 360
        assert int(hue // 45) == coloured.styles[index]
        assert np.all(rgb[~(rgb.max(-1) > 0)] == 0)  # black background
    held_out = data.held_out_pairs("mnist_color", 2000, kind="unpaired", data_dir=mnist_dir)
    np.testing.assert_array_equal(held_out.labels_a, held_out.labels_b)
    assert len(held_out.labels_a) == 2000 and held_out.images_b.shape[-1] == 3
    assert digits.TASKS == {"mnist_edges": "paired", "mnist_color": "unpaired",
                            "mnist_cogan": "unpaired", "mnist_cogan_negative": "unpaired"}


def test_digit_tasks_need_the_digits_and_the_right_kind(mnist_dir, monkeypatch):
    with pytest.raises(data.DataError, match="mnist_color is a unpaired dataset|unpaired"):
        data.open_stream("mnist_color", "paired", data_dir=mnist_dir)

    def no_network():
        raise Exception("no network")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", no_network)
    with pytest.raises(data.DataError, match="mnist_edges is built from the MNIST digits.*"
                       "--data-dir"):
        data.open_stream("mnist_edges", "paired")


def test_tensorflow_datasets_stream_their_encoded_images():
    tfds = require_module("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=6):  # random examples, no files or network
        stream = data.open_tfds_stream("tfds:mnist")
        in_memory = data.load("tfds:mnist", limit=4)
        horses = data.open_stream("cycle_gan/horse2zebra", "unpaired", image_size=16)
    assert isinstance(stream.domain_a.encoded[0], bytes) and stream.domain_a.images is None
    assert stream.image_shape == (28, 28, 1) and stream.class_names[:2] == ["0", "1"]
    np.testing.assert_array_equal(stream.examples(4), in_memory.images)
    np.testing.assert_array_equal(stream.labels[:4], in_memory.labels)
    assert horses.image_shape == (16, 16, 3) and horses.load_size == (18, 18)
    assert data.is_tfds_name("celeb_a") and not data.is_tfds_name("shapes")


def test_class_subfolders_stream_labelled_batches(tmp_path):
    rng = np.random.default_rng(2)
    for class_name, shade in (("cats", 30), ("dogs", 220)):
        (tmp_path / class_name).mkdir()
        for index in range(4):
            pixels = np.full((6, 6), shade, np.uint8) + rng.integers(0, 5, (6, 6), np.uint8)
            Image.fromarray(pixels).save(tmp_path / class_name / f"{index}.png")
    stream = data.open_folder_stream(tmp_path, flip=False)
    sequence = data.StreamSequence(stream, 4, seed=3, labels=True)
    images, labels = sequence.batch_at(1)
    assert labels.dtype == np.int64 and labels.shape == (4,)
    np.testing.assert_array_equal(labels, images.mean(axis=(1, 2, 3)) > 0)  # dogs are bright
    if HAS_TENSORFLOW:
        batches = data.tensorflow_batches(stream, 4, seed=3, labels=True)
        for (got_images, got_labels), (want_images, want_labels) in zip(
                batches.take(3).as_numpy_iterator(), [sequence.batch_at(i) for i in range(3)],
                strict=True):
            np.testing.assert_array_equal(got_images, want_images)
            np.testing.assert_array_equal(got_labels, want_labels)
    unlabelled = data.open_folder_stream(tmp_path / "cats")
    with pytest.raises(data.DataError, match="has no labels"):
        data.StreamSequence(unlabelled, 2, labels=True)


def test_mnist_cogan_pairs_no_digit_with_its_own_edges_or_negative(mnist_dir):
    train = data.load("mnist", data_dir=mnist_dir)
    stream = data.open_stream("mnist_cogan", "unpaired", data_dir=mnist_dir)
    digit_set, edge_set = stream.domains()
    assert (len(digit_set), len(edge_set), len(stream)) == (4000, 4000, 4000)
    assert stream.image_shape == (28, 28, 1) and not stream.flip
    np.testing.assert_array_equal(digit_set.images, train.images[:4000])
    np.testing.assert_array_equal(edge_set.images, digits.edge_map(train.images[4000:]))
    np.testing.assert_array_equal(edge_set.labels, train.labels[4000:])
    negatives = data.open_stream("mnist_cogan_negative", "unpaired", data_dir=mnist_dir)
    np.testing.assert_array_equal(negatives.domain_a.images, train.images[:4000])
    np.testing.assert_array_equal(negatives.domain_b.images, -train.images[4000:])
    held_out = data.held_out_pairs("mnist_cogan", 2000, kind="unpaired", data_dir=mnist_dir)
    np.testing.assert_array_equal(held_out.images_b, digits.edge_map(held_out.images_a))
    np.testing.assert_array_equal(held_out.labels_a, held_out.labels_b)
    assert held_out.images_a.shape == (2000, 28, 28, 1)
    with pytest.raises(data.DataError, match="'edges' or 'negative'"):
        digits.coupled_digits(mnist_dir, pair="rotated")


def test_two_domain_models_refuse_single_image_datasets_naming_their_tasks():
    with pytest.raises(data.DataError, match="mnist holds single images, but this model needs "
                       "unpaired A and B images: pick mnist_color or mnist_cogan or "
                       "mnist_cogan_negative, or a folder of unpaired images"):
        data.open_stream("mnist", "unpaired")
    with pytest.raises(data.DataError, match="pick mnist_edges, or a folder of paired"):
        data.open_stream("shapes", "paired")


def _numbered_images(count=24):
    """Images whose pixels hold their own index, to see which rows a batch holds."""
    images = np.repeat(np.arange(count, dtype="float32"), 4).reshape(count, 2, 2, 1) / count
    return data.ImageData(images, np.arange(count) % 10, "array")


def _rows(batches):
    """The image indices in a list of batches of `_numbered_images`."""
    return [np.rint(np.asarray(batch)[:, 0, 0, 0] * 24).astype(int).tolist() for batch in batches]


@pytest.mark.parametrize("unit, step", [(8, 8), (8, 16)], ids=["one_batch", "two_critic_batches"])
def test_worker_shards_split_every_global_batch_without_repeats(unit, step):
    stream = data.stream_from_images(_numbered_images())
    whole = _rows(streaming.StreamSequence(stream, step, seed=3).batch_at(position)
                  for position in range(3))
    parts = [_rows(streaming.StreamSequence(stream, step, seed=3,
                                            shard=data.WorkerShard(index, 2, unit))
                   .batch_at(position) for position in range(3)) for index in range(2)]
    half = unit // 2
    for position, rows in enumerate(whole):
        blocks = [rows[first:first + unit] for first in range(0, step, unit)]
        assert parts[0][position] == sum((block[:half] for block in blocks), [])
        assert parts[1][position] == sum((block[half:] for block in blocks), [])
    if HAS_TENSORFLOW:
        for make in (lambda shard: streaming.tensorflow_batches(stream, step, seed=3,
                                                                shard=shard),
                     lambda shard: data.batches(_numbered_images(), step, seed=3, shard=shard)):
            whole = _rows(make(None).take(3))
            for index in range(2):
                part = _rows(make(data.WorkerShard(index, 2, unit)).take(3))
                for rows, own in zip(whole, part, strict=True):
                    blocks = [rows[first:first + unit] for first in range(0, step, unit)]
                    assert own == sum((block[index * half:(index + 1) * half]
                                       for block in blocks), [])


def test_a_batch_that_does_not_split_over_the_workers_is_one_sentence():
    with pytest.raises(data.DataError, match="--batch-size 8 cannot be split evenly over 3 "
                                             "workers: pass a multiple of 3"):
        data.WorkerShard(0, 3, 8)
