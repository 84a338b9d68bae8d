"""One training step on 2 replicas against 1 replica at the same global batch.

Run by tests/test_engine.py in a fresh process, because the device count must be set before
the backend starts:

    KERAS_BACKEND=tensorflow python tests/replica_check.py
    KERAS_BACKEND=jax XLA_FLAGS=--xla_force_host_platform_device_count=2 \
        python tests/replica_check.py

Checks the plain GAN and the relativistic average GAN, whose losses hold batch statistics (the
mean logits of the other batch) that must be taken over the global batch. Prints the largest
absolute weight difference of each and exits 1 when one exceeds the tolerance.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

from keras_gans import engine  # noqa: E402
from keras_gans import gan  # noqa: E402
from keras_gans import relativistic_gan  # noqa: E402

GLOBAL_BATCH = 16
IMAGE_SHAPE = (8, 8, 1)


def tiny_gan(model_class=gan.GAN, **options):
    """A GAN without batch normalization (per-replica statistics would differ by design)."""
    generator = keras.Sequential(
        [keras.Input((4,)), layers.Dense(32, activation="relu"), layers.Dense(64),
         layers.Activation("tanh"), layers.Reshape(IMAGE_SHAPE)], name="generator")
    discriminator = keras.Sequential(
        [keras.Input(IMAGE_SHAPE), layers.Flatten(), layers.Dense(32), layers.LeakyReLU(0.2),
         layers.Dense(1)], name="discriminator")
    model = model_class(latent_dim=4, image_shape=IMAGE_SHAPE, generator=generator,
                        discriminator=discriminator, seed=3, **options)
    model.compile(g_optimizer=keras.optimizers.SGD(0.1), d_optimizer=keras.optimizers.SGD(0.1))
    return model


def largest_difference(weights, others):
    """The largest absolute difference between two equally long lists of arrays."""
    return max(float(np.abs(a - b).max()) for a, b in zip(weights, others, strict=True))


def train_one_step(initial_weights, images, strategy, make_model):
    with engine.distribution_scope(strategy):
        model = make_model()
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
    images = np.random.default_rng(0).uniform(-1, 1, (GLOBAL_BATCH,) + IMAGE_SHAPE)
    images = images.astype("float32")
    models = {
        "gan": tiny_gan,
        "relativistic_gan": lambda: tiny_gan(relativistic_gan.RelativisticGAN, loss="rasgan"),
    }
    failures = 0
    for name, make_model in models.items():
        keras.utils.set_random_seed(0)
        initial_weights = make_model().get_weights()
        single = train_one_step(initial_weights, images, "none", make_model)
        replicated = train_one_step(initial_weights, images, "mirrored", make_model)
        moved = largest_difference(single, initial_weights)
        difference = largest_difference(single, replicated)
        print(f"{name}: devices={devices} weight change={moved:.3g} "
              f"max difference={difference:.3g}")
        failures += not (moved > 1e-4 and difference < 1e-5)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
