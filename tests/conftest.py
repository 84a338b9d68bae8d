"""Shared test settings: quiet TensorFlow, the shared MNIST folder, small models."""

import importlib
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


IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(reason):
    """Skips a test whose input is absent, except under `CI=true`, where it fails: CI must
    provide every input, so that no check is dropped without a red run."""
    if IN_CI:
        pytest.fail(f"{reason}, and CI=true requires it", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def require_module(name):
    """Imports an optional module, or skips (under CI=true: fails) the test without it."""
    try:
        return importlib.import_module(name)
    except ImportError:
        missing(f"{name} is not installed")


def require_shared_mnist():
    """The shared MNIST IDX folder (../shared/data/mnist) as a string, or a skip (under
    CI=true: a failure) when it is absent."""
    if not (MNIST_DIR / "t10k-images-idx3-ubyte.gz").exists():
        missing(f"the shared MNIST folder {MNIST_DIR} is absent")
    return str(MNIST_DIR)


@pytest.fixture
def mnist_dir():
    """The shared MNIST IDX folder; see `require_shared_mnist`."""
    return require_shared_mnist()


@pytest.fixture(scope="session")
def shared_mnist_dir():
    """`mnist_dir` for module- and session-scoped fixtures."""
    return require_shared_mnist()


@pytest.fixture(autouse=True)
def seeded():
    """Seeds Python, NumPy and Keras (and the backend) before every test, so that weight
    initialization and every threshold are the same whatever ran before."""
    keras.utils.set_random_seed(0)


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
