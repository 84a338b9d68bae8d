"""The output folder: nothing a user made is deleted, and a failed run changes nothing."""

import errno
import json
import os

import keras
import pytest

from keras_gans import callbacks
from keras_gans import gan
from keras_gans import runs

from cli_helpers import RUN_SETTINGS, copy_run, error_line, listing, run_gan


# --- 1. --overwrite replaces a run only when the new one is under way ------------------------
@pytest.mark.parametrize("mistake", [
    ["--dataset", "no/such/folder"],
    ["--image-size", "30", "--kernel-size", "4"],  # DCGAN cannot build 30x30 images
    ["--eval-every", "1", "--eval-features", "classifier", "--image-size", "64"],
])
def test_overwrite_with_a_mistake_leaves_the_previous_run_untouched(mistake, trained_run,
                                                                    tmp_path, capsys):
    from keras_gans import dcgan

    out = copy_run(trained_run, tmp_path / "run")
    before = listing(out)
    code = dcgan.main(["--dataset", "shapes", "--smoke", "--out", str(out), "--overwrite",
                       "--verbose", "0", *mistake])
    assert code == 2
    error_line(capsys)
    assert listing(out) == before


def test_overwrite_keeps_the_previous_run_until_the_first_checkpoint(trained_run, tmp_path,
                                                                     monkeypatch, capsys):
    out = copy_run(trained_run, tmp_path / "run")
    before = listing(out)

    def failing_step(self, data):
        raise RuntimeError("a step that fails")

    with monkeypatch.context() as patch:
        patch.setattr(gan.GAN, "gan_step", failing_step)
        with pytest.raises(RuntimeError, match="a step that fails"):
            run_gan(out, *RUN_SETTINGS, "--epochs", "1", "--overwrite")
    assert "the previous run" in capsys.readouterr().err
    assert listing(out) == before
    assert sorted(os.listdir(tmp_path)) == ["run"]  # nothing set aside is left behind

    assert run_gan(out, *RUN_SETTINGS, "--epochs", "1", "--overwrite", "--seed", "4") == 0
    assert json.loads((out / "config.json").read_text())["seed"] == 4
    assert sorted(os.listdir(tmp_path)) == ["run"]


def test_a_new_run_that_fails_in_its_first_epoch_leaves_nothing(tmp_path, monkeypatch, capsys):
    def failing_step(self, data):
        raise RuntimeError("a step that fails")

    monkeypatch.setattr(gan.GAN, "gan_step", failing_step)
    with pytest.raises(RuntimeError):
        run_gan(tmp_path / "run", "--epochs", "1")
    assert not (tmp_path / "run").exists()
    (tmp_path / "empty").mkdir()  # a folder the user made stays, empty
    with pytest.raises(RuntimeError):
        run_gan(tmp_path / "empty", "--epochs", "1")
    assert os.listdir(tmp_path / "empty") == []


# --- 2. Only a marked run is deleted, and only when it holds nothing else -------------------
def test_a_project_folder_with_a_config_json_is_never_deleted(tmp_path, capsys):
    project = tmp_path / "myproject"
    (project / "src").mkdir(parents=True)
    (project / "config.json").write_text("{}")
    (project / "setup.py").write_text("print('mine')")
    (project / "src" / "code.py").write_text("x = 1")
    before = listing(project)
    assert run_gan(project, "--overwrite") == 2
    line = error_line(capsys)
    assert "holds no keras_gans run" in line and "run.json" in line
    assert "setup.py" in line or "src" in line
    assert listing(project) == before


@pytest.mark.parametrize("stray", ["notes.txt", "samples/holiday.jpg", "checkpoints/mine.keras",
                                   "data/train.npz"])
def test_a_run_folder_with_a_file_of_the_user_is_never_deleted(stray, trained_run, tmp_path,
                                                               capsys):
    out = copy_run(trained_run, tmp_path / "run")
    (out / stray).parent.mkdir(exist_ok=True)
    (out / stray).write_text("mine")
    before = listing(out)
    assert run_gan(out, "--overwrite") == 2
    line = error_line(capsys)
    assert stray.split("/")[0] in line and "move it out" in line
    assert listing(out) == before


def test_a_run_folder_lists_only_what_runs_write(trained_run):
    assert runs.read_marker(trained_run) == {"library": "keras_gans", "model": "gan",
                                             "format": runs.FORMAT_VERSION}
    assert runs.unexpected_entry(trained_run) is None
    for entry in ("run.json", "config_resume_0012.json", "samples/epoch_0003.png",
                  "checkpoints/best.keras", "logs/train/events.out.tfevents.1.host.2.v2"):
        assert runs.is_run_entry(entry), entry
    for entry in ("setup.py", "samples/epoch_1.jpg", "checkpoints/model.h5", "config.yaml",
                  "samplesX"):
        assert not runs.is_run_entry(entry), entry


def test_out_below_a_file_is_refused_before_anything_is_written(tmp_path, capsys):
    (tmp_path / "file.txt").write_text("mine")
    assert run_gan(tmp_path / "file.txt" / "run") == 2
    assert "is a file" in error_line(capsys)
    assert run_gan(tmp_path / "file.txt") == 2
    assert "is a file" in error_line(capsys)
    assert (tmp_path / "file.txt").read_text() == "mine"


# --- 3. A full disk ends in one sentence and keeps the last checkpoint ---------------------
def no_space_left(self, path, *args, **kwargs):
    """`Model.save` on a full disk: part of the file is written, then the write fails."""
    with open(path, "wb") as file:
        file.write(b"PK\x03\x04" + b"\0" * 1000)
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))


def test_a_full_disk_keeps_the_previous_checkpoint(trained_run, tmp_path, monkeypatch, capsys):
    out = copy_run(trained_run, tmp_path / "run")
    kept = (out / "checkpoints/model.keras").read_bytes()
    with monkeypatch.context() as patch:
        patch.setattr(keras.Model, "save", no_space_left)
        assert run_gan(out, "--resume", "--epochs", "2") == 1
    line = error_line(capsys)
    assert "No space left on device" in line and "epoch 1 is kept" in line
    assert sorted(os.listdir(out / "checkpoints")) == ["model.keras", "state.json"]
    assert (out / "checkpoints/model.keras").read_bytes() == kept
    assert callbacks.resume_state(str(out / "checkpoints"))[1]["epoch"] == 1
    assert run_gan(out, "--resume", "--epochs", "2") == 0  # once space is free again
    assert callbacks.resume_state(str(out / "checkpoints"))[1]["epoch"] == 2


def test_any_failed_write_ends_in_one_sentence(trained_run, tmp_path, monkeypatch, capsys):
    out = copy_run(trained_run, tmp_path / "run")

    def full_disk(images, path, columns=None):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(callbacks, "save_image_grid", full_disk)
    assert run_gan(out, "--resume", "--epochs", "2") == 1
    line = error_line(capsys)
    assert "No space left on device" in line and "epoch_0002.png" in line
    assert "the checkpoint of epoch 1 is kept, and --resume continues from it" in line
    assert callbacks.resume_state(str(out / "checkpoints"))[1]["epoch"] == 1
