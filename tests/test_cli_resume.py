"""`--resume` continues a run with the run's own settings; a NaN loss leaves it resumable."""

import json

import keras
import numpy as np
import pytest
from PIL import Image

from keras_gans import callbacks
from keras_gans import dcgan
from keras_gans import gan

from cli_helpers import (RUN_SETTINGS, assert_same_training_state, copy_run, error_line,
                         listing, run_gan)


def latest_config(out):
    return json.loads(sorted(out.glob("config_resume_*.json"))[-1].read_text())


# --- 4. A bare --resume reads everything from the run -----------------------------------------
def test_bare_resume_continues_with_the_runs_settings(trained_run, tmp_path):
    out = copy_run(trained_run, tmp_path / "run")
    assert gan.main(["--resume", "--out", str(out), "--epochs", "2", "--verbose", "0"]) == 0
    first = json.loads((out / "config.json").read_text())
    resumed = latest_config(out)
    for key in ("dataset", "image_size", "channels", "batch_size", "seed", "limit",
                "steps_per_epoch", "latent_dim", "g_lr", "d_lr", "generator_loss"):
        assert resumed[key] == first[key], key
    assert resumed["image_shape"] == [16, 16, 1] and resumed["epochs"] == 2
    assert callbacks.resume_state(str(out / "checkpoints"))[1]["epoch"] == 2


def test_bare_resume_matches_an_uninterrupted_run(trained_run, tmp_path):
    out = copy_run(trained_run, tmp_path / "parts")
    assert gan.main(["--resume", "--out", str(out), "--epochs", "2", "--verbose", "0"]) == 0
    assert run_gan(tmp_path / "whole", *RUN_SETTINGS, "--epochs", "2") == 0
    assert_same_training_state(tmp_path / "whole/checkpoints/model.keras",
                               out / "checkpoints/model.keras")


@pytest.mark.parametrize("flags, named", [
    (["--batch-size", "8"], "--batch-size 8"),
    (["--seed", "4"], "--seed 4"),
    (["--image-size", "28"], "--image-size 28"),
    (["--channels", "3"], "--channels 3"),
    (["--dataset", "mnist"], "--dataset mnist"),
    (["--generator-loss", "minimax"], "--generator-loss minimax"),
    (["--mixed-precision"], "--mixed-precision on"),
    (["--latent-dim", "100"], "--latent-dim 100"),
])
def test_resume_refuses_a_setting_that_differs(flags, named, trained_run, tmp_path, capsys):
    out = copy_run(trained_run, tmp_path / "run")
    before = listing(out)
    assert gan.main(["--resume", "--out", str(out), "--epochs", "2", "--verbose", "0",
                     *flags]) == 2
    line = error_line(capsys)
    assert named in line and "differs from the run's" in line
    assert listing(out) == before


def test_resume_accepts_settings_given_again_and_the_changeable_ones(trained_run, tmp_path):
    out = copy_run(trained_run, tmp_path / "run")
    assert run_gan(out, *RUN_SETTINGS, "--resume", "--epochs", "2", "--sample-every", "2",
                   "--image-size", "16", "--channels", "1") == 0
    assert latest_config(out)["sample_every"] == 2


def test_another_models_command_refuses_the_run(trained_run, tmp_path, capsys):
    out = copy_run(trained_run, tmp_path / "run")
    before = listing(out)
    assert dcgan.main(["--resume", "--out", str(out), "--epochs", "2"]) == 2
    assert "holds a gan run, not a dcgan run" in error_line(capsys)
    assert listing(out) == before


def test_gan_refuses_to_resume_a_dcgan_run(tmp_path, capsys):
    out = tmp_path / "dcgan"
    assert dcgan.main(["--dataset", "shapes", "--smoke", "--out", str(out), "--verbose",
                       "0"]) == 0
    assert gan.main(["--resume", "--out", str(out), "--epochs", "2"]) == 2
    assert "python -m keras_gans.dcgan --resume" in error_line(capsys)


def test_resume_refuses_data_that_changed(tmp_path, capsys):
    folder = tmp_path / "images"
    folder.mkdir()
    for index in range(16):
        Image.new("L", (16, 16), color=index * 10).save(folder / f"{index:02d}.png")
    out = tmp_path / "run"
    common = ["--dataset", str(folder), "--batch-size", "8", "--out", str(out), "--verbose", "0"]
    assert gan.main(common + ["--epochs", "1"]) == 0
    for index in range(16, 24):
        Image.new("L", (16, 16), color=index * 10).save(folder / f"{index:02d}.png")
    assert gan.main(["--resume", "--out", str(out), "--epochs", "2"]) == 2
    line = error_line(capsys)
    assert "changed" in line and "16 images" in line and "24" in line


def test_resume_without_a_checkpoint_is_refused(trained_run, tmp_path, capsys):
    assert run_gan(tmp_path / "new", "--resume") == 2
    assert "no run to resume" in error_line(capsys)
    out = copy_run(trained_run, tmp_path / "run")
    for path in (out / "checkpoints").iterdir():
        path.unlink()
    assert run_gan(out, "--resume", "--epochs", "2") == 2
    assert "saved no checkpoint" in error_line(capsys)
    assert run_gan(out, "--epochs", "2") == 2
    assert "--overwrite" in error_line(capsys)


# --- 6. A NaN loss names the model's real flags and leaves the run resumable ---------------
def test_a_nan_loss_keeps_the_last_good_checkpoint(trained_run, tmp_path, monkeypatch,
                                                   capsys):
    out = copy_run(trained_run, tmp_path / "run")
    objective = gan.GAN.discriminator_objective

    def diverging(self, real_images, real_outputs, fake_outputs):
        return objective(self, real_images, real_outputs, fake_outputs) * float("nan")

    with monkeypatch.context() as patch:
        patch.setattr(gan.GAN, "discriminator_objective", diverging)
        assert run_gan(out, "--resume", "--epochs", "2") == 1
    line = error_line(capsys)
    assert "d_loss became nan at epoch 2, step 1" in line
    assert "--g-lr 0.0002 --d-lr 0.0002" in line and "--lr " not in line
    assert "checkpoint of epoch 1 is kept, and --resume continues from it" in line
    model = keras.saving.load_model(out / "checkpoints/model.keras")
    assert all(np.all(np.isfinite(keras.ops.convert_to_numpy(v))) for v in model.variables)
    assert run_gan(out, "--resume", "--epochs", "2") == 0
    assert callbacks.resume_state(str(out / "checkpoints"))[1]["epoch"] == 2


def test_a_nan_loss_in_the_first_epoch_says_there_is_no_checkpoint(tmp_path, monkeypatch,
                                                                   capsys):
    from keras_gans import losses
    from keras_gans import wgan_gp

    monkeypatch.setattr(losses, "wasserstein_critic_loss",
                        lambda real_scores, fake_scores: keras.ops.mean(real_scores) * np.inf)
    code = wgan_gp.main(["--dataset", "shapes", "--smoke", "--out", str(tmp_path / "run"),
                         "--verbose", "0"])
    assert code == 1
    line = error_line(capsys)
    assert "--g-lr 0.0001 --d-lr 0.0001" in line and "no checkpoint was saved" in line
    assert not (tmp_path / "run").exists()
