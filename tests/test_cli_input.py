"""Every mistake on the command line gets one sentence and exit code 2, before anything runs."""

import argparse

import keras
import numpy as np
import pytest
from PIL import Image

import keras_gans
from keras_gans import cli
from keras_gans import data
from keras_gans import dcgan
from keras_gans import evaluate
from keras_gans import gan

from cli_helpers import error_line, run_gan

MODELS = list(keras_gans.MODELS)


def model_parser(name):
    """The training parser of a model, as its command line builds it."""
    return cli.module_parser(name)


def numeric_actions(parser):
    """The flags that take a number without a fixed list of choices."""
    return [action for action in parser._actions
            if action.option_strings and action.choices is None and action.type is not None
            and action.nargs != 0]


# --- 5. Numbers are checked when the flags are parsed -----------------------------------------
@pytest.mark.parametrize("name", MODELS)
def test_every_numeric_flag_is_checked_when_parsed(name, tmp_path, capsys):
    parser = model_parser(name)
    actions = numeric_actions(parser)
    assert any(action.dest == "batch_size" for action in actions)
    for action in actions:
        assert action.type not in (int, float), f"{action.option_strings[0]} is not range-checked"
        flag = max(action.option_strings, key=len)
        for invalid in action.type.invalid_examples:
            with pytest.raises(SystemExit) as exit:
                cli.parse_arguments(name, [flag, invalid, "--out", str(tmp_path / "x")])
            assert exit.value.code == 2, (flag, invalid)
            line = error_line(capsys)
            assert line.startswith(f"error: {flag} must be "), line


