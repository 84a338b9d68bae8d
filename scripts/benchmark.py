"""Steady-state training speed of a model through `fit()`: images per second, step time, memory.

    python scripts/benchmark.py dcgan --backend tensorflow --batch-size 64
    python scripts/benchmark.py dcgan --backend jax --batch-size 256 --output dcgan_jax.json
    python scripts/benchmark.py pix2pix --backend tensorflow --batch-size 16 --image-size 256

The model is built and compiled exactly as its command line does (paper defaults), and trained
on random images of the model's default shape fed through the library's tf.data pipeline (or
NumPy arrays when TensorFlow is not installed). One epoch of `--warmup-steps` compiles and warms
up; the next epoch of `--steps` is timed from its first to its last batch, so start-up and
compilation are excluded. Prints one JSON object and writes it to `--output` when given.

Image-to-image models (pix2pix, CycleGAN) are built by their classes with paper defaults at
`--image-size` (default 256) and `--channels` (default 3), and trained on random
`(images_a, images_b)` pairs. Their result adds each network's parameter count, whether those
equal the reference networks' (junyanz `unet_256`, `resnet_9blocks`, 70×70 PatchGAN at
256×256×3, as `scripts/peers/torch_image_to_image.py` builds them), and the model FLOPs of a
training step counted from the layers (`scripts/flops.py`: 2 FLOPs per multiply-accumulate of
the convolutions and dense layers, elementwise work not counted, training = 3 × forward of every
network evaluation) with the TFLOP/s they reach.
"""

import argparse
import importlib
import json
import os
import platform
import resource
import subprocess
import sys
import time

import numpy as np

SCRIPTS_DIR = os.path.dirname(os.path.abspath(__file__))
if SCRIPTS_DIR not in sys.path:
    sys.path.insert(0, SCRIPTS_DIR)  # scripts/flops.py, also when this file is imported


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="a model module name, e.g. dcgan")
    parser.add_argument("--backend", default=os.environ.get("KERAS_BACKEND", "tensorflow"),
                        choices=("tensorflow", "jax", "torch"))
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--image-size", type=int, default=None,
                        help="image size (default: the model's default dataset's size)")
    parser.add_argument("--channels", type=int, default=None,
                        help="image channels (default: 3 for image-to-image models, else 1)")
    parser.add_argument("--steps", type=int, default=100, help="timed steps")
    parser.add_argument("--warmup-steps", type=int, default=20)
    parser.add_argument("--mixed-precision", action="store_true")
    parser.add_argument("--numpy-input", action="store_true",
                        help="feed NumPy arrays instead of the tf.data pipeline")
    parser.add_argument("--model-option", action="append", default=[], metavar="NAME=VALUE",
                        help="an argument of an image-to-image model's class (VALUE read as "
                        "JSON when it parses, else as text); repeat for more")
    parser.add_argument("--output", default=None, help="also write the JSON here")
    args = parser.parse_args(argv)
    if min(args.steps, args.warmup_steps, args.batch_size) < 1:
        parser.error("--steps, --warmup-steps and --batch-size must each be at least 1.")
    return args


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


IMAGE_TO_IMAGE_MODELS = ("pix2pix", "cyclegan")

# Forward passes per image of each sub-network in one training step, as the algorithm needs them
# (fakes made once per step and reused): pix2pix's discriminator judges real and fake pairs in
# its update and the fakes again in the generator's; each CycleGAN generator translates, closes
# a cycle and maps its identity, each discriminator judges once in the generators' update and
# twice (real, pooled fake) in its own.
NETWORK_EVALUATIONS = {
    "pix2pix": {"generator": 1, "discriminator": 3},
    "cyclegan": {"generator_ab": 3, "generator_ba": 3, "discriminator_a": 3,
                 "discriminator_b": 3},
}

# Parameters of the reference networks at 256×256×3 (MODEL_SPECS §24, §28).
REFERENCE_PARAMETERS = {
    "pix2pix": {"generator": 54_413_955, "discriminator": 2_768_705},
    "cyclegan": {"generator_ab": 11_378_179, "generator_ba": 11_378_179,
                 "discriminator_a": 2_764_737, "discriminator_b": 2_764_737},
}


class BenchmarkError(ValueError):
    """A benchmark that cannot run as asked; the message says how to fix it."""


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


