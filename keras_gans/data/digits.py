"""Offline image-to-image tasks built from the MNIST digits (MODEL_SPECS §0.2).

- `mnist_edges` (paired): A = the edge map of a 32x32 digit, the morphological gradient
  (3x3 dilation minus 3x3 erosion) of the digit binarised at 0; B = the digit.
- `mnist_color` (unpaired): A = grey digits repeated over 3 channels, from train digits
  0-3,999; B = digits whose stroke is coloured with one of 8 equally spaced hues (saturation 1)
  on black, from train digits 4,000-7,999.
- `mnist_cogan` (unpaired, CoGAN's digit task): A = 28x28 digits from train digits 0-3,999;
  B = the edge maps of train digits 4,000-7,999 (the morphological gradient, as above).
  `mnist_cogan_negative`: B = the negatives of those digits instead (`pair="negative"`).

All keep the split of the other built-ins: "train" = digits 0-7,999, held out ("test") =
digits 8,000-9,999 (for the unpaired tasks, A and B are the held-out digits in both forms).
Every image set keeps its digits' labels; `mnist_color`'s B set also keeps its hue bins.
"""

import colorsys

import numpy as np

from keras_gans.data.images import DataError
from keras_gans.data.sources import MNIST_OFFLINE_TRAIN_SIZE, load
from keras_gans.data.streaming import ImageSet

TASKS = {"mnist_edges": "paired", "mnist_color": "unpaired", "mnist_cogan": "unpaired",
         "mnist_cogan_negative": "unpaired"}
# The second domain of CoGAN's digit task, by dataset name.
COGAN_PAIRS = {"mnist_cogan": "edges", "mnist_cogan_negative": "negative"}
HUE_BINS = 8
HUE_SEED = 0


def edge_map(digits):
    """The morphological gradient of digits binarised at 0, as images in {-1, 1}.

    Args:
        digits: float array (N, H, W, 1) in [-1, 1].
    """
    binary = np.pad(digits[..., 0] > 0, ((0, 0), (1, 1), (1, 1)))
    height, width = digits.shape[1:3]
    windows = [binary[:, dy:dy + height, dx:dx + width] for dy in range(3) for dx in range(3)]
    dilation, erosion = np.logical_or.reduce(windows), np.logical_and.reduce(windows)
    return np.where(dilation & ~erosion, 1.0, -1.0).astype(np.float32)[..., None]


def hue_colours(bins):
    """The RGB colour (in [0, 1]) at the centre of each hue bin of 45 degrees."""
    return np.array([colorsys.hsv_to_rgb((index + 0.5) / HUE_BINS, 1.0, 1.0)
                     for index in range(HUE_BINS)], np.float32)[bins]


def colour_digits(digits, bins):
    """Colours the stroke of digits (N, H, W, 1) in [-1, 1] with the hue of each bin, on black."""
    intensity = (digits + 1.0) / 2.0
    coloured = intensity * hue_colours(bins)[:, None, None, :]
    return (coloured * 2.0 - 1.0).astype(np.float32)


def _digits(name, data_dir, split, source="mnist32"):
    """The digits of `split` (32x32 from "mnist32", 28x28 from "mnist") with their labels."""
    split = "train" if split == "train" else "test"
    try:
        data = load(source, data_dir=data_dir, split=split)
    except DataError as error:
        if data_dir is not None:
            raise
        raise DataError(f"{name} is built from the MNIST digits, which could not be found or "
                        "downloaded: pass --data-dir with a folder of MNIST IDX files, such as "
                        "../shared/data/mnist.") from error
    return data.images, data.labels


def _unpaired_halves(split):
    """The slices of an unpaired task's A and B digits: the two halves of the train digits,
    or the same held-out digits in both domains."""
    if split != "train":
        return slice(None), slice(None)
    half = MNIST_OFFLINE_TRAIN_SIZE // 2
    return slice(0, half), slice(half, None)


def coupled_digits(data_dir=None, split="train", pair="edges"):
    """CoGAN's digit task: unpaired 28x28 digits (A) and their edge maps or negatives (B).

    Training A = train digits 0-3,999, B = train digits 4,000-7,999 turned into edge maps
    (`pair="edges"`, the morphological gradient of `edge_map`) or into negatives (`pair=
    "negative"`, -x); no A digit has its B form in the training sets. The held-out split holds
    the digits 8,000-9,999 in both forms.

    Returns:
        The (A, B) `ImageSet`s.
    """
    if pair not in COGAN_PAIRS.values():
        raise DataError(f"The pair {pair!r} is unknown: use 'edges' or 'negative'.")
    name = next(key for key, value in COGAN_PAIRS.items() if value == pair)
    images, labels = _digits(name, data_dir, split, source="mnist")
    first, second = _unpaired_halves(split)
    transformed = edge_map(images[second]) if pair == "edges" else -images[second]
    return (ImageSet(f"{name}:A", 1, images=images[first], labels=labels[first]),
            ImageSet(f"{name}:B", 1, images=transformed, labels=labels[second]))


def load_task(name, data_dir=None, split="train"):
    """The (A, B) image sets of the digit task `name` for `split` ("train" or held out)."""
    if name in COGAN_PAIRS:
        return coupled_digits(data_dir, split, COGAN_PAIRS[name])
    images, labels = _digits(name, data_dir, split)
    if name == "mnist_edges":
        return (ImageSet(f"{name}:A", 1, images=edge_map(images), labels=labels),
                ImageSet(f"{name}:B", 1, images=images, labels=labels))
    grey, coloured = _unpaired_halves(split)
    rng = np.random.default_rng([HUE_SEED, split == "train"])
    bins = rng.integers(0, HUE_BINS, len(images[coloured]))
    return (ImageSet(f"{name}:A", 3, images=np.repeat(images[grey], 3, axis=-1),
                     labels=labels[grey]),
            ImageSet(f"{name}:B", 3, images=colour_digits(images[coloured], bins),
                     labels=labels[coloured], styles=bins))
