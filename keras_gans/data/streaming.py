"""Streaming pipelines: images are decoded, resized and augmented per epoch, batch by batch.

An `ImageStream` is a dataset of single images, of aligned (A, B) pairs or of unpaired A and B
collections. Each domain is an `ImageSet`: image files (or encoded images) decoded when a batch
needs them, or a small array in memory. Memory holds the file names and the batches in flight,
never the whole dataset.

Every epoch follows a plan drawn in NumPy from (seed, epoch) alone: the order of the images,
the B image drawn for each A (unpaired), and the crop offsets and flips. `tensorflow_batches`
runs the plan with `tf.data` (parallel decoding, prefetching); `StreamSequence` runs it as a
`keras.utils.PyDataset` where TensorFlow is not installed. Both start at any batch of any epoch
and then yield exactly the batches of an uninterrupted run.
"""

import dataclasses
import io

import keras
import numpy as np
from PIL import Image

from keras_gans.data.images import BILINEAR, DataError, read_picture
from keras_gans.data.sources import steps_per_epoch

KINDS = ("single", "paired", "unpaired")
PLAN_KEYS = ("index_a", "top_a", "left_a", "flip_a", "index_b", "top_b", "left_b", "flip_b")
HUGE_EPOCH_COUNT = 2**62


@dataclasses.dataclass
class ImageSet:
    """One domain of images: files (or encoded images) decoded on demand, or an array.

    Attributes:
        name: where the images come from (a folder, a dataset name).
        channels: 1 or 3; decoded images are converted to this count.
        files: image file paths, or None.
        encoded: encoded images (PNG or JPEG bytes), or None.
        images: float32 array (N, H, W, C) in [-1, 1], or None.
        labels: int64 array (N,) of class ids, or None.
        half: "left" or "right" to keep only that half of each (side-by-side A|B) image.
        styles: int64 array (N,) of style ids (such as hue bins), or None.
    """

    name: str
    channels: int
    files: list | None = None
    encoded: list | None = None
    images: np.ndarray | None = None
    labels: np.ndarray | None = None
    half: str | None = None
    styles: np.ndarray | None = None

    def __len__(self):
        for items in (self.files, self.encoded, self.images):
            if items is not None:
                return len(items)
        return 0

    def first(self, count):
        """The set of the first `count` images."""
        def head(items):
            return None if items is None else items[:count]

        return dataclasses.replace(self, files=head(self.files), encoded=head(self.encoded),
                                   images=head(self.images), labels=head(self.labels),
                                   styles=head(self.styles))

    def read(self, index):
        """The image at `index` before resizing: float32 (H, W, C) in [-1, 1]."""
        if self.images is not None:
            return self.images[index]
        source = self.files[index] if self.files is not None else io.BytesIO(
            self.encoded[index])
        picture = read_picture(source).convert("L" if self.channels == 1 else "RGB")
        if self.half is not None:
            width = picture.width // 2
            start = 0 if self.half == "left" else width
            picture = picture.crop((start, 0, start + width, picture.height))
        array = np.asarray(picture, dtype=np.float32) / np.float32(127.5) - np.float32(1.0)
        return array.reshape(*array.shape[:2], self.channels)


@dataclasses.dataclass
class ImageStream:
    """A dataset streamed per epoch: single images, (A, B) pairs or unpaired A and B.

    Attributes:
        kind: "single", "paired" or "unpaired".
        name: where the data comes from.
        domain_a: the images (single) or the A images.
        domain_b: the B images (paired, unpaired), else None.
        image_size: (height, width) of the images yielded.
        load_size: (height, width) every image is resized to before a random crop of
            `image_size`; equal to `image_size` for no crop.
        flip: whether images are flipped horizontally at random (the same way for a pair).
    """

    kind: str
    name: str
    domain_a: ImageSet
    domain_b: ImageSet | None
    image_size: tuple
    load_size: tuple
    flip: bool = True
    class_names: list | None = None
    converted_from_grayscale: bool = False

    @property
    def image_shape(self):
        """The shape (H, W, C) of one (A) image."""
        return (*self.image_size, self.domain_a.channels)

    @property
    def labels(self):
        """The labels of the (A) images, or None."""
        return self.domain_a.labels

    def __len__(self):
        """Images per epoch: |A| (single, paired) or max(|A|, |B|) (unpaired)."""
        if self.kind == "unpaired":
            return max(len(self.domain_a), len(self.domain_b))
        return len(self.domain_a)

    def first(self, count):
        """The stream of the first `count` images of each domain (as `--limit` asks)."""
        if count is None:
            return self
        domain_b = None if self.domain_b is None else self.domain_b.first(count)
        return dataclasses.replace(self, domain_a=self.domain_a.first(count), domain_b=domain_b)

    def domains(self):
        """The image sets yielded: (A,) for single images, else (A, B)."""
        return (self.domain_a,) if self.domain_b is None else (self.domain_a, self.domain_b)

    def examples(self, count):
        """The first `count` images of each domain resized to `image_size`, unaugmented.

        Returns an array for single images, else a tuple (A, B) of arrays.
        """
        arrays = tuple(
            np.stack([_resize(image_set.read(index), self.image_size)
                      for index in range(min(count, len(image_set)))])
            for image_set in self.domains())
        return arrays[0] if self.kind == "single" else arrays


