"""One training step on 2 replicas against 1 replica at the same global batch.

Run by tests/test_engine.py in a fresh process, because the device count must be set before
the backend starts:

    KERAS_BACKEND=tensorflow python tests/replica_check.py
    KERAS_BACKEND=jax XLA_FLAGS=--xla_force_host_platform_device_count=2 \
        python tests/replica_check.py

Prints the largest absolute weight difference and exits 1 when it exceeds the tolerance.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

from keras_gans import engine  # noqa: E402
from keras_gans import gan  # noqa: E402

GLOBAL_BATCH = 16
IMAGE_SHAPE = (8, 8, 1)


def tiny_gan():
    """A GAN without batch statistics (per-replica statistics would differ by design)."""
    generator = keras.Sequential(
        [keras.Input((4,)), layers.Dense(32, activation="relu"), layers.Dense(64),
         layers.Activation("tanh"), layers.Reshape(IMAGE_SHAPE)], name="generator")
    discriminator = keras.Sequential(
        [keras.Input(IMAGE_SHAPE), layers.Flatten(), layers.Dense(32), layers.LeakyReLU(0.2),
         layers.Dense(1)], name="discriminator")
    model = gan.GAN(latent_dim=4, image_shape=IMAGE_SHAPE, generator=generator,
                    discriminator=discriminator, seed=3)
    model.compile(g_optimizer=keras.optimizers.SGD(0.1), d_optimizer=keras.optimizers.SGD(0.1))
    return model


def train_one_step(initial_weights, images, strategy):
    with engine.distribution_scope(strategy):
        model = tiny_gan()
        model.set_weights(initial_weights)
        model.fit(images, batch_size=GLOBAL_BATCH, epochs=1, shuffle=False, verbose=0)
        return [keras.ops.convert_to_numpy(v) for v in model.trainable_variables]


def set_up_devices():
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        return len(tf.config.list_logical_devices("CPU"))
    return len(keras.distribution.list_devices())


def main():
    devices = set_up_devices()
    if devices < 2:
        print(f"only {devices} device: set up 2 host devices first")
        return 1
    keras.utils.set_random_seed(0)
    initial_weights = tiny_gan().get_weights()
    images = np.random.default_rng(0).uniform(-1, 1, (GLOBAL_BATCH,) + IMAGE_SHAPE)
    images = images.astype("float32")
    single = train_one_step(initial_weights, images, "none")
    replicated = train_one_step(initial_weights, images, "mirrored")
    moved = max(float(np.abs(a - b).max()) for a, b in zip(single, initial_weights))
    difference = max(float(np.abs(a - b).max()) for a, b in zip(single, replicated))
    print(f"devices={devices} weight change={moved:.3g} max difference={difference:.3g}")
    return 0 if moved > 1e-4 and difference < 1e-5 else 1


if __name__ == "__main__":
    sys.exit(main())
