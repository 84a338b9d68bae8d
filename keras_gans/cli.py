"""The command line shared by every model: `python -m keras_gans.<model> [sample|translate]`.

Each model module's `main()` calls `run()` with its builders and paper defaults. Training writes
everything under `--out` (default `runs/<model>/`):

    run.json               marks the folder as a keras_gans run of this model
    config.json            every setting used, the backend and the data's image shape
    samples/epoch_0001.png a sample grid after every epoch: fixed noise, or for translation
                           models held-out inputs beside their outputs (and targets)
    checkpoints/           model.keras (networks, optimizers, random state) and state.json
    metrics.csv            the losses of every epoch
    logs/                  TensorBoard logs (when TensorFlow is installed)

Every flag, the data, the model and `--out` are checked before anything is written, and each
mistake stops the command with one sentence and exit code 2. `--resume` continues the run in
`--out` with the settings it was started with; `--overwrite` replaces a previous run only once
the new one has saved its first checkpoint, and never deletes a folder holding files that no run
writes (see `keras_gans.runs`). `python -m keras_gans.<model> sample --checkpoint
runs/<model>/checkpoints/model.keras` draws a grid from a saved model; translation models
(pix2pix, CycleGAN) have `translate --checkpoint ... --input photos/ --output out/` instead
(see `keras_gans.translate`).
"""

import argparse
import json
import math
import os
import re
import sys
import time

import keras

import keras_gans
from keras_gans import callbacks as gan_callbacks
from keras_gans import data as gan_data
from keras_gans import engine
from keras_gans import runs
from keras_gans import translate


OFFLINE_DATASET = "shapes"


class UsageError(ValueError):
    """A command-line setting that cannot work; its message says how to fix it."""


# ------------------------------------------------------------------------------------------
# Numeric flags: checked when the arguments are parsed
# ------------------------------------------------------------------------------------------
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


