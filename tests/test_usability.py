"""What a user meets first: a quiet start, detached samples, the README's code, the notebook."""

import configparser
import json
import os
import pathlib
import re
import subprocess
import sys
import warnings

import keras
import numpy as np
import pytest

import keras_gans
from keras_gans import _startup
from keras_gans import cli
from keras_gans import data

from conftest import BACKEND

ROOT = pathlib.Path(__file__).resolve().parents[1]


def python(code_or_args, extra_path=None, **environment):
    """Runs a fresh Python with this checkout importable; returns the finished process."""
    env = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    env.update(environment)
    paths = ([str(extra_path)] if extra_path else []) + [str(ROOT), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    arguments = code_or_args if isinstance(code_or_args, list) else ["-c", code_or_args]
    return subprocess.run([sys.executable, *arguments], capture_output=True, text=True,
                          env=env, timeout=300)


# --- 10. No TensorFlow start-up lines before a command's output -----------------------------
def test_help_starts_with_the_usage_and_prints_nothing_else():
    result = python(["-m", "keras_gans.dcgan", "--help"])
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("usage: python -m keras_gans.dcgan")
    assert result.stderr == ""


def test_start_up_notices_are_hidden_and_other_messages_kept(tmp_path):
    """A stand-in Keras that writes TensorFlow's notices and a real warning while imported."""
    fake = tmp_path / "keras"
    (fake / "backend").mkdir(parents=True)
    (fake / "__init__.py").write_text(
        "import os\n"
        "os.write(2, b'WARNING: All log messages before absl::InitializeLog() is called are "
        "written to STDERR\\n')\n"
        "os.write(2, b'I0000 00:00:17.4 2499 port.cc:153] oneDNN custom operations are on.\\n')\n"
        "os.write(2, b'I0000 00:00:17.4 2499 cudart_stub.cc:31] Could not find cuda drivers on "
        "your machine, GPU will not be used.\\n')\n"
        "os.write(2, b'W0000 00:00:17.5 2499 real.cc:1] a real warning\\n')\n"
        "from keras import backend\n")
    (fake / "backend" / "__init__.py").write_text("def backend():\n    return 'numpy'\n")

    code = ("import keras_gans._startup as s; s.import_keras_quietly(); import keras; "
            "print('imported')")
    result = python(code, extra_path=tmp_path)
    assert result.stdout.strip() == "imported"
    assert result.stderr == "W0000 00:00:17.5 2499 real.cc:1] a real warning\n"
    full = python(code, extra_path=tmp_path, KERAS_GANS_STARTUP_LOG="1")
    assert "oneDNN" in full.stderr and "a real warning" in full.stderr


def test_tensorflow_devices_can_still_be_configured_after_import():
    code = ("import keras_gans, tensorflow as tf; cpu = tf.config.list_physical_devices('CPU')[0]; "
            "tf.config.set_logical_device_configuration(cpu, "
            "[tf.config.LogicalDeviceConfiguration()] * 2); "
            "print(len(tf.config.list_logical_devices('CPU')))")
    result = python(code, KERAS_BACKEND="tensorflow")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "2" and result.stderr == ""


def test_startup_notice_filter():
    text = ("I0000 port.cc:153] oneDNN custom operations are on. You may see ...\n"
            "E0000 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error\n"
            "UserWarning: something the user must see\n")
    assert _startup.without_startup_notices(text) == "UserWarning: something the user must see\n"


# --- 12. Public inference methods return tensors without a gradient graph -------------------
@pytest.mark.parametrize("name", list(keras_gans.MODELS))
def test_generate_returns_a_detached_tensor(name):
    module = keras_gans.get_module(name)
    size = 28 if module.DEFAULTS["dataset"] in ("mnist", "mnist_cogan") else 32
    if cli.translates(module):  # translation models: translate() is their public inference
        model = module.build_model(cli.parse_arguments(name, ["--filters", "2"]),
                                   (size, size, 1))
        samples = model.translate(np.zeros((2, size, size, 1), "float32"))
    else:
        args = cli.parse_arguments(name, ["--latent-dim", "8"])
        model = module.build_model(args, (size, size, 1))
        samples = model.generate(2)
    assert not getattr(samples, "requires_grad", False)
    if BACKEND == "torch":
        assert samples.numpy().shape == (2, size, size, 1)
    array = np.asarray(keras.ops.convert_to_numpy(samples))
    assert array.shape == (2, size, size, 1) and np.all(np.isfinite(array))


# --- 13. The README's Python snippet runs without warnings ----------------------------------
def readme_snippet():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Using it from Python"):]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


def test_readme_python_snippet_runs_without_warnings(tmp_path, monkeypatch):
    load = data.load
    monkeypatch.setattr(data, "load", lambda *args, **kwargs: load(*args, limit=128, **kwargs))
    monkeypatch.setattr(data, "steps_per_epoch", lambda images, batch_size: 1)
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        namespace = {}
        exec(compile(readme_snippet(), "README.md", "exec"), namespace)
    messages = [str(warning.message) for warning in caught
                if not issubclass(warning.category, DeprecationWarning)]
    assert messages == []
    assert tuple(namespace["samples"].shape) == (16, 32, 32, 1)
    assert (tmp_path / "dcgan.keras").exists()


def test_fit_still_shuffles_arrays_and_accepts_an_explicit_shuffle():
    from keras_gans import gan

    model = gan.GAN(latent_dim=4, image_shape=(4, 4, 1), seed=0)
    model.compile()
    images = np.zeros((16, 4, 4, 1), "float32")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(images, batch_size=8, epochs=1, verbose=0)
        model.fit(images, batch_size=8, epochs=1, verbose=0, shuffle=False)
    assert not [w for w in caught if "shuffle" in str(w.message)]


# --- 14. The notebook installs itself on a fresh Colab, and the README links to it ----------
def repository_url():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    return config["metadata"]["url"]


NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebook_installs_from_the_repository_and_has_a_badge(path):
    cells = json.loads(path.read_text())["cells"]
    first_code = "".join(next(cell for cell in cells if cell["cell_type"] == "code")["source"])
    url = repository_url()
    assert f"%pip install -q \"keras-gans @ git+{url}\"" in first_code
    assert "setup.cfg" not in first_code and "-e ." not in first_code
    relative = path.relative_to(ROOT).as_posix()
    badge = (f"(https://colab.research.google.com/github/"
             f"{url.removeprefix('https://github.com/')}/blob/main/{relative})")
    assert badge in "".join(cells[0]["source"])
    assert badge in (ROOT / "README.md").read_text()
