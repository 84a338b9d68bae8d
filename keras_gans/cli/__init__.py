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
runs/<model>/checkpoints/model.keras` draws a grid from a saved model (`--label 7`: only
sevens, for conditional models); translation models (pix2pix, CycleGAN) have `translate
--checkpoint ... --input photos/ --output out/` instead (see `keras_gans.translate`); models
with an encoder or a classifier have `encode`, `classify` or `cluster` (see `cli.apply`).
"""

import sys

import keras_gans
from keras_gans import callbacks as gan_callbacks
from keras_gans import data as gan_data
from keras_gans import runs
from keras_gans import translate
from keras_gans.cli.apply import (
    APPLY_COMMANDS,
    apply,
    build_apply_parser,
    check_applies,
)
from keras_gans.cli.data import (
    check_labels,
    check_same_data,
    grid_image_inputs,
    data_shapes,
    held_out_examples,
    load_images,
    load_training_data,
    open_translation_data,
    training_batches,
    translation_grid_inputs,
    translation_options,
)
from keras_gans.cli.parsing import (
    OFFLINE_DATASET,
    HelpFormatter,
    Parser,
    UsageError,
    add_decay_argument,
    add_translation_data_arguments,
    add_weight_argument,
    build_parser,
    build_sample_parser,
    build_translate_parser,
    check_generates,
    check_translates,
    feeds_labels,
    flag_names,
    given_flags,
    integer,
    module_parser,
    number,
    parse_arguments,
    translates,
    uses_labels,
)
from keras_gans.cli.training import (
    FinishReplacement,
    apply_smoke_settings,
    build_or_load,
    describe_os_error,
    linear_decay,
    make_callbacks,
    make_evaluation_callbacks,
    flag_builder,
    model_from_flags,
    nan_advice,
    resume_settings,
    sample,
    train,
    write_config,
)

__all__ = [
    "APPLY_COMMANDS", "add_weight_argument", "apply", "build_apply_parser", "check_applies",
    "check_labels",
    "grid_image_inputs", "uses_labels", "OFFLINE_DATASET", "FinishReplacement",
    "HelpFormatter", "Parser", "UsageError",
    "add_decay_argument", "add_translation_data_arguments", "apply_smoke_settings",
    "build_or_load", "build_parser", "build_sample_parser", "build_translate_parser",
    "check_generates", "check_same_data", "check_translates", "data_shapes",
    "describe_os_error", "feeds_labels", "flag_builder", "flag_names", "given_flags",
    "held_out_examples", "integer",
    "linear_decay", "load_images", "load_training_data", "make_callbacks",
    "make_evaluation_callbacks", "model_from_flags", "module_parser", "nan_advice", "number",
    "open_translation_data", "parse_arguments", "resume_settings", "run", "sample", "train",
    "training_batches", "translates", "translation_grid_inputs", "translation_options",
    "write_config",
]


def run(model_name, argv=None):
    """Parses `argv` and trains the model `model_name`, samples from it (`sample`) or
    translates images with it (`translate`); returns an exit code.

    The model module `keras_gans.<model_name>` provides:

    - `DEFAULTS`: its defaults for the shared flags (dataset, batch_size, epochs, ...);
    - `add_arguments(group)`: adds its own flags, numeric ones typed with `integer()` or
      `number()` so that they are checked when parsed;
    - `build_model(args, image_shape)`: the model; may raise ValueError for settings the
      networks cannot take (the message is shown as is); translation models take
      `build_model(args, image_shape, target_shape)`;
    - optionally `DATA_KIND`: "paired" (pix2pix) or "unpaired" (CycleGAN) for (A, B) data;
      such models get `--direction`, `--load-size` and `--no-flip`, sample grids of held-out
      rows and the `translate` subcommand instead of `sample`;
    - optionally `FROM_NOISE = True` beside `DATA_KIND`: the model trains on (A, B) data but
      generates from noise (CoGAN), so it keeps `--latent-dim`, `sample`, grids from noise and
      `--eval-every` (against the held-out A images);
    - `compile_model(model, args, **options)`: compiles it with this run's settings;
    - optionally `LABELS`: True for models that learn from (images, labels) batches, or
      "semi-supervised" for models that keep a few labelled examples through an optional
      `prepare_model(model, args, data)` hook (called with the training data before a new
      model trains) and learn from batches of images alone; both get `--num-classes`;
    - optionally `model_callbacks(args)`: the model's own callbacks (such as BEGAN's learning
      rate halving); they run before the checkpoint at the end of every epoch;
    - optionally `FORMER_DEFAULTS`: flag destination -> the value that runs saved before the
      flag existed trained with, so that `--resume` continues and records them as they were.

    Exit codes: 0 done, 1 training stopped (NaN loss, full disk), 2 a mistake in the input.
    """
    module = keras_gans.get_module(model_name)
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv[:1] == ["sample"]:
            check_generates(model_name, module)
            return sample(model_name, build_sample_parser(model_name).parse_args(argv[1:]))
        if argv[:1] and argv[0] in APPLY_COMMANDS:
            check_applies(model_name, module, argv[0])
            return apply(model_name, argv[0], build_apply_parser(model_name, argv[0])
                         .parse_args(argv[1:]))
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
