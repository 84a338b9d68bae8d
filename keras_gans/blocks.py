"""Network blocks shared by several models: functions that add layers to a Functional graph.

- `weight_initializer`, `batch_normalization`: the N(0, 0.02) weights and PyTorch-style batch
  normalization of the DCGAN family, pix2pix and CycleGAN.
- `seeded_dropout`: dropout whose masks a resumed run continues on every backend.
- `padded_convolution`: a convolution with PyTorch's explicit zero padding.
- `patch_discriminator`: the layers of the NLayer PatchGAN (pix2pix, CycleGAN, and the
  translation models after them).
- `resnet_block`: the reflect-padded residual block of CycleGAN's generator.
"""

import random

import keras
from keras import layers

from keras_gans.layers import InstanceNormalization, ReflectionPadding2D


def weight_initializer():
    """N(0, 0.02), the initialization of convolution and dense weights in DCGAN, pix2pix and
    CycleGAN."""
    return keras.initializers.RandomNormal(0.0, 0.02)


def batch_normalization():
    """Batch normalization as in the PyTorch references: γ ~ N(1, 0.02), β = 0, momentum 0.1
    (Keras momentum 0.9), ε 1e-5."""
    return layers.BatchNormalization(
        momentum=0.9, epsilon=1e-5, gamma_initializer=keras.initializers.RandomNormal(1.0, 0.02))


def seeded_dropout(rate):
    """Dropout whose masks come from its own seed generator on every backend, so that they are
    saved with the model and a resumed run continues them.

    With `seed=None`, Keras' PyTorch backend draws dropout masks from torch's global generator
    instead, which a resumed run seeds again. The seed is drawn from Python's `random`, which
    `keras.utils.set_random_seed` (and the command line's `--seed`) sets.
    """
    return layers.Dropout(rate, seed=random.randint(1, 10**9))


def instance_normalization():
    """Instance normalization without affine parameters (CycleGAN, pix2pixHD), ε 1e-5."""
    return InstanceNormalization(epsilon=1e-5)


NORMALIZATIONS = {"batch": batch_normalization, "instance": instance_normalization}


def normalization_layer(name):
    """A new normalization layer: "batch" or "instance"."""
    if name not in NORMALIZATIONS:
        raise ValueError(f"Unknown normalization {name!r}: choose one of {sorted(NORMALIZATIONS)}.")
    return NORMALIZATIONS[name]()


def padded_convolution(x, filters, kernel_size, strides=1, padding=1, use_bias=True):
    """A convolution with PyTorch's zero padding: `padding` pixels on each side, then `valid`.

    Unlike Keras' `same`, this keeps PyTorch's sizes for stride-1 k4 layers (32 → 31).
    """
    if padding:
        x = layers.ZeroPadding2D(padding)(x)
    return layers.Conv2D(filters, kernel_size, strides=strides, use_bias=use_bias,
                         kernel_initializer=weight_initializer())(x)


def patch_discriminator(x, filters=64, layer_count=3, normalization="batch"):
    """The NLayer PatchGAN on a tensor: logits for overlapping patches.

    c64 k4 s2 → LeakyReLU(0.2) → [c k4 s2 → norm → LeakyReLU]·(layer_count − 1) → c k4 s1 →
    norm → LeakyReLU → c1 k4 s1, channels doubling up to 8·filters, every convolution padded by
    1. With `layer_count=3` each logit sees a 70×70 patch and 256×256 images give 30×30 logits;
    `layer_count=2` gives 6×6 logits at 32×32. Convolutions followed by batch normalization
    have no bias (as in the reference code).
    """
    use_bias = normalization != "batch"
    x = layers.LeakyReLU(0.2)(padded_convolution(x, filters, 4, strides=2))
    for layer in range(1, layer_count + 1):
        strides = 2 if layer < layer_count else 1
        x = padded_convolution(x, filters * min(2**layer, 8), 4, strides, use_bias=use_bias)
        x = layers.LeakyReLU(0.2)(normalization_layer(normalization)(x))
    x = padded_convolution(x, 1, 4, strides=1)
    return layers.Activation("linear", dtype="float32", name="patch_logits")(x)


def default_patch_layers(image_size):
    """PatchGAN depth: 3 (the papers' 70×70 patches) from 64 pixels, 2 below (6×6 logits at
    32×32, the offline setting of MODEL_SPECS)."""
    return 3 if image_size >= 64 else 2


def resnet_block(x, filters):
    """x + [reflect-pad 1 → c k3 → IN → ReLU → reflect-pad 1 → c k3 → IN](x), no ReLU after
    the sum (CycleGAN's generator)."""
    y = ReflectionPadding2D(1)(x)
    y = layers.Conv2D(filters, 3, kernel_initializer=weight_initializer())(y)
    y = layers.ReLU()(instance_normalization()(y))
    y = ReflectionPadding2D(1)(y)
    y = layers.Conv2D(filters, 3, kernel_initializer=weight_initializer())(y)
    y = instance_normalization()(y)
    return layers.Add()([x, y])
