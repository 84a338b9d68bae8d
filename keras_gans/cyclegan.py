"""CycleGAN: unpaired image-to-image translation with cycle-consistent adversarial networks.

Reference:
    Zhu, Park, Isola, Efros, "Unpaired Image-to-Image Translation using Cycle-Consistent
    Adversarial Networks", arXiv:1703.10593 (ICCV 2017). Networks, losses and schedule follow
    the authors' code, junyanz/pytorch-CycleGAN-and-pix2pix (`resnet_9blocks`, `basic`
    PatchGAN, instance norm).

Two generators translate between the domains, G: A → B and F: B → A, and two PatchGAN
discriminators judge the images of each domain. The generators minimise the least-squares
adversarial losses plus the cycle-consistency terms λ_A·|F(G(a)) − a|₁ + λ_B·|G(F(b)) − b|₁
(λ = 10) and the identity terms λ_idt·(λ_B·|G(b) − b|₁ + λ_A·|F(a) − a|₁) (λ_idt = 0.5). Each
discriminator minimises ½[(D(real) − 1)² + D(fake)²], where the fakes come from a pool of the
last 50 generated images (`layers.ImagePool`, one per direction, saved with the model). Per
batch the generators are updated first (one Adam over both), then the discriminators (one Adam
over both), on the fakes of the generator step: they come out of `minimize` as auxiliary
outputs, so no second generator pass is needed. Adam 2e-4, β = (0.5, 0.999), batch 1, 100
epochs at that rate and 100 of linear decay, weights N(0, 0.02).

The generator: reflect-pad 3 → c64 k7 → IN → ReLU, two k3 s2 downsamplings, 9 residual blocks
at 256×256 (6 below), two k3 s2 transposed convolutions laid out as PyTorch's (padding 1,
output padding 1), reflect-pad 3 → c k7 → tanh; 11.38 M parameters.

Not copied: Keras-GAN's U-Net generator without image pool or decay, and PyTorch-GAN's
reflection padding sized by the channel count (which only works for 3 channels).

    python -m keras_gans.cyclegan                                 # offline: grey ↔ coloured digits
    python -m keras_gans.cyclegan --dataset path/to/horse2zebra --image-size 256
    python -m keras_gans.cyclegan --dataset cycle_gan/horse2zebra --data-dir ~/tensorflow_datasets
    python -m keras_gans.cyclegan translate --checkpoint runs/cyclegan/checkpoints/model.keras \\
        --to B --input horses/ --output zebras/
"""

import keras
from keras import layers

from keras_gans import callbacks as gan_callbacks
from keras_gans import cli, engine, gan, losses
from keras_gans.blocks import (default_patch_layers, instance_normalization, patch_discriminator,
                               resnet_block, weight_initializer)
from keras_gans.layers import ImagePool, ReflectionPadding2D

DOWNSAMPLINGS = 2


def default_residual_blocks(image_size):
    """9 residual blocks (`resnet_9blocks`) for 256-pixel images, 6 for 128 pixels and below."""
    return 9 if image_size >= 256 else 6


def check_image_size(image_size):
    """Raises ValueError unless the two downsamplings divide `image_size` exactly."""
    multiple = 2**DOWNSAMPLINGS
    if image_size % multiple or image_size < 2 * multiple:
        raise ValueError(
            f"CycleGAN's generator halves the image twice, so its size must be a multiple of "
            f"{multiple} of at least {2 * multiple}, but it is {image_size}: pass --image-size "
            "32, 128 or 256.")


