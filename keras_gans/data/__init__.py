"""Image datasets for the GANs: sources, scaling to [-1, 1], streaming and batching.

- `load(source)` reads a dataset into memory as an `ImageData` (see `sources`).
- `batches(data, batch_size)` batches an `ImageData` reproducibly, epoch by epoch.
- `balanced_subset(labels, count)` picks the labelled examples of a semi-supervised model,
  `examples_at(data, indices)` reads them from memory or from a stream.
- `open_stream(source, kind)` streams paired or unpaired (A, B) data, `open_folder_stream`
  a folder of single images, `open_tfds_stream` a tensorflow-datasets dataset (`catalog`);
  `training_inputs(stream, ...)` feeds any of them to `fit()` (`streaming`, `translation`);
  `held_out_pairs` gives held-out (A, B) examples.
- `mnist_edges`, `mnist_color` and `mnist_cogan` are offline two-domain digit tasks (`digits`).
TensorFlow and tensorflow-datasets are imported only by the functions that use them.
"""

from keras_gans.data.images import (
    IMAGE_EXTENSIONS,
    DataError,
    ImageData,
    read_picture,
    scale_images,
    to_uint8,
)
from keras_gans.data.catalog import open_tfds_stream
from keras_gans.data.digits import TASKS as TRANSLATION_TASKS
from keras_gans.data.sources import (
    BUILTIN_DATASETS,
    CLASS_NAMES,
    GRAYSCALE_DATASETS,
    MNIST_OFFLINE_TRAIN_SIZE,
    balanced_subset,
    batches,
    is_tfds_name,
    load,
    load_folder,
    make_shapes,
    read_idx,
    steps_per_epoch,
    WorkerShard,
)
from keras_gans.data.streaming import (
    ImageSet,
    ImageStream,
    StreamSequence,
    epoch_plan,
    examples_at,
    stream_from_images,
    tensorflow_available,
    tensorflow_batches,
    training_inputs,
)
from keras_gans.data.translation import (
    DIRECTIONS,
    HeldOut,
    default_load_size,
    held_out_pairs,
    is_image_folder,
    open_folder_stream,
    open_stream,
)

__all__ = [
    "BUILTIN_DATASETS", "CLASS_NAMES", "GRAYSCALE_DATASETS", "IMAGE_EXTENSIONS",
    "MNIST_OFFLINE_TRAIN_SIZE", "DataError", "ImageData", "balanced_subset", "batches", "load",
    "load_folder",
    "make_shapes", "read_idx", "read_picture", "scale_images", "steps_per_epoch", "to_uint8",
    "TRANSLATION_TASKS", "ImageSet", "ImageStream", "StreamSequence", "epoch_plan",
    "examples_at",
    "stream_from_images", "tensorflow_available",
    "tensorflow_batches", "training_inputs", "DIRECTIONS", "HeldOut", "default_load_size",
    "held_out_pairs", "is_image_folder", "open_folder_stream", "open_stream",
    "is_tfds_name", "open_tfds_stream", "WorkerShard",
]
