"""tensorflow-datasets sources streamed from their encoded images.

The examples' encoded images (PNG or JPEG bytes, not decoded pixels) are read once; each epoch
then decodes, resizes and augments them batch by batch like image files. The download and
preparation are tensorflow-datasets' own, in `data_dir`.
"""

import numpy as np

from keras_gans.data.images import DataError, _image_size_pair
from keras_gans.data.sources import tfds_error
from keras_gans.data.streaming import ImageSet, ImageStream


def read_encoded_split(name, split, data_dir=None, download=True):
    """`(ImageSet, class names or None)`: the encoded images of one split, with their labels.

    Raises:
        DataError: the dataset is unknown, cannot be downloaded or prepared, has no image
            feature, or the split is empty.
    """
    try:
        import tensorflow_datasets as tfds

        builder = tfds.builder(name, data_dir=data_dir)
        if download:
            builder.download_and_prepare()
        features = builder.info.features
        dataset = builder.as_dataset(split=split,
                                     decoders={"image": tfds.decode.SkipDecoding()})
        examples = list(dataset.as_numpy_iterator()) if "image" in features else None
    except Exception as error:  # noqa: BLE001 - tfds raises many kinds; all mean "unavailable".
        raise tfds_error(name, error) from None
    if examples is None:
        raise DataError(f"The tensorflow-datasets dataset {name} has no 'image' feature: use "
                        "an image dataset.")
    if not examples:
        raise DataError(f"The split {split} of the tensorflow-datasets dataset {name} is empty: "
                        "pick another split.")
    channels = features["image"].shape[-1] or 3
    labels = class_names = None
    if "label" in features:
        labels = np.array([int(example["label"]) for example in examples], np.int64)
        class_names = getattr(features["label"], "names", None)
    image_set = ImageSet(f"{name}:{split}", channels, labels=labels,
                         encoded=[example["image"] for example in examples])
    return image_set, class_names


def open_tfds_stream(name, split="train", data_dir=None, image_size=None, channels=None):
    """Streams a tensorflow-datasets image dataset as single images.

    Images are resized to `image_size` (default: the first image's size) and converted to
    `channels` (default: the dataset's own).
    """
    name = str(name).removeprefix("tfds:")
    image_set, class_names = read_encoded_split(name, split, data_dir)
    image_set.channels = channels or image_set.channels
    size = _image_size_pair(image_size) or tuple(image_set.read(0).shape[:2])
    return ImageStream("single", name, image_set, None, size, size, flip=False,
                       class_names=class_names)
