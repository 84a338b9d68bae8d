"""The command line shared by every model: `python -m keras_gans.<model> [sample] [flags]`.

Each model module's `main()` calls `run()` with its builders and paper defaults. Training writes
everything under `--out` (default `runs/<model>/`):

    config.json            every setting used, the backend and the data's image shape
    samples/epoch_0001.png a sample grid from fixed noise after every epoch
    checkpoints/           model.keras (networks, optimizers, random state) and state.json
    metrics.csv            the losses of every epoch
    logs/                  TensorBoard logs (when TensorFlow is installed)

`--resume` continues an interrupted run from its checkpoint; a previous run's folder is never
replaced unless `--overwrite` is given. `python -m keras_gans.<model> sample --checkpoint
runs/<model>/checkpoints/model.keras` draws a grid from a saved model.
"""

import argparse
import json
import os
import shutil
import sys
import time

import keras

import keras_gans
from keras_gans import callbacks as gan_callbacks
from keras_gans import data as gan_data
from keras_gans import engine


OFFLINE_DATASET = "shapes"


class UsageError(ValueError):
    """A command-line setting that cannot work; its message says how to fix it."""


def build_parser(model_name, defaults, add_arguments=None):
    """The training flags shared by all models, with this model's defaults."""
    parser = argparse.ArgumentParser(
        prog=f"python -m keras_gans.{model_name}",
        description=f"Train {model_name} (see keras_gans.{model_name} for the paper and defaults). "
        f"'python -m keras_gans.{model_name} sample --help' draws samples from a checkpoint.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    data = parser.add_argument_group("data")
    data.add_argument("--dataset", default=None,
                      help="a built-in dataset (" + ", ".join(gan_data.BUILTIN_DATASETS)
                      + "), a tensorflow-datasets name, an image folder, or a .npz/.npy/IDX "
                      f"file (default: {defaults.get('dataset', OFFLINE_DATASET)}, or "
                      f"{OFFLINE_DATASET} when that cannot be reached offline)")
    data.add_argument("--data-dir", default=None,
                      help="folder of the dataset's files (MNIST IDX files, tensorflow-datasets)")
    data.add_argument("--image-size", type=int, default=defaults.get("image_size"),
                      help="resize images to this size (square)")
    data.add_argument("--channels", type=int, default=defaults.get("channels"),
                      help="image channels the data must have (1 or 3)")
    data.add_argument("--limit", type=int, default=None, help="use only the first N images")

    training = parser.add_argument_group("training")
    training.add_argument("--batch-size", type=int, default=defaults.get("batch_size", 64))
    training.add_argument("--epochs", type=int, default=defaults.get("epochs", 25))
    training.add_argument("--steps-per-epoch", type=int, default=None,
                          help="batches per epoch (default: one pass over the data)")
    training.add_argument("--latent-dim", type=int, default=defaults.get("latent_dim", 100))
    training.add_argument("--g-lr", type=float, default=defaults.get("g_lr", 2e-4),
                          help="generator learning rate")
    training.add_argument("--d-lr", type=float, default=defaults.get("d_lr", 2e-4),
                          help="discriminator learning rate")
    training.add_argument("--seed", type=int, default=0)
    training.add_argument("--mixed-precision", action="store_true",
                          help="compute in bfloat16 with float32 weights")
    training.add_argument("--strategy", choices=engine.STRATEGIES, default="auto",
                          help="data-parallel training over devices")
    training.add_argument("--jit-compile", choices=("auto", "true", "false"), default="auto")

    output = parser.add_argument_group("output")
    output.add_argument("--out", default=os.path.join("runs", model_name),
                        help="folder for samples, checkpoints, metrics and logs")
    output.add_argument("--resume", action="store_true",
                        help="continue the run in --out from its last checkpoint")
    output.add_argument("--overwrite", action="store_true",
                        help="replace a previous run in --out")
    output.add_argument("--sample-every", type=int, default=1, help="epochs between sample grids")
    output.add_argument("--eval-every", type=int, default=0,
                        help="epochs between evaluations (FCD or FID, KID) against held-out "
                        "images, logged to metrics.csv and TensorBoard; the best model is kept "
                        "in checkpoints/best.keras (0: no evaluation)")
    output.add_argument("--eval-count", type=int, default=2000,
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


def build_sample_parser(model_name):
    """Flags of `python -m keras_gans.<model> sample`."""
    parser = argparse.ArgumentParser(
        prog=f"python -m keras_gans.{model_name} sample",
        description="Draw a grid of samples from a saved model.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--checkpoint", required=True, help="a .keras file saved by training")
    parser.add_argument("--output", default="samples.png", help="PNG file to write")
    parser.add_argument("--count", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --output")
    return parser


def run(model_name, argv=None):
    """Parses `argv` and trains (or samples from) the model `model_name`; returns an exit code.

    The model module `keras_gans.<model_name>` provides:

    - `DEFAULTS`: its defaults for the shared flags (dataset, batch_size, epochs, ...);
    - `add_arguments(group)`: adds its own flags;
    - `build_model(args, image_shape)`: the model; may raise ValueError for settings the
      networks cannot take (the message is shown as is);
    - `compile_model(model, args, **options)`: compiles it with this run's settings;
    - optionally `model_callbacks(args)`: the model's own callbacks (such as BEGAN's learning
      rate halving); they run before the checkpoint at the end of every epoch.
    """
    module = keras_gans.get_module(model_name)
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv[:1] == ["sample"]:
            return sample(model_name, build_sample_parser(model_name).parse_args(argv[1:]))
        args = parse_arguments(model_name, argv)
        return train(model_name, args, module)
    except gan_callbacks.TrainingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except (UsageError, gan_data.DataError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def parse_arguments(model_name, argv):
    """The parsed training flags of `model_name` (its defaults, plus its own flags)."""
    module = keras_gans.get_module(model_name)
    parser = build_parser(model_name, module.DEFAULTS, module.add_arguments)
    return parser.parse_args(argv)


def apply_smoke_settings(args):
    """`--smoke`: one epoch of two small steps on 64 images (batches of 8, so that models
    taking several real batches per step, such as WGAN's 5 critic batches, still fit)."""
    if args.smoke:
        args.epochs = 1
        args.steps_per_epoch = 2
        args.batch_size = min(args.batch_size, 8)
        args.limit = min(args.limit or 64, 64)
    return args


def prepare_output(args):
    """Checks `--out` against `--resume`/`--overwrite`; returns the checkpoint to resume or None."""
    out = args.out
    previous_run = os.path.exists(os.path.join(out, "config.json"))
    if args.resume and args.overwrite:
        raise UsageError("--resume and --overwrite contradict each other: pass only one.")
    if args.resume:
        state = gan_callbacks.resume_state(os.path.join(out, "checkpoints"))
        if state is None:
            raise UsageError(
                f"There is no checkpoint to resume in {out}: check --out, or start a new run "
                "without --resume."
            )
        return state
    if os.path.isdir(out) and os.listdir(out):
        if not previous_run:
            raise UsageError(
                f"The output folder {out} is not empty and holds no keras_gans run: choose "
                "another --out."
            )
        if not args.overwrite:
            raise UsageError(
                f"The output folder {out} already holds a run: pass --resume to continue it, "
                "--overwrite to replace it, or choose another --out."
            )
        shutil.rmtree(out)
    elif os.path.exists(out) and not os.path.isdir(out):
        raise UsageError(f"--out {out} is a file, not a folder: choose another --out.")
    return None


def load_training_data(args, default_dataset):
    """Loads the training images named by `--dataset` (raises DataError with a fix).

    Without `--dataset`, the model's default dataset is used; when that cannot be reached
    (e.g. MNIST with no network and no `--data-dir`), the built-in offline dataset is used
    instead, with a notice, so the bare command always trains.
    """
    dataset = args.dataset or default_dataset
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
    args.dataset = dataset
    gan_data.steps_per_epoch(data, args.batch_size)  # at least one batch, or a DataError
    return data


def training_batches(data, args, initial_epoch, real_batches_per_step=1):
    """A tf.data pipeline when TensorFlow is installed, else NumPy arrays for `fit()`.

    Each step gets `real_batches_per_step` batches of `--batch-size` (n_critic for WGAN-style
    critics). The pipeline's shuffle order depends only on the seed and the pass over the data,
    and a resumed run skips exactly the batches the earlier epochs consumed, so it sees the
    batches an uninterrupted run would (also when `--steps-per-epoch` is not one pass).
    """
    step_batch_size = args.batch_size * real_batches_per_step
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        return data.images, dict(batch_size=step_batch_size, shuffle=True)
    batches_per_pass = gan_data.steps_per_epoch(data, step_batch_size)
    steps = args.steps_per_epoch or batches_per_pass
    first_pass, offset = divmod(initial_epoch * steps, batches_per_pass)
    batches = gan_data.batches(
        data, step_batch_size, shuffle=True, seed=args.seed, start_epoch=first_pass
    )
    return batches.skip(offset), dict(steps_per_epoch=steps, shuffle=False)


def make_evaluation_callbacks(args):
    """The Evaluate callback and a best-model checkpoint, when `--eval-every` asks for them."""
    from keras_gans import evaluate

    if args.eval_every <= 0:
        return []
    features = args.eval_features or evaluate.default_features(args.dataset)
    try:
        extractor = evaluate.make_extractor(features, args.inception_weights)
    except (FileNotFoundError, RuntimeError) as error:  # weights missing: the message says how
        raise UsageError(str(error)) from error
    try:
        real = gan_data.load(args.dataset, data_dir=args.data_dir, split="test",
                             image_size=args.image_size, channels=args.channels,
                             limit=args.eval_count, seed=args.seed)
    except gan_data.DataError:  # no held-out split (e.g. an image folder): use training images
        real = load_training_data(args, args.dataset)
    count = 64 if args.smoke else args.eval_count
    evaluation = gan_callbacks.Evaluate(real.images[:count], extractor, every=args.eval_every,
                                        count=count, seed=args.seed)
    best = keras.callbacks.ModelCheckpoint(
        os.path.join(args.out, "checkpoints", "best.keras"), monitor=evaluation.keys()[0],
        mode="min", save_best_only=True)
    return [evaluation, best]


def make_callbacks(args, previous_state=None, model_callbacks=()):
    """The NaN guard, the model's own callbacks (run before the checkpoint, so that what they
    change is saved), evaluation, sample grids, checkpoints, CSV metrics, TensorBoard logs."""
    callbacks = [gan_callbacks.StopOnNaN()] + list(model_callbacks)
    callbacks += make_evaluation_callbacks(args) + [
        gan_callbacks.SampleGrid(
            os.path.join(args.out, "samples"),
            count=16 if args.smoke else 64,
            every=args.sample_every,
            seed=args.seed,
        ),
        gan_callbacks.Checkpoint(os.path.join(args.out, "checkpoints"),
                                 elapsed_seconds=(previous_state or {}).get("training_seconds", 0)),
        keras.callbacks.CSVLogger(os.path.join(args.out, "metrics.csv"),
                                  append=previous_state is not None),
    ]
    try:
        import tensorboard  # noqa: F401
        import tensorflow  # noqa: F401

        callbacks.append(
            keras.callbacks.TensorBoard(os.path.join(args.out, "logs"), write_graph=False)
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
        training_images=len(data),
        initial_epoch=initial_epoch,
        started=time.strftime("%Y-%m-%d %H:%M:%S"),
    )
    os.makedirs(args.out, exist_ok=True)
    name = "config.json" if initial_epoch == 0 else f"config_resume_{initial_epoch:04d}.json"
    with open(os.path.join(args.out, name), "w") as file:
        json.dump(config, file, indent=2)


def train(model_name, args, module):
    """Trains the model of `module` as the parsed `args` say; returns 0 on success."""
    apply_smoke_settings(args)
    if args.batch_size < 1 or args.epochs < 1:
        raise UsageError("--batch-size and --epochs must be at least 1.")
    resume = prepare_output(args)
    data = load_training_data(args, module.DEFAULTS.get("dataset", OFFLINE_DATASET))
    engine.set_mixed_precision(args.mixed_precision)
    keras.utils.set_random_seed(args.seed)
    model_callbacks = module.model_callbacks(args) if hasattr(module, "model_callbacks") else []
    callbacks = make_callbacks(args, previous_state=resume[1] if resume else None,
                               model_callbacks=model_callbacks)
    jit_compile = {"auto": "auto", "true": True, "false": False}[args.jit_compile]
    with engine.distribution_scope(args.strategy):
        if resume is not None:
            model_path, state = resume
            model = keras_gans.load_model(model_path)
            initial_epoch = state["epoch"]
            if initial_epoch >= args.epochs:
                raise UsageError(
                    f"The run in {args.out} already trained {initial_epoch} epochs: pass a "
                    f"larger --epochs to continue it."
                )
        else:
            try:
                model = module.build_model(args, data.image_shape)
            except ValueError as error:
                raise UsageError(str(error)) from error
            module.compile_model(model, args, jit_compile=jit_compile)
            initial_epoch = 0
        write_config(args, model_name, data, initial_epoch)
        inputs, fit_options = training_batches(data, args, initial_epoch,
                                               model.real_batches_per_step)
        model.fit(
            inputs,
            epochs=args.epochs,
            initial_epoch=initial_epoch,
            callbacks=callbacks,
            verbose=args.verbose,
            **fit_options,
        )
    print(f"Finished {model_name}: samples, checkpoints and metrics are in {args.out}")
    return 0


def sample(model_name, args):
    """Draws `--count` samples from `--checkpoint` into the PNG grid `--output`."""
    if not os.path.exists(args.checkpoint):
        raise UsageError(f"The checkpoint {args.checkpoint} does not exist: check --checkpoint.")
    if os.path.exists(args.output) and not args.overwrite:
        raise UsageError(
            f"{args.output} already exists: pass --overwrite to replace it, or choose another "
            "--output."
        )
    model = keras_gans.load_model(args.checkpoint)
    images = model(model.sample_inputs(args.count, seed=args.seed), training=False)
    gan_callbacks.save_image_grid(keras.ops.convert_to_numpy(images), args.output)
    print(f"Wrote {args.count} samples of {model_name} to {args.output}")
    return 0
