"""Shared pieces of the command-line tests: a small run, and the one-sentence error check."""

import shutil

import keras
import numpy as np

from keras_gans import gan

SMALL = ["--dataset", "shapes", "--limit", "64", "--batch-size", "16", "--steps-per-epoch", "2",
         "--verbose", "0"]
# The settings of the small GAN run that `trained_run` makes (16x16 images, z of size 8).
RUN_SETTINGS = ["--latent-dim", "8", "--seed", "3"]


def run_gan(out, *extra):
    """Trains the small GAN into `out` with the extra flags; returns the exit code."""
    return gan.main(SMALL + ["--out", str(out), "--image-size", "16", *extra])


def error_line(capsys):
    """The one sentence the command printed on standard error (and no traceback)."""
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, err
    assert lines[0].rstrip().endswith("."), lines[0]
    return lines[0]


def copy_run(source, destination):
    """A copy of a finished run folder, so that each test can change its own."""
    shutil.copytree(source, destination)
    return destination


def listing(folder):
    """Every path under `folder` with its size and modification time, to compare states."""
    return {str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns)
            for path in sorted(folder.rglob("*"))}


def assert_same_training_state(left_path, right_path):
    """Two checkpoints hold the same weights, random state and optimizer slots."""
    left = keras.saving.load_model(left_path)
    right = keras.saving.load_model(right_path)
    expected = left.variables + left.optimizer.variables
    actual = right.variables + right.optimizer.variables
    assert len(expected) == len(actual)
    for one, other in zip(expected, actual, strict=True):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(one),
                                   keras.ops.convert_to_numpy(other), rtol=1e-5, atol=1e-6)
