"""Throughput of one model on 1 process and on N workers of this machine (`--strategy
multiworker` through keras_gans.launch), and the time one all-reduce of its gradients takes.

    KERAS_BACKEND=tensorflow python scripts/scaling.py --workers 2
    KERAS_BACKEND=jax python scripts/scaling.py --workers 2

Each run builds the model with its command-line defaults, trains a warm-up epoch (compilation)
and then a timed one on random images at the same global batch, and prints one JSON line.
Workers on one machine share its cores, so on a small machine the row shows the overhead of
the collectives, not a speed-up. The all-reduce time is measured apart from training: the sum
over the workers of a float32 vector as long as the model's trainable weights, repeated, once
per player update (two per step for a one-critic-step GAN).
"""

import argparse
import json
import os
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="dcgan")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64, help="the global batch")
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=40, help="steps of the timed epoch")
    parser.add_argument("--collective-repeats", type=int, default=20)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def train_and_time(args):
    """In this process (one worker, or the only process): the seconds of the timed epoch."""
    import keras
    import numpy as np

    import keras_gans
    from keras_gans import cli, engine

    strategy = "multiworker" if engine.cluster_from_environment() is not None else "none"
    module = keras_gans.get_module(args.model)
    flags = cli.parse_arguments(args.model, ["--image-size", str(args.image_size),
                                             "--batch-size", str(args.batch_size)])
    shard = engine.worker_shard(strategy)
    image_shape = (args.image_size, args.image_size, 1)
    keras.utils.set_random_seed(0)
    with engine.distribution_scope(strategy):
        model = module.build_model(flags, image_shape)
        module.compile_model(model, flags)
        count = args.batch_size * model.real_batches_per_step * args.steps
        images = np.random.default_rng(0).uniform(-1, 1, (count,) + image_shape)
        from keras_gans import data as gan_data

        inputs, options = cli.training_batches(
            gan_data.ImageData(images.astype("float32"), None, "random"), flags, 0,
            model.real_batches_per_step, shard=shard)
        if shard is not None:
            inputs = engine.distribute_worker_batches(
                inputs, args.batch_size * model.real_batches_per_step)
        model.fit(inputs, epochs=1, verbose=0, **options)  # compiles
        started = time.perf_counter()
        model.fit(inputs, initial_epoch=1, epochs=2, verbose=0, **options)
        seconds = time.perf_counter() - started
        weights = sum(int(np.prod(v.shape)) for v in model.trainable_variables)
        collective = all_reduce_seconds(weights, args.collective_repeats) if shard else 0.0
    return dict(seconds=seconds, steps=args.steps, weights=weights,
                all_reduce_seconds=collective, strategy=strategy,
                chief=engine.is_chief(strategy))


def all_reduce_seconds(length, repeats):
    """The mean seconds of one sum over the workers of a float32 vector of `length`."""
    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        strategy = tf.distribute.get_strategy()
        vector = tf.ones((length,), tf.float32)

        @tf.function
        def reduce():
            return strategy.reduce("SUM", strategy.run(lambda: vector), axis=None)

        reduce()
        started = time.perf_counter()
        for _ in range(repeats):
            reduce().numpy()
        return (time.perf_counter() - started) / repeats
    import jax
    import numpy as np
    from jax.experimental import multihost_utils

    local = np.ones((length,), np.float32)
    multihost_utils.process_allgather(local)  # compiles
    started = time.perf_counter()
    for _ in range(repeats):
        jax.block_until_ready(multihost_utils.process_allgather(local).sum(axis=0))
    return (time.perf_counter() - started) / repeats


def launch(args, workers):
    """Runs this script as `workers` workers (or one plain process); the chief's JSON line."""
    command = [sys.executable, os.path.abspath(__file__), "--worker", "--model", args.model,
               "--batch-size", str(args.batch_size), "--image-size", str(args.image_size),
               "--steps", str(args.steps), "--collective-repeats",
               str(args.collective_repeats)]
    if workers > 1:
        command = [sys.executable, "-m", "keras_gans.launch", "--workers", str(workers),
                   "--timeout", "1800", "--", *command]
    environment = dict(os.environ, PYTHONPATH=ROOT)
    result = subprocess.run(command, env=environment, capture_output=True, text=True,
                            check=False)
    if result.returncode != 0:
        raise SystemExit(f"The {workers}-worker run failed:\n{result.stdout[-3000:]}"
                         f"{result.stderr[-3000:]}")
    for line in result.stdout.splitlines():
        text = line.split("] ", 1)[1] if line.startswith("[worker") else line
        if text.startswith("{") and '"chief": true' in text:
            return json.loads(text)
    raise SystemExit(f"No result line from the {workers}-worker run:\n{result.stdout[-3000:]}")


def main(argv=None):
    args = parse_arguments(argv)
    if args.worker:
        print(json.dumps(train_and_time(args)), flush=True)
        return 0
    import keras

    rows = []
    for workers in (1, args.workers):
        result = launch(args, workers)
        images_per_second = args.batch_size * result["steps"] / result["seconds"]
        step_seconds = result["seconds"] / result["steps"]
        rows.append(dict(workers=workers, backend=keras.backend.backend(), model=args.model,
                         global_batch=args.batch_size, image_size=args.image_size,
                         images_per_second=round(images_per_second, 1),
                         step_milliseconds=round(1000 * step_seconds, 1),
                         all_reduce_milliseconds=round(1000 * result["all_reduce_seconds"], 2),
                         weights=result["weights"], cores=os.cpu_count()))
        print(json.dumps(rows[-1]), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
