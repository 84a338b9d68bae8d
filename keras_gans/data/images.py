"""Images in memory: the `ImageData` container, scaling to [-1, 1] and reading image files."""

import dataclasses
import pathlib

import keras
import numpy as np
from PIL import Image

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
BILINEAR = Image.Resampling.BILINEAR

class DataError(ValueError):
    """A problem with the user's data or data options; the message says how to fix it."""


@dataclasses.dataclass
class ImageData:
    """Images scaled to [-1, 1] with optional class labels.

    Attributes:
        images: float32 array (N, H, W, C) in [-1, 1].
        labels: int64 array (N,) of class ids, or None.
        name: where the data came from ("mnist", "shapes", a path, "array").
        class_names: the name of each class id, when known.
        converted_from_grayscale: the images were grayscale and were repeated over three
            channels because `channels=3` was asked for.
    """

    images: np.ndarray
    labels: np.ndarray | None
    name: str
    class_names: list[str] | None = None
    converted_from_grayscale: bool = False

    @property
    def image_shape(self):
        """The shape (H, W, C) of one image."""
        return tuple(self.images.shape[1:])

    @property
    def num_classes(self):
        """The number of classes, or None for unlabelled data."""
        if self.class_names is not None:
            return len(self.class_names)
        if self.labels is None or len(self.labels) == 0:
            return None
        return int(self.labels.max()) + 1

    def __len__(self):
        return len(self.images)


def scale_images(array):
    """Scales images to float32 in [-1, 1].

    Integer images and floats above 1 are read as [0, 255]; floats in [0, 1] as [0, 1]; floats
    in [-1, 1] with negative values are returned unchanged.
    """
    array = np.asarray(array)
    if array.size == 0:
        return array.astype(np.float32)
    if not np.issubdtype(array.dtype, np.integer) and not np.all(np.isfinite(array)):
        raise DataError("Images hold NaN or infinite values: replace them, or remove those "
                        "images.")
    low, high = float(array.min()), float(array.max())
    if np.issubdtype(array.dtype, np.integer) or (high > 1.0 and low >= 0.0):
        if low < 0 or high > 255:
            raise DataError(f"Images have values in [{low:g}, {high:g}], outside [0, 255]: "
                            "pass uint8 images, or floats in [0, 1] or [-1, 1].")
        return array.astype(np.float32) / np.float32(127.5) - np.float32(1.0)
    if low < -1.0 or high > 1.0:
        raise DataError(f"Images have values in [{low:g}, {high:g}]: pass uint8 images, or "
                        "floats in [0, 1] or [-1, 1].")
    if low >= 0.0:
        return array.astype(np.float32) * np.float32(2.0) - np.float32(1.0)
    return array.astype(np.float32)


def to_uint8(images):
    """Converts images in [-1, 1] (NumPy arrays or backend tensors) to uint8 in [0, 255]."""
    if not isinstance(images, np.ndarray):
        images = keras.ops.convert_to_numpy(images)
    scaled = (np.asarray(images, dtype=np.float32) + 1.0) * 127.5
    return np.clip(np.round(scaled), 0, 255).astype(np.uint8)


def _image_size_pair(image_size):
    """Returns `image_size` (an int or an (h, w) pair) as an (h, w) tuple, or None."""
    if image_size is None:
        return None
    size = (image_size,) * 2 if isinstance(image_size, (int, np.integer)) else tuple(image_size)
    if len(size) != 2 or not all(isinstance(s, (int, np.integer)) and s > 0 for s in size):
        raise DataError(f"The image size {image_size!r} is invalid: pass --image-size as a "
                        "positive integer or a pair of them.")
    return int(size[0]), int(size[1])


def _existing_folder(data_dir):
    """Returns `data_dir` as a Path, or raises DataError when it is not a folder."""
    folder = pathlib.Path(data_dir).expanduser()
    if not folder.is_dir():
        raise DataError(f"The data folder {folder} does not exist: check --data-dir or --dataset.")
    return folder


def _list_images(folder, recursive=False):
    """Lists the image files of `folder` (sorted), skipping hidden files."""
    files = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(path for path in files if path.is_file() and not path.name.startswith(".")
                  and path.suffix.lower() in IMAGE_EXTENSIONS)


def _folder_files(folder):
    """Returns (files, labels, class_names) of a flat or class-per-subfolder image folder."""
    flat = _list_images(folder)
    if flat:
        return flat, None, None
    subfolders = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    classes = [(sub.name, _list_images(sub, recursive=True)) for sub in subfolders]
    classes = [(class_name, files) for class_name, files in classes if files]
    if not classes:
        raise DataError(f"The folder {folder} contains no images ({', '.join(IMAGE_EXTENSIONS)}):"
                        " add images or point --dataset at another folder.")
    files = [path for _, paths in classes for path in paths]
    labels = [index for index, (_, paths) in enumerate(classes) for _ in paths]
    return files, np.array(labels, np.int64), [class_name for class_name, _ in classes]