def model_options(pairs):
    """`["downsamplings=8", "name=p2p"]` → `{"downsamplings": 8, "name": "p2p"}`."""
    options = {}
    for pair in pairs:
        name, separator, value = pair.partition("=")
        if not separator or not name:
            raise BenchmarkError(f"The model option {pair!r} is not NAME=VALUE: write it as "
                                 "--model-option filters=64.")
        try:
            options[name] = json.loads(value)
        except json.JSONDecodeError:
            options[name] = value
    return options


def build_image_to_image_model(name, image_shape, options=None):
    """pix2pix or CycleGAN with paper defaults for `image_shape` (and `options`), compiled."""
    options = options or {}
    try:
        module = importlib.import_module(f"keras_gans.{name}")
    except ModuleNotFoundError as error:
        if error.name != f"keras_gans.{name}":
            raise
        raise BenchmarkError(f"keras_gans.{name} is not in this checkout: run the benchmark "
                             f"from a version of the library that has the {name} model.") from None
    if name == "pix2pix":
        model = module.Pix2Pix(image_shape=image_shape, target_shape=image_shape, **options)
    else:
        model = module.CycleGAN(image_shape_a=image_shape, image_shape_b=image_shape, **options)
    model.compile()
    return model


def build_noise_model(name, args, image_shape):
    """A noise-to-image model built and compiled as its command line does."""
    import keras_gans
    from keras_gans import cli

    module = keras_gans.get_module(name)
    options = cli.parse_arguments(name, ["--batch-size", str(args.batch_size)])
    model = module.build_model(options, image_shape)
    module.compile_model(model, options)
    return model


def image_shape_for(args):
    """(H, W, C) from the flags, or the model's defaults."""
    if args.model in IMAGE_TO_IMAGE_MODELS:
        size, channels = args.image_size or 256, args.channels or 3
    else:
        import keras_gans

        size = args.image_size or default_image_size(keras_gans.get_module(args.model))
        channels = args.channels or 1
    return (size, size, channels)


def random_arrays(args, image_shape):
    """Random images in [-1, 1]: one array for noise models, an (A, B) pair otherwise.

    NumPy input holds every batch of the longer epoch; tf.data input repeats at most 8 batches.
    """
    batches = max(args.steps, args.warmup_steps)
    if not args.numpy_input:
        batches = min(batches, 8)
    generator = np.random.default_rng(0)
    shape = (args.batch_size * batches,) + image_shape
    count = 2 if args.model in IMAGE_TO_IMAGE_MODELS else 1
    return [generator.uniform(-1, 1, shape).astype("float32") for _ in range(count)]


def batch_dataset(arrays, batch_size):
    """An endless tf.data.Dataset of batches of the images, or of (A, B) pairs."""
    from keras_gans import data as gan_data

    if len(arrays) == 1:
        return gan_data.batches(gan_data.ImageData(arrays[0], None, "random"), batch_size)
    import tensorflow as tf

    with tf.device("/cpu:0"):
        pairs = tf.data.Dataset.from_tensor_slices(tuple(arrays))
    return pairs.batch(batch_size, drop_remainder=True).repeat().prefetch(tf.data.AUTOTUNE)


def timed_fit(model, arrays, args):
    """One warm-up epoch of `--warmup-steps`, then one timed epoch of `--steps`; its seconds."""
    timer = make_epoch_timer()
    if args.numpy_input:
        def first(steps):
            return [array[: steps * args.batch_size] for array in arrays]

        model.fit(*first(args.warmup_steps), batch_size=args.batch_size, epochs=1, verbose=0)
        model.fit(*first(args.steps), batch_size=args.batch_size, initial_epoch=1, epochs=2,
                  verbose=0, callbacks=[timer])
    else:
        dataset = batch_dataset(arrays, args.batch_size)
        model.fit(dataset, steps_per_epoch=args.warmup_steps, epochs=1, verbose=0,
                  shuffle=False)
        model.fit(dataset, steps_per_epoch=args.steps, initial_epoch=1, epochs=2, verbose=0,
                  shuffle=False, callbacks=[timer])
    return timer.durations[-1]


def trainable_parameters(network):
    """Trainable parameters, as PyTorch counts them (no batch-norm moving statistics)."""
    return sum(int(np.prod(weight.shape)) for weight in network.trainable_weights)


