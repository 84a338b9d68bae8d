"""DCGAN at 64×64 on the shared digits: how often training collapses, beside plain PyTorch.

    python scripts/collapse.py --steps 300 --seeds 0 1 2 3 4 --write

MNIST (the first 8,000 shared digits, MODEL_SPECS §0.2) resized to 64×64 is the size most
users train DCGAN at. For each seed, `keras_gans.dcgan` and the same networks in eager PyTorch
(`scripts/peers/torch_dcgan.py`) train for `--steps` steps at batch 64, then draw 256 samples.
A run has collapsed when its samples vary less than a quarter as much as real digits
(`metrics.sample_diversity` < 0.25: a generator repeating one image scores near 0). The
reference classifier's largest class share among the samples (resized to 28×28) is printed
beside it. `--write` puts the table into docs/RESULTS.md.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MNIST_DIR = os.path.join(os.path.dirname(ROOT), "shared", "data", "mnist")
RESULTS = os.path.join(ROOT, "docs", "RESULTS.md")
START, END = "<!-- collapse:start -->", "<!-- collapse:end -->"
COLLAPSE_BELOW = 0.25
SAMPLES = 256


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300, help="training steps per run")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--data-dir", default=MNIST_DIR)
    parser.add_argument("--peer", action=argparse.BooleanOptionalAction, default=True,
                        help="also train the PyTorch peer")
    parser.add_argument("--write", action="store_true", help="write the table into RESULTS.md")
    return parser.parse_args(argv)


def digits_64(data_dir):
    """The training digits resized to 64×64, in [-1, 1]."""
    from keras_gans import data

    return data.load("mnist", data_dir=data_dir, image_size=64).images


def train_library(images, steps, batch_size, seed):
    """keras_gans' DCGAN for `steps` steps; returns its samples (NHWC, [-1, 1])."""
    import keras

    from keras_gans import dcgan

    keras.utils.set_random_seed(seed)
    model = dcgan.DCGAN(image_shape=images.shape[1:], seed=seed)
    model.compile()
    # Exactly `steps` batches: seeded permutations of the digits, one after another.
    rng = np.random.default_rng(seed)
    order = np.concatenate([rng.permutation(len(images))
                            for _ in range(-(-steps * batch_size // len(images)))])
    model.fit(images[order[:steps * batch_size]], batch_size=batch_size, epochs=1, verbose=0,
              shuffle=False)
    return keras.ops.convert_to_numpy(model(model.sample_inputs(SAMPLES, seed=seed + 1)))


def train_peer(images, steps, batch_size, seed):
    """The PyTorch peer in its own process; returns its samples."""
    with tempfile.TemporaryDirectory() as folder:
        images_path, samples_path = (os.path.join(folder, name) for name in
                                     ("images.npy", "samples.npy"))
        np.save(images_path, images)
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "peers", "torch_dcgan.py"),
                        "--images", images_path, "--steps", str(steps), "--batch-size",
                        str(batch_size), "--seed", str(seed), "--samples", samples_path,
                        "--count", str(SAMPLES)], check=True, timeout=7200)
        return np.load(samples_path)


def judge(samples, reference, classifier):
    """Diversity, collapse and the classifier's largest class share of one run's samples."""
    from keras_gans import metrics

    import keras

    diversity = metrics.sample_diversity(samples, reference)
    digits_28 = keras.ops.convert_to_numpy(
        keras.ops.image.resize(samples, (28, 28), antialias=True))
    _, probabilities = classifier(metrics.to_grayscale_28(np.clip(digits_28, -1.0, 1.0)))
    shares = metrics.class_histogram(probabilities, probabilities.shape[1])
    return {"diversity": round(diversity, 3), "collapsed": diversity < COLLAPSE_BELOW,
            "largest_class_share": round(float(shares.max()), 3)}


def run(args):
    from keras_gans import metrics

    images = digits_64(args.data_dir)
    reference = images[np.random.default_rng(0).choice(len(images), SAMPLES, replace=False)]
    classifier = metrics.ClassifierFeatures()
    rows = []
    trainers = [("keras_gans", train_library)] + ([("pytorch", train_peer)] if args.peer else [])
    for seed in args.seeds:
        for name, trainer in trainers:
            start = time.perf_counter()
            samples = trainer(images, args.steps, args.batch_size, seed)
            row = dict(implementation=name, seed=seed, steps=args.steps,
                       seconds=round(time.perf_counter() - start, 1),
                       **judge(samples, reference, classifier))
            print(json.dumps(row), flush=True)
            rows.append(row)
    return rows


def table(rows, args):
    """The RESULTS.md section: one row per implementation, with every seed's diversity."""
    import keras

    lines = [f"DCGAN at 64×64 on the 8,000 training digits, {args.steps} steps at batch "
             f"{args.batch_size}, seeds {', '.join(map(str, args.seeds))}; "
             f"{datetime.date.today()}, {platform.machine()} CPU with {os.cpu_count()} cores, "
             f"keras_gans on {keras.backend.backend()} (Keras {keras.__version__}). Command: "
             f"`python scripts/collapse.py --steps {args.steps} --seeds "
             f"{' '.join(map(str, args.seeds))} --write`.", "",
             "| implementation | collapsed runs | diversity per seed | largest class share "
             "per seed | minutes per run |", "|---|---|---|---|---|"]
    for name in dict.fromkeys(row["implementation"] for row in rows):
        own = [row for row in rows if row["implementation"] == name]
        lines.append(
            f"| {name} | {sum(row['collapsed'] for row in own)} of {len(own)} | "
            f"{', '.join(str(row['diversity']) for row in own)} | "
            f"{', '.join(str(row['largest_class_share']) for row in own)} | "
            f"{np.mean([row['seconds'] for row in own]) / 60:.1f} |")
    return "\n".join(lines)


def write(section):
    """Replaces the collapse section of docs/RESULTS.md."""
    with open(RESULTS) as file:
        text = file.read()
    if START not in text:
        raise SystemExit(f"{RESULTS} has no {START} marker")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    with open(RESULTS, "w") as file:
        file.write(f"{head}{START}\n{section}\n{END}{tail}")


def main(argv=None):
    args = parse_arguments(argv)
    rows = run(args)
    section = table(rows, args)
    print(section)
    if args.write:
        write(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
