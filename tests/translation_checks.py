"""Checks shared by the image-to-image models' tests (pix2pix, CycleGAN and later ones)."""

import keras
import numpy as np
import pytest

from conftest import BACKEND

# Building 50 M weights costs a minute of compilation on JAX's CPU backend; the layer sizes do
# not depend on the backend, so they are counted on the others.
ARCHITECTURE_ONCE = pytest.mark.skipif(BACKEND == "jax", reason="sizes are counted on "
                                       "TensorFlow and PyTorch")


def trainable_count(network):
    """Trainable parameters, as PyTorch counts them (no batch-norm moving statistics)."""
    return int(sum(np.prod(weight.shape) for weight in network.trainable_weights))


def random_pairs(count, size, channels_a, channels_b, seed=0):
    """`count` random image pairs in [-1, 1] (NumPy), as a paired or unpaired batch."""
    rng = np.random.default_rng(seed)
    images_a = rng.uniform(-1, 1, (count, size, size, channels_a)).astype("float32")
    images_b = rng.uniform(-1, 1, (count, size, size, channels_b)).astype("float32")
    return images_a, images_b


def fit_pairs(model, pairs, batch_size, steps=1):
    """`steps` fit() steps on `pairs` (a tuple of NumPy arrays); returns the history."""
    images_a, images_b = pairs
    history = model.fit((images_a, images_b), batch_size=batch_size, epochs=1, verbose=0,
                        shuffle=False, steps_per_epoch=steps)
    for name, values in history.history.items():
        assert np.isfinite(values[-1]), f"{name} is {values[-1]}"
    return history


def transposed_reach(layer_builder, size):
    """Output positions (along one axis) reached by each input pixel of a 1-D impulse sweep.

    Builds `layer_builder()` on a (1, size, size, 1) input with an all-ones kernel and no bias
    and returns, per input row i, the set of output rows that the impulse at (i, 0) reaches.
    """
    inputs = keras.Input((size, size, 1))
    network = keras.Model(inputs, layer_builder()(inputs))
    for weight in network.weights:
        weight.assign(np.ones(weight.shape, "float32") if len(weight.shape) == 4
                      else np.zeros(weight.shape, "float32"))
    reach = []
    for row in range(size):
        impulse = np.zeros((1, size, size, 1), "float32")
        impulse[0, row, 0, 0] = 1.0
        output = keras.ops.convert_to_numpy(network(impulse))[0, :, 0, 0]
        reach.append(set(np.nonzero(output)[0].tolist()))
    return reach


def pytorch_transposed_reach(size, kernel_size, strides, padding, output_padding):
    """The same sets for PyTorch's ConvTranspose2d: input i reaches i·s − p + k, k < kernel."""
    output_size = (size - 1) * strides - 2 * padding + kernel_size + output_padding
    return [{i * strides - padding + k for k in range(kernel_size)
             if 0 <= i * strides - padding + k < output_size} for i in range(size)]
