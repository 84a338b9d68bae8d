"""The flags of every model's command line, checked as they are parsed."""

import argparse
import math
import os
import re

import keras_gans
from keras_gans import data as gan_data
from keras_gans import engine
from keras_gans import translate


OFFLINE_DATASET = "shapes"


class UsageError(ValueError):
    """A command-line setting that cannot work; its message says how to fix it."""


def integer(at_least=1):
    """An argparse `type` for whole numbers of at least `at_least`.

    Example: `group.add_argument("--n-critic", type=cli.integer(at_least=1), default=5)`.
    """
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"must be a whole number of at least {at_least}; received {text!r}") from None
        if value < at_least:
            raise argparse.ArgumentTypeError(
                f"must be a whole number of at least {at_least}; received {value}")
        return value

    parse.invalid_examples = [str(at_least - 1), "1.5", "many"]
    parse.__name__ = "integer"
    return parse


def number(above=None, at_least=None, below=None, at_most=None):
    """An argparse `type` for finite real numbers in a range (each bound is optional).

    Example: `group.add_argument("--gp-weight", type=cli.number(at_least=0), default=10.0)`.
    """
    limits = [(above, ">", "greater than"), (at_least, ">=", "at least"),
              (below, "<", "less than"), (at_most, "<=", "at most")]
    wanted = " and ".join(f"{words} {bound:g}" for bound, _, words in limits if bound is not None)
    expected = "a finite number" + (f" that is {wanted}" if wanted else "")

    def parse(text):
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {expected}; received {text!r}") from None
        inside = math.isfinite(value) and all(
            bound is None or {">": value > bound, ">=": value >= bound, "<": value < bound,
                              "<=": value <= bound}[sign]
            for bound, sign, _ in limits)
        if not inside:
            raise argparse.ArgumentTypeError(f"must be {expected}; received {text}")
        return value

    low = above if above is not None else (at_least - 1 if at_least is not None else None)
    high = below if below is not None else (at_most + 1 if at_most is not None else None)
    parse.invalid_examples = [str(v) for v in (low, high) if v is not None] + ["nan", "many"]
    parse.__name__ = "number"
    return parse


def add_weight_argument(group, flag, default, help):
    """Adds the flag of a loss term's weight: a finite number of at least 0."""
    group.add_argument(flag, type=number(at_least=0), default=default, help=help)


