"""The active backend, device strategies, inference mode and precision policies."""

import contextlib
import functools

import keras


BACKEND = keras.backend.backend()


def backend():
    """Returns the name of the active Keras backend ("tensorflow", "jax" or "torch")."""
    return BACKEND


def list_physical_devices():
    """Makes the backend look for its devices now (TensorFlow only; elsewhere nothing).

    TensorFlow logs its device notices when it first enumerates the devices; `keras_gans`
    calls this at import, while those notices are hidden, so that they do not appear in the
    middle of a command's output. Only the physical devices are listed: logical devices
    (memory growth, virtual devices) can still be configured afterwards.
    """
    if BACKEND == "tensorflow":
        import tensorflow

        tensorflow.config.list_physical_devices()


# --------------------------------------------------------------------------------------------
# Distribution
# --------------------------------------------------------------------------------------------
STRATEGIES = ("auto", "none", "mirrored", "multiworker", "tpu")


def distribution_scope(strategy="auto", connect_timeout=None):
    """A context in which to build and compile a model for data-parallel training.

    Args:
        strategy: "none" (one device), "mirrored" (all local devices: `tf.distribute`
            on TensorFlow, `keras.distribution.DataParallel` on JAX), "multiworker"
            (several processes: `TF_CONFIG` on TensorFlow, `jax.distributed` on JAX; see
            `engine.workers`), "tpu" (TensorFlow), or "auto" (multiworker when the
            environment describes several workers, else mirrored when more than one
            accelerator is visible, else none).
        connect_timeout: seconds a worker waits for the others (multiworker).

    Returns:
        A context manager.
    """
    from keras_gans.engine import workers

    if strategy not in STRATEGIES:
        raise ValueError(
            f"Unknown strategy {strategy!r}: choose one of {', '.join(STRATEGIES)}."
        )
    if strategy == "auto":
        strategy = ("multiworker" if workers.current_cluster("auto") is not None
                    else "mirrored" if _accelerator_count() > 1 else "none")
    if strategy == "none":
        return contextlib.nullcontext()
    if strategy == "multiworker":
        return workers.multiworker_scope(connect_timeout or workers.DEFAULT_CONNECT_TIMEOUT)
    if BACKEND == "tensorflow":
        import tensorflow as tf

        if strategy == "mirrored":
            return tf.distribute.MirroredStrategy().scope()
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver).scope()
    if BACKEND == "jax" and strategy in ("mirrored", "tpu"):
        return _jax_data_parallel()
    raise ValueError(
        f"--strategy {strategy} is not available on the {BACKEND} backend: use "
        "KERAS_BACKEND=tensorflow (mirrored, multiworker, tpu) or KERAS_BACKEND=jax (mirrored, "
        "multiworker)."
    )


@contextlib.contextmanager
def _jax_data_parallel():
    previous = keras.distribution.distribution()
    devices = keras.distribution.list_devices()
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
    try:
        yield
    finally:
        keras.distribution.set_distribution(previous)


def _accelerator_count():
    if BACKEND == "tensorflow":
        import tensorflow as tf

        return len(tf.config.list_logical_devices("GPU")) + len(
            tf.config.list_logical_devices("TPU")
        )
    if BACKEND == "jax":
        import jax

        return len([d for d in jax.devices() if d.platform != "cpu"])
    if BACKEND == "torch":
        import torch

        return torch.cuda.device_count()
    return 0


def inference(method):
    """Marks a public inference method (`generate`, ...): its outputs carry no gradient.

    On PyTorch the method runs under `torch.no_grad()`, so its tensors do not require
    gradients and `.numpy()` works on them; TensorFlow and JAX tensors never carry a graph.
    """

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        if BACKEND != "torch":
            return method(*args, **kwargs)
        import torch

        with torch.no_grad():
            return method(*args, **kwargs)

    return wrapper


def set_mixed_precision(enabled):
    """Sets the global dtype policy: "mixed_bfloat16" when enabled, else "float32"."""
    keras.mixed_precision.set_global_policy("mixed_bfloat16" if enabled else "float32")
