"""Shared test settings: quiet TensorFlow, the shared MNIST folder, small models."""

import importlib.util
import os
import pathlib
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# On JAX, compiled programs are kept on disk for the whole session, its xdist workers and the
# command lines the tests start: many tests train the same tiny networks, and each distinct
# program is then compiled once. The cache is keyed by the program and the JAX version.
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR",
                      os.path.join(tempfile.gettempdir(), "keras_gans_test_jax_cache"))
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")

import keras  # noqa: E402
import pytest  # noqa: E402

MNIST_DIR = pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist"
SCRIPTS_DIR = pathlib.Path(__file__).resolve().parents[1] / "scripts"
BACKEND = keras.backend.backend()


@pytest.fixture
def mnist_dir():
    """The shared MNIST IDX folder (../shared/data/mnist); skips the test when it is absent."""
    if not (MNIST_DIR / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip(f"the shared MNIST folder {MNIST_DIR} is absent")
    return str(MNIST_DIR)


@pytest.fixture(scope="session")
def shared_mnist_dir():
    """`mnist_dir` for module- and session-scoped fixtures."""
    if not (MNIST_DIR / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip(f"the shared MNIST folder {MNIST_DIR} is absent")
    return str(MNIST_DIR)


@pytest.fixture
def load_script():
    """Imports a file of scripts/ by its name, e.g. `load_script("results")`."""
    def load(name):
        spec = importlib.util.spec_from_file_location(f"{name}_script", SCRIPTS_DIR / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    return load


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory):
    """A finished one-epoch run of the small GAN (see cli_helpers.RUN_SETTINGS); copy it before
    changing it."""
    from cli_helpers import RUN_SETTINGS, run_gan

    out = tmp_path_factory.mktemp("trained") / "run"
    assert run_gan(out, *RUN_SETTINGS, "--epochs", "1") == 0
    return out
