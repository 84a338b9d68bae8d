"""The training data of a command: loading, resuming checks, batches for `fit()`, held-out
examples for the sample grids of translation models."""

import sys

from keras_gans import data as gan_data
from keras_gans.cli.parsing import OFFLINE_DATASET, UsageError, translates


def check_same_data(args, data, saved):
    """A resumed run must see the data it started with: same image shape and count."""
    shape, count = list(data.image_shape), len(data)
    if shape != saved.get("image_shape", shape) or count != saved.get("training_images", count):
        raise UsageError(
            f"The data of the run in {args.out} changed: it trained on "
            f"{saved.get('training_images')} images of shape {tuple(saved.get('image_shape'))}, "
            f"but --dataset {args.dataset} now gives {count} of shape {tuple(shape)}: restore "
            "the data, or start a new run in another --out.")


def load_training_data(args, module):
    """Loads the training data named by `--dataset` (raises DataError with a fix).

    `module` is the model module (or just its default dataset's name). A module declaring
    `DATA_KIND = "paired"` or `"unpaired"` gets an `ImageStream` of (A, B) examples; otherwise
    image folders and tensorflow-datasets are streamed, and other sources load into memory
    as an `ImageData`.
    Without `--dataset`, the model's default dataset is used; when that cannot be reached
    (e.g. MNIST with no network and no `--data-dir`), single-image models fall back to the
    built-in offline dataset, with a notice, so the bare command always trains.
    """
    default_dataset = module if isinstance(module, str) else module.DEFAULTS.get(
        "dataset", OFFLINE_DATASET)
    kind = None if isinstance(module, str) else getattr(module, "DATA_KIND", None)
    dataset = args.dataset or default_dataset
    if kind in ("paired", "unpaired"):
        data = open_translation_data(args, dataset, kind).first(args.limit)
    elif gan_data.is_image_folder(dataset):
        data = gan_data.open_folder_stream(dataset, image_size=args.image_size,
                                           channels=args.channels).first(args.limit)
    elif gan_data.is_tfds_name(dataset):
        data = gan_data.open_tfds_stream(dataset, data_dir=args.data_dir,
                                         image_size=args.image_size,
                                         channels=args.channels).first(args.limit)
    else:
        data, dataset = load_images(args, dataset)
    args.dataset = dataset
    gan_data.steps_per_epoch(data, args.batch_size)  # at least one batch, or a DataError
    return data


def check_labels(args, data, model_name):
    """A model that learns from labels needs data with labels in [0, --num-classes); sets
    `args.num_classes` from the data when it is not given."""
    if data.labels is None:
        raise UsageError(
            f"{model_name} learns from class labels, but the dataset {data.name} has none: use "
            "a labelled dataset (mnist, mnist32, shapes, a folder of class subfolders, or a "
            "tensorflow-datasets set with labels).")
    smallest, largest = int(data.labels.min()), int(data.labels.max())
    num_classes = args.num_classes or largest + 1
    if smallest < 0 or largest >= num_classes:
        raise UsageError(
            f"The labels of {data.name} run from {smallest} to {largest}, outside [0, "
            f"{num_classes}) (--num-classes {num_classes}): pass --num-classes {largest + 1}, or "
            "relabel the classes from 0.")
    args.num_classes = num_classes


def grid_image_inputs(args, data):
    """Held-out images for the sample grids of models that show input | output rows (such as
    autoencoders): a function (count, seed) -> images. They come from the dataset's test split,
    or, when it has none, from the first training images."""
    def inputs(count, seed):
        try:
            return gan_data.load(args.dataset, data_dir=args.data_dir, split="test",
                                 image_size=args.image_size, channels=args.channels,
                                 limit=count).images
        except gan_data.DataError:
            if isinstance(data, gan_data.ImageData):
                return data.images[:count]
            return data.examples(count)

    return inputs