def build_generator(image_shape=(256, 256, 3), output_channels=None, filters=64,
                    residual_blocks=9):
    """The ResNet generator (`resnet_9blocks`; 11.38 M parameters for RGB → RGB at ngf 64).

    Args:
        image_shape: (height, width, channels) of the input images; height and width may be
            None for a network that takes any size that is a multiple of 4.
        output_channels: channels of the output images (default: the input's).
        filters: channels of the first convolution (ngf, 64).
        residual_blocks: residual blocks at the bottleneck (9, or 6 for small images).

    Returns:
        A functional `keras.Model` named "generator".
    """
    output_channels = output_channels or image_shape[-1]
    images = keras.Input(tuple(image_shape), name="images")
    x = ReflectionPadding2D(3)(images)
    x = layers.Conv2D(filters, 7, kernel_initializer=weight_initializer())(x)
    x = layers.ReLU()(instance_normalization()(x))
    for level in range(1, DOWNSAMPLINGS + 1):
        x = layers.ZeroPadding2D(1)(x)
        x = layers.Conv2D(filters * 2**level, 3, strides=2,
                          kernel_initializer=weight_initializer())(x)
        x = layers.ReLU()(instance_normalization()(x))
    for _ in range(residual_blocks):
        x = resnet_block(x, filters * 2**DOWNSAMPLINGS)
    for level in reversed(range(DOWNSAMPLINGS)):
        x = upsampling_convolution(x, filters * 2**level)
        x = layers.ReLU()(instance_normalization()(x))
    x = ReflectionPadding2D(3)(x)
    x = layers.Conv2D(output_channels, 7, kernel_initializer=weight_initializer())(x)
    outputs = layers.Activation("tanh", dtype="float32", name="translated")(x)
    return keras.Model(images, outputs, name="generator")


def upsampling_convolution(x, filters):
    """PyTorch's `ConvTranspose2d(k3, s2, padding=1, output_padding=1)`: the size doubles and
    input pixel i reaches outputs 2i − 1 … 2i + 1 (Keras' `same` would shift them by one)."""
    x = layers.Conv2DTranspose(filters, 3, strides=2, padding="valid",
                               kernel_initializer=weight_initializer())(x)
    return layers.Cropping2D(((1, 0), (1, 0)))(x)


def build_discriminator(image_shape=(256, 256, 3), filters=64, layer_count=3):
    """The 70×70 PatchGAN with instance norm, on one image (2.77 M parameters for RGB).

    Args:
        image_shape: (height, width, channels) of the images it judges.
        filters: channels of the first layer (ndf, 64).
        layer_count: stride-2 layers (3: 70×70 patches; 2: 6×6 logits at 32×32).

    Returns:
        A functional `keras.Model` named "discriminator".
    """
    images = keras.Input(tuple(image_shape), name="images")
    logits = patch_discriminator(images, filters, layer_count, normalization="instance")
    return keras.Model(images, logits, name="discriminator")