def stream_from_images(data):
    """An in-memory `ImageData` as a single-image `ImageStream` (no crop, no flip)."""
    image_set = ImageSet(data.name, data.image_shape[-1], images=data.images,
                         labels=data.labels)
    size = data.image_shape[:2]
    return ImageStream("single", data.name, image_set, None, size, size, flip=False,
                       class_names=data.class_names)


def _resize(image, size):
    """Resizes a float image (H, W, C) bilinearly to `size` (height, width)."""
    if tuple(image.shape[:2]) == tuple(size):
        return np.asarray(image, np.float32)
    channels = [np.asarray(Image.fromarray(np.ascontiguousarray(image[..., channel]))
                           .resize(size[::-1], BILINEAR)) for channel in range(image.shape[-1])]
    return np.clip(np.stack(channels, axis=-1), -1.0, 1.0).astype(np.float32)


def batches_per_epoch(stream, batch_size):
    """The number of full batches in one pass over `stream`, or a DataError when none."""
    return steps_per_epoch(stream, batch_size)


def _draw_crops(rng, stream, count):
    """Random crop offsets (top, left) and flips for `count` images."""
    (height, width), (load_height, load_width) = stream.image_size, stream.load_size
    top = rng.integers(0, load_height - height + 1, count)
    left = rng.integers(0, load_width - width + 1, count)
    flip = rng.random(count) < 0.5 if stream.flip else np.zeros(count, bool)
    return top, left, flip.astype(np.int64)


def epoch_plan(stream, seed, epoch, batch_size, shuffle=True):
    """What epoch `epoch` reads: a dict of int64 arrays, one entry per image, keyed PLAN_KEYS.

    The order is a permutation drawn from (seed, epoch); unpaired data draws one random B for
    each position. Paired data crops and flips A and B alike; unpaired data draws B's
    separately. The plan holds whole batches only.
    """
    rng = np.random.default_rng([seed, epoch])
    count = batches_per_epoch(stream, batch_size) * batch_size
    order = rng.permutation(len(stream)) if shuffle else np.arange(len(stream))
    plan = {"index_a": order[:count] % len(stream.domain_a)}
    plan.update(zip(("top_a", "left_a", "flip_a"), _draw_crops(rng, stream, count)))
    if stream.kind == "unpaired":
        plan["index_b"] = (rng.integers(0, len(stream.domain_b), count) if shuffle
                           else order[:count] % len(stream.domain_b))
        plan.update(zip(("top_b", "left_b", "flip_b"), _draw_crops(rng, stream, count)))
    else:
        plan.update({key: plan[key.replace("_b", "_a")] for key in PLAN_KEYS[4:]})
    return {key: np.asarray(plan[key], np.int64) for key in PLAN_KEYS}


def read_example(stream, plan, row):
    """Reads row `row` of an epoch plan: an image, or a tuple (A, B)."""
    images = []
    for image_set, suffix in zip(stream.domains(), ("_a", "_b")):
        top, left, flip = (int(plan[key + suffix][row]) for key in ("top", "left", "flip"))
        image = _resize(image_set.read(int(plan["index" + suffix][row])), stream.load_size)
        image = image[top:top + stream.image_size[0], left:left + stream.image_size[1]]
        images.append(image[:, ::-1] if flip else image)
    return images[0] if stream.kind == "single" else tuple(images)


def read_batch(stream, plan, rows, labels=False):
    """Reads the rows `rows` of an epoch plan as a batch (an array, or a tuple (A, B)); with
    `labels`, single images come as (images, int64 labels)."""
    examples = [read_example(stream, plan, row) for row in rows]
    if stream.kind == "single":
        images = np.stack(examples)
        if labels:
            return images, stream.labels[plan["index_a"][list(rows)]].astype(np.int64)
        return images
    return tuple(np.stack(images) for images in zip(*examples))


