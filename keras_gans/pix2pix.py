"""pix2pix: image-to-image translation with a conditional adversarial network.

Reference:
    Isola, Zhu, Zhou, Efros, "Image-to-Image Translation with Conditional Adversarial
    Networks", arXiv:1611.07004 (CVPR 2017). Networks, losses and schedule follow the authors'
    code, junyanz/pytorch-CycleGAN-and-pix2pix (`unet_256`, `basic` PatchGAN).

The generator is a U-Net: k4 s2 convolutions halve the image down to a 1×1 bottleneck (8
halvings at 256×256, 5 at 32×32), and transposed convolutions bring it back up, each joined by
concatenation to the encoder layer of the same size. Dropout 0.5 follows the three 512-channel
decoder blocks next to the bottleneck; it is the generator's only noise, and the paper keeps it
(and batch statistics) active at test time, so `translate()` runs with `training=True` by
default. The discriminator is the 70×70 PatchGAN: it classifies overlapping patches of the
pair (input, output), 30×30 logits for 256×256 images. Losses: the discriminator minimises
½[BCE(D(A, B), 1) + BCE(D(A, G(A)), 0)]; the generator BCE(D(A, G(A)), 1) + 100·|G(A) − B|₁.
Adam 2e-4, β = (0.5, 0.999), batch 1, 100 epochs at that rate and 100 of linear decay,
weights N(0, 0.02), the discriminator updated before the generator.

One difference from the authors' loop: their generator forward pass is shared by the two
updates; here the generator step runs its own forward pass, so it draws a fresh dropout mask.

Not copied: PyTorch-GAN's instance norm, upsampling decoder and training on train ∪ test;
Keras-GAN's 7-level U-Net without dropout and its 16×16 patch output.

    python -m keras_gans.pix2pix                                  # offline: edges → digits
    python -m keras_gans.pix2pix --dataset path/to/facades --direction BtoA --image-size 256
    python -m keras_gans.pix2pix translate --checkpoint runs/pix2pix/checkpoints/model.keras \\
        --input photos/ --output translated/
"""

import math

import keras
from keras import layers, ops

from keras_gans import callbacks as gan_callbacks
from keras_gans import cli, engine, losses
from keras_gans import gan
from keras_gans.blocks import (batch_normalization, default_patch_layers, patch_discriminator,
                               weight_initializer)


def transposed_convolution(filters, use_bias=False):
    """A k4 s2 transposed convolution that doubles the size (PyTorch padding 1)."""
    return layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=use_bias,
                                  kernel_initializer=weight_initializer())


# ------------------------------------------------------------------------------------------
# Generator: U-Net
# ------------------------------------------------------------------------------------------
def count_downsamplings(image_size):
    """Halvings from `image_size` down to the 1×1 bottleneck: 8 for 256 (`unet_256`), 5 for 32.

    Raises:
        ValueError: when the size is not a power of two of at least 8.
    """
    downsamplings = int(round(math.log2(image_size))) if image_size > 0 else 0
    if image_size < 8 or 2**downsamplings != image_size:
        raise ValueError(
            f"The U-Net of pix2pix halves the image down to 1×1, so its size must be a power of "
            f"two of at least 8, but it is {image_size}: pass --image-size 32, 64, 128 or 256.")
    return downsamplings


def unet_widths(downsamplings, filters=64):
    """Channels of each encoder level, outermost first: 64, 128, 256, 512, 512, ... 512."""
    return [filters * min(2**level, 8) for level in range(downsamplings)]


def default_dropout_blocks(downsamplings):
    """Decoder blocks next to the bottleneck with dropout: 3 for `unet_256`, none at 32×32."""
    return max(0, downsamplings - 5)