@keras.saving.register_keras_serializable(package="keras_gans")
class CycleGAN(engine.GAN):
    """CycleGAN: G: A → B and F: B → A trained on unpaired images with cycle consistency.

    Train it with `fit()` on batches of `(images_a, images_b)` in [-1, 1], where the B images
    are drawn independently of the A images.

    Args:
        image_shape_a: (height, width, channels) of domain A (sides multiples of 4).
        image_shape_b: shape of domain B (default: as A).
        cycle_weight: λ_A = λ_B of the cycle-consistency terms (10).
        identity_weight: λ_idt, relative to the cycle weight (0.5); needs A and B with the
            same channel count (else pass 0).
        filters: ngf of the generators (64).
        discriminator_filters: ndf of the discriminators (64).
        residual_blocks: residual blocks per generator (default: 9 from 256 px, else 6).
        discriminator_layers: PatchGAN depth (default: 3 from 64 px, 2 below).
        pool_size: images in each direction's pool (50; 0 trains on the newest fakes only).
        generator_ab, generator_ba, discriminator_a, discriminator_b: optional prebuilt
            networks.
        seed: seed of the model's random state (the pools' draws).

    Example:

    ```python
    model = CycleGAN(image_shape_a=(256, 256, 3))
    model.compile()
    model.fit(unpaired, epochs=200, callbacks=[keras_gans.callbacks.LinearDecay(100, 100)])
    zebras = model.translate(horses, to="B")
    ```
    """

    loss_names = ("d_loss", "g_loss", "g_gan_loss", "cycle_loss", "identity_loss")
    network_arguments = ("generator_ab", "generator_ba", "discriminator_a", "discriminator_b")

    def __init__(self, image_shape_a=(256, 256, 3), image_shape_b=None, cycle_weight=10.0,
                 identity_weight=0.5, filters=64, discriminator_filters=64, residual_blocks=None,
                 discriminator_layers=None, pool_size=50, generator_ab=None, generator_ba=None,
                 discriminator_a=None, discriminator_b=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.image_shape_a = tuple(image_shape_a)
        self.image_shape_b = tuple(image_shape_b or image_shape_a)
        check_image_size(self.image_shape_a[0])
        if identity_weight and self.image_shape_a[-1] != self.image_shape_b[-1]:
            raise ValueError(
                f"The identity loss compares G(b) with b, so A and B need the same channel "
                f"count, but A has {self.image_shape_a[-1]} and B {self.image_shape_b[-1]}: pass "
                "--identity-weight 0.")
        self.cycle_weight = cycle_weight
        self.identity_weight = identity_weight
        self.filters = filters
        self.discriminator_filters = discriminator_filters
        self.residual_blocks = residual_blocks or default_residual_blocks(self.image_shape_a[0])
        self.discriminator_layers = (
            discriminator_layers or default_patch_layers(self.image_shape_a[0]))
        self.pool_size = pool_size
        channels_a, channels_b = self.image_shape_a[-1], self.image_shape_b[-1]
        self.generator_ab = generator_ab or build_generator(
            (None, None, channels_a), channels_b, filters, self.residual_blocks)
        self.generator_ba = generator_ba or build_generator(
            (None, None, channels_b), channels_a, filters, self.residual_blocks)
        self.discriminator_a = discriminator_a or build_discriminator(
            (None, None, channels_a), discriminator_filters, self.discriminator_layers)
        self.discriminator_b = discriminator_b or build_discriminator(
            (None, None, channels_b), discriminator_filters, self.discriminator_layers)
        self.pool_a = ImagePool(pool_size, name="pool_a")
        self.pool_b = ImagePool(pool_size, name="pool_b")
        self.pool_a.build((None, *self.image_shape_a))
        self.pool_b.build((None, *self.image_shape_b))
        self.finish_init()

    size_multiple = 2**DOWNSAMPLINGS

    @property
    def generators(self):
        return [self.generator_ab, self.generator_ba]

    @property
    def discriminators(self):
        return [self.discriminator_a, self.discriminator_b]

    def compile(self, g_optimizer=None, d_optimizer=None, **kwargs):
        """One Adam 2e-4, β = (0.5, 0.999) over both generators, one over both discriminators."""
        g_optimizer = g_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5, name="g_adam")
        d_optimizer = d_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5, name="d_adam")
        self.compile_players({
            "g_optimizer": (g_optimizer, self.generator_variables()),
            "d_optimizer": (d_optimizer, self.discriminator_variables()),
        }, **kwargs)

    def generator_variables(self):
        return self.generator_ab.trainable_variables + self.generator_ba.trainable_variables

    def discriminator_variables(self):
        return self.discriminator_a.trainable_variables + self.discriminator_b.trainable_variables

    def call(self, images, training=False):
        """Translates a batch of A images into B (use `translate(..., to="A")` for B → A)."""
        return self.generator_ab(images, training=training)

    def input_channels(self, to="B"):
        """Channels of the images that `translate(..., to=to)` takes (those of the other
        domain)."""
        return (self.image_shape_a if to == "B" else self.image_shape_b)[-1]

    @engine.inference
    def translate(self, images, to="B"):
        """Translates images (N, H, W, C) in [-1, 1] into domain `to` ("B": G(a), "A": F(b))."""
        if to not in ("A", "B"):
            raise ValueError(f"`to` must be 'A' or 'B'. Received: to={to!r}")
        generator = self.generator_ab if to == "B" else self.generator_ba
        return generator(images, training=False)

    def sample_grid(self, images):
        """Rows of a | G(a) | F(G(a)) | b | F(b) | G(F(b)) for sample grids (6 columns)."""
        images_a, images_b = images
        fake_b, fake_a = self.translate(images_a, to="B"), self.translate(images_b, to="A")
        return gan_callbacks.grid_rows(
            images_a, fake_b, self.translate(fake_b, to="A"),
            images_b, fake_a, self.translate(fake_a, to="B")), 6

    def gan_step(self, data):
        real_a, real_b = data[0], data[1]

        # Train both generators: fool the discriminators, close both cycles, keep identities.
        def generator_loss():
            fake_b = self.generator_ab(real_a, training=True)
            fake_a = self.generator_ba(real_b, training=True)
            gan_loss = (
                losses.mean_squared_error(self.discriminator_b(fake_b, training=True), 1.0)
                + losses.mean_squared_error(self.discriminator_a(fake_a, training=True), 1.0))
            cycle_loss = self.cycle_weight * (
                losses.mean_absolute_error(self.generator_ba(fake_b, training=True), real_a)
                + losses.mean_absolute_error(self.generator_ab(fake_a, training=True), real_b))
            identity_loss = 0.0
            if self.identity_weight:
                identity_loss = self.identity_weight * self.cycle_weight * (
                    losses.mean_absolute_error(self.generator_ab(real_b, training=True), real_b)
                    + losses.mean_absolute_error(self.generator_ba(real_a, training=True), real_a))
            total = gan_loss + cycle_loss + identity_loss
            return total, (fake_a, fake_b, gan_loss, cycle_loss, identity_loss)

        g_loss, (fake_a, fake_b, g_gan_loss, cycle_loss, identity_loss) = self.minimize(
            generator_loss, self.generator_variables(), self.g_optimizer)

        # Train both discriminators on real images and on fakes drawn from the pools.
        pooled_a = self.pool_a(fake_a, seed=self.seed_generator)
        pooled_b = self.pool_b(fake_b, seed=self.seed_generator)

        def discriminator_loss():
            return (
                losses.least_squares_discriminator_loss(
                    self.discriminator_a(real_a, training=True),
                    self.discriminator_a(pooled_a, training=True))
                + losses.least_squares_discriminator_loss(
                    self.discriminator_b(real_b, training=True),
                    self.discriminator_b(pooled_b, training=True)))

        d_loss = self.minimize(discriminator_loss, self.discriminator_variables(), self.d_optimizer)
        return self.track(d_loss=d_loss, g_loss=g_loss, g_gan_loss=g_gan_loss,
                          cycle_loss=cycle_loss, identity_loss=identity_loss)

    def get_config(self):
        config = super().get_config()
        config.update(
            image_shape_a=list(self.image_shape_a),
            image_shape_b=list(self.image_shape_b),
            cycle_weight=self.cycle_weight,
            identity_weight=self.identity_weight,
            filters=self.filters,
            discriminator_filters=self.discriminator_filters,
            residual_blocks=self.residual_blocks,
            discriminator_layers=self.discriminator_layers,
            pool_size=self.pool_size,
        )
        return config


