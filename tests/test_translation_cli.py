"""`python -m keras_gans.pix2pix` and `cyclegan` end to end: a smoke run on the offline digit
tasks, its sample grid of held-out rows, `translate` on a user's folder, resume, and the
mistakes a user can make with them."""

import json

import numpy as np
import pytest
from PIL import Image

from keras_gans import cyclegan, gan, pix2pix

from cli_helpers import error_line

TINY_PIX2PIX = ["--filters", "4", "--discriminator-filters", "4", "--verbose", "0"]
TINY_CYCLEGAN = ["--filters", "4", "--discriminator-filters", "4", "--residual-blocks", "1",
                 "--pool-size", "2", "--verbose", "0"]


@pytest.fixture(scope="module")
def pix2pix_run(tmp_path_factory, shared_mnist_dir):
    out = tmp_path_factory.mktemp("pix2pix") / "run"
    code = pix2pix.main(["--smoke", "--data-dir", shared_mnist_dir, "--out", str(out),
                         *TINY_PIX2PIX])
    assert code == 0
    return out


@pytest.fixture(scope="module")
def cyclegan_run(tmp_path_factory, shared_mnist_dir):
    out = tmp_path_factory.mktemp("cyclegan") / "run"
    code = cyclegan.main(["--smoke", "--data-dir", shared_mnist_dir, "--out", str(out),
                          *TINY_CYCLEGAN])
    assert code == 0
    return out


def user_images(folder):
    """A user's folder: a 32×32 grey PNG, a 40×24 RGB JPEG and a file that is no image."""
    folder.mkdir()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (32, 32), dtype=np.uint8)).save(folder / "edges.png")
    Image.fromarray(rng.integers(0, 256, (24, 40, 3), dtype=np.uint8)).save(folder / "photo.jpg")
    (folder / "notes.txt").write_text("not an image")
    return folder


def grid_size(path):
    with Image.open(path) as image:
        return image.size


def test_pix2pix_trains_on_the_offline_edges_with_held_out_grids(pix2pix_run):
    config = json.loads((pix2pix_run / "config.json").read_text())
    assert (config["dataset"], config["data_shapes"]) == ("mnist_edges",
                                                          [[32, 32, 1], [32, 32, 1]])
    # Rows of input | output | target: 3 columns of 32 pixels, 4 held-out rows.
    assert grid_size(pix2pix_run / "samples" / "epoch_0001.png") == (3 * 32, 4 * 32)
    assert (pix2pix_run / "checkpoints" / "model.keras").is_file()


def test_pix2pix_translates_a_users_folder(pix2pix_run, tmp_path, capsys):
    images = user_images(tmp_path / "mine")
    out = tmp_path / "translated"
    checkpoint = str(pix2pix_run / "checkpoints" / "model.keras")
    arguments = ["translate", "--checkpoint", checkpoint, "--input", str(images),
                 "--output", str(out)]
    assert pix2pix.main(arguments) == 0
    printed = capsys.readouterr()
    assert "1 of 2 images" in printed.err and "Translated 2 images with Pix2Pix" in printed.out
    assert sorted(path.name for path in out.iterdir()) == ["edges.png", "photo.png"]
    assert grid_size(out / "photo.png") == (40, 24)  # its own size, back from the network's
    before = (out / "edges.png").read_bytes()
    assert pix2pix.main(arguments) == 2
    assert "already exists: pass --overwrite" in error_line(capsys)
    assert (out / "edges.png").read_bytes() == before
    assert pix2pix.main(arguments + ["--overwrite", "--eval-mode"]) == 0


def test_translate_mistakes_get_one_sentence(pix2pix_run, trained_run, tmp_path, capsys):
    checkpoint = str(pix2pix_run / "checkpoints" / "model.keras")
    missing = ["translate", "--checkpoint", checkpoint, "--input", str(tmp_path / "nowhere"),
               "--output", str(tmp_path / "out")]
    assert pix2pix.main(missing) == 2
    assert "does not exist: check --input" in error_line(capsys)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert pix2pix.main(missing[:4] + [str(empty)] + missing[5:]) == 2
    assert "has no images" in error_line(capsys)
    images = user_images(tmp_path / "mine")
    noise_model = ["translate", "--checkpoint", str(trained_run / "checkpoints" / "model.keras"),
                   "--input", str(images), "--output", str(tmp_path / "out")]
    assert pix2pix.main(noise_model) == 2
    assert "rather than translating them: use the sample command" in error_line(capsys)
    assert not (tmp_path / "out").exists()
    assert gan.main(noise_model) == 2
    assert "has nothing to translate" in error_line(capsys)
    assert pix2pix.main(["sample", "--checkpoint", checkpoint]) == 2
    assert "translates images rather than sampling them" in error_line(capsys)


def test_pix2pix_refuses_per_epoch_sample_metrics(tmp_path, shared_mnist_dir, capsys):
    code = pix2pix.main(["--smoke", "--data-dir", shared_mnist_dir, "--eval-every", "1",
                         "--out", str(tmp_path / "run"), *TINY_PIX2PIX])
    assert code == 2 and "--eval-every" in error_line(capsys)
    assert not (tmp_path / "run").exists()


def test_cyclegan_trains_translates_both_ways_and_resumes(cyclegan_run, tmp_path, capsys):
    config = json.loads((cyclegan_run / "config.json").read_text())
    assert (config["dataset"], config["data_shapes"]) == ("mnist_color",
                                                          [[32, 32, 3], [32, 32, 3]])
    # Rows of a | G(a) | F(G(a)) | b | F(b) | G(F(b)).
    assert grid_size(cyclegan_run / "samples" / "epoch_0001.png") == (6 * 32, 4 * 32)
    checkpoint = str(cyclegan_run / "checkpoints" / "model.keras")
    images = user_images(tmp_path / "mine")
    for to in ("A", "B"):
        out = tmp_path / f"to_{to}"
        assert cyclegan.main(["translate", "--checkpoint", checkpoint, "--to", to,
                              "--input", str(images), "--output", str(out)]) == 0
        assert len(list(out.iterdir())) == 2
    capsys.readouterr()
    assert cyclegan.main(["--resume", "--epochs", "2", "--out", str(cyclegan_run),
                          "--verbose", "0"]) == 0
    state = json.loads((cyclegan_run / "checkpoints" / "state.json").read_text())
    assert state["epoch"] == 2
    assert (cyclegan_run / "samples" / "epoch_0002.png").is_file()