@pytest.mark.parametrize("flags", [
    ["--steps-per-epoch", "-1"], ["--steps-per-epoch", "0"], ["--sample-every", "-1"],
    ["--latent-dim", "0"], ["--g-lr", "-0.001"], ["--d-lr", "0"], ["--g-lr", "nan"],
    ["--batch-size", "0"], ["--epochs", "0"], ["--eval-count", "1"], ["--limit", "0"],
    ["--image-size", "0"], ["--channels", "2"], ["--seed", "-1"],
])
def test_values_that_loop_forever_or_fail_late_are_refused(flags, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit:
        cli.parse_arguments("gan", flags)
    assert exit.value.code == 2
    assert error_line(capsys).startswith(f"error: {flags[0]}")


def test_a_refused_flag_is_exit_code_2_before_anything_is_written(tmp_path, capsys):
    assert run_gan(tmp_path / "run", "--epochs", "1", "--latent-dim", "0") == 2
    assert "--latent-dim must be a whole number of at least 1" in error_line(capsys)
    assert not (tmp_path / "run").exists()


def test_sample_every_zero_means_no_grids(tmp_path):
    assert run_gan(tmp_path / "run", "--sample-every", "0", "--epochs", "1") == 0
    assert not (tmp_path / "run" / "samples").exists()
    assert run_gan(tmp_path / "run", "--resume", "--epochs", "2") == 0


def test_numeric_types_refuse_and_accept_the_right_values():
    fraction = cli.number(at_least=0, below=1)
    assert fraction("0") == 0.0 and fraction("0.5") == 0.5
    for text in ("1", "-0.1", "inf", "nan", "half"):
        with pytest.raises(argparse.ArgumentTypeError, match="at least 0 and less than 1"):
            fraction(text)
    count = cli.integer(at_least=2)
    assert count("2") == 2
    for text in ("1", "2.5", "two"):
        with pytest.raises(argparse.ArgumentTypeError, match="whole number of at least 2"):
            count(text)


# --- 7. Checkpoints and counts that used to end in tracebacks ---------------------------------
@pytest.fixture(scope="module")
def checkpoints(trained_run, tmp_path_factory):
    """Good and bad `.keras` files: the small GAN's, a truncated copy, a Lambda-layer model."""
    folder = tmp_path_factory.mktemp("checkpoints")
    good = trained_run / "checkpoints" / "model.keras"
    content = good.read_bytes()
    (folder / "truncated.keras").write_bytes(content[: len(content) // 2])
    (folder / "text.keras").write_text("not a model")
    generator = keras.Sequential([keras.Input((8,)), keras.layers.Dense(256),
                                  keras.layers.Lambda(lambda x: 2.0 * x),
                                  keras.layers.Reshape((16, 16, 1))], name="generator")
    unsafe = gan.GAN(latent_dim=8, image_shape=(16, 16, 1), generator=generator)
    unsafe.compile()
    unsafe.save(folder / "unsafe.keras")
    return {"good": good, "run folder": trained_run, "truncated": folder / "truncated.keras",
            "text": folder / "text.keras", "unsafe": folder / "unsafe.keras",
            "classifier": keras_gans.metrics.DEFAULT_CLASSIFIER_PATH,
            "missing": folder / "missing.keras"}


CHECKPOINT_MESSAGES = {
    "run folder": "is a folder, not a .keras file: pass",
    "truncated": "not a complete .keras file",
    "text": "not a complete .keras file",
    "unsafe": "safe mode",
    "classifier": "not a keras_gans model",
    "missing": "does not exist",
}


@pytest.mark.parametrize("kind", sorted(CHECKPOINT_MESSAGES))
def test_a_bad_checkpoint_is_one_sentence_for_sample_and_evaluate(kind, checkpoints, tmp_path,
                                                                  capsys):
    path = str(checkpoints[kind])
    assert gan.main(["sample", "--checkpoint", path, "--output", str(tmp_path / "g.png")]) == 2
    assert CHECKPOINT_MESSAGES[kind] in error_line(capsys)
    assert evaluate.main(["--checkpoint", path, "--dataset", "shapes"]) == 2
    assert CHECKPOINT_MESSAGES[kind] in error_line(capsys)
    assert not (tmp_path / "g.png").exists()


def test_load_model_still_loads_what_it_should(checkpoints):
    model = keras_gans.load_gan(checkpoints["good"])
    assert type(model).__name__ == "GAN"
    assert keras_gans.load_model(checkpoints["classifier"]).name == "mnist_reference_classifier"
    restored = keras_gans.load_model(checkpoints["unsafe"], safe_mode=False)
    assert type(restored).__name__ == "GAN"


@pytest.mark.parametrize("command, flag", [
    (["sample", "--count", "0"], "--count"),
    (["sample", "--count", "-3"], "--count"),
])
def test_sample_counts_are_checked(command, flag, checkpoints, capsys):
    assert gan.main(command + ["--checkpoint", str(checkpoints["good"])]) == 2
    assert error_line(capsys).startswith(f"error: {flag} must be")


@pytest.mark.parametrize("count", ["0", "1"])
def test_evaluate_counts_are_checked(count, checkpoints, capsys):
    assert evaluate.main(["--checkpoint", str(checkpoints["good"]), "--dataset", "shapes",
                          "--count", count]) == 2
    assert error_line(capsys).startswith("error: --count must be a whole number of at least 2")


def test_classifier_features_refuse_other_image_sizes(checkpoints, tmp_path, capsys):
    assert evaluate.main(["--checkpoint", str(checkpoints["good"]), "--dataset", "shapes",
                          "--features", "classifier"]) == 2
    assert "not 16x16x1: pass --features inception" in error_line(capsys)
    assert gan.main(["--dataset", "shapes", "--image-size", "64", "--eval-every", "1",
                     "--eval-features", "classifier", "--out", str(tmp_path / "run")]) == 2
    assert "not 64x64x1: pass --eval-features inception" in error_line(capsys)
    assert not (tmp_path / "run").exists()


# --- 8. --channels 3 converts only the grayscale named datasets, and says so ----------------
def test_channels_3_repeats_grayscale_named_datasets_with_a_note(tmp_path, capsys):
    assert run_gan(tmp_path / "run", "--channels", "3", "--epochs", "1") == 0
    assert "note: shapes is grayscale; its images are repeated over 3 channels" in (
        capsys.readouterr().err)
    images = data.load("shapes", channels=3, limit=4)
    assert images.image_shape == (32, 32, 3) and images.converted_from_grayscale
    np.testing.assert_array_equal(images.images[..., 0], images.images[..., 2])


def test_channels_3_never_converts_a_folder(tmp_path, capsys):
    folder = tmp_path / "images"
    folder.mkdir()
    for index in range(16):
        Image.new("L", (16, 16), color=index).save(folder / f"{index}.png")
    assert gan.main(["--dataset", str(folder), "--channels", "3", "--batch-size", "8",
                     "--out", str(tmp_path / "run")]) == 2
    assert "have 1 channel but --channels 3" in error_line(capsys)


def test_readme_names_every_dataset_that_channels_3_converts():
    readme = (keras_gans_root() / "README.md").read_text()
    paragraphs = [text for text in readme.split("\n\n") if "`--channels 3`" in text]
    assert len(paragraphs) == 1, "the README does not say what --channels 3 does"
    text = paragraphs[0]
    for name in data.GRAYSCALE_DATASETS:
        assert f"`{name}`" in text, name
    assert "never" in text


def keras_gans_root():
    import pathlib

    return pathlib.Path(__file__).resolve().parents[1]


# --- 9. sample names the model it loaded ----------------------------------------------------
def test_sample_names_the_loaded_model_not_the_command(tmp_path, capsys):
    out = tmp_path / "run"
    assert dcgan.main(["--dataset", "shapes", "--smoke", "--out", str(out), "--verbose",
                       "0"]) == 0
    capsys.readouterr()
    assert gan.main(["sample", "--checkpoint", str(out / "checkpoints/model.keras"),
                     "--output", str(tmp_path / "grid.png"), "--count", "4"]) == 0
    printed = capsys.readouterr().out
    assert "samples of DCGAN" in printed and "samples of gan" not in printed


# --- 11. --help shows each model's real defaults, once --------------------------------------
def action_help(parser, dest):
    """The help block `--help` prints for one flag, on one line."""
    action = next(action for action in parser._actions if action.dest == dest)
    return " ".join(parser._get_formatter()._format_action(action).split())


@pytest.mark.parametrize("name", MODELS)
def test_help_shows_each_models_defaults_once(name):
    module = keras_gans.get_module(name)
    parser = model_parser(name)
    text = " ".join(parser.format_help().split())
    assert "(default: None)" not in text
    dataset_help = action_help(parser, "dataset")
    assert dataset_help.count("(default:") == 1
    assert f"(default: {module.DEFAULTS['dataset']}," in dataset_help
    noise = not cli.translates(module)
    for key in ("batch_size", "epochs", "g_lr", "d_lr") + (("latent_dim",) if noise else ()):
        assert action_help(parser, key).endswith(f"(default: {module.DEFAULTS[key]})"), key
    assert action_help(parser, "seed").endswith("(default: 0)")
    for action in parser._actions:
        assert action.help, f"{action.option_strings} has no help"
        assert action_help(parser, action.dest).count("(default") <= 1, action.dest


def test_label_and_encoder_commands_are_refused_for_a_plain_generator(checkpoints, tmp_path,
                                                                      capsys):
    path = str(checkpoints["good"])
    assert gan.main(["sample", "--checkpoint", path, "--label", "1",
                     "--output", str(tmp_path / "g.png")]) == 2
    assert "does not draw samples of a class: leave out --label" in error_line(capsys)
    for command in ("encode", "classify", "cluster"):
        assert gan.main([command, "--checkpoint", path, "--dataset", "shapes",
                         "--output", str(tmp_path / "out.npy")]) == 2
        assert f"gan has no `{command}`: it only samples" in error_line(capsys)
    assert not list(tmp_path.iterdir())