# ------------------------------------------------------------------------------------------
# Parsers
# ------------------------------------------------------------------------------------------
def build_parser(model_name, defaults, add_arguments=None, data_kind=None):
    """The training flags shared by all models, with this model's defaults.

    Models of paired or unpaired data (`data_kind`) also get `--load-size` and `--no-flip`,
    and paired ones `--direction`.
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

    training = parser.add_argument_group("training")
    training.add_argument("--batch-size", type=integer(at_least=1),
                          default=defaults.get("batch_size", 64), help="images per batch")
    training.add_argument("--epochs", type=integer(at_least=1), default=defaults.get("epochs", 25),
                          help="epochs to train in all (a resumed run continues up to this)")
    training.add_argument("--steps-per-epoch", type=integer(at_least=1), default=None,
                          help="batches per epoch (default: one pass over the data)")
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
                          help="data-parallel training over devices")
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
                        getattr(module, "DATA_KIND", None))


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
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --output")
    return parser


def translates(module):
    """Whether the model module translates images (paired or unpaired data)."""
    return getattr(module, "DATA_KIND", None) in ("paired", "unpaired")


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


# ------------------------------------------------------------------------------------------
# Entry point
# ------------------------------------------------------------------------------------------
def run(model_name, argv=None):
    """Parses `argv` and trains the model `model_name`, samples from it (`sample`) or
    translates images with it (`translate`); returns an exit code.

    The model module `keras_gans.<model_name>` provides:

    - `DEFAULTS`: its defaults for the shared flags (dataset, batch_size, epochs, ...);
    - `add_arguments(group)`: adds its own flags, numeric ones typed with `integer()` or
      `number()` so that they are checked when parsed;
    - `build_model(args, image_shape)`: the model; may raise ValueError for settings the
      networks cannot take (the message is shown as is);
    - `compile_model(model, args, **options)`: compiles it with this run's settings;
    - optionally `model_callbacks(args)`: the model's own callbacks (such as BEGAN's learning
      rate halving); they run before the checkpoint at the end of every epoch.

    Exit codes: 0 done, 1 training stopped (NaN loss, full disk), 2 a mistake in the input.
    """
    module = keras_gans.get_module(model_name)
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv[:1] == ["sample"]:
            check_generates(model_name, module)
            return sample(model_name, build_sample_parser(model_name).parse_args(argv[1:]))
        if argv[:1] == ["translate"]:
            check_translates(model_name, module)
            return translate.run(build_translate_parser(model_name, module).parse_args(argv[1:]))
        args = parse_arguments(model_name, argv)
        return train(model_name, args, module, given_flags(model_name, argv))
    except SystemExit as exit:  # --help, or a flag refused when parsed (its sentence is out)
        return exit.code
    except gan_callbacks.TrainingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except (UsageError, gan_data.DataError, runs.RunFolderError,
            keras_gans.CheckpointError, translate.TranslateError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"error: {describe_os_error(error)}", file=sys.stderr)
        return 1


def describe_os_error(error, checkpoints=None):
    """One sentence for a failed write (a full disk, a folder that became read-only, ...).

    With the run's checkpoint folder, the sentence also says which checkpoint is kept.
    """
    where = f" {error.filename}" if error.filename else ""
    sentence = (f"Writing{where} failed ({error.strerror or error}): free disk space or fix the "
                "folder's permissions")
    if checkpoints is None:
        return sentence + "."
    resumable = gan_callbacks.resume_state(checkpoints)
    if resumable is None:
        return sentence + "; no checkpoint was saved, so start the run again."
    return (sentence + f"; the checkpoint of epoch {resumable[1]['epoch']} is kept, and "
            "--resume continues from it.")


# ------------------------------------------------------------------------------------------
# Training
# ------------------------------------------------------------------------------------------
def apply_smoke_settings(args):
    """`--smoke`: one epoch of two small steps on 64 images (batches of 8, so that models
    taking several real batches per step, such as WGAN's 5 critic batches, still fit)."""
    if args.smoke:
        args.epochs = 1
        args.steps_per_epoch = 2
        args.batch_size = min(args.batch_size, 8)
        args.limit = min(args.limit or 64, 64)
    return args


def resume_settings(model_name, args, folder, given):
    """Sets `args` to the settings of the run in `folder`, with the flags given again checked.

    Returns:
        `(state, saved)`: the checkpoint's state and the settings of the run's last segment.
    """
    resumable = gan_callbacks.resume_state(folder.checkpoints)
    if resumable is None:
        raise UsageError(f"The run in {args.out} saved no checkpoint to resume: start it again "
                         "with --overwrite.")
    try:
        saved = dict(runs.segment_configs(folder.path)[-1])
    except (OSError, ValueError) as error:
        raise UsageError(f"The settings of the run in {args.out} could not be read ({error}): "
                         "start a new run in another --out.") from None
    # A size or channel count given again is compared with what the run trained on.
    compared = dict(saved)
    height, width, channels = saved.get("image_shape") or [None, None, None]
    if saved.get("image_size") is None and height == width:
        compared["image_size"] = height
    if saved.get("channels") is None:
        compared["channels"] = channels
    settings = runs.resumed_settings(compared, given, flag_names(model_name))
    for dest, value in settings.items():
        setattr(args, dest, saved[dest] if dest in ("image_size", "channels") else value)
    args.resume, args.overwrite = True, False
    return resumable, saved


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


def training_batches(data, args, initial_epoch, real_batches_per_step=1):
    """What `fit()` takes: `(inputs, fit_options)`; fit_options may hold "callbacks".

    Each step gets `real_batches_per_step` batches of `--batch-size` (n_critic for WGAN-style
    critics). The order depends only on the seed and the pass over the data, and a resumed run
    skips exactly the batches the earlier epochs consumed, so it sees the batches an
    uninterrupted run would (also when `--steps-per-epoch` is not one pass). Streams (paired,
    unpaired, image folders) and, without TensorFlow, in-memory images go through
    `data.training_inputs` (tf.data, or a PyDataset); in-memory images with TensorFlow
    through `data.batches`.
    """
    step_batch_size = args.batch_size * real_batches_per_step
    if isinstance(data, gan_data.ImageData) and not gan_data.tensorflow_available():
        data = gan_data.stream_from_images(data)
    if isinstance(data, gan_data.ImageStream):
        return gan_data.training_inputs(data, step_batch_size, seed=args.seed,
                                        initial_epoch=initial_epoch,
                                        steps_per_epoch=args.steps_per_epoch)
    batches_per_pass = gan_data.steps_per_epoch(data, step_batch_size)
    steps = args.steps_per_epoch or batches_per_pass
    first_pass, offset = divmod(initial_epoch * steps, batches_per_pass)
    batches = gan_data.batches(
        data, step_batch_size, shuffle=True, seed=args.seed, start_epoch=first_pass
    )
    return batches.skip(offset), dict(steps_per_epoch=steps, shuffle=False)


def make_evaluation_callbacks(args, image_shape):
    """The Evaluate callback and a best-model checkpoint, when `--eval-every` asks for them.

    Loads the held-out images and the feature extractor, so that a missing piece stops the
    command before training.
    """
    from keras_gans import evaluate

    if args.eval_every <= 0:
        return []
    features = args.eval_features or evaluate.default_features(args.dataset)
    try:
        evaluate.check_features(features, image_shape, flag="--eval-features")
        extractor = evaluate.make_extractor(features, args.inception_weights)
    except (FileNotFoundError, RuntimeError, evaluate.EvaluationError) as error:
        raise UsageError(str(error)) from error
    try:
        real = gan_data.load(args.dataset, data_dir=args.data_dir, split="test",
                             image_size=args.image_size, channels=args.channels,
                             limit=args.eval_count, seed=args.seed)
    except gan_data.DataError:  # no held-out split (e.g. an image folder): use training images
        real = load_training_data(args, args.dataset)
    count = 64 if args.smoke else args.eval_count
    images = real.examples(count) if isinstance(real, gan_data.ImageStream) else real.images
    evaluation = gan_callbacks.Evaluate(images[:count], extractor, every=args.eval_every,
                                        count=count, seed=args.seed)
    best = keras.callbacks.ModelCheckpoint(
        os.path.join(args.out, "checkpoints", "best.keras"), monitor=evaluation.keys()[0],
        mode="min", save_best_only=True)
    return [evaluation, best]


def add_decay_argument(group):
    """`--decay-epochs`: the linear learning-rate decay of pix2pix, CycleGAN and the
    translation models after them (see `linear_decay`)."""
    group.add_argument("--decay-epochs", type=integer(at_least=0), default=None,
                       help="final epochs over which the learning rates decay linearly to 0 "
                       "(default: half of --epochs, the papers' 100 + 100)")


def linear_decay(args):
    """The papers' schedule as a callback: constant rates, then linear decay to 0 over the
    last `--decay-epochs` (half of `--epochs` by default), from `--g-lr` and `--d-lr`."""
    decay_epochs = args.epochs // 2 if args.decay_epochs is None else args.decay_epochs
    if decay_epochs > args.epochs:
        raise UsageError(f"--decay-epochs {decay_epochs} is more than --epochs {args.epochs}: "
                         f"pass at most {args.epochs}.")
    base_rates = {"g_optimizer": args.g_lr, "d_optimizer": args.d_lr}
    return [gan_callbacks.LinearDecay(args.epochs - decay_epochs, decay_epochs, base_rates)]


def nan_advice(args):
    """What to do about a NaN loss, naming this model's learning-rate flags and values."""
    rates = " ".join(f"--{dest.replace('_', '-')} {value:g}" for dest, value in vars(args).items()
                     if dest.endswith("_lr") and isinstance(value, float))
    return (f"lower the learning rates (now {rates}) in a new run, or check the data for NaN or "
            "infinite values")


class FinishReplacement(keras.callbacks.Callback):
    """Deletes the run that `--overwrite` replaces, once the new run has a checkpoint."""

    def __init__(self, folder):
        super().__init__()
        self.folder = folder

    def on_epoch_end(self, epoch, logs=None):
        self.folder.finish_replacement()


def translation_grid_inputs(args, module):
    """Held-out (A, B) inputs of the sample grids of a translation model, else None (noise)."""
    if not translates(module):
        return None
    examples = held_out_examples(args, module, 4 if args.smoke else 8)
    return examples.images_a, examples.images_b


def make_callbacks(args, folder, previous_state=None, model_callbacks=(), evaluation=(),
                   grid_inputs=None):
    """The NaN guard, the model's own callbacks (run before the checkpoint, so that what they
    change is saved), evaluation, sample grids (of `grid_inputs`, or of the model's seeded
    noise), checkpoints, CSV metrics, TensorBoard logs."""
    callbacks = [gan_callbacks.StopOnNaN(advice=nan_advice(args),
                                         checkpoint_directory=folder.checkpoints)]
    callbacks += list(model_callbacks) + list(evaluation)
    if args.sample_every > 0:
        callbacks.append(gan_callbacks.SampleGrid(
            os.path.join(folder.path, "samples"), count=16 if args.smoke else 64,
            every=args.sample_every, seed=args.seed, inputs=grid_inputs))
    callbacks += [
        gan_callbacks.Checkpoint(folder.checkpoints,
                                 elapsed_seconds=(previous_state or {}).get("training_seconds", 0)),
        FinishReplacement(folder),
        keras.callbacks.CSVLogger(os.path.join(folder.path, "metrics.csv"),
                                  append=previous_state is not None),
    ]
    try:
        import tensorboard  # noqa: F401
        import tensorflow  # noqa: F401

        callbacks.append(
            keras.callbacks.TensorBoard(os.path.join(folder.path, "logs"), write_graph=False)
        )
    except ImportError:
        pass
    return callbacks


def write_config(args, model_name, data, initial_epoch):
    """Writes every setting of the run to `config.json` (a new file per resumed segment)."""
    config = dict(vars(args))
    config.update(
        model=model_name,
        backend=keras.backend.backend(),
        keras_version=keras.__version__,
        image_shape=list(data.image_shape),
        data_shapes=[list(shape) for shape in data_shapes(data)],
        training_images=len(data),
        initial_epoch=initial_epoch,
        started=time.strftime("%Y-%m-%d %H:%M:%S"),
    )
    name = "config.json" if initial_epoch == 0 else f"config_resume_{initial_epoch:04d}.json"
    with open(os.path.join(args.out, name), "w") as file:
        json.dump(config, file, indent=2)


def data_shapes(data):
    """The shapes the model is built for: (A,) for single images, (A, B) for image pairs."""
    if getattr(data, "domain_b", None) is None:
        return (tuple(data.image_shape),)
    return tuple(data.image_shape), (*data.image_size, data.domain_b.channels)


def build_or_load(module, args, shapes, resumable):
    """The model to train: the checkpoint's when resuming, else a new compiled one, built for
    the data's `shapes` (see `data_shapes`)."""
    if resumable is not None:
        model_path, state = resumable
        if state["epoch"] >= args.epochs:
            done = f"{state['epoch']} epoch" + ("s" if state["epoch"] > 1 else "")
            raise UsageError(f"The run in {args.out} already trained {done}: pass a larger "
                             "--epochs to continue it.")
        return keras_gans.load_gan(model_path), state["epoch"]
    try:
        model = module.build_model(args, *shapes)
    except ValueError as error:
        raise UsageError(str(error)) from error
    jit_compile = {"auto": "auto", "true": True, "false": False}[args.jit_compile]
    module.compile_model(model, args, jit_compile=jit_compile)
    return model, 0


def train(model_name, args, module, given=None):
    """Trains the model of `module` as the parsed `args` say; returns 0 on success.

    Everything is checked first (the run folder, the data, the evaluation's needs, the model);
    the folder is written only when training is about to start.
    """
    folder = runs.RunFolder(args.out, model_name, resume=args.resume, overwrite=args.overwrite)
    resumable = saved = None
    if args.resume:
        resumable, saved = resume_settings(model_name, args, folder, given or {})
    else:
        apply_smoke_settings(args)
    data = load_training_data(args, module)
    if saved is not None:
        check_same_data(args, data, saved)
    if translates(module) and args.eval_every > 0:
        raise UsageError(f"--eval-every compares samples from noise with real images, which "
                         f"{model_name} does not draw: leave it out, and measure a saved model "
                         "with scripts/results.py evaluate.")
    evaluation = make_evaluation_callbacks(args, data.image_shape)
    grid_inputs = translation_grid_inputs(args, module) if args.sample_every > 0 else None
    model_callbacks = module.model_callbacks(args) if hasattr(module, "model_callbacks") else []
    engine.set_mixed_precision(args.mixed_precision)
    keras.utils.set_random_seed(args.seed)
    with engine.distribution_scope(args.strategy):
        model, initial_epoch = build_or_load(module, args, data_shapes(data), resumable)
        inputs, fit_options = training_batches(data, args, initial_epoch,
                                               model.real_batches_per_step)
        callbacks = make_callbacks(args, folder, resumable and resumable[1], model_callbacks,
                                   evaluation, grid_inputs) + fit_options.pop("callbacks", [])
        folder.start()
        try:
            write_config(args, model_name, data, initial_epoch)
            model.fit(inputs, epochs=args.epochs, initial_epoch=initial_epoch,
                      callbacks=callbacks, verbose=args.verbose, **fit_options)
        except BaseException as error:
            note = folder.abandon()
            if note:
                print(f"note: {note}", file=sys.stderr)
            if isinstance(error, OSError):
                raise gan_callbacks.TrainingError(
                    describe_os_error(error, folder.checkpoints)) from None
            raise
    print(f"Finished {model_name}: samples, checkpoints and metrics are in {args.out}")
    return 0


# ------------------------------------------------------------------------------------------
# Sampling
# ------------------------------------------------------------------------------------------
def sample(model_name, args):
    """Draws `--count` samples from `--checkpoint` into the PNG grid `--output`."""
    if os.path.exists(args.output) and not args.overwrite:
        raise UsageError(
            f"{args.output} already exists: pass --overwrite to replace it, or choose another "
            "--output."
        )
    runs.check_writable(os.path.dirname(os.path.abspath(args.output)), flag="--output")
    model = keras_gans.load_gan(args.checkpoint, flag="--checkpoint")
    images = model(model.sample_inputs(args.count, seed=args.seed), training=False)
    gan_callbacks.save_image_grid(keras.ops.convert_to_numpy(images), args.output)
    print(f"Wrote {args.count} samples of {type(model).__name__} ({args.checkpoint}) to "
          f"{args.output}")
    return 0