def check_labelled(stream, labels):
    """Raises DataError when labels are asked of a stream without them (or of pairs)."""
    if labels and (stream.kind != "single" or stream.labels is None):
        raise DataError(f"The dataset {stream.name} has no labels: use a labelled dataset (such "
                        "as class subfolders) or a model that needs no labels.")


class StreamSequence(keras.utils.PyDataset):
    """An `ImageStream` as a `keras.utils.PyDataset`, for machines without TensorFlow.

    Epoch `e` of `fit()` reads batches `e * steps_per_epoch` onwards of the endless sequence
    of planned passes, so `--steps-per-epoch` and a resumed run's `initial_epoch` are honoured.
    `fit()` must be given `sequence.tracker()` among its callbacks: it tells the sequence
    which epoch starts (Keras' own epoch hooks on datasets are also called for peeks).

    Args:
        stream: the `ImageStream`.
        batch_size: images per batch.
        seed: the seed of every epoch's plan.
        steps_per_epoch: batches per `fit()` epoch (default: one pass over the data).
        initial_epoch: the `fit()` epoch the sequence starts at (a resumed run's epoch).
        labels: yield (images, labels) batches of single images.
        workers: threads decoding batches in parallel.
        shard: a `WorkerShard` in a multi-worker run: each batch is this worker's part of the
            global batch of `batch_size`, and only its images are read.
    """

    def __init__(self, stream, batch_size, *, seed=0, steps_per_epoch=None, initial_epoch=0,
                 labels=False, workers=2, shard=None, **kwargs):
        super().__init__(workers=workers, **kwargs)
        check_labelled(stream, labels)
        self.stream, self.batch_size, self.seed = stream, batch_size, seed
        self.rows = np.arange(batch_size) if shard is None else shard.rows(batch_size)
        self.labels = labels
        self.batches_per_pass = batches_per_epoch(stream, batch_size)
        self.steps = steps_per_epoch or self.batches_per_pass
        self.epoch = initial_epoch
        self._plans = {}

    def __len__(self):
        return self.steps

    def _plan(self, data_pass):
        if data_pass not in self._plans:
            self._plans = {data_pass: epoch_plan(self.stream, self.seed, data_pass,
                                                 self.batch_size)}
        return self._plans[data_pass]

    def batch_at(self, position):
        """The batch at `position` of the endless sequence of passes over the data."""
        data_pass, offset = divmod(position, self.batches_per_pass)
        rows = offset * self.batch_size + self.rows
        return read_batch(self.stream, self._plan(data_pass), rows, self.labels)

    def __getitem__(self, index):
        return self.batch_at(self.epoch * self.steps + index)

    def tracker(self):
        """The callback that sets `epoch` when each `fit()` epoch begins."""
        return EpochTracker(self)


class EpochTracker(keras.callbacks.Callback):
    """Tells a `StreamSequence` the epoch that `fit()` begins."""

    def __init__(self, sequence):
        super().__init__()
        self.sequence = sequence

    def on_epoch_begin(self, epoch, logs=None):
        self.sequence.epoch = epoch


def _tensorflow_reader(image_set, load_size):
    """A TensorFlow function: index -> the image resized to `load_size`, in [-1, 1]."""
    import tensorflow as tf

    with tf.device("/cpu:0"):
        table = tf.constant(image_set.images if image_set.images is not None
                            else image_set.files if image_set.files is not None
                            else image_set.encoded)

    def read(index):
        if image_set.images is not None:
            image = tf.gather(table, index)
        else:
            content = tf.gather(table, index)
            if image_set.files is not None:
                content = tf.io.read_file(content)
            image = tf.io.decode_image(content, channels=image_set.channels,
                                       expand_animations=False)
            if image_set.half is not None:
                width = tf.shape(image)[1] // 2
                start = 0 if image_set.half == "left" else width
                image = image[:, start:start + width]
            image = tf.cast(image, tf.float32) / 127.5 - 1.0
        image = tf.image.resize(image, load_size, method="bilinear")
        return tf.clip_by_value(image, -1.0, 1.0)

    return read