# ------------------------------------------------------------------------------------------
# Command line: python -m keras_gans.cyclegan
# ------------------------------------------------------------------------------------------
DATA_KIND = "unpaired"
DEFAULTS = dict(dataset="mnist_color", batch_size=1, epochs=200, g_lr=2e-4, d_lr=2e-4)
TRANSLATE_DIRECTIONS = ("A", "B")


def add_arguments(group):
    """CycleGAN's own flags."""
    group.add_argument("--cycle-weight", type=cli.number(at_least=0), default=10.0,
                       help="weight λ of each cycle-consistency term")
    group.add_argument("--identity-weight", type=cli.number(at_least=0), default=0.5,
                       help="weight of the identity terms, relative to --cycle-weight (0: off)")
    group.add_argument("--filters", type=cli.integer(at_least=1), default=64,
                       help="channels of the generators' first convolution (ngf)")
    group.add_argument("--discriminator-filters", type=cli.integer(at_least=1), default=64,
                       help="channels of the discriminators' first layer (ndf)")
    group.add_argument("--residual-blocks", type=cli.integer(at_least=1), default=None,
                       help="residual blocks per generator (default: 9 from 256 px, else 6)")
    group.add_argument("--discriminator-layers", type=cli.integer(at_least=1), default=None,
                       help="PatchGAN depth (default: 3 from 64 px, 2 below)")
    group.add_argument("--pool-size", type=cli.integer(at_least=0), default=50,
                       help="generated images kept per direction for the discriminators")
    cli.add_decay_argument(group)


def build_model(args, image_shape, target_shape=None):
    """The CycleGAN the command line asks for."""
    return CycleGAN(
        image_shape_a=image_shape,
        image_shape_b=target_shape,
        cycle_weight=args.cycle_weight,
        identity_weight=args.identity_weight,
        filters=args.filters,
        discriminator_filters=args.discriminator_filters,
        residual_blocks=args.residual_blocks,
        discriminator_layers=args.discriminator_layers,
        pool_size=args.pool_size,
        seed=args.seed,
    )


compile_model = gan.compile_model
model_callbacks = cli.linear_decay


def main(argv=None):
    """Command line: `python -m keras_gans.cyclegan --help`."""
    return cli.run("cyclegan", argv)


if __name__ == "__main__":
    raise SystemExit(main())
