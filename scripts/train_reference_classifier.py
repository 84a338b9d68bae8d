"""Trains the MNIST reference classifier whose features define the Fréchet classifier distance.

    python scripts/train_reference_classifier.py                     # ../shared/data/mnist
    python scripts/train_reference_classifier.py --data-dir DIR      # any folder of MNIST IDX files

The classifier (MODEL_SPECS §0.3): c32 k3 → c32 k3 s2 → c64 k3 → c64 k3 s2 → fc 128 → fc 10,
each hidden layer followed by batch normalization and ReLU; the 128-d layer is named "features".
It trains on the first 8,000 digits of the MNIST test set (the project's offline train split)
with random shifts of up to ±2 pixels and a fixed seed, and is tested on the last 2,000. It must
reach 98% there. The model is written to `keras_gans/assets/mnist_classifier.keras`, where
`keras_gans.metrics.ClassifierFeatures` finds it, and its accuracy to
`docs/benchmarks/reference_classifier.json`.
"""

import argparse
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MNIST_DIR = os.path.join(os.path.dirname(ROOT), "shared", "data", "mnist")
OUTPUT = os.path.join(ROOT, "keras_gans", "assets", "mnist_classifier.keras")
REQUIRED_ACCURACY = 0.98


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=MNIST_DIR)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default=OUTPUT)
    return parser.parse_args(argv)


def build_classifier():
    """The reference CNN: 28×28×1 digits in [-1, 1] → 10 logits; "features" is its 128-d layer."""
    import keras
    from keras import layers

    def convolution(x, filters, strides):
        x = layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False)(x)
        return layers.ReLU()(layers.BatchNormalization()(x))

    images = keras.Input((28, 28, 1), name="images")
    x = convolution(images, 32, 1)
    x = convolution(x, 32, 2)
    x = convolution(x, 64, 1)
    x = convolution(x, 64, 2)
    x = layers.Flatten()(x)
    x = layers.Dense(128, use_bias=False)(x)
    features = layers.ReLU(name="features")(layers.BatchNormalization()(x))
    logits = layers.Dense(10, name="logits")(features)
    return keras.Model(images, logits, name="mnist_reference_classifier")


def shift_randomly(images, rng, max_shift=2):
    """Shifts each image by up to ±max_shift pixels in x and y, filling with background (-1)."""
    import numpy as np

    padded = np.pad(images, ((0, 0), (max_shift,) * 2, (max_shift,) * 2, (0, 0)),
                    constant_values=-1.0)
    shifted = np.empty_like(images)
    offsets = rng.integers(0, 2 * max_shift + 1, size=(len(images), 2))
    for index, (dy, dx) in enumerate(offsets):
        shifted[index] = padded[index, dy : dy + 28, dx : dx + 28]
    return shifted


def main(argv=None):
    args = parse_arguments(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.path.insert(0, ROOT)
    import keras
    import numpy as np

    from keras_gans import data

    keras.utils.set_random_seed(args.seed)
    train = data.load("mnist", data_dir=args.data_dir, split="train")
    test = data.load("mnist", data_dir=args.data_dir, split="test")
    classifier = build_classifier()
    classifier.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    rng = np.random.default_rng(args.seed)
    start = time.time()
    for epoch in range(args.epochs):
        classifier.optimizer.learning_rate = 1e-3 * 0.85**epoch
        classifier.fit(shift_randomly(train.images, rng), train.labels,
                       batch_size=args.batch_size, epochs=1, verbose=0, shuffle=True)
    logits = classifier.predict(test.images, batch_size=500, verbose=0)
    accuracy = float(np.mean(np.argmax(logits, axis=1) == test.labels))
    summary = {
        "held_out_accuracy": round(accuracy, 4),
        "train_digits": len(train),
        "held_out_digits": len(test),
        "epochs": args.epochs,
        "seed": args.seed,
        "backend": keras.backend.backend(),
        "seconds": round(time.time() - start, 1),
        "date": time.strftime("%Y-%m-%d"),
        "command": "python scripts/train_reference_classifier.py",
    }
    print(json.dumps(summary, indent=2))
    if accuracy < REQUIRED_ACCURACY:
        print(f"The classifier reached {accuracy:.2%} on the held-out digits, below the "
              f"required {REQUIRED_ACCURACY:.0%}: it was not saved.", file=sys.stderr)
        return 1
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    without_optimizer = keras.Model.from_config(classifier.get_config())
    without_optimizer.set_weights(classifier.get_weights())
    without_optimizer.save(args.output)
    with open(os.path.join(ROOT, "docs", "benchmarks", "reference_classifier.json"), "w") as file:
        json.dump(summary, file, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
