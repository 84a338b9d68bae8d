"""`python -m keras_gans.<model> translate`: a trained translation model applied to a user's
images.

    python -m keras_gans.pix2pix translate --checkpoint runs/pix2pix/checkpoints/model.keras \\
        --input photos/ --output translated/
    python -m keras_gans.cyclegan translate --checkpoint runs/cyclegan/checkpoints/model.keras \\
        --to A --input zebras/ --output horses/

Each image is translated at its own size when the generator can take it (sides that are
multiples of the model's `size_multiple`); otherwise it is resized to the nearest such size
for the network and the output is resized back, with a note. Grey images given to an RGB model
are repeated over 3 channels, RGB images given to a grey model are converted by luminance. The
outputs are PNG files named after the inputs. Everything is checked before the first file is
written, and an existing output file is replaced only with `--overwrite`.
"""

import inspect
import os
import pathlib
import sys

import keras
import numpy as np
from PIL import Image

import keras_gans
from keras_gans import data as gan_data
from keras_gans import runs


class TranslateError(ValueError):
    """A setting of the translate command that cannot work; the message says how to fix it."""


def add_arguments(parser, two_way):
    """The flags of the translate subcommand (`--to` for two-way models such as CycleGAN)."""
    parser.add_argument("--checkpoint", required=True, help="a .keras file saved by training")
    parser.add_argument("--input", required=True, help="an image file or a folder of images")
    parser.add_argument("--output", required=True, help="folder for the translated PNG files")
    if two_way:
        parser.add_argument("--to", choices=("A", "B"), default="B",
                            help="the domain to translate into: B (G: A → B) or A (F: B → A)")
    else:
        parser.add_argument("--eval-mode", action="store_true",
                            help="translate with the running batch statistics and no dropout "
                            "(the default keeps them active, as pix2pix does at test time)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace output files that already exist")
    return parser


def extensions():
    return ", ".join(gan_data.IMAGE_EXTENSIONS)


def input_files(path):
    """The image files named by `--input` (one file, or a folder's images, sorted)."""
    path = pathlib.Path(path).expanduser()
    if path.is_file():
        if path.suffix.lower() not in gan_data.IMAGE_EXTENSIONS:
            raise TranslateError(f"{path} is not an image file ({extensions()}): pass an image "
                                 "or a folder of images as --input.")
        return [path]
    if not path.is_dir():
        raise TranslateError(f"The input {path} does not exist: check --input.")
    files = sorted(file for file in path.iterdir() if file.is_file()
                   and not file.name.startswith(".")
                   and file.suffix.lower() in gan_data.IMAGE_EXTENSIONS)
    if not files:
        raise TranslateError(f"The folder {path} has no images ({extensions()}): pass a folder "
                             "of images as --input.")
    return files


def output_paths(files, output, overwrite):
    """One PNG per input in the `output` folder; refuses clashes and, without `overwrite`,
    existing files."""
    output = pathlib.Path(output).expanduser()
    if output.exists() and not output.is_dir():
        raise TranslateError(f"--output {output} is a file: pass a folder.")
    paths, seen = [], {}
    for file in files:
        path = output / f"{file.stem}.png"
        if path in seen:
            raise TranslateError(f"{seen[path].name} and {file.name} would both be written to "
                                 f"{path.name}: rename one of them.")
        seen[path] = file
        if path.exists() and not overwrite:
            raise TranslateError(f"{path} already exists: pass --overwrite to replace it, or "
                                 "choose another --output.")
        paths.append(path)
    return paths


def allowed_size(size, multiple):
    """The nearest size the generator takes: a multiple of `multiple`, at least one."""
    return max(multiple, int(round(size / multiple)) * multiple)


def read_image(path, channels):
    """An image file as a float32 (H, W, channels) array in [-1, 1]."""
    picture = gan_data.read_picture(path)
    array = np.asarray(picture, dtype="float32") / 127.5 - 1.0
    if array.ndim == 2:
        array = array[..., None]
    if array.shape[-1] == 1 and channels == 3:
        array = np.repeat(array, 3, axis=-1)
    elif array.shape[-1] == 3 and channels == 1:
        array = (array @ np.array([0.299, 0.587, 0.114], "float32"))[..., None]
    return array


def resize(array, height, width):
    """Bilinear resize of a (H, W, C) array in [-1, 1]."""
    if array.shape[:2] == (height, width):
        return array
    channels = [np.asarray(Image.fromarray(array[..., c]).resize((width, height),
                                                                 Image.Resampling.BILINEAR))
                for c in range(array.shape[-1])]
    return np.stack(channels, axis=-1)


def write_image(array, path):
    """Writes a (H, W, C) array in [-1, 1] as a PNG."""
    pixels = np.clip((array + 1.0) * 127.5 + 0.5, 0, 255).astype("uint8")
    Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels).save(path)


def load_translator(checkpoint):
    """The model of `--checkpoint`, refused in one sentence unless it translates images."""
    model = keras_gans.load_gan(checkpoint, flag="--checkpoint")
    if not hasattr(model, "translate") or not hasattr(model, "size_multiple"):
        raise TranslateError(f"{checkpoint} holds a {type(model).__name__}, which generates "
                             "images rather than translating them: use the sample command.")
    return model


def translator(model, args):
    """A function (H, W, C) → (H, W, C) image applying the model as the flags say."""
    options = {}
    parameters = inspect.signature(model.translate).parameters
    if "to" in parameters:
        options["to"] = args.to
    if "training" in parameters and getattr(args, "eval_mode", False):
        options["training"] = False

    def apply(image):
        return keras.ops.convert_to_numpy(model.translate(image[None], **options))[0]

    return apply


def run(args):
    """Translates `--input` into `--output`; returns 0."""
    files = input_files(args.input)
    paths = output_paths(files, args.output, args.overwrite)
    output = pathlib.Path(args.output).expanduser()
    runs.check_writable(str(output), flag="--output")
    model = load_translator(args.checkpoint)
    channels = model.input_channels(getattr(args, "to", "B"))
    output.mkdir(parents=True, exist_ok=True)
    apply = translator(model, args)
    resized = 0
    for file, path in zip(files, paths, strict=True):
        image = read_image(file, channels)
        height, width = image.shape[:2]
        size = (allowed_size(height, model.size_multiple), allowed_size(width, model.size_multiple))
        if size != (height, width):
            resized += 1
        translated = apply(resize(image, *size))
        write_image(resize(translated, height, width), path)
    if resized:
        print(f"note: {resized} of {len(files)} images had sides that are not multiples of "
              f"{model.size_multiple}, which the generator needs; they were resized to the "
              "nearest such size for the network and their outputs resized back.", file=sys.stderr)
    print(f"Translated {len(files)} images with {type(model).__name__} ({args.checkpoint}) "
          f"into {os.fspath(output)}")
    return 0
