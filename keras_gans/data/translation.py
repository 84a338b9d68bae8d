"""Image-to-image datasets: paired (pix2pix) and unpaired (CycleGAN) folders, tfds, digits.

Paired layouts (A and B aligned):

    root/train/*.jpg       A|B side by side: left half A, right half B (also val/, test/)
    root/A/*.png root/B/*.png            or  root/A/train/, root/B/train/ (also val, test)
                           A and B files with the same names

Unpaired layout: `root/trainA/`, `root/trainB/` (held out: `testA/`, `testB/`).

`open_stream(source, kind)` returns an `ImageStream`; `held_out_pairs(source, count)` returns
unaugmented held-out examples for sample grids and evaluation. Everything that can be checked
before training is: missing folders and partners, odd widths, channel counts, empty folders.
"""

import collections
import pathlib

import numpy as np
from PIL import Image

from keras_gans.data import digits
from keras_gans.data.catalog import read_encoded_split
from keras_gans.data.images import (
    DataError,
    _existing_folder,
    _folder_files,
    _image_size_pair,
    _list_images,
)
from keras_gans.data.streaming import ImageSet, ImageStream

DIRECTIONS = ("AtoB", "BtoA")
REFERENCE_LOAD_RATIO = 286 / 256
HELD_OUT_SPLITS = ("test", "val")
HeldOut = collections.namedtuple("HeldOut", "images_a images_b labels_a labels_b")


def default_load_size(image_size):
    """The size images are resized to before a random crop: image_size * 286 / 256."""
    return tuple(int(round(side * REFERENCE_LOAD_RATIO)) for side in image_size)


def _header(path):
    """(width, height, channels) of an image file, read from its header."""
    try:
        with Image.open(path) as picture:
            grey = picture.mode in ("1", "L", "LA", "I", "I;16", "F")
            return picture.width, picture.height, 1 if grey else 3
    except (OSError, SyntaxError, ValueError):
        raise DataError(f"The file {path} could not be read as an image: remove or replace "
                        "it.") from None


def _images_of(folder):
    """The image files of `folder`, or a DataError when it is missing or has none."""
    files = _list_images(_existing_folder(folder))
    if not files:
        raise DataError(f"The folder {folder} contains no images: add images or point "
                        "--dataset at another folder.")
    return files


def _check_halves(files):
    """Raises DataError for a side-by-side image whose width cannot be split in half."""
    for path in files:
        width, height, _ = _header(path)
        if width < 2 or width % 2:
            raise DataError(f"The image {path} is {width} pixels wide, which cannot be split "
                            "into A and B halves: paired images must hold A and B side by "
                            "side, each half as wide.")


def _matched_files(folder_a, folder_b):
    """A and B files with the same names (stems); a missing partner is a DataError."""
    files_a, files_b = _images_of(folder_a), _images_of(folder_b)
    stems_b = {path.stem: path for path in files_b}
    stems_a = {path.stem for path in files_a}
    for path in files_a:
        if path.stem not in stems_b:
            raise DataError(f"The image {path} has no partner named {path.stem}.* in "
                            f"{folder_b}: add it, or remove the image.")
    for path in files_b:
        if path.stem not in stems_a:
            raise DataError(f"The image {path} has no partner named {path.stem}.* in "
                            f"{folder_a}: add it, or remove the image.")
    return files_a, [stems_b[path.stem] for path in files_a]


def _channels(files_a, files_b, channels, where):
    """The channel count of A and B: `channels` if given, else their own (which must agree)."""
    found_a, found_b = _header(files_a[0])[2], _header(files_b[0])[2]
    if channels is not None:
        return channels
    if found_a != found_b:
        def count(found):
            return f"{found} channel" + ("s" if found > 1 else "")

        raise DataError(f"The A images of {where} have {count(found_a)} but the B images have "
                        f"{count(found_b)}: pass --channels 1 or 3 to convert both, or convert "
                        "the images.")
    return found_a