def load_images(args, dataset):
    """Loads a named dataset or file into memory; returns (ImageData, the dataset used)."""
    try:
        data = gan_data.load(dataset, data_dir=args.data_dir, split="train",
                             image_size=args.image_size, channels=args.channels,
                             limit=args.limit, seed=args.seed)
    except gan_data.DataError as error:
        if args.dataset is not None or dataset == OFFLINE_DATASET:
            raise
        print(f"note: {error} Training on the built-in offline dataset '{OFFLINE_DATASET}' "
              "instead.", file=sys.stderr)
        dataset = OFFLINE_DATASET
        data = gan_data.load(dataset, split="train", image_size=args.image_size,
                             channels=args.channels, limit=args.limit, seed=args.seed)
    if data.converted_from_grayscale:
        print(f"note: {dataset} is grayscale; its images are repeated over 3 channels for "
              "--channels 3.", file=sys.stderr)
    return data, dataset


def translation_options(args):
    """The options of `data.open_stream` given by the image-to-image data flags."""
    return dict(data_dir=args.data_dir, direction=getattr(args, "direction", "AtoB"),
                image_size=args.image_size, channels=args.channels)


def open_translation_data(args, dataset, kind, split="train"):
    """Opens paired or unpaired data as `--dataset`, `--direction`, `--load-size` say."""
    flip = False if getattr(args, "no_flip", False) else None
    return gan_data.open_stream(dataset, kind, split=split, load_size=args.load_size,
                                flip=flip, **translation_options(args))


def held_out_examples(args, module, count):
    """Held-out `data.HeldOut` (A, B, labels) examples for sample grids and evaluation.

    They come from the dataset's test (or val) split, or, when it has none, from the first
    training examples, unaugmented.
    """
    kind = module.DATA_KIND
    try:
        return gan_data.held_out_pairs(args.dataset, count, kind=kind,
                                       **translation_options(args))
    except gan_data.DataError:
        stream = gan_data.open_stream(args.dataset, kind, load_size=0, flip=False,
                                      **translation_options(args))
        labels = [None if image_set.labels is None else image_set.labels[:count]
                  for image_set in stream.domains()]
        return gan_data.HeldOut(*stream.examples(count), *labels)


def training_batches(data, args, initial_epoch, real_batches_per_step=1, labels=False,
                     shard=None):
    """What `fit()` takes: `(inputs, fit_options)`; fit_options may hold "callbacks".

    Each step gets `real_batches_per_step` batches of `--batch-size` (n_critic for WGAN-style
    critics). The order depends only on the seed and the pass over the data, and a resumed run
    skips exactly the batches the earlier epochs consumed, so it sees the batches an
    uninterrupted run would (also when `--steps-per-epoch` is not one pass). Streams (paired,
    unpaired, image folders) and, without TensorFlow, in-memory images go through
    `data.training_inputs` (tf.data, or a PyDataset); in-memory images with TensorFlow
    through `data.batches`. With `labels`, batches are (images, int64 labels). With
    `shard = (index, count)` (a multi-worker run), each batch is this worker's part of the
    global batch (`data.WorkerShard`).
    """
    step_batch_size = args.batch_size * real_batches_per_step
    if shard is not None:
        shard = gan_data.WorkerShard(*shard, unit=args.batch_size)
    if isinstance(data, gan_data.ImageData) and not gan_data.tensorflow_available():
        data = gan_data.stream_from_images(data)
    if isinstance(data, gan_data.ImageStream):
        return gan_data.training_inputs(data, step_batch_size, seed=args.seed,
                                        initial_epoch=initial_epoch,
                                        steps_per_epoch=args.steps_per_epoch, labels=labels,
                                        shard=shard)
    batches_per_pass = gan_data.steps_per_epoch(data, step_batch_size)
    steps = args.steps_per_epoch or batches_per_pass
    first_pass, offset = divmod(initial_epoch * steps, batches_per_pass)
    batches = gan_data.batches(
        data, step_batch_size, shuffle=True, seed=args.seed, start_epoch=first_pass,
        labels=labels, shard=shard)
    return batches.skip(offset), dict(steps_per_epoch=steps, shuffle=False)


def data_shapes(data):
    """The shapes the model is built for: (A,) for single images, (A, B) for image pairs."""
    if getattr(data, "domain_b", None) is None:
        return (tuple(data.image_shape),)
    return tuple(data.image_shape), (*data.image_size, data.domain_b.channels)


def translation_grid_inputs(args, module):
    """Held-out (A, B) inputs of the sample grids of a translation model, else None (noise)."""
    if not translates(module):
        return None
    examples = held_out_examples(args, module, 4 if args.smoke else 8)
    return examples.images_a, examples.images_b
