"""Callbacks for GAN training under `fit()`: sample grids, resumable checkpoints, NaN guard."""

import json
import math
import os
import time

import keras
import numpy as np


def tile_images(images, columns=None):
    """Tiles a batch of NHWC images in [-1, 1] into one uint8 grid image (H, W, C).

    Args:
        images: array (count, height, width, channels) in [-1, 1].
        columns: images per row; defaults to the smallest square that holds them.

    Returns:
        A uint8 array (rows·height, columns·width, channels) with 1 or 3 channels.
    """
    images = np.asarray(images, dtype="float32")
    count, height, width, channels = images.shape
    columns = columns or math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    grid = np.full((rows * height, columns * width, channels), -1.0, dtype="float32")
    for index, image in enumerate(images):
        row, column = divmod(index, columns)
        grid[row * height : (row + 1) * height, column * width : (column + 1) * width] = image
    grid = np.clip((grid + 1.0) * 127.5 + 0.5, 0, 255).astype("uint8")
    return grid if channels in (1, 3) else grid[..., :3]


def save_image_grid(images, path, columns=None):
    """Writes a batch of images in [-1, 1] to `path` as one PNG grid (via matplotlib)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib import pyplot

    grid = tile_images(images, columns)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    if grid.shape[-1] == 1:
        pyplot.imsave(path, grid[..., 0], cmap="gray", vmin=0, vmax=255)
    else:
        pyplot.imsave(path, grid)
    return path


class SampleGrid(keras.callbacks.Callback):
    """Saves a grid of samples from fixed inputs at the end of every `every` epochs.

    By default the inputs come from the model's `sample_inputs(count, seed)` (seeded noise),
    drawn once, so successive grids show how the same latent points evolve. Translation models
    take data instead: pass `inputs`, for instance held-out images, or a function
    `inputs(count, seed)` that returns them. A model with a `sample_grid(inputs)` method lays
    out its own grid (pix2pix: rows of input | output | target); it returns the images and the
    number of columns.

    Args:
        directory: folder for the PNGs (`epoch_0001.png`, ...).
        count: number of samples (or rows of a translation grid).
        every: epochs between grids.
        seed: seed of the fixed inputs.
        inputs: optional model inputs, or a function `(count, seed) -> inputs`, used instead
            of `model.sample_inputs`.
    """

    def __init__(self, directory, count=64, every=1, seed=0, inputs=None):
        super().__init__()
        if every < 1 or count < 1:
            raise ValueError(f"`every` and `count` must be at least 1. Received: every={every}, "
                             f"count={count}")
        self.directory = directory
        self.count = count
        self.every = every
        self.seed = seed
        self.provider = inputs
        self.inputs = None

    def on_train_begin(self, logs=None):
        if self.provider is None:
            self.inputs = self.model.sample_inputs(self.count, seed=self.seed)
        elif callable(self.provider):
            self.inputs = self.provider(self.count, self.seed)
        else:
            self.inputs = self.provider

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        images, columns = grid_images(self.model, self.inputs)
        save_image_grid(images, os.path.join(self.directory, f"epoch_{epoch + 1:04d}.png"),
                        columns=columns)


def grid_images(model, inputs):
    """The images of a sample grid and its column count (None: a square grid).

    Uses the model's `sample_grid(inputs)` when it has one, else its outputs on `inputs`.
    """
    if hasattr(model, "sample_grid"):
        images, columns = model.sample_grid(inputs)
        return keras.ops.convert_to_numpy(images), columns
    return keras.ops.convert_to_numpy(model(inputs, training=False)), None


def grid_rows(*columns):
    """Interleaves equally long image batches into rows: row i is (columns[0][i], columns[1][i],
    ...), so that `tile_images(grid_rows(a, b, c), columns=3)` shows a | b | c side by side.

    Images with one channel are repeated to three when another column has three.
    """
    columns = [np.asarray(keras.ops.convert_to_numpy(column), dtype="float32")
               for column in columns]
    channels = max(column.shape[-1] for column in columns)
    columns = [np.repeat(column, channels, axis=-1) if column.shape[-1] < channels else column
               for column in columns]
    return np.stack(columns, axis=1).reshape((-1, *columns[0].shape[1:]))


class LinearDecay(keras.callbacks.Callback):
    """Constant learning rates, then a linear decay towards 0, stepped per epoch.

    The schedule of pix2pix and CycleGAN (junyanz/pytorch-CycleGAN-and-pix2pix): for the
    0-based epoch e, every player's rate is base · (1 − max(0, e + 1 − constant_epochs) /
    (decay_epochs + 1)). The rate depends only on the epoch, so a run resumed at any epoch
    continues the schedule exactly.

    Args:
        constant_epochs: epochs at the base rates (100 in the papers).
        decay_epochs: epochs of linear decay after them (100 in the papers).
        base_rates: player optimizer name ("g_optimizer", ...) -> base learning rate. By
            default the rates the optimizers have when training begins; pass them when
            resuming a run whose rates have already decayed.

    Example:

    ```python
    model.fit(pairs, epochs=200, callbacks=[LinearDecay(100, 100)])
    ```
    """

    def __init__(self, constant_epochs, decay_epochs, base_rates=None):
        super().__init__()
        if constant_epochs < 0 or decay_epochs < 0:
            raise ValueError(
                "`constant_epochs` and `decay_epochs` must be 0 or more. Received: "
                f"constant_epochs={constant_epochs}, decay_epochs={decay_epochs}")
        self.constant_epochs = constant_epochs
        self.decay_epochs = decay_epochs
        self.base_rates = dict(base_rates) if base_rates else None

    def factor(self, epoch):
        """The multiplier of the base rates during the 0-based `epoch`."""
        decayed = max(0, epoch + 1 - self.constant_epochs)
        return max(0.0, 1.0 - decayed / (self.decay_epochs + 1))

    def on_train_begin(self, logs=None):
        if self.base_rates is None:
            self.base_rates = {
                name: float(keras.ops.convert_to_numpy(optimizer.learning_rate))
                for name, optimizer in self.model.player_optimizers.items()}

    def on_epoch_begin(self, epoch, logs=None):
        for name, optimizer in self.model.player_optimizers.items():
            optimizer.learning_rate = self.base_rates[name] * self.factor(epoch)


class Checkpoint(keras.callbacks.Callback):
    """Saves `model.keras` and `state.json` into `directory` at the end of every epoch.

    The `.keras` file holds the networks, every player optimizer's state and the model's
    random state; `state.json` records how many epochs are done and the training wall time so
    far, in seconds, over every segment of a resumed run. `resume_state(directory)` reads both
    back, and `fit(..., initial_epoch=state["epoch"])` continues the run. Files are written
    under a temporary name and then renamed, so an interrupted save never leaves a broken
    checkpoint.

    Args:
        directory: the checkpoint folder.
        elapsed_seconds: training time of the earlier segments of a resumed run.
    """

    MODEL_FILE = "model.keras"
    STATE_FILE = "state.json"

    def __init__(self, directory, elapsed_seconds=0.0):
        super().__init__()
        self.directory = directory
        self.elapsed_seconds = float(elapsed_seconds)
        self.segment_start = None

    def on_train_begin(self, logs=None):
        self.segment_start = time.monotonic()

    def on_epoch_end(self, epoch, logs=None):
        os.makedirs(self.directory, exist_ok=True)
        segment_seconds = time.monotonic() - (self.segment_start or time.monotonic())
        state = {
            "epoch": epoch + 1,
            "training_seconds": round(self.elapsed_seconds + segment_seconds, 1),
            "logs": {k: float(v) for k, v in (logs or {}).items()},
        }
        model_path = os.path.join(self.directory, self.MODEL_FILE)
        state_path = os.path.join(self.directory, self.STATE_FILE)
        partial_model = os.path.join(self.directory, "partial.keras")
        partial_state = state_path + ".partial"
        try:
            self.model.save(partial_model)
            with open(partial_state, "w") as file:
                json.dump(state, file, indent=2)
        except OSError as error:
            for path in (partial_model, partial_state):
                if os.path.exists(path):
                    os.remove(path)
            self.model.stop_training = True
            previous = resume_state(self.directory)
            kept = ("no earlier checkpoint exists" if previous is None else
                    f"the checkpoint of epoch {previous[1]['epoch']} is kept to resume from")
            raise TrainingError(
                f"Saving the checkpoint of epoch {epoch + 1} in {self.directory} failed "
                f"({error.strerror or error}): free disk space (or fix the folder's "
                f"permissions); the partial file was removed and {kept}."
            ) from None
        os.replace(partial_model, model_path)
        os.replace(partial_state, state_path)


def resume_state(directory):
    """Returns `(model_path, state)` of the checkpoint in `directory`, or None if there is none."""
    model_path = os.path.join(directory, Checkpoint.MODEL_FILE)
    state_path = os.path.join(directory, Checkpoint.STATE_FILE)
    if not (os.path.exists(model_path) and os.path.exists(state_path)):
        return None
    with open(state_path) as file:
        return model_path, json.load(file)


class TrainingError(RuntimeError):
    """Training stopped because it can no longer make progress (e.g. a NaN loss)."""


class StopOnNaN(keras.callbacks.Callback):
    """Stops training with one clear sentence when a logged loss becomes NaN or infinite.

    Args:
        advice: what to do about it (the command line names the model's learning-rate flags).
        checkpoint_directory: the folder of a `Checkpoint` callback, if any: the sentence then
            says which checkpoint is kept to resume from.
    """

    def __init__(self, advice="lower the learning rates, or check the data for NaN or "
                 "infinite values", checkpoint_directory=None):
        super().__init__()
        self.advice = advice
        self.checkpoint_directory = checkpoint_directory
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        for name, value in (logs or {}).items():
            if not np.isfinite(float(value)):
                self.model.stop_training = True
                raise TrainingError(
                    f"The {name} became {float(value)} at epoch {self.epoch + 1}, step "
                    f"{batch + 1}: {self.advice}{self._kept_checkpoint()}."
                )

    def _kept_checkpoint(self):
        if self.checkpoint_directory is None:
            return ""
        resumable = resume_state(self.checkpoint_directory)
        if resumable is None:
            return "; no checkpoint was saved before it"
        return (f"; the checkpoint of epoch {resumable[1]['epoch']} is kept, and --resume "
                "continues from it")


class Evaluate(keras.callbacks.Callback):
    """Measures the generator against fixed real images every `every` epochs.

    Adds the Fréchet distance ("fcd" in the digit classifier's feature space, "fid" in
    InceptionV3's), "kid" and "kid_se" (and, for the classifier, "confident_fraction") to the
    epoch's logs, so the History, `CSVLogger`, `TensorBoard` and
    `ModelCheckpoint(monitor="fcd", mode="min")` see them. Place it before those callbacks.
    Epochs without an evaluation log NaN, which `ModelCheckpoint` never counts as an
    improvement.

    Args:
        reference_images: real images in [-1, 1] (NHWC), e.g. the held-out split.
        extractor: a feature extractor from `keras_gans.metrics`; default the MNIST reference
            classifier (`metrics.ClassifierFeatures()`).
        every: epochs between evaluations.
        count: generated samples per evaluation.
        seed: seed of the samples' inputs (the same inputs every time).

    Example:

    ```python
    held_out = keras_gans.data.load("mnist32", data_dir=folder, split="test")
    model.fit(..., callbacks=[Evaluate(held_out.images, every=5),
                              keras.callbacks.ModelCheckpoint("best.keras", monitor="fcd",
                                                              mode="min", save_best_only=True)])
    ```
    """

    def __init__(self, reference_images, extractor=None, every=1, count=2000, seed=0,
                 batch_size=250):
        super().__init__()
        self.reference_images = reference_images
        self.extractor = extractor
        self.every = every
        self.count = count
        self.seed = seed
        self.batch_size = batch_size
        self.reference = None

    def keys(self):
        """The names this callback adds to the logs."""
        from keras_gans import metrics

        self.extractor = self.extractor or metrics.ClassifierFeatures()
        distance = "fcd" if self.extractor.name == "classifier" else "fid"
        extra = ["confident_fraction"] if self.extractor.name == "classifier" else []
        return [distance, "kid", "kid_se"] + extra

    def on_train_begin(self, logs=None):
        from keras_gans import evaluate

        self.keys()
        self.reference = evaluate.reference_statistics(
            self.extractor, self.reference_images, self.batch_size)

    def on_epoch_end(self, epoch, logs=None):
        from keras_gans import evaluate

        if logs is None:
            return
        if (epoch + 1) % self.every:
            logs.update({key: float("nan") for key in self.keys()})
            return
        subset_size = evaluate.default_kid_subset_size(self.count, len(self.reference_images))
        results = evaluate.evaluate_model(
            self.model, self.extractor, self.reference, count=self.count,
            batch_size=self.batch_size, seed=self.seed, kid_subset_size=subset_size)
        logs.update({key: results[key] for key in self.keys()})
