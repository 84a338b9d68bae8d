"""Paired (pix2pix) and unpaired (CycleGAN) folders: layouts, augmentation and bad input."""

import types

import numpy as np
import pytest
from PIL import Image

from keras_gans import data

from conftest import require_module

SIZE = 8


def write_image(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(array, np.uint8)).save(path)


def gradient(seed, channels=3, width=SIZE):
    """A distinct, asymmetric image per seed (so crops and flips are visible)."""
    rows, columns = np.mgrid[0:SIZE, 0:width]
    image = (rows * 7 + columns * 13 + seed * 31) % 256
    return np.repeat(image[..., None], channels, axis=-1) if channels == 3 else image


def side_by_side_folder(root, count=4, split="train"):
    for index in range(count):
        pair = np.concatenate([gradient(index), 255 - gradient(index)], axis=1)
        write_image(root / split / f"{index}.png", pair)
    return root


def a_b_folder(root, count=4, channels_b=3):
    for index in range(count):
        write_image(root / "A" / f"{index}.png", gradient(index))
        write_image(root / "B" / f"{index}.png", 255 - gradient(index, channels_b))
    return root


def unpaired_folder(root, count_a=3, count_b=5):
    for index in range(count_a):
        write_image(root / "trainA" / f"a{index}.png", gradient(index))
    for index in range(count_b):
        write_image(root / "trainB" / f"b{index}.png", gradient(100 + index))
    return root


def first_batch(stream, batch_size=2, seed=0, epoch=0):
    plan = data.epoch_plan(stream, seed, epoch, batch_size)
    return data.streaming.read_batch(stream, plan, range(batch_size))


@pytest.mark.parametrize("layout", ["side_by_side", "a_b"])
def test_paired_layouts_give_a_and_b(tmp_path, layout):
    root = (side_by_side_folder if layout == "side_by_side" else a_b_folder)(tmp_path)
    stream = data.open_stream(root, "paired", load_size=0, flip=False)
    assert stream.image_shape == (SIZE, SIZE, 3) and len(stream) == 4
    images_a, images_b = stream.examples(4)
    np.testing.assert_allclose(images_a + images_b, np.full_like(images_a, 255 / 127.5 - 2.0),
                               atol=1e-6)  # B = 255 - A in both layouts
    swapped_a, swapped_b = data.open_stream(root, "paired", direction="BtoA").examples(4)
    np.testing.assert_array_equal(swapped_a, images_b)
    np.testing.assert_array_equal(swapped_b, images_a)


def test_paired_crops_and_flips_are_identical_for_a_and_b(tmp_path):
    stream = data.open_stream(side_by_side_folder(tmp_path, count=8), "paired",
                              load_size=12, flip=True)
    assert stream.load_size == (12, 12)
    plan = data.epoch_plan(stream, 0, 0, 8)
    assert len(set(plan["top_a"])) > 1 and plan["flip_a"].any() and not plan["flip_a"].all()
    images_a, images_b = data.streaming.read_batch(stream, plan, range(8))
    np.testing.assert_allclose(images_a + images_b, np.full_like(images_a, 255 / 127.5 - 2.0),
                               atol=2e-2)


def test_default_load_size_is_286_over_256():
    assert data.default_load_size((256, 256)) == (286, 286)
    assert data.default_load_size((8, 8)) == (9, 9)


def test_unpaired_epoch_is_the_larger_domain_with_random_partners(tmp_path):
    stream = data.open_stream(unpaired_folder(tmp_path), "unpaired", load_size=0)
    assert len(stream) == 5
    plan = data.epoch_plan(stream, 0, 0, 5)
    assert sorted(np.bincount(plan["index_a"], minlength=3)) == [1, 2, 2]
    other = data.epoch_plan(stream, 0, 1, 5)
    assert not np.array_equal(plan["index_b"], other["index_b"])
    np.testing.assert_array_equal(plan["index_b"], data.epoch_plan(stream, 0, 0, 5)["index_b"])


def test_missing_partner_is_named(tmp_path):
    root = a_b_folder(tmp_path)
    (root / "B" / "2.png").unlink()
    with pytest.raises(data.DataError, match=r"2\.png has no partner"):
        data.open_stream(root, "paired")


