"""CGAN: Conditional Generative Adversarial Nets.

Reference:
    Mirza, Osindero, "Conditional Generative Adversarial Nets", arXiv:1411.1784 (2014).

Follows the paper's conditioning, the class label y fed as a one-hot vector to both players
by concatenation (G: [z, y]; D: [x, y]), and its cross-entropy objective with the
non-saturating generator loss, on the zoos' MLP widths trained with Adam 2e-4, β = (0.5,
0.999), batch 64. The paper's maxout discriminator, SGD and decaying learning rate are not
reproduced. Not copied: PyTorch-GAN's least-squares loss and Keras-GAN's multiplicative label
embedding (neither is the paper's). `arch="conv"` gives the convolutional layout of the
keras-io example (the label tiled as extra image channels for D).

Fakes carry classes drawn uniformly at random, fresh for each player's step.

    python -m keras_gans.cgan --dataset mnist --data-dir ../shared/data/mnist
    python -m keras_gans.cgan sample --checkpoint runs/cgan/checkpoints/model.keras --label 7
"""

import math

import keras
from keras import layers

from keras_gans import cli
from keras_gans import conditioning
from keras_gans import engine
from keras_gans import gan
from keras_gans import losses

ARCHITECTURES = ("mlp", "conv")


def build_generator(latent_dim=100, num_classes=10, image_shape=(28, 28, 1)):
    """MLP generator: [z, one-hot y] → B-MLP (fc 256, 512, 1024, LeakyReLU, BN) → tanh image.

    Returns:
        A functional `keras.Model` named "generator" taking [latent, one-hot classes].
    """
    latent = keras.Input((latent_dim,), name="latent")
    classes = keras.Input((num_classes,), name="classes")
    body = gan.build_generator(latent_dim + num_classes, image_shape)
    images = body(layers.Concatenate()([latent, classes]))
    return keras.Model([latent, classes], images, name="generator")


def build_discriminator(image_shape=(28, 28, 1), num_classes=10, width=512, dropout=0.4):
    """MLP discriminator: [flat x, one-hot y] → fc 512 → LR → [fc 512 → LR → dropout 0.4] × 2
    → fc 1 (a logit).

    Returns:
        A functional `keras.Model` named "discriminator" taking [images, one-hot classes].
    """
    images = keras.Input(image_shape, name="images")
    classes = keras.Input((num_classes,), name="classes")
    x = layers.Concatenate()([layers.Flatten()(images), classes])
    x = layers.LeakyReLU(0.2)(layers.Dense(width)(x))
    for _ in range(2):
        x = layers.LeakyReLU(0.2)(layers.Dense(width)(x))
        x = layers.Dropout(dropout)(x)
    logits = layers.Dense(1, dtype="float32", name="logits")(x)
    return keras.Model([images, classes], logits, name="discriminator")


