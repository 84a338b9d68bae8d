"""Image datasets for the GANs: loading, scaling to [-1, 1] and reproducible batching.

`load(source)` returns an `ImageData` (float32 NHWC images in [-1, 1], optional int64 labels)
from one of:

- a built-in dataset name (`BUILTIN_DATASETS`): "shapes" is generated offline; "mnist" and
  "mnist32" read a folder of MNIST IDX files (`data_dir`) or `keras.datasets`; "fashion_mnist"
  and "cifar10" read `keras.datasets`, or tensorflow-datasets in `data_dir`;
- any other tensorflow-datasets name ("celeb_a", "tfds:cycle_gan/horse2zebra", ...);
- a folder of images (flat, or one subfolder per class), a `.npz`, `.npy` or IDX file;
- a NumPy array shaped (N, H, W) or (N, H, W, C).

The project's offline MNIST split: when a folder holds only the 10,000-digit test set (the
`t10k-*` files, as in the shared data), split "train" is its first 8,000 digits and "test" its
last 2,000.

`batches(data, batch_size)` makes an endless `tf.data.Dataset` whose shuffle order depends only
on (seed, epoch), so a run resumed at `start_epoch` sees exactly the batches an uninterrupted
run would. TensorFlow and tensorflow-datasets are imported only by the functions that use them.
"""

import dataclasses
import gzip
import os
import pathlib
import re

import keras
import numpy as np

from keras_gans.data.images import (
    DataError,
    ImageData,
    _array_to_pil,
    _convert_channels,
    _existing_folder,
    _folder_files,
    _from_array,
    _image_size_pair,
    read_picture,
    _resize_array,
    _stack_pictures,
    scale_images,
)

BUILTIN_DATASETS = {
    "shapes": "Procedural 32x32 grayscale circles, squares and triangles (3 classes), offline.",
    "mnist": "MNIST handwritten digits, 28x28 grayscale (10 classes).",
    "mnist32": "MNIST padded with 2 pixels of background to 32x32 (10 classes).",
    "fashion_mnist": "Fashion-MNIST clothing, 28x28 grayscale (10 classes).",
    "cifar10": "CIFAR-10 natural images, 32x32 RGB (10 classes).",
}
CLASS_NAMES = {
    "shapes": ["circle", "square", "triangle"],
    "mnist": [str(digit) for digit in range(10)],
    "fashion_mnist": ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt",
                      "sneaker", "bag", "ankle boot"],
    "cifar10": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
                "truck"],
}
# Grayscale built-in datasets: `channels=3` repeats their images over three channels.
GRAYSCALE_DATASETS = ("shapes", "mnist", "mnist32", "fashion_mnist")
SHAPES_SPLIT_SIZES = {"train": 8000, "test": 2000}
MNIST_OFFLINE_TRAIN_SIZE = 8000
IDX_STEMS = {"train": "train-images-idx3-ubyte", "test": "t10k-images-idx3-ubyte"}
# A tensorflow-datasets name: "celeb_a", "cycle_gan/horse2zebra", "celeb_a:2.0.1".
TFDS_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(/[A-Za-z0-9_-]+)?(:[0-9.*]+)?$")
HUGE_EPOCH_COUNT = 2**62


def _check_options(split, channels, limit):
    """Raises DataError when `split`, `channels` or `limit` is not a valid value."""
    if not isinstance(split, str) or not split:
        raise DataError(f"The split {split!r} is invalid: pass --split train or --split test.")
    if channels not in (None, 1, 3):
        raise DataError(f"--channels {channels} is not supported: pass --channels 1 or 3.")
    if limit is not None and (not isinstance(limit, (int, np.integer)) or limit <= 0):
        raise DataError(f"The limit {limit!r} is invalid: pass a positive number of images.")


def _check_split(split, name):
    """Raises DataError unless `split` is "train" or "test"."""
    if split not in ("train", "test"):
        raise DataError(f"The dataset {name} has no split {split!r}: use 'train' or 'test'.")


def _render_shapes(classes, centre_y, centre_x, radius, height, width):
    """Draws filled shapes (1) on a background (-1), vectorised over the batch."""
    dy = np.arange(height, dtype=np.float32)[None, :, None] + 0.5 - centre_y[:, None, None]
    dx = np.arange(width, dtype=np.float32)[None, None, :] + 0.5 - centre_x[:, None, None]
    r, kind = radius[:, None, None], classes[:, None, None]
    circle = dx**2 + dy**2 <= r**2
    square = (np.abs(dx) <= r * 0.8) & (np.abs(dy) <= r * 0.8)
    triangle = (dy <= r * 0.8) & (np.abs(dx) <= (dy + r) * 0.55)  # apex up, base below
    inside = np.where(kind == 0, circle, np.where(kind == 1, square, triangle))
    return np.where(inside, 1.0, -1.0).astype(np.float32)[..., None]