def _paired_sets(root, split, channels):
    """The A and B image sets of a paired folder (see the module docstring)."""
    if (root / "A").is_dir() and (root / "B").is_dir():
        folder_a, folder_b = root / "A", root / "B"
        if (folder_a / split).is_dir() or (folder_b / split).is_dir() or split != "train":
            folder_a, folder_b = folder_a / split, folder_b / split
        for folder in (folder_a, folder_b):
            _existing_folder(folder)
        files_a, files_b = _matched_files(folder_a, folder_b)
        found = _channels(files_a, files_b, channels, root)
        return (ImageSet(str(folder_a), found, files=[str(p) for p in files_a]),
                ImageSet(str(folder_b), found, files=[str(p) for p in files_b]))
    folder = root / split if (root / split).is_dir() or split != "train" else root
    if folder == root and not _list_images(root):
        raise DataError(f"The folder {root} has no {split}/ folder of A|B images side by side "
                        "and no A/ and B/ folders: arrange the pairs in one of these layouts.")
    files = _images_of(folder)
    _check_halves(files)
    found = channels or _header(files[0])[2]
    names = [str(path) for path in files]
    return (ImageSet(str(folder), found, files=names, half="left"),
            ImageSet(str(folder), found, files=names, half="right"))


def _unpaired_sets(root, split, channels):
    """The A and B image sets of a CycleGAN folder: `{split}A/` and `{split}B/`."""
    folders = [root / f"{split}{domain}" for domain in "AB"]
    for folder in folders:
        if not folder.is_dir():
            raise DataError(f"The folder {folder} does not exist: unpaired data needs "
                            f"{split}A/ and {split}B/ folders in {root}.")
    files_a, files_b = (_images_of(folder) for folder in folders)
    found = _channels(files_a, files_b, channels, root)
    return tuple(ImageSet(str(folder), found, files=[str(path) for path in files])
                 for folder, files in zip(folders, (files_a, files_b)))


def _tfds_sets(name, split, data_dir):
    """The A and B sets of a tensorflow-datasets `cycle_gan/*` config (encoded images)."""
    return tuple(read_encoded_split(name, f"{split}{domain}", data_dir)[0] for domain in "AB")


def _domain_sets(source, kind, split, data_dir, channels):
    """(set A, set B, is a built-in digit task) for `source`."""
    text = str(source).removeprefix("tfds:")
    if text in digits.TASKS:
        if digits.TASKS[text] != kind:
            raise DataError(f"{text} is a {digits.TASKS[text]} dataset, but this model needs "
                            f"{kind} data: pick a {kind} dataset.")
        return (*digits.load_task(text, data_dir, split), True)
    if text.startswith("cycle_gan/"):
        return (*_tfds_sets(text, "train" if split == "train" else "test", data_dir), False)
    root = _existing_folder(source)
    loader = _paired_sets if kind == "paired" else _unpaired_sets
    return (*loader(root, split, channels), False)


