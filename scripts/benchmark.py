"""Steady-state training speed of a model through `fit()`: images per second, step time, memory.

    python scripts/benchmark.py dcgan --backend tensorflow --batch-size 64
    python scripts/benchmark.py dcgan --backend jax --batch-size 256 --output dcgan_jax.json

The model is built and compiled exactly as its command line does (paper defaults), and trained
on random images of the model's default shape fed through the library's tf.data pipeline (or
NumPy arrays when TensorFlow is not installed). One epoch of `--warmup-steps` compiles and warms
up; the next epoch of `--steps` is timed from its first to its last batch, so start-up and
compilation are excluded. Prints one JSON object and writes it to `--output` when given.
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="a model module name, e.g. dcgan")
    parser.add_argument("--backend", default=os.environ.get("KERAS_BACKEND", "tensorflow"),
                        choices=("tensorflow", "jax", "torch"))
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--image-size", type=int, default=None,
                        help="image size (default: the model's default dataset's size)")
    parser.add_argument("--channels", type=int, default=1)
    parser.add_argument("--steps", type=int, default=100, help="timed steps")
    parser.add_argument("--warmup-steps", type=int, default=20)
    parser.add_argument("--mixed-precision", action="store_true")
    parser.add_argument("--numpy-input", action="store_true",
                        help="feed NumPy arrays instead of the tf.data pipeline")
    parser.add_argument("--output", default=None, help="also write the JSON here")
    return parser.parse_args(argv)


def make_epoch_timer():
    """A Keras callback recording the wall time of every epoch of a fit() call."""
    import keras

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.durations = []

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.durations.append(time.perf_counter() - self.start)

    return EpochTimer()


def default_image_size(module):
    dataset = module.DEFAULTS.get("dataset", "mnist")
    return {"mnist": 28, "fashion_mnist": 28, "mnist32": 32, "shapes": 32, "cifar10": 32}.get(
        dataset, 64
    )


def device_description(backend):
    if backend == "jax":
        import jax

        device = jax.devices()[0]
        if device.platform != "cpu":
            return f"{device.platform}: {getattr(device, 'device_kind', device)}"
    if backend == "torch":
        import torch

        if torch.cuda.is_available():
            return f"cuda: {torch.cuda.get_device_name(0)}"
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        if gpus:
            return f"gpu: {gpus[0].name}"
    return f"cpu: {platform.processor() or platform.machine()}, {os.cpu_count()} cores"


def peak_memory_megabytes(backend):
    """Peak accelerator memory where the backend reports it, else the process's peak RSS."""
    if backend == "jax":
        import jax

        stats = jax.devices()[0].memory_stats() or {}
        if "peak_bytes_in_use" in stats:
            return stats["peak_bytes_in_use"] / 2**20, "device"
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "host RSS"


def run(args):
    os.environ["KERAS_BACKEND"] = args.backend
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    import numpy as np

    import keras_gans
    from keras_gans import cli
    from keras_gans import data as gan_data
    from keras_gans import engine

    module = keras_gans.get_module(args.model)
    size = args.image_size or default_image_size(module)
    image_shape = (size, size, args.channels)
    options = cli.parse_arguments(args.model, ["--batch-size", str(args.batch_size)])
    engine.set_mixed_precision(args.mixed_precision)
    keras.utils.set_random_seed(0)
    model = module.build_model(options, image_shape)
    module.compile_model(model, options)

    count = args.batch_size * max(args.steps, args.warmup_steps)
    images = np.random.default_rng(0).uniform(-1, 1, (count,) + image_shape).astype("float32")
    timer = make_epoch_timer()
    if args.numpy_input:
        warmup_images = images[: args.warmup_steps * args.batch_size]
        model.fit(warmup_images, batch_size=args.batch_size, epochs=1, verbose=0)
        model.fit(images[: args.steps * args.batch_size], batch_size=args.batch_size,
                  initial_epoch=1, epochs=2, verbose=0, callbacks=[timer])
    else:
        dataset = gan_data.batches(gan_data.ImageData(images, None, "random"), args.batch_size)
        model.fit(dataset, steps_per_epoch=args.warmup_steps, epochs=1, verbose=0,
                  shuffle=False)
        model.fit(dataset, steps_per_epoch=args.steps, initial_epoch=1, epochs=2, verbose=0,
                  shuffle=False, callbacks=[timer])
    seconds = timer.durations[-1]
    memory, memory_kind = peak_memory_megabytes(args.backend)
    return {
        "model": args.model,
        "backend": args.backend,
        "device": device_description(args.backend),
        "batch_size": args.batch_size,
        "image_shape": list(image_shape),
        "mixed_precision": args.mixed_precision,
        "input": "numpy" if args.numpy_input else "tf.data",
        "timed_steps": args.steps,
        "images_per_second": round(args.steps * args.batch_size / seconds, 1),
        "step_time_ms": round(1000 * seconds / args.steps, 2),
        "peak_memory_mb": round(memory, 1),
        "peak_memory_kind": memory_kind,
        "keras": keras.__version__,
        "date": time.strftime("%Y-%m-%d"),
        "command": "python " + " ".join([os.path.relpath(__file__)] + sys.argv[1:]),
    }


def main(argv=None):
    args = parse_arguments(argv)
    if os.environ.get("KERAS_BACKEND") != args.backend:
        # The backend is fixed when keras is first imported: start afresh with it set.
        environment = dict(os.environ, KERAS_BACKEND=args.backend)
        return subprocess.call([sys.executable, __file__] + sys.argv[1:], env=environment)
    result = run(args)
    text = json.dumps(result, indent=2)
    print(text)
    if args.output:
        with open(args.output, "w") as file:
            file.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    raise SystemExit(main())