def build_generator(image_shape=(256, 256, 3), output_channels=None, filters=64,
                    downsamplings=None, dropout_blocks=None):
    """The U-Net generator (`unet_256` at 256×256, 54.4 M parameters for RGB → RGB).

    Encoder: LeakyReLU(0.2) → conv k4 s2 → BN at every level (the first has no activation or
    norm, the bottleneck no norm). Decoder: ReLU → transposed conv k4 s2 → BN (dropout 0.5 on
    the `dropout_blocks` blocks after the bottleneck's own), concatenated after the encoder
    output of the same size; the last is ReLU → transposed conv (bias) → tanh. Only that last
    layer has a bias, as in the reference code.

    Args:
        image_shape: (height, width, channels) of the input images; height and width may be
            None for a network that takes any size that is a multiple of 2**downsamplings.
        output_channels: channels of the output images (default: the input's).
        filters: channels of the first level (ngf, 64).
        downsamplings: levels down to the bottleneck (default: log2 of the image size).
        dropout_blocks: decoder blocks with dropout (default: downsamplings − 5).

    Returns:
        A functional `keras.Model` named "generator".
    """
    height, width, channels = image_shape
    if downsamplings is None:
        downsamplings = count_downsamplings(height)
    output_channels = output_channels or channels
    if dropout_blocks is None:
        dropout_blocks = default_dropout_blocks(downsamplings)
    if not 0 <= dropout_blocks <= downsamplings - 2:
        raise ValueError(
            f"`dropout_blocks` must be between 0 and {downsamplings - 2}. "
            f"Received: dropout_blocks={dropout_blocks}")
    widths = unet_widths(downsamplings, filters)
    images = keras.Input((height, width, channels), name="images")

    # Encoder: keep every level's output for the skip connections.
    skips = []
    x = images
    for level, level_width in enumerate(widths):
        if level > 0:
            x = layers.LeakyReLU(0.2)(x)
        x = layers.Conv2D(level_width, 4, strides=2, padding="same", use_bias=False,
                          kernel_initializer=weight_initializer(),
                          name=f"encoder_{level + 1}")(x)
        if 0 < level < downsamplings - 1:
            x = batch_normalization()(x)
        skips.append(x)

    # Decoder: from the bottleneck up, each block joined to its encoder twin.
    x = skips.pop()
    for block, level_width in enumerate(reversed(widths[:-1])):
        x = layers.ReLU()(x)
        x = transposed_convolution(level_width)(x)
        x = batch_normalization()(x)
        if 1 <= block <= dropout_blocks:
            x = layers.Dropout(0.5)(x)
        x = layers.Concatenate()([skips.pop(), x])
    x = layers.ReLU()(x)
    x = transposed_convolution(output_channels, use_bias=True)(x)
    outputs = layers.Activation("tanh", dtype="float32", name="translated")(x)
    return keras.Model(images, outputs, name="generator")


# ------------------------------------------------------------------------------------------
# Discriminator: PatchGAN
# ------------------------------------------------------------------------------------------
def build_discriminator(image_shape=(256, 256, 3), target_shape=None, filters=64, layer_count=3):
    """The conditional 70×70 PatchGAN (`basic`, n_layers 3): logits per patch of (A, B).

    Args:
        image_shape: (height, width, channels) of the input images A.
        target_shape: shape of the images B (default: as A).
        filters: channels of the first layer (ndf, 64).
        layer_count: stride-2 layers (n_layers): 3 gives 70×70 patches and 30×30 logits at
            256×256; 2 gives 6×6 logits at 32×32.

    Returns:
        A functional `keras.Model` named "discriminator" taking [images, targets].
    """
    target_shape = tuple(target_shape or image_shape)
    images = keras.Input(tuple(image_shape), name="images")
    targets = keras.Input(target_shape, name="targets")
    pair = layers.Concatenate()([images, targets])
    logits = patch_discriminator(pair, filters, layer_count, normalization="batch")
    return keras.Model([images, targets], logits, name="discriminator")


