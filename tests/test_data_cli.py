"""The command line's data plumbing for paired and unpaired models (a module's DATA_KIND)."""

import types

import numpy as np
import pytest
from PIL import Image

from keras_gans import cli
from keras_gans import data as gan_data


def fake_module(kind, dataset):
    return types.SimpleNamespace(DATA_KIND=kind, DEFAULTS={"dataset": dataset})


@pytest.fixture(scope="module")
def cycle_folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("cycle")
    rng = np.random.default_rng(0)
    for split, counts in (("train", (6, 4)), ("test", (2, 2))):
        for domain, count in zip("AB", counts):
            (root / f"{split}{domain}").mkdir()
            for index in range(count):
                Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(
                    root / f"{split}{domain}" / f"{index}.png")
    return root


def parse(kind, *argv):
    return cli.build_parser("fake", {"batch_size": 2}, data_kind=kind).parse_args(list(argv))


def test_translation_flags_exist_only_for_their_kinds():
    args = parse("paired", "--direction", "BtoA", "--load-size", "0", "--no-flip")
    assert (args.direction, args.load_size, args.no_flip) == ("BtoA", 0, True)
    assert not hasattr(parse("unpaired"), "direction") and parse("unpaired").load_size is None
    assert not hasattr(parse(None), "load_size")
    with pytest.raises(SystemExit):
        parse("paired", "--direction", "sideways")


def test_unpaired_batches_are_a_b_tuples_in_range(cycle_folder):
    args = parse("unpaired", "--dataset", str(cycle_folder), "--image-size", "8")
    stream = cli.load_training_data(args, fake_module("unpaired", "mnist_color"))
    assert len(stream) == 6 and stream.load_size == (9, 9)
    inputs, options = cli.training_batches(stream, args, initial_epoch=0)
    batch = next(iter(inputs)) if not gan_data.tensorflow_available() else next(
        iter(inputs.as_numpy_iterator()))
    images_a, images_b = batch
    for images in (images_a, images_b):
        images = np.asarray(images)
        assert images.shape == (2, 8, 8, 3) and images.dtype == np.float32
        assert images.min() >= -1 and images.max() <= 1
    held_out = cli.held_out_examples(args, fake_module("unpaired", None), 2)
    assert held_out.images_a.shape == (2, 8, 8, 3)


def test_without_tensorflow_a_sequence_resumes_at_the_offset(cycle_folder, monkeypatch):
    monkeypatch.setattr(gan_data.streaming, "tensorflow_available", lambda: False)
    args = parse("unpaired", "--dataset", str(cycle_folder), "--steps-per-epoch", "2")
    stream = cli.load_training_data(args, fake_module("unpaired", None))
    resumed, options = cli.training_batches(stream, args, initial_epoch=2)
    assert isinstance(resumed, gan_data.StreamSequence) and len(resumed) == 2
    assert [type(callback).__name__ for callback in options["callbacks"]] == ["EpochTracker"]
    fresh, _ = cli.training_batches(stream, args, initial_epoch=0)
    np.testing.assert_array_equal(resumed[1][0], fresh.batch_at(2 * 2 + 1)[0])


def test_in_memory_images_without_tensorflow_honour_steps_and_resume(monkeypatch):
    monkeypatch.setattr(gan_data.streaming, "tensorflow_available", lambda: False)
    monkeypatch.setattr(gan_data, "tensorflow_available", lambda: False)
    args = parse(None, "--dataset", "shapes", "--limit", "16", "--steps-per-epoch", "3",
                 "--image-size", "8")
    images = cli.load_training_data(args, fake_module(None, "shapes"))
    sequence, options = cli.training_batches(images, args, initial_epoch=1)
    assert len(sequence) == 3 and "callbacks" in options
    first = sequence[0]
    assert first.shape == (2, 8, 8, 1)
    plan = gan_data.epoch_plan(gan_data.stream_from_images(images), 0, 0, 2)  # 8 per pass
    np.testing.assert_array_equal(first, images.images[plan["index_a"][6:8]])


def test_paired_limit_direction_and_config_record(tmp_path):
    root = tmp_path / "pairs"
    (root / "train").mkdir(parents=True)
    for index in range(5):
        pair = np.zeros((8, 16, 3), np.uint8)
        pair[:, 8:] = 255
        Image.fromarray(pair).save(root / "train" / f"{index}.png")
    args = parse("paired", "--dataset", str(root), "--direction", "BtoA", "--limit", "3",
                 "--load-size", "0")
    stream = cli.load_training_data(args, fake_module("paired", "mnist_edges"))
    assert len(stream) == 3 and args.dataset == str(root)
    images_a, images_b = stream.examples(1)
    assert images_a.min() == 1.0 and images_b.max() == -1.0  # B (white) is the input now
    assert {"direction", "load_size", "no_flip"} <= set(vars(args))  # saved in config.json


def test_missing_partner_stops_the_command_line_before_training(tmp_path, capsys):
    root = tmp_path / "pairs"
    for domain in "AB":
        (root / domain).mkdir(parents=True)
    Image.new("RGB", (8, 8)).save(root / "A" / "x.png")
    Image.new("RGB", (8, 8)).save(root / "B" / "y.png")
    args = parse("paired", "--dataset", str(root))
    with pytest.raises(gan_data.DataError, match=r"x\.png has no partner"):
        cli.load_training_data(args, fake_module("paired", None))