def open_stream(source, kind, *, split="train", data_dir=None, direction="AtoB",
                image_size=None, load_size=None, flip=None, channels=None):
    """Opens paired or unpaired data as an `ImageStream` of (A, B) examples.

    Args:
        source: a folder (see the module docstring), a built-in digit task ("mnist_edges",
            "mnist_color", "mnist_cogan", ...), or a tensorflow-datasets "cycle_gan/<config>"
            name.
        kind: "paired" or "unpaired".
        split: "train", "val" or "test".
        data_dir: MNIST IDX files for the digit tasks, or tensorflow-datasets data.
        direction: "AtoB", or "BtoA" to swap the two domains.
        image_size: size of the images yielded (default: the first A image's size).
        load_size: size images are resized to before a random crop of `image_size`
            (default: image_size * 286 / 256 for photos; equal, no crop, for the digit tasks).
        flip: random horizontal flips (default: on for photos, off for digits).
        channels: convert both domains to 1 or 3 channels (default: their own).

    Raises:
        DataError: a missing or empty folder, an image without its partner, an image that
            cannot be split in half, or A and B with different channel counts.
    """
    if kind not in ("paired", "unpaired"):
        raise DataError(f"The data kind {kind!r} is unknown: use 'paired' or 'unpaired'.")
    if direction not in DIRECTIONS:
        raise DataError(f"The direction {direction!r} is unknown: pass --direction AtoB or "
                        "BtoA.")
    set_a, set_b, builtin = _domain_sets(source, kind, split, data_dir, channels)
    if direction == "BtoA":
        set_a, set_b = set_b, set_a
    size = _image_size_pair(image_size) or tuple(set_a.read(0).shape[:2])
    if load_size in (None, ()) and not builtin:
        load = default_load_size(size)
    else:
        load = _image_size_pair(load_size or None) or size
    if load[0] < size[0] or load[1] < size[1]:
        raise DataError(f"The load size {load} is smaller than the image size {size}: pass "
                        "a --load-size of at least --image-size (or 0 for no random crop).")
    flip = (not builtin) if flip is None else bool(flip)
    return ImageStream(kind, str(source), set_a, set_b, size, load, flip)


def held_out_pairs(source, count, **options):
    """Unaugmented held-out examples `HeldOut(images_a, images_b, labels_a, labels_b)`.

    Reads the "test" split (else "val") of `source`: at most `count` NumPy images per domain,
    resized to the image size; labels are None where the source has none. `options` are those
    of `open_stream` (kind, data_dir, direction, image_size, channels).

    Raises:
        DataError: the source has no held-out split.
    """
    options = dict(options, load_size=0, flip=False)
    for split in HELD_OUT_SPLITS:
        try:
            stream = open_stream(source, split=split, **options)
        except DataError as error:
            last_error = error
            continue
        images_a, images_b = stream.examples(count)
        labels = [None if image_set.labels is None else image_set.labels[:count]
                  for image_set in stream.domains()]
        return HeldOut(images_a, images_b, *labels)
    raise DataError(f"{source} has no held-out examples ({last_error}): add a test/ or val/ "
                    "split.")


def _check_folder(root, files, image_size, channels):
    """Checks every image header of a single-image folder; returns (size, channels)."""
    headers = [_header(path) for path in files]
    found = {header[2] for header in headers}
    if len(found) > 1:
        raise DataError(f"The images in {root} mix grayscale and RGB images: convert them all "
                        "to one of the two.")
    found = found.pop()
    if channels not in (None, found):
        raise DataError(f"The images in {root} have {found} channel{'s' if found > 1 else ''} "
                        f"but --channels {channels} was requested: pass --channels {found}, or "
                        "convert the images.")
    sizes = sorted({(height, width) for width, height, _ in headers})
    if image_size is None and len(sizes) > 1:
        (h1, w1), (h2, w2) = sizes[0], sizes[-1]
        raise DataError(f"The images in {root} have different sizes ({h1}x{w1} and {h2}x{w2}):"
                        " pass --image-size to resize them all to one size.")
    return _image_size_pair(image_size) or sizes[0], found


def open_folder_stream(folder, image_size=None, load_size=None, flip=False, channels=None):
    """Streams a flat or class-per-subfolder image folder as single images.

    Every image header is checked first (readable, one channel count, one size unless
    `image_size` resizes them). `load_size` and `flip` add a random crop and flips (off by
    default).
    """
    root = _existing_folder(folder)
    files, labels, class_names = _folder_files(root)
    size, found = _check_folder(root, files, image_size, channels)
    image_set = ImageSet(str(root), found, files=[str(path) for path in files], labels=labels)
    load = _image_size_pair(load_size or None) or size
    return ImageStream("single", str(root), image_set, None, size, load, bool(flip),
                       class_names=class_names)


def is_image_folder(source):
    """Whether `source` names an existing folder (which is then streamed, not loaded)."""
    return not isinstance(source, np.ndarray) and pathlib.Path(str(source)).expanduser().is_dir()
