"""Evaluation: the reference classifier, the Evaluate callback, the evaluate command."""

import csv
import json

import keras
import numpy as np
import pytest

from keras_gans import callbacks, data, dcgan, evaluate, metrics


@pytest.fixture(scope="module")
def smoke_checkpoint(tmp_path_factory):
    """A DCGAN trained for two steps on shapes, saved by the command line."""
    out = tmp_path_factory.mktemp("run")
    assert dcgan.main(["--dataset", "shapes", "--smoke", "--out", str(out), "--verbose",
                       "0"]) == 0
    return out / "checkpoints" / "model.keras"


def test_reference_classifier_reaches_98_percent_on_held_out_digits(mnist_dir):
    held_out = data.load("mnist", data_dir=mnist_dir, split="test")
    assert len(held_out) == 2000
    _, probabilities = metrics.ClassifierFeatures()(held_out.images)
    assert metrics.classifier_accuracy(probabilities, held_out.labels) >= 0.98


def test_held_out_digits_against_themselves_are_at_distance_zero(mnist_dir):
    held_out = data.load("mnist32", data_dir=mnist_dir, split="test", limit=500)
    extractor = metrics.ClassifierFeatures()
    reference = evaluate.reference_statistics(extractor, held_out.images)
    results = evaluate.compare(extractor, reference, metrics.image_batches(held_out.images, 100),
                               kid_subset_size=500)
    assert results["fcd"] < 1e-6
    # The unbiased KID of a set against itself is not exactly 0 (the cross term keeps the
    # diagonal k(x, x)); it is tiny next to the baseline's KID of several hundred.
    assert abs(results["kid"]) < 0.1
    assert results["confident_fraction"] > 0.95


def test_evaluate_callback_logs_to_history_csv_and_best_checkpoint(tmp_path):
    images = data.load("shapes", limit=64)
    model = dcgan.DCGAN(image_shape=images.image_shape, seed=0)
    model.compile()
    evaluation = callbacks.Evaluate(images.images, every=2, count=32)
    best = keras.callbacks.ModelCheckpoint(str(tmp_path / "best.keras"), monitor="fcd",
                                           mode="min", save_best_only=True)
    history = model.fit(images.images, batch_size=16, epochs=2, steps_per_epoch=1, verbose=0,
                        callbacks=[evaluation, best,
                                   keras.callbacks.CSVLogger(str(tmp_path / "metrics.csv"))])
    for key in ("fcd", "kid", "kid_se", "confident_fraction"):
        assert np.isnan(history.history[key][0])  # epoch 1: not evaluated
        assert np.isfinite(history.history[key][1])  # epoch 2: evaluated
    assert history.history["fcd"][1] > 0
    with open(tmp_path / "metrics.csv") as file:
        rows = list(csv.DictReader(file))
    assert float(rows[1]["fcd"]) == pytest.approx(history.history["fcd"][1])
    assert (tmp_path / "best.keras").exists()


def test_evaluate_command_writes_json_and_keeps_existing_files(smoke_checkpoint, tmp_path,
                                                               capsys):
    output = tmp_path / "results.json"
    arguments = ["--checkpoint", str(smoke_checkpoint), "--dataset", "shapes", "--count", "64",
                 "--limit", "64", "--features", "classifier", "--output", str(output)]
    assert evaluate.main(arguments) == 0
    results = json.loads(output.read_text())
    assert results["samples"] == 64 and results["reference_images"] == 64
    assert results["fcd"] > 0 and np.isfinite(results["kid"])
    assert sum(results["class_shares"]) == pytest.approx(1.0)
    assert evaluate.main(arguments) == 2
    assert "--overwrite" in capsys.readouterr().err


def test_evaluate_command_names_a_missing_checkpoint(tmp_path, capsys):
    assert evaluate.main(["--checkpoint", str(tmp_path / "none.keras"), "--dataset",
                          "shapes"]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_training_with_eval_every_logs_fcd_and_keeps_the_best_model(tmp_path):
    assert dcgan.main(["--dataset", "shapes", "--smoke", "--eval-every", "1", "--eval-features",
                       "classifier", "--out", str(tmp_path), "--verbose", "0"]) == 0
    with open(tmp_path / "metrics.csv") as file:
        row = next(csv.DictReader(file))
    assert float(row["fcd"]) > 0 and float(row["kid_se"]) >= 0
    assert (tmp_path / "checkpoints" / "best.keras").exists()


def test_missing_inception_weights_stop_training_with_one_sentence(tmp_path, capsys):
    code = dcgan.main(["--dataset", "shapes", "--smoke", "--eval-every", "1", "--eval-features",
                       "inception", "--inception-weights", str(tmp_path / "missing.h5"), "--out",
                       str(tmp_path / "run"), "--verbose", "0"])
    assert code == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "missing.h5" in errors[0]
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_evaluate_command_takes_as_few_as_two_samples(smoke_checkpoint, tmp_path):
    output = tmp_path / "results.json"
    assert evaluate.main(["--checkpoint", str(smoke_checkpoint), "--dataset", "shapes",
                          "--count", "2", "--limit", "2", "--features", "classifier",
                          "--output", str(output)]) == 0
    results = json.loads(output.read_text())
    assert results["samples"] == 2 and results["reference_images"] == 2
    assert np.isfinite(results["fcd"]) and np.isfinite(results["kid"])