def read_picture(path):
    """Opens an image file (a path or a binary file object) with PIL as an "L" (grayscale) or
    "RGB" (alpha dropped) image; raises DataError naming a file that cannot be read."""
    try:
        with Image.open(path) as picture:
            picture.load()
            if picture.mode.startswith("I;16"):
                return Image.fromarray((np.asarray(picture, np.uint16) >> 8).astype(np.uint8))
            palette = np.array(picture.getpalette() or [0, 1, 2]).reshape(-1, 3)  # "P" images
            grey = picture.mode in ("1", "L", "LA", "I", "F") or (
                picture.mode == "P" and np.all(palette == palette[:, :1]))
            return picture.convert("L" if grey else "RGB")
    except (OSError, SyntaxError, ValueError):
        raise DataError(f"The file {path} could not be read as an image: remove or replace "
                        "it.") from None


def _array_to_pil(array):
    """Converts a uint8 image array (H, W) or (H, W, C) to an "L" or "RGB" PIL image."""
    array = np.asarray(array, dtype=np.uint8)
    if array.ndim == 3 and array.shape[-1] == 1:
        return Image.fromarray(array[..., 0])
    return Image.fromarray(np.ascontiguousarray(array[..., :3]) if array.ndim == 3 else array)


def _stack_pictures(pictures, where, image_size):
    """Stacks "L" or "RGB" PIL images into a uint8 NHWC array, checking modes and sizes."""
    if len({picture.mode for picture in pictures}) > 1:
        raise DataError(f"The images in {where} mix grayscale and RGB images: convert them all "
                        "to one of the two.")
    found = 1 if pictures[0].mode == "L" else 3
    size = _image_size_pair(image_size)
    if size is not None:
        pictures = [p if p.size == size[::-1] else p.resize(size[::-1], BILINEAR)
                    for p in pictures]
    sizes = sorted({picture.size for picture in pictures})
    if len(sizes) > 1:
        (w1, h1), (w2, h2) = sizes[0], sizes[-1]
        raise DataError(f"The images in {where} have different sizes ({h1}x{w1} and {h2}x{w2}):"
                        " pass --image-size to resize them all to one size.")
    arrays = [np.asarray(picture, dtype=np.uint8) for picture in pictures]
    return np.stack(arrays).reshape(len(arrays), *arrays[0].shape[:2], found)


def _from_array(images, labels, name):
    """Checks an image array's shape and returns it scaled as an ImageData (alpha dropped)."""
    images = np.asarray(images)
    images = images[..., None] if images.ndim == 3 else images
    if images.ndim != 4 or images.shape[-1] not in (1, 3, 4) or len(images) == 0:
        raise DataError(f"The images of {name} have shape {images.shape}: pass a non-empty "
                        "array shaped (N, H, W) or (N, H, W, C) with C = 1, 3 or 4.")
    if labels is not None:
        labels = np.asarray(labels).reshape(-1).astype(np.int64)
        if len(labels) != len(images):
            raise DataError(f"{name} has {len(images)} images but {len(labels)} labels: pass "
                            "one label per image.")
    return ImageData(scale_images(images[..., :3]), labels, name)


def _resize_array(images, image_size):
    """Resizes float images (N, H, W, C) to `image_size` with bilinear interpolation."""
    height, width = _image_size_pair(image_size)
    if images.shape[1:3] == (height, width):
        return images
    resized = np.empty((len(images), height, width, images.shape[-1]), np.float32)
    for index, channel in np.ndindex(len(images), images.shape[-1]):
        picture = Image.fromarray(np.ascontiguousarray(images[index, ..., channel]))
        resized[index, ..., channel] = picture.resize((width, height), BILINEAR)
    return np.clip(resized, -1.0, 1.0)


def _convert_channels(data, channels, convertible):
    """Checks the channel count; grayscale becomes RGB for channels=3 when `convertible`."""
    found = data.image_shape[-1]
    if channels is None or channels == found:
        return data
    if convertible and found == 1 and channels == 3:
        data.images = np.repeat(data.images, 3, axis=-1)
        data.converted_from_grayscale = True
        return data
    raise DataError(f"The images in {data.name} have {found} channel{'s' if found > 1 else ''} "
                    f"but --channels {channels} was requested: pass --channels {found}, or "
                    "convert the images.")


