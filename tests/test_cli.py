"""The shared command line: outputs, resume, overwrite protection, bad input, sampling."""

import json
import os
import pathlib
import subprocess
import sys

import keras
import numpy as np
import pytest
from PIL import Image

from keras_gans import callbacks
from keras_gans import dcgan
from keras_gans import gan

from cli_helpers import assert_same_training_state, error_line, run_gan


@pytest.mark.parametrize("module", [gan, dcgan], ids=["gan", "dcgan"])
def test_smoke_run_writes_every_output(module, tmp_path):
    assert module.main(["--dataset", "shapes", "--smoke", "--out", str(tmp_path), "--verbose",
                        "0"]) == 0
    for name in ("config.json", "metrics.csv", "samples/epoch_0001.png",
                 "checkpoints/model.keras", "checkpoints/state.json"):
        assert (tmp_path / name).exists(), name
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["backend"] == keras.backend.backend()
    assert config["image_shape"] == [32, 32, 1]


def test_resumed_run_matches_an_uninterrupted_run(tmp_path):
    assert run_gan(tmp_path / "whole", "--epochs", "2") == 0
    assert run_gan(tmp_path / "parts", "--epochs", "1") == 0
    assert run_gan(tmp_path / "parts", "--epochs", "2", "--resume") == 0
    state = json.loads((tmp_path / "parts/checkpoints/state.json").read_text())
    assert state["epoch"] == 2
    assert state["training_seconds"] > 0
    assert (tmp_path / "parts/samples/epoch_0002.png").exists()
    assert len((tmp_path / "parts/metrics.csv").read_text().strip().splitlines()) == 3
    assert_same_training_state(tmp_path / "whole/checkpoints/model.keras",
                               tmp_path / "parts/checkpoints/model.keras")


class SteppingClock:
    """A stand-in for the `time` module whose clock moves 5 s at every reading."""

    def __init__(self):
        self.now = 100.0

    def monotonic(self):
        self.now += 5.0
        return self.now


def test_training_seconds_add_up_over_resumed_segments(tmp_path, monkeypatch):
    monkeypatch.setattr(callbacks, "time", SteppingClock())
    state_path = tmp_path / "checkpoints/state.json"
    assert run_gan(tmp_path, "--epochs", "1") == 0
    assert json.loads(state_path.read_text())["training_seconds"] == 5.0  # one segment
    assert run_gan(tmp_path, "--epochs", "2", "--resume") == 0
    assert json.loads(state_path.read_text())["training_seconds"] == 10.0  # 5 + 5
    state = json.loads(state_path.read_text())
    state["training_seconds"] = 1000.0  # as if the earlier segments had taken 1,000 s
    state_path.write_text(json.dumps(state))
    assert run_gan(tmp_path, "--epochs", "3", "--resume") == 0
    assert json.loads(state_path.read_text())["training_seconds"] == 1005.0


def test_previous_run_is_never_overwritten(tmp_path, capsys):
    assert run_gan(tmp_path, "--epochs", "1") == 0
    checkpoint = tmp_path / "checkpoints/model.keras"
    before = checkpoint.stat().st_mtime_ns
    assert run_gan(tmp_path, "--epochs", "1") == 2
    assert "--overwrite" in error_line(capsys)
    assert checkpoint.stat().st_mtime_ns == before
    assert run_gan(tmp_path, "--epochs", "1", "--overwrite") == 0


def write_images(folder, count=4, size=16, mode="RGB"):
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        Image.new(mode, (size, size), color=index * 40).save(folder / f"{index}.png")
    return folder


@pytest.mark.parametrize(
    "case, expected",
    [
        ("missing", "does not exist"),
        ("empty", "no images"),
        ("unreadable", "could not be read"),
        ("channels", "channels"),
        ("size", "DCGAN networks need square images"),
        ("small", "fewer than one batch"),
    ],
)
def test_bad_input_stops_with_one_sentence(case, expected, tmp_path, capsys):
    folder = tmp_path / "images"
    extra = []
    if case == "empty":
        folder.mkdir()
    elif case == "unreadable":
        write_images(folder)
        (folder / "broken.png").write_bytes(b"not an image")
    elif case == "channels":
        write_images(folder, mode="RGB")
        extra = ["--channels", "1"]
    elif case == "size":
        write_images(folder, size=30, count=20)
    elif case == "small":
        write_images(folder, size=32, count=3)
    code = dcgan.main(["--dataset", str(folder), "--batch-size", "16", "--out",
                       str(tmp_path / "run"), "--verbose", "0", *extra])
    assert code == 2
    line = error_line(capsys)
    assert expected in line
    assert line.rstrip().endswith((".", ")"))
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_nan_loss_stops_with_one_sentence():
    model = gan.GAN(latent_dim=8, image_shape=(4, 4, 1), seed=0)
    model.compile()
    images = np.full((16, 4, 4, 1), np.nan, dtype="float32")
    with pytest.raises(callbacks.TrainingError, match=r"The d_loss became nan at epoch 1, step 1"):
        model.fit(images, batch_size=8, epochs=1, verbose=0, callbacks=[callbacks.StopOnNaN()])


