"""DCGAN: Deep Convolutional Generative Adversarial Networks.

Reference:
    Radford, Metz, Chintala, "Unsupervised Representation Learning with Deep Convolutional
    Generative Adversarial Networks", arXiv:1511.06434 (ICLR 2016).
    Layout of soumith/dcgan.torch (4×4 kernels, exact doubling); `kernel_size=5` gives the
    5×5 kernels of the authors' Theano code (Newmu/dcgan_code).

The paper's rules: strided (transposed) convolutions only, batch normalization in both networks
except the generator's output and the discriminator's input layer, ReLU in the generator,
LeakyReLU(0.2) in the discriminator, no hidden fully connected layers, weights N(0, 0.02).
Batch normalization uses PyTorch's settings (momentum 0.1, i.e. Keras momentum 0.9, epsilon
1e-5). The discriminator outputs a logit and the loss is the non-saturating cross-entropy of
`keras_gans.gan`. Not copied: Keras-GAN's upsampling generator and dropout, PyTorch-GAN's
BatchNorm epsilon of 0.8, keras-io's [0, 1] data with a sigmoid output.

Image sizes: the generator starts from a 4×4 (or 5–7 px) map and doubles it once per stage,
so 32×32 gives the 32-px layout (256 → 128 → 64 channels), 64×64 the paper's layout (512 → 256
→ 128 → 64), and 28×28 starts from 7×7.

    python -m keras_gans.dcgan --dataset shapes
    python -m keras_gans.dcgan --dataset mnist32 --data-dir ../shared/data/mnist
"""

import keras
from keras import layers

from keras_gans import cli
from keras_gans import gan
from keras_gans.blocks import batch_normalization, seeded_dropout, weight_initializer  # noqa: F401


def layer_normalization():
    """Layer normalization over the channels and pixels of each sample, with a per-channel
    scale and offset (group normalization with one group), ε 1e-5."""
    return layers.GroupNormalization(groups=1, epsilon=1e-5)


NORMALIZATIONS = ("batch", "layer", None)


def count_stages(image_size):
    """Number of stride-2 stages: halve while the size stays even and at least 8.

    Raises:
        ValueError: when the size allows fewer than two stages.
    """
    stages, size = 0, image_size
    while size % 2 == 0 and size >= 8:
        size //= 2
        stages += 1
    if stages < 2:
        raise ValueError(
            "The DCGAN networks need square images whose size halves at least twice down to "
            f"4-7 pixels (e.g. 28, 32, 64), but these are {image_size}×{image_size}: pass "
            "--image-size 32 or 64."
        )
    return stages


def check_image_shape(image_shape):
    """Returns the number of stages for `image_shape`, or raises ValueError with a fix."""
    height, width, channels = image_shape
    if height != width:
        raise ValueError(
            f"The DCGAN networks need square images, but these are {height}×{width}: pass "
            "--image-size to resize them."
        )
    return count_stages(height)


def build_generator(latent_dim=100, image_shape=(32, 32, 1), base_width=64, kernel_size=4):
    """DCGAN generator: z → fc → BN → ReLU → [convT s2 → BN → ReLU]… → convT s2 → tanh.

    Args:
        latent_dim: size of z ~ N(0, I).
        image_shape: (size, size, channels) of the images.
        base_width: channels of the last hidden stage (64 in the paper); each earlier stage
            doubles it.
        kernel_size: 4 (dcgan.torch) or 5 (the Theano code).

    Returns:
        A functional `keras.Model` named "generator".
    """
    stages = check_image_shape(image_shape)
    start_size = image_shape[0] // 2**stages
    width = base_width * 2 ** (stages - 1)
    latent = keras.Input((latent_dim,), name="latent")
    x = layers.Dense(start_size * start_size * width, use_bias=False,
                     kernel_initializer=weight_initializer())(latent)
    x = layers.Reshape((start_size, start_size, width))(x)
    x = layers.ReLU()(batch_normalization()(x))
    for _ in range(stages - 1):
        width //= 2
        x = layers.Conv2DTranspose(width, kernel_size, strides=2, padding="same",
                                   use_bias=False, kernel_initializer=weight_initializer())(x)
        x = layers.ReLU()(batch_normalization()(x))
    x = layers.Conv2DTranspose(image_shape[-1], kernel_size, strides=2, padding="same",
                               kernel_initializer=weight_initializer())(x)
    images = layers.Activation("tanh", dtype="float32", name="images")(x)
    return keras.Model(latent, images, name="generator")