def make_shapes(split="train", image_size=None, limit=None, seed=0):
    """Generates the built-in "shapes" dataset: one white filled shape per grayscale image.

    Labels are 0 = circle, 1 = square, 2 = triangle, with random sizes and positions. Split
    "train" has 8,000 images and "test" 2,000 from another random stream; both are
    deterministic given `seed`, and `limit` keeps the first images of the full split.
    """
    _check_split(split, "shapes")
    height, width = _image_size_pair(image_size) or (32, 32)
    rng = np.random.default_rng([seed, list(SHAPES_SPLIT_SIZES).index(split)])
    total = SHAPES_SPLIT_SIZES[split]
    classes = rng.integers(0, 3, size=total)
    radius = rng.uniform(0.15, 0.4, size=total) * min(height, width)
    centre_y, centre_x = rng.uniform(radius, height - radius), rng.uniform(radius, width - radius)
    count = min(total, limit or total)
    parts = [p[:count] for p in (classes, centre_y, centre_x, radius)]
    chunks = [_render_shapes(*(p[start:start + 1000] for p in parts), height, width)
              for start in range(0, count, 1000)]
    return ImageData(np.concatenate(chunks), parts[0].astype(np.int64), "shapes",
                     list(CLASS_NAMES["shapes"]))


def read_idx(path):
    """Reads a uint8 IDX file (the MNIST format), gzipped or not, into a NumPy array."""
    try:
        with (gzip.open if str(path).endswith(".gz") else open)(path, "rb") as file:
            content = file.read()
    except OSError as error:
        raise DataError(f"The IDX file {path} could not be read ({error}): replace it.") from None
    ndim = content[3] if len(content) > 3 else 0
    dims = [int.from_bytes(content[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    if content[:3] != b"\x00\x00\x08" or len(content) != 4 + 4 * ndim + int(np.prod(dims)):
        raise DataError(f"The file {path} is not a complete uint8 IDX file: replace it with an "
                        "MNIST-style IDX file.")
    return np.frombuffer(content, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def _find_file(folder, stem):
    """Returns folder/stem or folder/stem.gz, whichever exists, or None."""
    candidates = (folder / stem, folder / f"{stem}.gz")
    return next((path for path in candidates if path.is_file()), None)


def _load_idx_file(path):
    """Loads an IDX images file with its labels file (images -> labels, idx3 -> idx1) if any."""
    labels_name = path.name.replace("idx3", "idx1").replace("images", "labels")
    labels_path = _find_file(path.parent, labels_name.removesuffix(".gz"))
    labels = read_idx(labels_path).astype(np.int64) if labels_path else None
    return read_idx(path), labels


def _load_idx_folder(folder, split, name):
    """Reads the MNIST-style IDX files of `folder` (offline split: see the module docstring)."""
    _check_split(split, name)
    paths = {key: _find_file(folder, stem) for key, stem in IDX_STEMS.items()}
    if paths["train"] is None and paths["test"] is not None:
        images, labels = _load_idx_file(paths["test"])
        part = slice(MNIST_OFFLINE_TRAIN_SIZE) if split == "train" else slice(
            MNIST_OFFLINE_TRAIN_SIZE, None)
        return images[part], None if labels is None else labels[part]
    if paths[split] is None:
        wanted = " or ".join(f"{stem}[.gz]" for stem in IDX_STEMS.values())
        wanted = wanted if paths["train"] is None else f"{IDX_STEMS[split]}[.gz]"
        raise DataError(f"The folder {folder} has no {wanted} file: add the {name} IDX files "
                        "to it or pass another --data-dir.")
    return _load_idx_file(paths[split])


def _load_keras_dataset(name, split):
    """Loads a `keras.datasets` dataset (from the Keras cache, or downloaded)."""
    _check_split(split, name)
    try:
        train, test = getattr(keras.datasets, name).load_data()
    except Exception:  # noqa: BLE001 - Keras raises bare Exceptions on download failures.
        display = "MNIST" if name == "mnist" else name
        raise DataError(f"{display} could not be found or downloaded: pass --data-dir with a "
                        f"folder of {display} files, or use a built-in dataset such as "
                        "--dataset shapes.") from None
    images, labels = train if split == "train" else test
    return images, np.asarray(labels).reshape(-1)


def _load_builtin(name, data_dir, split, image_size, limit, seed):
    """Loads a dataset of BUILTIN_DATASETS as an ImageData."""
    if name == "shapes":
        return make_shapes(split, image_size, limit, seed)
    base = "mnist" if name == "mnist32" else name
    folder = None if data_dir is None else _existing_folder(data_dir)
    has_idx = folder is not None and any(_find_file(folder, s) for s in IDX_STEMS.values())
    if folder is not None and base != "mnist" and not has_idx:
        data = _load_tfds(base, split, str(folder), None, limit, download=False)
    else:
        images, labels = (_load_keras_dataset(base, split) if folder is None
                          else _load_idx_folder(folder, split, base))
        data = _from_array(images[:limit], None if labels is None else labels[:limit], name)
    data.name, data.class_names = name, list(CLASS_NAMES[base])
    if name == "mnist32":
        data.images = np.pad(data.images, ((0, 0), (2, 2), (2, 2), (0, 0)), constant_values=-1)
    return data


def _read_tfds(name, split, data_dir, limit, download):
    """Reads the "image" (and "label") features of a tensorflow-datasets dataset."""
    import tensorflow_datasets as tfds

    dataset, info = tfds.load(name, split=split, data_dir=data_dir, download=download,
                              with_info=True)
    features = dict(info.features.items())
    if "image" not in features:
        raise DataError(f"The tensorflow-datasets dataset {name} has no 'image' feature: use "
                        "an image dataset.")
    has_labels = "label" in features
    images, labels = [], []
    for example in dataset.take(-1 if limit is None else limit).as_numpy_iterator():
        images.append(_array_to_pil(example["image"]))
        labels.extend([int(example["label"])] if has_labels else [])
    class_names = getattr(features.get("label"), "names", None)
    return images, (np.array(labels, np.int64) if has_labels else None), class_names


def _load_tfds(name, split, data_dir, image_size, limit, download=True):
    """Loads a tensorflow-datasets dataset as an ImageData; any failure is a DataError."""
    try:
        pictures, labels, class_names = _read_tfds(name, split, data_dir, limit, download)
    except DataError:
        raise
    except Exception as error:  # noqa: BLE001 - tfds raises many kinds; all mean "unavailable".
        raise tfds_error(name, error) from None
    if not pictures:
        raise DataError(f"The split {split} of the tensorflow-datasets dataset {name} is empty: "
                        "pick another --split.")
    images = _stack_pictures(pictures, f"tensorflow-datasets {name}", image_size)
    return ImageData(scale_images(images), labels, name, class_names)


def tfds_error(name, error):
    """The DataError for a tensorflow-datasets dataset that could not be read."""
    if type(error).__name__ == "DatasetNotFoundError":
        return DataError(f"{name!r} is neither an existing file or folder, a built-in dataset "
                         f"({', '.join(BUILTIN_DATASETS)}) nor a tensorflow-datasets name: "
                         "check the path or pick a built-in dataset.")
    return DataError(f"The tensorflow-datasets dataset {name} could not be loaded "
                     f"({type(error).__name__}): pass --data-dir with a folder where it is "
                     "prepared, or use a built-in dataset such as --dataset shapes.")


def is_tfds_name(source):
    """Whether `load` would read `source` from tensorflow-datasets (a name, not a built-in)."""
    text = str(source)
    if text.startswith("tfds:"):
        return True
    if isinstance(source, (np.ndarray, pathlib.PurePath)) or text in BUILTIN_DATASETS:
        return False
    return not pathlib.Path(text).expanduser().exists() and not _looks_like_path(text)


def load_folder(folder, image_size=None, limit=None):
    """Loads a folder of images: flat (unlabelled) or one subfolder per class (labelled).

    A folder with image files at its top level is flat (subfolders are then ignored).
    Otherwise each subfolder holding images is a class, numbered in sorted name order.
    """
    folder = _existing_folder(folder)
    files, labels, class_names = _folder_files(folder)
    files = files[:limit]
    images = _stack_pictures([read_picture(path) for path in files], folder, image_size)
    labels = None if labels is None else labels[:len(files)]
    return ImageData(scale_images(images), labels, str(folder), class_names)


def _load_file(path):
    """Loads a .npz, .npy or IDX file as an ImageData."""
    name = path.name.lower()
    if name.endswith(".npz"):
        with np.load(path, allow_pickle=False) as archive:
            image_key = next((k for k in ("images", "x", "x_train") if k in archive), None)
            label_key = next((k for k in ("labels", "y", "y_train") if k in archive), None)
            if image_key is None:
                raise DataError(f"The file {path} has no array named images, x or x_train: "
                                "save the images under one of these names.")
            labels = archive[label_key] if label_key else None
            return _from_array(archive[image_key], labels, str(path))
    if name.endswith(".npy"):
        return _from_array(np.load(path, allow_pickle=False), None, str(path))
    if "idx3-ubyte" in name:
        return _from_array(*_load_idx_file(path), str(path))
    raise DataError(f"The file {path} is not a supported data file: pass a folder of images, "
                    "or a .npz, .npy or IDX file.")


def _looks_like_path(text):
    """Whether a string that names no existing file was meant as a path, not a dataset name."""
    if text.startswith(("/", ".", "~")) or text.count("/") > 1 or os.sep in text.replace("/", ""):
        return True
    if TFDS_NAME_PATTERN.match(text):
        return False
    return "/" in text or bool(pathlib.PurePath(text).suffix)


def _load_source(source, data_dir, split, image_size, limit, seed):
    """Dispatches `source` to the right loader; returns (ImageData, is a named dataset)."""
    if isinstance(source, np.ndarray):
        return _from_array(source, None, "array"), False
    text = str(source)
    path = pathlib.Path(text).expanduser()
    if text.startswith("tfds:"):
        return _load_tfds(text.removeprefix("tfds:"), split, data_dir, image_size, limit), True
    if text in BUILTIN_DATASETS:
        return _load_builtin(text, data_dir, split, image_size, limit, seed), True
    if path.is_dir():
        return load_folder(path, image_size, limit), False
    if path.is_file():
        return _load_file(path), False
    if isinstance(source, pathlib.PurePath) or _looks_like_path(text):
        raise DataError(f"The data folder or file {text} does not exist: check --data-dir or "
                        "--dataset.")
    return _load_tfds(text, split, data_dir, image_size, limit), True


def load(source, *, data_dir=None, split="train", image_size=None, channels=None, limit=None,
         seed=0):
    """Loads images scaled to [-1, 1] (see the module docstring for every kind of source).

    Args:
        source: a built-in or tensorflow-datasets name, a folder or file path, or an array.
        data_dir: the folder holding a named dataset's files (MNIST IDX files, tfds data).
        split: "train" or "test" (tensorflow-datasets also accepts its own split strings).
        image_size: resize every image to this int or (height, width), bilinearly.
        channels: 1 or 3. Named grayscale datasets (`GRAYSCALE_DATASETS` and grayscale
            tensorflow-datasets) are repeated over three channels for 3, and the result says so
            (`converted_from_grayscale`); any other mismatch raises DataError. Folders, files
            and arrays are never converted.
        limit: keep only the first `limit` images.
        seed: the seed of the procedural datasets.

    Raises:
        DataError: the source is missing or unreadable, or does not match the options.
    """
    _check_options(split, channels, limit)
    data, named = _load_source(source, data_dir, split, image_size, limit, seed)
    if limit is not None and len(data) > limit:
        data.images = data.images[:limit]
        data.labels = None if data.labels is None else data.labels[:limit]
    if image_size is not None:
        data.images = _resize_array(data.images, image_size)
    return _convert_channels(data, channels, convertible=named)


def steps_per_epoch(data, batch_size):
    """The number of full batches of `batch_size` in one pass over `data`."""
    if not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
        raise DataError(f"The batch size {batch_size!r} is invalid: pass a positive --batch-size.")
    if len(data) < batch_size:
        raise DataError(f"The dataset {data.name} has {len(data)} images, fewer than one batch "
                        f"of {batch_size}: lower --batch-size or add images.")
    return len(data) // batch_size


@dataclasses.dataclass(frozen=True)
class WorkerShard:
    """A worker's part of every global batch in a multi-worker run.

    Of each `unit` consecutive rows of a batch (one player's batch, `--batch-size`; a step of
    an n-critic model reads n of them), worker `index` of `count` reads block `index` of
    `count` equal blocks. The workers' blocks together are the global batch, no row is read
    twice, and each of the n updates of a step sees, over all workers, the rows one process
    gives it.

    Raises:
        DataError: when `unit` cannot be split evenly over the workers.
    """

    index: int
    count: int
    unit: int

    def __post_init__(self):
        if self.unit % self.count:
            raise DataError(f"--batch-size {self.unit} cannot be split evenly over "
                            f"{self.count} workers: pass a multiple of {self.count} (the batch "
                            "size is global).")

    @property
    def size(self):
        """Rows of each unit that this worker reads."""
        return self.unit // self.count

    @property
    def start(self):
        """The first of them, within its unit."""
        return self.index * self.size

    def rows(self, batch_size):
        """The positions this worker reads in a global batch of `batch_size` rows."""
        return np.concatenate([np.arange(first + self.start, first + self.start + self.size)
                               for first in range(0, batch_size, self.unit)])

    def batch_size(self, batch_size):
        """The rows of a global batch of `batch_size` that this worker reads."""
        return batch_size // self.count


def batches(data, batch_size, *, shuffle=True, seed=0, labels=False, start_epoch=0,
            drop_remainder=True, shard=None):
    """An endless `tf.data.Dataset` of batches of `data`, reproducible epoch by epoch.

    Epoch `e` visits the images in a permutation drawn by a stateless random op seeded with
    (seed, e), so a dataset started at `start_epoch` yields exactly the batches that an
    uninterrupted run yields from that epoch on. Elements are float32 images (B, H, W, C), or
    (images, int64 labels) when `labels` is true. With a `WorkerShard`, each element is
    that worker's part of the global batch of `batch_size`.
    """
    import tensorflow as tf

    if drop_remainder:
        steps_per_epoch(data, batch_size)
    if labels and data.labels is None:
        raise DataError(f"The dataset {data.name} has no labels: use a labelled dataset (such as "
                        "class subfolders) or a model that needs no labels.")
    count = len(data)
    with tf.device("/cpu:0"):
        images = tf.constant(data.images)
        targets = tf.constant(data.labels.astype(np.int64)) if labels else None
    seed_tensor = tf.constant(seed, tf.int64)

    def one_epoch(epoch):
        order = tf.range(count)
        if shuffle:
            noise = tf.random.stateless_uniform([count], seed=tf.stack([seed_tensor, epoch]))
            order = tf.argsort(noise, stable=True)
        indices = tf.data.Dataset.from_tensor_slices(order)
        global_batches = indices.batch(batch_size, drop_remainder=drop_remainder)
        if shard is None:
            return global_batches
        own_rows = tf.constant(shard.rows(batch_size))
        return global_batches.map(lambda rows: tf.gather(rows, own_rows))

    def gather(indices):
        if targets is None:
            return tf.gather(images, indices)
        return tf.gather(images, indices), tf.gather(targets, indices)

    epochs = tf.data.Dataset.range(start_epoch, HUGE_EPOCH_COUNT)
    dataset = epochs.flat_map(one_epoch).map(gather, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)


def balanced_subset(labels, count, seed=0):
    """The indices (sorted) of `count` examples spread evenly over the classes of `labels`.

    Every class present gets `count // classes` examples, and `count % classes` classes drawn
    at random get one more; the examples of each class are drawn at random without
    replacement. The choice depends only on `seed`. Semi-supervised models keep the labels of
    these examples only (e.g. 100 labelled digits, 10 per class).

    Raises:
        DataError: when `count` gives a class no example, or a class has too few examples.
    """
    labels = np.asarray(labels).reshape(-1)
    classes, sizes = np.unique(labels, return_counts=True)
    if count < len(classes):
        raise DataError(f"{count} labelled examples leave some of the {len(classes)} classes "
                        f"without one: keep at least {len(classes)}.")
    rng = np.random.default_rng(seed)
    per_class = np.full(len(classes), count // len(classes))
    per_class[rng.choice(len(classes), count % len(classes), replace=False)] += 1
    short = [(name, size, wanted) for name, size, wanted in zip(classes, sizes, per_class)
             if size < wanted]
    if short:
        name, size, wanted = short[0]
        raise DataError(f"Class {name} has {size} examples, fewer than the {wanted} that "
                        f"{count} labelled examples spread over {len(classes)} classes need: "
                        "keep fewer labelled examples, or use more data.")
    chosen = [rng.choice(np.flatnonzero(labels == name), wanted, replace=False)
              for name, wanted in zip(classes, per_class)]
    return np.sort(np.concatenate(chosen)).astype(np.int64)
