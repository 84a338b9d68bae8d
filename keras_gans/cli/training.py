"""Training and sampling from the command line: the run folder, callbacks, the model, fit()."""

import contextlib
import inspect
import json
import os
import shutil
import sys
import tempfile
import time

import keras

import keras_gans
from keras_gans import callbacks as gan_callbacks
from keras_gans import data as gan_data
from keras_gans import engine
from keras_gans import runs
from keras_gans.cli.data import (check_labels, check_same_data, data_shapes,
                                 grid_image_inputs, held_out_examples, load_training_data,
                                 training_batches, translation_grid_inputs)
from keras_gans.cli.parsing import (UsageError, feeds_labels, flag_names, translates,
                                    uses_labels)


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


def apply_smoke_settings(args):
    """`--smoke`: one epoch of two small steps on 64 images (batches of 8, so that models
    taking several real batches per step, such as WGAN's 5 critic batches, still fit)."""
    if args.smoke:
        args.epochs = 1
        args.steps_per_epoch = 2
        args.batch_size = min(args.batch_size, 8)
        args.limit = min(args.limit or 64, 64)
    return args


def resume_settings(model_name, args, folder, given, module=None):
    """Sets `args` to the settings of the run in `folder`, with the flags given again checked.

    A flag that the run's settings do not name takes the value of the module's optional
    `FORMER_DEFAULTS` (what runs started before the flag existed trained with), else its
    current default.

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
    for dest, value in getattr(module, "FORMER_DEFAULTS", {}).items():
        saved.setdefault(dest, value)
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


def make_evaluation_callbacks(args, image_shape, module=None):
    """The Evaluate callback and a best-model checkpoint, when `--eval-every` asks for them.

    Loads the held-out images and the feature extractor, so that a missing piece stops the
    command before training. Models of two domains (`module.DATA_KIND`) that generate from
    noise are compared with the held-out A images.
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
    count = 64 if args.smoke else args.eval_count
    if getattr(module, "DATA_KIND", None) is not None:
        images = held_out_examples(args, module, count).images_a
    else:
        try:
            real = gan_data.load(args.dataset, data_dir=args.data_dir, split="test",
                                 image_size=args.image_size, channels=args.channels,
                                 limit=args.eval_count, seed=args.seed)
        except gan_data.DataError:  # no held-out split (e.g. an image folder): training images
            real = load_training_data(args, args.dataset)
        images = real.examples(count) if isinstance(real, gan_data.ImageStream) else real.images
    evaluation = gan_callbacks.Evaluate(images[:count], extractor, every=args.eval_every,
                                        count=count, seed=args.seed)
    best = keras.callbacks.ModelCheckpoint(
        os.path.join(args.out, "checkpoints", "best.keras"), monitor=evaluation.keys()[0],
        mode="min", save_best_only=True)
    return [evaluation, best]


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


def model_from_flags(model_class, args, **values):
    """A `model_class` built with every constructor argument that has a flag of the same name
    in `args` (`--latent-dim` → `latent_dim`) or a value in `values`; the others keep their
    defaults. Values given here win over flags."""
    parameters = inspect.signature(model_class.__init__).parameters
    arguments = {
        name: values[name] if name in values else getattr(args, name)
        for name, parameter in parameters.items()
        if name != "self"
        and parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)
        and (name in values or hasattr(args, name))
    }
    return model_class(**arguments)


def flag_builder(model_class):
    """A module's `build_model(args, image_shape)` that builds `model_class` from the flags
    named like its constructor arguments (see `model_from_flags`)."""

    def build_model(args, image_shape):
        """The model the command line asks for: each constructor argument from its flag."""
        return model_from_flags(model_class, args, image_shape=image_shape)

    return build_model