def test_image_that_cannot_be_split_in_half(tmp_path):
    root = side_by_side_folder(tmp_path)
    write_image(root / "train" / "odd.png", gradient(0, width=9))
    with pytest.raises(data.DataError, match=r"odd\.png is 9 pixels wide"):
        data.open_stream(root, "paired")


def test_a_and_b_with_different_channel_counts(tmp_path):
    root = a_b_folder(tmp_path, channels_b=1)
    with pytest.raises(data.DataError, match="1 channel"):
        data.open_stream(root, "paired")
    assert data.open_stream(root, "paired", channels=3).image_shape[-1] == 3


def test_empty_and_missing_folders(tmp_path):
    (tmp_path / "train").mkdir()
    with pytest.raises(data.DataError, match="contains no images"):
        data.open_stream(tmp_path, "paired")
    with pytest.raises(data.DataError, match="does not exist"):
        data.open_stream(tmp_path / "nowhere", "paired")
    root = unpaired_folder(tmp_path / "cycle")
    for path in (root / "trainB").iterdir():
        path.unlink()
    with pytest.raises(data.DataError, match="trainB contains no images"):
        data.open_stream(root, "unpaired")
    (root / "trainB").rmdir()
    with pytest.raises(data.DataError, match="trainB does not exist"):
        data.open_stream(root, "unpaired")


def test_unpaired_channel_mismatch(tmp_path):
    root = unpaired_folder(tmp_path)
    write_image(root / "trainB" / "b0.png", gradient(0, channels=1))
    with pytest.raises(data.DataError, match="channel"):
        data.open_stream(root, "unpaired")


def test_errors_are_one_sentence(tmp_path):
    with pytest.raises(data.DataError) as caught:
        data.open_stream(a_b_folder(tmp_path, channels_b=1), "paired")
    message = str(caught.value)
    assert message.endswith(".") and message.count(". ") == 0


def test_held_out_pairs_read_test_then_val(tmp_path):
    root = side_by_side_folder(tmp_path)
    with pytest.raises(data.DataError, match="held-out"):
        data.held_out_pairs(root, 2, kind="paired")
    side_by_side_folder(root, count=3, split="val")
    held_out = data.held_out_pairs(root, 2, kind="paired")
    assert held_out.images_a.shape == (2, SIZE, SIZE, 3) and held_out.labels_a is None
    flat = a_b_folder(tmp_path / "flat")  # A/ and B/ without splits: no held-out examples
    with pytest.raises(data.DataError, match="held-out"):
        data.held_out_pairs(flat, 2, kind="paired")
    with pytest.raises(data.DataError, match="held-out"):
        data.held_out_pairs(root / "train", 2, kind="paired")


def test_tfds_cycle_gan_streams_encoded_images(monkeypatch):
    tfds = require_module("tensorflow_datasets")
    encoded = {}
    for domain, count in (("A", 3), ("B", 2)):
        pictures = []
        for index in range(count):
            import io

            buffer = io.BytesIO()
            Image.fromarray(gradient(index).astype(np.uint8)).save(buffer, format="PNG")
            pictures.append({"image": buffer.getvalue(), "label": 0})
        encoded["trainA" if domain == "A" else "trainB"] = pictures

    class FakeDataset:
        def __init__(self, items):
            self.items = items

        def as_numpy_iterator(self):
            return iter(self.items)

    class FakeBuilder:
        prepared = False
        features = {"image": types.SimpleNamespace(shape=(None, None, 3)),
                    "label": types.SimpleNamespace(names=["a", "b"])}
        info = types.SimpleNamespace(features=features)

        def download_and_prepare(self):
            FakeBuilder.prepared = True

        def as_dataset(self, split, decoders=None):
            return FakeDataset(encoded[split])

    calls = []
    monkeypatch.setattr(tfds, "builder", lambda name, data_dir=None: calls.append(
        (name, data_dir)) or FakeBuilder())
    stream = data.open_stream("cycle_gan/horse2zebra", "unpaired", data_dir="/somewhere",
                              load_size=0)
    assert set(calls) == {("cycle_gan/horse2zebra", "/somewhere")} and FakeBuilder.prepared
    assert len(stream) == 3 and stream.image_shape == (SIZE, SIZE, 3)
    images_a, _ = first_batch(stream)
    assert images_a.shape == (2, SIZE, SIZE, 3)