def build_discriminator(image_shape=(32, 32, 1), base_width=64, kernel_size=4,
                        normalization="batch"):
    """DCGAN discriminator: conv s2 → LeakyReLU → [conv s2 → BN → LeakyReLU]… → fc 1 (logit).

    Args:
        image_shape: (size, size, channels) of the images.
        base_width: channels of the first convolution (64); each later stage doubles it.
        kernel_size: 4 (dcgan.torch) or 5 (the Theano code).
        normalization: what follows every convolution but the first: "batch" (the paper),
            "layer" (per-sample layer normalization) or None.

    Returns:
        A functional `keras.Model` named "discriminator".
    """
    images = keras.Input(image_shape, name="images")
    x = discriminator_features(images, base_width, kernel_size, normalization)
    logits = layers.Dense(1, kernel_initializer=weight_initializer(), dtype="float32",
                          name="logits")(x)
    return keras.Model(images, logits, name="discriminator")


def discriminator_features(images, base_width=64, kernel_size=4, normalization="batch",
                           dropout=0.0):
    """The DCGAN discriminator's convolutions on an image tensor, flattened: the features its
    output layer (or AC-GAN's two heads) reads.

    Args:
        images: a (batch, size, size, channels) tensor of a Functional graph.
        base_width, kernel_size, normalization: as in `build_discriminator`.
        dropout: rate of a dropout layer after each block (AC-GAN's and SGAN's 0.25); 0 adds
            none. Its masks are seeded (`blocks.seeded_dropout`), so resumed runs continue them.
    """
    if normalization not in NORMALIZATIONS:
        raise ValueError(
            f"Unknown discriminator normalization {normalization!r}: choose one of "
            f"{NORMALIZATIONS}."
        )
    stages = check_image_shape(tuple(images.shape[1:]))
    x = images
    for stage in range(stages):
        normalized = stage > 0 and normalization is not None
        x = layers.Conv2D(base_width * 2**stage, kernel_size, strides=2, padding="same",
                          use_bias=not normalized, kernel_initializer=weight_initializer())(x)
        if normalized:
            x = batch_normalization()(x) if normalization == "batch" else layer_normalization()(x)
        x = layers.LeakyReLU(0.2)(x)
        if dropout:
            x = seeded_dropout(dropout)(x)
    return layers.Flatten()(x)


@keras.saving.register_keras_serializable(package="keras_gans")
class DCGAN(gan.GAN):
    """DCGAN: the GAN game played by convolutional networks built by the paper's rules.

    Args:
        latent_dim: size of z ~ N(0, I) (100 in the paper).
        image_shape: (size, size, channels); sizes such as 28, 32 and 64.
        kernel_size: 4 (dcgan.torch, default) or 5 (the Theano code).
        generator, discriminator: optional prebuilt networks replacing the defaults.
        generator_loss: "nonsaturating" (default) or "minimax".
        seed: seed of the model's noise.

    Example:

    ```python
    model = DCGAN(image_shape=(32, 32, 1))
    model.compile()  # Adam 2e-4, β = (0.5, 0.999)
    model.fit(keras_gans.data.batches(data, 64), steps_per_epoch=125, epochs=5)
    ```
    """

    def __init__(
        self,
        latent_dim=100,
        image_shape=(32, 32, 1),
        kernel_size=4,
        generator=None,
        discriminator=None,
        generator_loss="nonsaturating",
        seed=None,
        **kwargs,
    ):
        self.kernel_size = kernel_size
        super().__init__(
            latent_dim=latent_dim,
            image_shape=image_shape,
            generator=generator
            or build_generator(latent_dim, image_shape, kernel_size=kernel_size),
            discriminator=discriminator
            or build_discriminator(image_shape, kernel_size=kernel_size),
            generator_loss=generator_loss,
            seed=seed,
            **kwargs,
        )

    def get_config(self):
        config = super().get_config()
        config["kernel_size"] = self.kernel_size
        return config


# ------------------------------------------------------------------------------------------
# Command line: python -m keras_gans.dcgan
# ------------------------------------------------------------------------------------------
DEFAULTS = dict(dataset="mnist32", batch_size=64, epochs=25, latent_dim=100, g_lr=2e-4,
                d_lr=2e-4)
compile_model = gan.compile_model


def add_arguments(group):
    """DCGAN's own flags."""
    gan.add_arguments(group)
    group.add_argument("--kernel-size", type=int, choices=(4, 5), default=4,
                       help="4 (dcgan.torch) or 5 (the authors' Theano code)")


def build_model(args, image_shape):
    """The DCGAN the command line asks for."""
    return DCGAN(
        latent_dim=args.latent_dim,
        image_shape=image_shape,
        kernel_size=args.kernel_size,
        generator_loss=args.generator_loss,
        seed=args.seed,
    )


def main(argv=None):
    """Command line: `python -m keras_gans.dcgan --help`."""
    return cli.run("dcgan", argv)


if __name__ == "__main__":
    raise SystemExit(main())