def test_sample_command_draws_a_grid_and_keeps_existing_files(tmp_path, capsys):
    assert run_gan(tmp_path / "run", "--epochs", "1") == 0
    checkpoint = str(tmp_path / "run/checkpoints/model.keras")
    output = tmp_path / "grid.png"
    assert gan.main(["sample", "--checkpoint", checkpoint, "--output", str(output),
                     "--count", "9"]) == 0
    grid = np.asarray(Image.open(output))
    assert grid.shape[:2] == (48, 48)
    assert gan.main(["sample", "--checkpoint", checkpoint, "--output", str(output)]) == 2
    assert "--overwrite" in error_line(capsys)


def test_tile_images_layout():
    images = np.stack([np.full((2, 2, 1), value) for value in (-1.0, 0.0, 1.0)])
    grid = callbacks.tile_images(images, columns=2)
    assert grid.shape == (4, 4, 1) and grid.dtype == np.uint8
    assert grid[0, 0, 0] == 0 and grid[0, 2, 0] == 128 and grid[2, 0, 0] == 255
    assert grid[2, 2, 0] == 0  # the empty cell is background


def test_bare_command_falls_back_to_the_offline_dataset(tmp_path, monkeypatch, capsys):
    def no_network():
        raise OSError("no network")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", no_network)
    assert dcgan.main(["--smoke", "--out", str(tmp_path), "--verbose", "0"]) == 0
    assert "Training on the built-in offline dataset 'shapes'" in capsys.readouterr().err
    assert json.loads((tmp_path / "config.json").read_text())["dataset"] == "shapes"


def test_named_dataset_that_is_unreachable_is_an_error(tmp_path, monkeypatch, capsys):
    def no_network():
        raise OSError("no network")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", no_network)
    assert dcgan.main(["--dataset", "mnist32", "--smoke", "--out", str(tmp_path)]) == 2
    line = error_line(capsys)
    assert "--data-dir" in line and "shapes" in line


def test_real_digits_from_the_shared_folder(tmp_path, mnist_dir):
    assert dcgan.main(["--dataset", "mnist", "--data-dir", mnist_dir, "--smoke", "--out",
                       str(tmp_path), "--verbose", "0"]) == 0
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["image_shape"] == [28, 28, 1] and config["training_images"] == 64


def test_load_model_reads_a_checkpoint_in_a_fresh_process(tmp_path):
    assert run_gan(tmp_path / "run", "--epochs", "1") == 0
    root = str(pathlib.Path(__file__).resolve().parents[1])
    code = ("import keras_gans; model = keras_gans.load_model(r'%s'); "
            "print(type(model).__name__, model.image_shape)"
            % (tmp_path / "run/checkpoints/model.keras"))
    environment = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=environment, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("GAN (16, 16, 1)")


class _FlagModel:
    """Stands in for a model class: records its constructor arguments."""

    def __init__(self, latent_dim=10, image_shape=(8, 8, 1), filters=4, *, seed=None,
                 generator=None, **kwargs):
        self.arguments = dict(latent_dim=latent_dim, image_shape=image_shape, filters=filters,
                              seed=seed, generator=generator, extra=kwargs)


def test_model_from_flags_passes_each_constructor_argument_from_its_flag():
    import argparse

    from keras_gans import cli

    args = argparse.Namespace(latent_dim=3, filters=7, seed=5, epochs=2, image_size=32)
    model = cli.model_from_flags(_FlagModel, args, image_shape=(4, 4, 1), filters=9)
    assert model.arguments == dict(latent_dim=3, image_shape=(4, 4, 1), filters=9, seed=5,
                                   generator=None, extra={})


def test_flag_builder_builds_the_model_from_its_flags_and_the_data_shape():
    import argparse

    from keras_gans import cli

    args = argparse.Namespace(latent_dim=3, filters=7, seed=5, epochs=2)
    model = cli.flag_builder(_FlagModel)(args, (4, 4, 1))
    assert model.arguments == dict(latent_dim=3, image_shape=(4, 4, 1), filters=7, seed=5,
                                   generator=None, extra={})


def test_a_loss_weight_flag_refuses_negative_weights_in_one_sentence(capsys):
    from keras_gans import cli

    parser = cli.Parser(prog="model")
    cli.add_weight_argument(parser, "--cycle-weight", 10.0, "λ, the weight of the cycle loss")
    assert parser.parse_args([]).cycle_weight == 10.0
    assert parser.parse_args(["--cycle-weight", "0"]).cycle_weight == 0.0
    with pytest.raises(SystemExit) as stopped:
        parser.parse_args(["--cycle-weight", "-1"])
    assert stopped.value.code == 2
    assert capsys.readouterr().err == (
        "error: --cycle-weight must be a finite number that is at least 0; received -1.\n")