def build_conv_generator(latent_dim=100, num_classes=10, image_shape=(28, 28, 1)):
    """keras-io layout: [z, y] → fc 7·7·(z+y) → LR → ct128 k4 s2 → LR → ct128 k4 s2 → LR →
    c k7 → tanh (for 28×28 images; other sizes start at a quarter of the size)."""
    height, width, channels = image_shape
    if height % 4 or width % 4:
        raise ValueError(f"arch='conv' needs image sides divisible by 4. Received "
                         f"{height}x{width}: pass --image-size 28 or 32.")
    latent = keras.Input((latent_dim,), name="latent")
    classes = keras.Input((num_classes,), name="classes")
    start_channels = latent_dim + num_classes
    x = layers.Concatenate()([latent, classes])
    x = layers.LeakyReLU(0.2)(layers.Dense(height // 4 * width // 4 * start_channels)(x))
    x = layers.Reshape((height // 4, width // 4, start_channels))(x)
    for _ in range(2):
        x = layers.Conv2DTranspose(128, 4, strides=2, padding="same")(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Conv2D(channels, 7, padding="same")(x)
    images = layers.Activation("tanh", dtype="float32", name="images")(x)
    return keras.Model([latent, classes], images, name="generator")


def build_conv_discriminator(image_shape=(28, 28, 1), num_classes=10):
    """keras-io layout: image ⊕ y tiled over the pixels → c64 k3 s2 → LR → c128 k3 s2 → LR →
    global max pool → fc 1 (a logit)."""
    images = keras.Input(image_shape, name="images")
    classes = keras.Input((num_classes,), name="classes")
    height, width = image_shape[:2]
    tiled = layers.Reshape((1, 1, num_classes))(classes)
    tiled = layers.UpSampling2D((height, width))(tiled)
    x = layers.Concatenate()([images, tiled])
    for filters in (64, 128):
        x = layers.Conv2D(filters, 3, strides=2, padding="same")(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.GlobalMaxPooling2D()(x)
    logits = layers.Dense(1, dtype="float32", name="logits")(x)
    return keras.Model([images, classes], logits, name="discriminator")


@keras.saving.register_keras_serializable(package="keras_gans")
class CGAN(conditioning.ConditionalGANStep, engine.GAN):
    """A conditional GAN: both players see the class, so G learns p(x | y).

    Args:
        latent_dim: size of the noise vector z ~ N(0, I).
        num_classes: number of classes; labels lie in [0, num_classes).
        image_shape: (height, width, channels) of the images.
        arch: "mlp" (default, the zoos' widths) or "conv" (the keras-io layout).
        generator: optional prebuilt generator ([latent, one-hot] → image).
        discriminator: optional prebuilt discriminator ([image, one-hot] → logit).
        seed: seed of the model's noise and sampled classes.

    Example:

    ```python
    model = CGAN(num_classes=10, image_shape=(28, 28, 1))
    model.compile()
    model.fit(images, labels, batch_size=64, epochs=20)
    sevens = model.generate(16, labels=7)
    ```
    """

    loss_names = ("d_loss", "g_loss")
    network_arguments = ("generator", "discriminator")

    def __init__(self, latent_dim=100, num_classes=10, image_shape=(28, 28, 1), arch="mlp",
                 generator=None, discriminator=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if arch not in ARCHITECTURES:
            raise ValueError(f"arch must be one of {ARCHITECTURES}. Received: arch={arch!r}")
        self.latent_dim = latent_dim
        self.num_classes = num_classes
        self.image_shape = tuple(image_shape)
        self.arch = arch
        build = ({"mlp": (build_generator, build_discriminator),
                  "conv": (build_conv_generator, build_conv_discriminator)}[arch])
        self.generator = generator or build[0](latent_dim, num_classes, self.image_shape)
        self.discriminator = discriminator or build[1](self.image_shape, num_classes)
        self.finish_init()

    # Adam 2e-4, β = (0.5, 0.999) for both players, the defaults of GAN's `compile`.
    compile = gan.GAN.compile

    def discriminator_loss(self, real_images, real_classes, fake_images, fake_classes):
        """D's loss: real (image, its class) pairs against fakes with the class they were
        drawn for."""
        real_logits = self.discriminator([real_images, real_classes], training=True)
        fake_logits = self.discriminator([fake_images, fake_classes], training=True)
        return losses.discriminator_loss(real_logits, fake_logits), {}

    def generator_loss(self, fake_images, fake_classes):
        """G's loss: its fakes judged by D given the classes they were drawn for."""
        fake_logits = self.discriminator([fake_images, fake_classes], training=True)
        return losses.generator_loss_nonsaturating(fake_logits), {}

    def get_config(self):
        config = super().get_config()
        config.update(latent_dim=self.latent_dim, num_classes=self.num_classes,
                      image_shape=list(self.image_shape), arch=self.arch)
        return config


# ------------------------------------------------------------------------------------------
# Command line: python -m keras_gans.cgan
# ------------------------------------------------------------------------------------------
DEFAULTS = dict(dataset="mnist", batch_size=64, epochs=30, latent_dim=100, g_lr=2e-4, d_lr=2e-4)
LABELS = True


def add_arguments(group):
    """CGAN's own flags."""
    group.add_argument("--arch", choices=ARCHITECTURES, default="mlp",
                       help="networks: the zoos' MLPs (default) or the keras-io convolutions")


def build_model(args, image_shape):
    """The CGAN the command line asks for (`args.num_classes` comes from the data; 10 when
    parsed without data)."""
    if args.arch == "mlp" and math.prod(image_shape) > 64 * 64 * 3:
        raise ValueError(f"The MLP networks are for small images, not {image_shape}: pass "
                         "--arch conv or a smaller --image-size.")
    return CGAN(latent_dim=args.latent_dim, num_classes=args.num_classes or 10,
                image_shape=image_shape, arch=args.arch, seed=args.seed)


compile_model = gan.compile_model


def main(argv=None):
    """Command line: `python -m keras_gans.cgan --help`."""
    return cli.run("cgan", argv)


if __name__ == "__main__":
    raise SystemExit(main())