class HelpFormatter(argparse.HelpFormatter):
    """Shows each flag's default once, after its help, and no default where there is none."""

    def _get_help_string(self, action):
        help_text = action.help or ""
        if "%(default)" in help_text or "(default" in help_text:
            return help_text
        if (action.default is None or action.default is False
                or action.default == argparse.SUPPRESS or not action.option_strings):
            return help_text
        return help_text + " (default: %(default)s)"


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one sentence on standard error, with exit code 2."""

    def __init__(self, **kwargs):
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(**kwargs)

    def error(self, message):
        match = re.match(r"argument ([^:]+): (.*)$", message, re.DOTALL)
        if match:
            flag, problem = match.group(1).split("/")[-1], match.group(2)
            message = f"{flag} {problem}" if problem.startswith("must") else f"{flag}: {problem}"
        else:
            message = f"{message}: see {self.prog} --help"
        self.exit(2, f"error: {message.rstrip('.')}.\n")


def build_parser(model_name, defaults, add_arguments=None, data_kind=None, labels=False,
                 from_noise=False):
    """The training flags shared by all models, with this model's defaults.

    Models of paired or unpaired data (`data_kind`) also get `--load-size` and `--no-flip`,
    and paired ones `--direction`; models that learn from class labels (`labels`) get
    `--num-classes`. `--latent-dim` is for models that generate from noise: all single-image
    models, and two-domain ones with `from_noise` (CoGAN).
    """
    parser = Parser(
        prog=f"python -m keras_gans.{model_name}",
        description=f"Train {model_name} (see keras_gans.{model_name} for the paper and defaults). "
        f"'python -m keras_gans.{model_name} sample --help' draws samples from a checkpoint "
        f"('translate --help' for image-to-image models).",
    )
    data = parser.add_argument_group("data")
    data.add_argument("--dataset", default=None,
                      help="a built-in dataset (" + ", ".join(gan_data.BUILTIN_DATASETS)
                      + "), a tensorflow-datasets name, an image folder, or a .npz/.npy/IDX "
                      f"file (default: {defaults.get('dataset', OFFLINE_DATASET)}, or "
                      f"{OFFLINE_DATASET} when that cannot be reached offline)")
    data.add_argument("--data-dir", default=None,
                      help="folder of the dataset's files (MNIST IDX files, tensorflow-datasets)")
    data.add_argument("--image-size", type=integer(at_least=1), default=defaults.get("image_size"),
                      help="resize images to this size (square)")
    data.add_argument("--channels", type=int, choices=(1, 3), default=defaults.get("channels"),
                      help="image channels: 1 or 3; grayscale named datasets ("
                      + ", ".join(gan_data.GRAYSCALE_DATASETS) + " and grayscale "
                      "tensorflow-datasets) are repeated to RGB for 3, other data must match")
    data.add_argument("--limit", type=integer(at_least=1), default=None,
                      help="use only the first N images")
    if data_kind in ("paired", "unpaired"):
        add_translation_data_arguments(data, data_kind)
    if labels:
        data.add_argument("--num-classes", type=integer(at_least=2), default=None,
                          help="number of classes; labels must lie in [0, N) (default: the "
                          "largest label of the data + 1)")

    training = parser.add_argument_group("training")
    training.add_argument("--batch-size", type=integer(at_least=1),
                          default=defaults.get("batch_size", 64), help="images per batch")
    training.add_argument("--epochs", type=integer(at_least=1), default=defaults.get("epochs", 25),
                          help="epochs to train in all (a resumed run continues up to this)")
    training.add_argument("--steps-per-epoch", type=integer(at_least=1), default=None,
                          help="batches per epoch (default: one pass over the data)")
    if data_kind is None or from_noise:  # translation models draw no noise vector
        training.add_argument("--latent-dim", type=integer(at_least=1),
                              default=defaults.get("latent_dim", 100), help="size of the noise z")
    training.add_argument("--g-lr", type=number(above=0), default=defaults.get("g_lr", 2e-4),
                          help="generator learning rate")
    training.add_argument("--d-lr", type=number(above=0), default=defaults.get("d_lr", 2e-4),
                          help="discriminator learning rate")
    training.add_argument("--seed", type=integer(at_least=0), default=0,
                          help="seed of the data order, the noise and the weights")
    training.add_argument("--mixed-precision", action="store_true",
                          help="compute in bfloat16 with float32 weights")
    training.add_argument("--strategy", choices=engine.STRATEGIES, default="auto",
                          help="data-parallel training over devices (multiworker: over the "
                          "processes that TF_CONFIG or KERAS_DISTRIBUTION_* describe; auto "
                          "picks it when they are set)")
    training.add_argument("--connect-timeout", type=number(above=0), default=120,
                          help="seconds a worker of a multi-worker run waits for the others")
    training.add_argument("--jit-compile", choices=("auto", "true", "false"), default="auto",
                          help="compile the training step with XLA")

    output = parser.add_argument_group("output")
    output.add_argument("--out", default=os.path.join("runs", model_name),
                        help="folder for samples, checkpoints, metrics and logs")
    output.add_argument("--resume", action="store_true",
                        help="continue the run in --out from its last checkpoint, with its "
                        "settings (only --epochs, --sample-every and --eval-* may change)")
    output.add_argument("--overwrite", action="store_true",
                        help="replace a previous run in --out, once the new run has saved its "
                        "first checkpoint")
    output.add_argument("--sample-every", type=integer(at_least=0), default=1,
                        help="epochs between sample grids (0: no grids)")
    output.add_argument("--eval-every", type=integer(at_least=0), default=0,
                        help="epochs between evaluations (FCD or FID, KID) against held-out "
                        "images, logged to metrics.csv and TensorBoard; the best model is kept "
                        "in checkpoints/best.keras (0: no evaluation)")
    output.add_argument("--eval-count", type=integer(at_least=2), default=2000,
                        help="samples (and at most as many real images) per evaluation")
    output.add_argument("--eval-features", choices=("classifier", "inception"), default=None,
                        help="feature space: the MNIST reference classifier (default for mnist*) "
                        "or InceptionV3")
    output.add_argument("--inception-weights", default="imagenet",
                        help="InceptionV3 weights: 'imagenet' (Keras cache) or a local file")
    output.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2),
                        help="Keras progress display")
    output.add_argument("--smoke", action="store_true",
                        help="a few steps on 64 images, to check that everything runs")
    if add_arguments is not None:
        add_arguments(parser.add_argument_group(f"{model_name}"))
    return parser


def add_translation_data_arguments(group, data_kind):
    """The data flags of image-to-image models (`DATA_KIND` "paired" or "unpaired")."""
    if data_kind == "paired":
        group.add_argument("--direction", choices=gan_data.DIRECTIONS, default="AtoB",
                           help="translate A to B, or B to A")
    group.add_argument("--load-size", type=integer(at_least=0), default=None,
                       help="resize images to this size, then crop --image-size at random "
                       "(default: image size * 286 / 256 for image folders and "
                       "tensorflow-datasets, no crop for the built-in digit tasks; 0: no crop)")
    group.add_argument("--no-flip", action="store_true",
                       help="no random horizontal flips (the built-in digit tasks never flip)")


def module_parser(model_name):
    """The training parser of `model_name`, built from its module's declarations."""
    module = keras_gans.get_module(model_name)
    return build_parser(model_name, module.DEFAULTS, module.add_arguments,
                        getattr(module, "DATA_KIND", None), uses_labels(module),
                        getattr(module, "FROM_NOISE", False))


