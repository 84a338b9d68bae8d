"""A few training steps on several worker processes against one process at the same global
batch.

Run by tests/test_multiworker.py, as one process and as the workers of
`python -m keras_gans.launch`:

    python tests/multiworker_check.py OUT.npz
    python -m keras_gans.launch --workers 2 -- python tests/multiworker_check.py OUT.npz

Each worker reads its own part of every global batch through the command line's data path
(in-memory images, then a stream of them: `tf.data`, or a PyDataset without TensorFlow), and
the plain and relativistic average GANs train two epochs. Their networks have no batch
statistics, which replicas would compute over their own rows by design. The chief (or the one
process) writes the weights before and after training to OUT.npz; the other workers write
nothing.
"""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from keras_gans import cli  # noqa: E402
from keras_gans import data as gan_data  # noqa: E402
from keras_gans import engine  # noqa: E402
from keras_gans import relativistic_gan  # noqa: E402

import replica_check  # noqa: E402

GLOBAL_BATCH = 8
IMAGES = 32


def training_arguments():
    """The flags `cli.training_batches` reads."""
    return argparse.Namespace(batch_size=GLOBAL_BATCH, seed=0, steps_per_epoch=None)


def train(make_model, data, strategy):
    """Two epochs of `make_model()` on `data` under `strategy`: the weights before and after."""
    shard = engine.worker_shard(strategy)
    keras.utils.set_random_seed(0)
    with engine.distribution_scope(strategy, connect_timeout=60):
        model = make_model()
        initial = [keras.ops.convert_to_numpy(v) for v in model.trainable_variables]
        inputs, options = cli.training_batches(data, training_arguments(), 0, shard=shard)
        if shard is not None:
            inputs = engine.distribute_worker_batches(inputs, GLOBAL_BATCH)
        model.fit(inputs, epochs=2, verbose=0, **options)
        return initial, [keras.ops.convert_to_numpy(v) for v in model.trainable_variables]


def main():
    output = sys.argv[1]
    strategy = "multiworker" if engine.cluster_from_environment() is not None else "none"
    images = np.random.default_rng(0).uniform(-1, 1, (IMAGES,) + replica_check.IMAGE_SHAPE)
    memory = gan_data.ImageData(images.astype("float32"), None, "array")
    sources = {"memory": memory, "stream": gan_data.stream_from_images(memory)}
    models = {
        "gan": replica_check.tiny_gan,
        "relativistic_gan": lambda: replica_check.tiny_gan(relativistic_gan.RelativisticGAN,
                                                           loss="rasgan"),
    }
    weights = {}
    for model_name, make_model in models.items():
        for source_name, data in sources.items():
            initial, trained = train(make_model, data, strategy)
            for number, (before, after) in enumerate(zip(initial, trained, strict=True)):
                weights[f"initial/{model_name}/{source_name}/{number}"] = before
                weights[f"trained/{model_name}/{source_name}/{number}"] = after
    if engine.is_chief(strategy):
        np.savez(output, **weights)
    print(f"{strategy}: trained {len(models)} models on {len(sources)} sources")
    return 0


if __name__ == "__main__":
    sys.exit(main())