def _tensorflow_example(stream, labels=False):
    """A TensorFlow function: one plan row -> an image, (image, label) with `labels`, or a
    tuple (A, B)."""
    import tensorflow as tf

    readers = [_tensorflow_reader(image_set, stream.load_size) for image_set in stream.domains()]
    height, width = stream.image_size
    if labels:
        with tf.device("/cpu:0"):
            label_table = tf.constant(stream.labels.astype(np.int64))

    def example(*row):
        images = []
        for number, (read, image_set) in enumerate(zip(readers, stream.domains())):
            index, top, left, flip = row[4 * number:4 * number + 4]
            image = tf.slice(read(index), [top, left, 0], [height, width, image_set.channels])
            image = tf.cond(flip > 0, lambda image=image: tf.reverse(image, [1]),
                            lambda image=image: image)
            image.set_shape((height, width, image_set.channels))
            images.append(image)
        if labels:
            return images[0], tf.gather(label_table, row[0])
        return images[0] if stream.kind == "single" else tuple(images)

    return example


def tensorflow_batches(stream, batch_size, *, seed=0, start_batch=0, labels=False,
                       shard=None):
    """An endless `tf.data.Dataset` of batches of `stream`, from batch `start_batch` on.

    Batch `k` is batch `k % n` of pass `k // n` (n full batches per pass), so a pipeline
    started at `start_batch` yields what an uninterrupted one yields from there. Files are
    decoded, resized, cropped and flipped in parallel; elements are float32 NHWC images in
    [-1, 1], (images, int64 labels) with `labels`, or (A, B) tuples of images. With a
    `WorkerShard`, each batch is that worker's part of the global batch of `batch_size`, and
    the worker reads only its own files.
    """
    import tensorflow as tf

    check_labelled(stream, labels)
    per_pass = batches_per_epoch(stream, batch_size)
    first_pass, offset = divmod(start_batch, per_pass)

    def plan_rows(data_pass):
        def draw(value):
            plan = epoch_plan(stream, seed, int(value), batch_size)
            return tuple(plan[key] for key in PLAN_KEYS)

        columns = tf.numpy_function(draw, [data_pass], [tf.int64] * len(PLAN_KEYS))
        for column in columns:
            column.set_shape([per_pass * batch_size])
        return tf.data.Dataset.from_tensor_slices(tuple(columns))

    rows = tf.data.Dataset.range(first_pass, HUGE_EPOCH_COUNT).flat_map(plan_rows)
    rows = rows.skip(offset * batch_size)
    if shard is not None:
        def in_shard(position, row):
            return tf.logical_and(position % shard.unit >= shard.start,
                                  position % shard.unit < shard.start + shard.size)

        rows = rows.enumerate().filter(in_shard).map(lambda position, row: row)
    examples = rows.map(_tensorflow_example(stream, labels), num_parallel_calls=tf.data.AUTOTUNE,
                        deterministic=True)
    size = batch_size if shard is None else shard.batch_size(batch_size)
    return examples.batch(size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def tensorflow_available():
    """Whether TensorFlow can be imported (for tf.data pipelines)."""
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        return False
    return True


def training_inputs(stream, batch_size, *, seed=0, initial_epoch=0, steps_per_epoch=None,
                    labels=False, shard=None):
    """What `fit()` takes for `stream`: `(inputs, fit_options)`; with `labels`, batches of
    single images come as (images, int64 labels); with a `WorkerShard`, this worker's part of
    each global batch.

    A `tf.data` pipeline when TensorFlow is installed, else a `StreamSequence` (then
    `fit_options["callbacks"]` holds its epoch tracker, to add to fit's callbacks). Either way,
    epoch `e` reads batches `e * steps` onwards (steps = `steps_per_epoch`, or one pass).
    """
    steps = steps_per_epoch or batches_per_epoch(stream, batch_size)
    if not tensorflow_available():
        sequence = StreamSequence(stream, batch_size, seed=seed, steps_per_epoch=steps,
                                  initial_epoch=initial_epoch, labels=labels, shard=shard)
        return sequence, {"callbacks": [sequence.tracker()]}
    dataset = tensorflow_batches(stream, batch_size, seed=seed,
                                 start_batch=initial_epoch * steps, labels=labels, shard=shard)
    return dataset, dict(steps_per_epoch=steps, shuffle=False)


def examples_at(data, indices):
    """The images and labels at `indices` of an in-memory `ImageData` or a single-image
    `ImageStream` (decoded and resized, not augmented): `(images, labels)`, labels None for
    unlabelled data."""
    indices = np.asarray(indices, np.int64)
    labels = None if data.labels is None else np.asarray(data.labels)[indices]
    if isinstance(data, ImageStream):
        if data.kind != "single":
            raise DataError(f"The dataset {data.name} holds image pairs, not single images: "
                            "use a dataset of single images.")
        images = np.stack([_resize(data.domain_a.read(int(index)), data.image_size)
                           for index in indices])
        return images, labels
    return data.images[indices], labels
