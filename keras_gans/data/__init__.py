"""Image datasets for the GANs: sources, scaling to [-1, 1], streaming and batching.

- `load(source)` reads a dataset into memory as an `ImageData` (see `sources`).
- `batches(data, batch_size)` batches an `ImageData` reproducibly, epoch by epoch.
TensorFlow and tensorflow-datasets are imported only by the functions that use them.
"""

from keras_gans.data.images import (
    IMAGE_EXTENSIONS,
    DataError,
    ImageData,
    scale_images,
    to_uint8,
)
from keras_gans.data.sources import (
    BUILTIN_DATASETS,
    CLASS_NAMES,
    GRAYSCALE_DATASETS,
    MNIST_OFFLINE_TRAIN_SIZE,
    batches,
    load,
    load_folder,
    make_shapes,
    read_idx,
    steps_per_epoch,
)

__all__ = [
    "BUILTIN_DATASETS", "CLASS_NAMES", "GRAYSCALE_DATASETS", "IMAGE_EXTENSIONS",
    "MNIST_OFFLINE_TRAIN_SIZE", "DataError", "ImageData", "batches", "load", "load_folder",
    "make_shapes", "read_idx", "scale_images", "steps_per_epoch", "to_uint8",
]