def build_sample_parser(model_name):
    """Flags of `python -m keras_gans.<model> sample`."""
    parser = Parser(
        prog=f"python -m keras_gans.{model_name} sample",
        description="Draw a grid of samples from a saved model.",
    )
    parser.add_argument("--checkpoint", required=True, help="a .keras file saved by training")
    parser.add_argument("--output", default="samples.png", help="PNG file to write")
    parser.add_argument("--count", type=integer(at_least=1), default=64,
                        help="samples in the grid")
    parser.add_argument("--seed", type=integer(at_least=0), default=0,
                        help="seed of the samples' noise")
    parser.add_argument("--label", type=integer(at_least=0), default=None,
                        help="class of every sample (conditional models; default: one row per "
                        "class)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --output")
    return parser


def uses_labels(module):
    """Whether the model module learns from class labels: `LABELS = True` (CGAN, AC-GAN, ...:
    every batch comes with its labels) or `LABELS = "semi-supervised"` (SGAN: the module's
    `prepare_model` hook keeps a few labelled examples, and batches hold images only)."""
    return bool(getattr(module, "LABELS", False))


def feeds_labels(module):
    """Whether `fit()` gets (images, labels) batches: only for `LABELS = True`."""
    return getattr(module, "LABELS", False) is True


def translates(module):
    """Whether the model module translates images: it reads paired or unpaired data and does
    not generate from noise (`FROM_NOISE`, as CoGAN does from two domains)."""
    return (getattr(module, "DATA_KIND", None) in ("paired", "unpaired")
            and not getattr(module, "FROM_NOISE", False))


def check_generates(model_name, module):
    """Refuses `sample` for translation models, naming the command they have instead."""
    if translates(module):
        raise UsageError(
            f"{model_name} translates images rather than sampling them: run "
            f"`python -m keras_gans.{model_name} translate --checkpoint ... --input ... "
            "--output ...`.")


def check_translates(model_name, module):
    """Refuses `translate` for models that generate from noise, naming `sample`."""
    if not translates(module):
        raise UsageError(
            f"{model_name} generates images from noise and has nothing to translate: run "
            f"`python -m keras_gans.{model_name} sample --checkpoint ...`.")


def build_translate_parser(model_name, module):
    """Flags of `python -m keras_gans.<model> translate`."""
    parser = Parser(
        prog=f"python -m keras_gans.{model_name} translate",
        description="Translate a folder of images with a saved model.",
    )
    return translate.add_arguments(parser, two_way=module.DATA_KIND == "unpaired")


def parse_arguments(model_name, argv):
    """The parsed training flags of `model_name` (its defaults, plus its own flags)."""
    return module_parser(model_name).parse_args(argv)


def given_flags(model_name, argv):
    """The settings typed on the command line (destination -> value), without the defaults."""
    parser = module_parser(model_name)
    for action in parser._actions:
        action.default = argparse.SUPPRESS
    return vars(parser.parse_args(argv))


def flag_names(model_name):
    """Destination -> the flag as typed ("batch_size" -> "--batch-size"), for every flag."""
    parser = module_parser(model_name)
    return {action.dest: max(action.option_strings, key=len)
            for action in parser._actions if action.option_strings}


def add_decay_argument(group):
    """`--decay-epochs`: the linear learning-rate decay of pix2pix, CycleGAN and the
    translation models after them (see `linear_decay`)."""
    group.add_argument("--decay-epochs", type=integer(at_least=0), default=None,
                       help="final epochs over which the learning rates decay linearly to 0 "
                       "(default: half of --epochs, the papers' 100 + 100)")