@contextlib.contextmanager
def _removed_unless(keep, path):
    """A context after which `path` is deleted, unless `keep`."""
    try:
        yield
    finally:
        if not keep:
            shutil.rmtree(path, ignore_errors=True)


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
    the folder is written only when training is about to start. A new model is handed to the
    module's optional `prepare_model(model, args, data)` hook with the training data before
    its first epoch (a resumed one already holds what the hook gave it).
    """
    try:
        chief, shard = engine.is_chief(args.strategy), engine.worker_shard(args.strategy)
    except engine.ClusterError as error:
        raise UsageError(str(error)) from None
    # The other workers of a multi-worker run leave --out to the chief (when resuming, they
    # read the run's settings and checkpoint from it). They run the same callbacks, whose
    # reads of distributed variables every worker must join, into a folder of their own that
    # is deleted at the end.
    if chief or args.resume:
        folder = runs.RunFolder(args.out, model_name, resume=args.resume,
                                overwrite=args.overwrite)
    resumable = saved = None
    if args.resume:
        resumable, saved = resume_settings(model_name, args, folder, given or {}, module)
    else:
        apply_smoke_settings(args)
    data = load_training_data(args, module)
    if saved is not None:
        check_same_data(args, data, saved)
    if uses_labels(module):
        check_labels(args, data, model_name)
    if translates(module) and args.eval_every > 0:
        raise UsageError(f"--eval-every compares samples from noise with real images, which "
                         f"{model_name} does not draw: leave it out, and measure a saved model "
                         "with scripts/results.py evaluate.")
    if shard is not None:
        gan_data.WorkerShard(*shard, unit=args.batch_size)  # the batch must split evenly
    run_folder = args.out
    scratch = os.path.join(tempfile.gettempdir(), f"keras_gans_worker_{os.getpid()}")
    if not chief:
        args.out = os.path.join(scratch, "run")
        folder = runs.RunFolder(args.out, model_name)
    evaluation = make_evaluation_callbacks(args, data.image_shape, module)
    grid_inputs = None
    if args.sample_every > 0:
        grid_inputs = (grid_image_inputs(args, data)
                       if getattr(module, "GRID_INPUTS", None) == "images"
                       else translation_grid_inputs(args, module))
    model_callbacks = module.model_callbacks(args) if hasattr(module, "model_callbacks") else []
    engine.set_mixed_precision(args.mixed_precision)
    keras.utils.set_random_seed(args.seed)
    try:
        scope = engine.distribution_scope(args.strategy, args.connect_timeout)
    except engine.ClusterError as error:
        raise UsageError(str(error)) from None
    with scope, _removed_unless(chief, scratch):
        model, initial_epoch = build_or_load(module, args, data_shapes(data), resumable)
        if resumable is None and hasattr(module, "prepare_model"):
            module.prepare_model(model, args, data)
        inputs, fit_options = training_batches(data, args, initial_epoch,
                                               model.real_batches_per_step, feeds_labels(module),
                                               shard)
        if shard is not None:
            inputs = engine.distribute_worker_batches(
                inputs, args.batch_size * model.real_batches_per_step)
        callbacks = make_callbacks(args, folder, resumable and resumable[1], model_callbacks,
                                   evaluation, grid_inputs) + fit_options.pop("callbacks", [])
        folder.start()
        try:
            write_config(args, model_name, data, initial_epoch)
            model.fit(inputs, epochs=args.epochs, initial_epoch=initial_epoch,
                      callbacks=callbacks, verbose=args.verbose if chief else 0, **fit_options)
        except BaseException as error:
            note = folder.abandon()
            if note and chief:
                print(f"note: {note}", file=sys.stderr)
            if isinstance(error, OSError):
                raise gan_callbacks.TrainingError(
                    describe_os_error(error, folder.checkpoints)) from None
            raise
    if not chief:
        print(f"Finished {model_name} as worker {shard[0]}: the chief wrote the run into "
              f"{run_folder}")
        return 0
    print(f"Finished {model_name}: samples, checkpoints and metrics are in {args.out}")
    return 0


def sample(model_name, args):
    """Draws `--count` samples from `--checkpoint` into the PNG grid `--output`."""
    if os.path.exists(args.output) and not args.overwrite:
        raise UsageError(
            f"{args.output} already exists: pass --overwrite to replace it, or choose another "
            "--output."
        )
    runs.check_writable(os.path.dirname(os.path.abspath(args.output)), flag="--output")
    model = keras_gans.load_gan(args.checkpoint, flag="--checkpoint")
    options = {}
    if args.label is not None:
        num_classes = getattr(model, "num_classes", None)
        if num_classes is None or "labels" not in inspect.signature(
                model.sample_inputs).parameters:
            raise UsageError(f"{type(model).__name__} does not draw samples of a class: leave "
                             "out --label.")
        if args.label >= num_classes:
            raise UsageError(f"--label {args.label} is not a class of this model, whose labels "
                             f"run from 0 to {num_classes - 1}: pass one of them.")
        options["labels"] = args.label
    inputs = model.sample_inputs(args.count, seed=args.seed, **options)
    if getattr(keras_gans.get_module(model_name), "GRID_INPUTS", None) == "images":
        # The model's own grids show real inputs beside outputs; samples are decoded noise.
        images, columns = keras.ops.convert_to_numpy(model(inputs, training=False)), None
    else:
        images, columns = gan_callbacks.grid_images(model, inputs)
    gan_callbacks.save_image_grid(images, args.output, columns=columns)
    print(f"Wrote {len(images)} samples of {type(model).__name__} ({args.checkpoint}) to "
          f"{args.output}")
    return 0