# ------------------------------------------------------------------------------------------
# The model
# ------------------------------------------------------------------------------------------
@keras.saving.register_keras_serializable(package="keras_gans")
class Pix2Pix(engine.GAN):
    """pix2pix: a U-Net generator G(A) ≈ B trained against a PatchGAN on (A, B) pairs.

    Train it with `fit()` on batches of `(images_a, images_b)` in [-1, 1].

    Args:
        image_shape: (height, width, channels) of the input images A (sizes: powers of two).
        target_shape: shape of the target images B (default: as A).
        l1_weight: λ of the L1 term (100).
        filters: channels of the generator's first level (ngf, 64).
        discriminator_filters: channels of the discriminator's first layer (ndf, 64).
        discriminator_layers: PatchGAN depth (default: 3 from 64 px, 2 below).
        dropout_blocks: decoder blocks with dropout (default: 3 at 256×256, none at 32×32).
        generator, discriminator: optional prebuilt networks.
        seed: seed of the model's random state.

    Example:

    ```python
    model = Pix2Pix(image_shape=(256, 256, 3))
    model.compile()  # Adam 2e-4, β = (0.5, 0.999) for both networks
    model.fit(pairs, epochs=200, callbacks=[keras_gans.callbacks.LinearDecay(100, 100)])
    photos = model.translate(labels)
    ```
    """

    loss_names = ("d_loss", "g_loss", "g_gan_loss", "g_l1_loss")
    network_arguments = ("generator", "discriminator")

    def __init__(self, image_shape=(256, 256, 3), target_shape=None, l1_weight=100.0,
                 filters=64, discriminator_filters=64, discriminator_layers=None,
                 dropout_blocks=None, generator=None, discriminator=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.image_shape = tuple(image_shape)
        self.target_shape = tuple(target_shape or image_shape)
        self.l1_weight = l1_weight
        self.filters = filters
        self.discriminator_filters = discriminator_filters
        self.discriminator_layers = discriminator_layers or default_patch_layers(image_shape[0])
        self.dropout_blocks = dropout_blocks
        self.generator = generator or build_generator(
            (None, None, self.image_shape[-1]), self.target_shape[-1], filters,
            count_downsamplings(self.image_shape[0]), dropout_blocks)
        self.discriminator = discriminator or build_discriminator(
            (None, None, self.image_shape[-1]), (None, None, self.target_shape[-1]),
            discriminator_filters, self.discriminator_layers)
        self.finish_init()

    @property
    def size_multiple(self):
        """Image sides the generator takes are multiples of this (2**downsamplings)."""
        return self.image_shape[0]

    def compile(self, g_optimizer=None, d_optimizer=None, **kwargs):
        """Adam 2e-4, β = (0.5, 0.999) for both networks, as in the paper."""
        g_optimizer = g_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5, name="g_adam")
        d_optimizer = d_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5, name="d_adam")
        self.compile_players({
            "d_optimizer": (d_optimizer, self.discriminator.trainable_variables),
            "g_optimizer": (g_optimizer, self.generator.trainable_variables),
        }, **kwargs)

    def call(self, images, training=False):
        """Translates a batch of images A into images B."""
        return self.generator(images, training=training)

    def input_channels(self, to="B"):
        """Channels of the images that `translate` takes."""
        return self.image_shape[-1]

    @engine.inference
    def translate(self, images, training=True):
        """Translates images A into B.

        Args:
            images: a batch (N, H, W, C) in [-1, 1]; H and W multiples of `size_multiple`.
            training: True (default) keeps dropout and batch statistics active, as the paper
                does at test time; False uses the running statistics and no dropout.
        """
        return self.generator(images, training=training)

    def sample_grid(self, pairs):
        """Rows of input | output | target for sample grids (3 columns)."""
        images, targets = pairs
        return gan_callbacks.grid_rows(images, self.translate(images), targets), 3

    def gan_step(self, data):
        real_images, real_targets = data[0], data[1]

        # Train the discriminator on real pairs and on pairs with the generator's output.
        def discriminator_loss():
            fake_targets = ops.stop_gradient(self.generator(real_images, training=True))
            real_logits = self.discriminator([real_images, real_targets], training=True)
            fake_logits = self.discriminator([real_images, fake_targets], training=True)
            return losses.discriminator_loss(real_logits, fake_logits)

        d_loss = self.minimize(
            discriminator_loss, self.discriminator.trainable_variables, self.d_optimizer)

        # Train the generator to fool the updated discriminator and to match the target in L1.
        def generator_loss():
            fake_targets = self.generator(real_images, training=True)
            fake_logits = self.discriminator([real_images, fake_targets], training=True)
            gan_loss = losses.generator_loss_nonsaturating(fake_logits)
            l1_loss = losses.mean_absolute_error(fake_targets, real_targets)
            return gan_loss + self.l1_weight * l1_loss, (gan_loss, l1_loss)

        g_loss, (g_gan_loss, g_l1_loss) = self.minimize(
            generator_loss, self.generator.trainable_variables, self.g_optimizer)
        return self.track(d_loss=d_loss, g_loss=g_loss, g_gan_loss=g_gan_loss,
                          g_l1_loss=g_l1_loss)

    def get_config(self):
        config = super().get_config()
        config.update(
            image_shape=list(self.image_shape),
            target_shape=list(self.target_shape),
            l1_weight=self.l1_weight,
            filters=self.filters,
            discriminator_filters=self.discriminator_filters,
            discriminator_layers=self.discriminator_layers,
            dropout_blocks=self.dropout_blocks,
        )
        return config


# ------------------------------------------------------------------------------------------
# Command line: python -m keras_gans.pix2pix
# ------------------------------------------------------------------------------------------
DATA_KIND = "paired"
DEFAULTS = dict(dataset="mnist_edges", batch_size=1, epochs=200, g_lr=2e-4, d_lr=2e-4)


def add_arguments(group):
    """pix2pix's own flags."""
    group.add_argument("--l1-weight", type=cli.number(at_least=0), default=100.0,
                       help="weight λ of the L1 term")
    group.add_argument("--filters", type=cli.integer(at_least=1), default=64,
                       help="channels of the generator's first level (ngf)")
    group.add_argument("--discriminator-filters", type=cli.integer(at_least=1), default=64,
                       help="channels of the discriminator's first layer (ndf)")
    group.add_argument("--discriminator-layers", type=cli.integer(at_least=1), default=None,
                       help="PatchGAN depth (default: 3, the 70×70 PatchGAN, from 64 px; 2 "
                       "below)")
    group.add_argument("--dropout-blocks", type=cli.integer(at_least=0), default=None,
                       help="decoder blocks with dropout (default: 3 at 256 px, 0 at 32 px)")
    cli.add_decay_argument(group)


def build_model(args, image_shape, target_shape=None):
    """The pix2pix the command line asks for."""
    return Pix2Pix(
        image_shape=image_shape,
        target_shape=target_shape,
        l1_weight=args.l1_weight,
        filters=args.filters,
        discriminator_filters=args.discriminator_filters,
        discriminator_layers=args.discriminator_layers,
        dropout_blocks=args.dropout_blocks,
        seed=args.seed,
    )


compile_model = gan.compile_model
model_callbacks = cli.linear_decay


def main(argv=None):
    """Command line: `python -m keras_gans.pix2pix --help`."""
    return cli.run("pix2pix", argv)


if __name__ == "__main__":
    raise SystemExit(main())