def static_copy(network, image_shape):
    """`network`, or for a network that takes any image size, a copy (same layers, fresh
    weights) built for `image_shape`, whose layer shapes the FLOP count can read."""
    import keras

    if all(None not in tuple(tensor.shape[1:]) for tensor in network.inputs):
        return network
    inputs = [keras.Input((*image_shape[:2], tensor.shape[-1])) for tensor in network.inputs]
    return keras.models.clone_model(network, input_tensors=inputs if len(inputs) > 1 else inputs[0])


def model_flops(model, name, image_shape, batch_size, step_seconds):
    """Parameters, forward FLOPs, training-step FLOPs and TFLOP/s of an image-to-image model."""
    import flops

    networks = {attribute: static_copy(getattr(model, attribute), image_shape)
                for attribute in NETWORK_EVALUATIONS[name]}
    parameters = {attribute: trainable_parameters(network)
                  for attribute, network in networks.items()}
    evaluations = [(networks[attribute], count)
                   for attribute, count in NETWORK_EVALUATIONS[name].items()]
    step_flops = flops.training_step_flops(evaluations, batch_size)
    uncounted = sorted({layer for network in networks.values()
                        for layer in flops.uncounted_layers(network)})
    return {
        "parameters": parameters,
        "reference_architecture": tuple(image_shape) == (256, 256, 3)
        and parameters == REFERENCE_PARAMETERS[name],
        "forward_flops_per_image": {attribute: flops.forward_flops(network)
                                    for attribute, network in networks.items()},
        "step_flops": step_flops,
        "tflops_per_second": float(f"{flops.tflops_per_second(step_flops, step_seconds):.4g}"),
        "flops_convention": "2 per multiply-accumulate of convolutions and dense layers; "
        "training step = 3 x forward of each network evaluation",
        "uncounted_layers": uncounted,
    }


def run(args):
    os.environ["KERAS_BACKEND"] = args.backend
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    from keras_gans import engine

    image_shape = image_shape_for(args)
    engine.set_mixed_precision(args.mixed_precision)
    keras.utils.set_random_seed(0)
    if args.model in IMAGE_TO_IMAGE_MODELS:
        model = build_image_to_image_model(args.model, image_shape,
                                           model_options(args.model_option))
    else:
        if args.model_option:
            raise BenchmarkError("--model-option applies to pix2pix and cyclegan only: drop it "
                                 f"for {args.model}.")
        model = build_noise_model(args.model, args, image_shape)
    seconds = timed_fit(model, random_arrays(args, image_shape), args)
    step_seconds = seconds / args.steps
    memory, memory_kind = peak_memory_megabytes(args.backend)
    result = {
        "model": args.model,
        "backend": args.backend,
        "device": device_description(args.backend),
        "batch_size": args.batch_size,
        "image_shape": list(image_shape),
        "mixed_precision": args.mixed_precision,
        "input": "numpy" if args.numpy_input else "tf.data",
        "warmup_steps": args.warmup_steps,
        "timed_steps": args.steps,
        "images_per_second": round(args.steps * args.batch_size / seconds, 2),
        "step_time_ms": round(1000 * step_seconds, 2),
        "peak_memory_mb": round(memory, 1),
        "peak_memory_kind": memory_kind,
        "keras": keras.__version__,
        "date": time.strftime("%Y-%m-%d"),
        "command": "python " + " ".join([os.path.relpath(__file__)] + sys.argv[1:]),
    }
    if args.model in IMAGE_TO_IMAGE_MODELS:
        result.update(model_flops(model, args.model, image_shape, args.batch_size, step_seconds))
        result["model_options"] = model_options(args.model_option)
        if tuple(image_shape) == (256, 256, 3) and not result["reference_architecture"]:
            print(f"Note: these {args.model} networks differ from the reference ones "
                  f"({REFERENCE_PARAMETERS[args.model]} parameters): the torch peer's speed "
                  "is not comparable with this result.", file=sys.stderr)
    return result


def main(argv=None):
    args = parse_arguments(argv)
    if os.environ.get("KERAS_BACKEND") != args.backend:
        # The backend is fixed when keras is first imported: start afresh with it set.
        environment = dict(os.environ, KERAS_BACKEND=args.backend)
        return subprocess.call([sys.executable, __file__] + sys.argv[1:], env=environment)
    try:
        result = run(args)
    except BenchmarkError as error:
        print(error, file=sys.stderr)
        return 2
    text = json.dumps(result, indent=2)
    print(text)
    if args.output:
        with open(args.output, "w") as file:
            file.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    raise SystemExit(main())
