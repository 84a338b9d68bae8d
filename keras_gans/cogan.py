"""CoGAN: Coupled Generative Adversarial Networks.

Reference:
    Liu, Tuzel, "Coupled Generative Adversarial Networks", arXiv:1606.07536 (NeurIPS 2016).
    Networks and training of the authors' MNIST–edge experiment in their PyTorch code,
    mingyuliutw/CoGAN (`cogan_pytorch`: `CoGen28x28`, `CoDis28x28`, `mnistedge_cogan.yaml`).

Two GANs learn the joint distribution of two domains from unpaired images: one generator per
domain and one discriminator per domain, whose first layers (generators) and last layers
(discriminators) share their weights. The shared generator layers decode the high-level
content of z once for both domains, so one z gives a corresponding pair (x₁, x₂), such as a
digit and its edge map, although no pair was ever seen.

- Generator: z 100 → ct1024 k4 (1×1 → 4×4) → BN → PReLU → [ct k3 s2 → BN → PReLU] with 512,
  256, 128 channels (4 → 7 → 13 → 25 pixels), shared; then one private ct1 k6 (25 → 28) → tanh
  per domain. Batch norm has no scale or offset (PyTorch `affine=False`, momentum 0.1, ε 1e-5),
  each PReLU one slope initialised to 0.25, and each of PyTorch's padded transposed
  convolutions is a `valid` one followed by a 1-pixel crop on every side.
- Discriminator: per domain a private c20 k5 → max-pool 2; shared c50 k5 → max-pool 2 → c500 k4
  → PReLU → c1 k1, one logit per image (the authors' two-way softmax is equivalent).
- Convolutions are initialised as in the authors' code: Xavier uniform with gain √2, biases 0.1.
- Losses: the discriminators minimise the sum over the two domains of the standard
  cross-entropy ½[BCE(D_i(x_i), 1) + BCE(D_i(G_i(z)), 0)], the authors' value; the generators
  minimise the sum over the domains of BCE(D_i(G_i(z)), 1), so both discriminators must say
  "real" (the authors average these two terms, which halves the loss and leaves Adam's steps
  unchanged up to ε). One D step, then one G step on fresh noise, per pair of batches.
- Adam 2e-4, β = (0.5, 0.999), batch 64 per domain; the authors stop after 5,000 iterations.

Differs from the authors: [-1, 1] data and tanh outputs instead of [0, 1] and sigmoid
(MODEL_SPECS §0.4); no L2 weight decay (their trainer adds 5e-4 inside Adam; MODEL_SPECS leaves
it out); the edge maps are the morphological gradient of MODEL_SPECS' `mnist_edges` (dilation
minus erosion; theirs is dilation minus the digit). `--filters` narrows the generator for CPU
budgets (128 is the paper's). Not copied: Keras-GAN's MLP on rotated digits, and PyTorch-GAN's
MNIST vs MNIST-M default (the paper's digit experiments pair digits with edges or negatives).

The offline task `mnist_cogan` (MODEL_SPECS §19): domain 1 = train digits 0–3,999, domain 2 =
edge maps of train digits 4,000–7,999 (`mnist_cogan_negative`: their negatives); any unpaired
`trainA/` + `trainB/` folder of 28×28 images works too.

    python -m keras_gans.cogan --data-dir ../shared/data/mnist
    python -m keras_gans.cogan --dataset mnist_cogan_negative --data-dir ../shared/data/mnist
    python -m keras_gans.cogan sample --checkpoint runs/cogan/checkpoints/model.keras
"""

import math

import keras
from keras import layers

from keras_gans import callbacks as gan_callbacks
from keras_gans import cli
from keras_gans import engine
from keras_gans import gan
from keras_gans import losses

IMAGE_SIZE = 28
# Channels of the discriminators' shared layers per channel of their private first layer
# (20 → 50 → 500 in the paper).
SHARED_DISCRIMINATOR_GROWTH = (2.5, 25)


# ------------------------------------------------------------------------------------------
# Building blocks of the authors' networks
# ------------------------------------------------------------------------------------------
def xavier_initializer():
    """The authors' initialization: Xavier uniform with gain √2 (`xavier_uniform(gain=√2)`)."""
    return keras.initializers.VarianceScaling(2.0, mode="fan_avg", distribution="uniform")


def bias_initializer():
    """The authors' biases: the constant 0.1."""
    return keras.initializers.Constant(0.1)


def parametric_relu():
    """PyTorch's `nn.PReLU()`: one learned slope for the whole layer, initialised to 0.25."""
    return layers.PReLU(alpha_initializer=keras.initializers.Constant(0.25),
                        shared_axes=[1, 2, 3])


def batch_normalization():
    """PyTorch's `BatchNorm2d(affine=False)`: no scale or offset, momentum 0.1, ε 1e-5."""
    return layers.BatchNormalization(momentum=0.9, epsilon=1e-5, center=False, scale=False)


def transposed_convolution(x, filters, kernel_size, strides=1, padding=0, name=None):
    """PyTorch's `ConvTranspose2d(..., padding)` on `x`: a `valid` transposed convolution whose
    output loses `padding` pixels on every side (4 → 7 for k3 s2 padding 1, 25 → 28 for k6
    padding 1)."""
    x = layers.Conv2DTranspose(filters, kernel_size, strides=strides, padding="valid",
                               kernel_initializer=xavier_initializer(),
                               bias_initializer=bias_initializer(), name=name)(x)
    return layers.Cropping2D(padding)(x) if padding else x


def convolution(filters, kernel_size, name=None):
    """A `valid` stride-1 convolution initialised as in the authors' code."""
    return layers.Conv2D(filters, kernel_size, padding="valid", name=name,
                         kernel_initializer=xavier_initializer(),
                         bias_initializer=bias_initializer())


def generator_widths(filters):
    """Channels of the shared generator layers: 8, 4, 2 and 1 times `filters` (1024, 512, 256,
    128 in the paper)."""
    return tuple(filters * 2**power for power in (3, 2, 1, 0))


def discriminator_widths(filters):
    """Channels of a discriminator: `filters` private, then the two shared convolutions
    (20, 50, 500 in the paper)."""
    return (filters,) + tuple(max(1, round(filters * growth))
                              for growth in SHARED_DISCRIMINATOR_GROWTH)


def check_image_shapes(*image_shapes):
    """Raises ValueError unless every domain's images are 28×28 (the authors' networks)."""
    for image_shape in image_shapes:
        height, width = tuple(image_shape)[:2]
        if (height, width) != (IMAGE_SIZE, IMAGE_SIZE):
            raise ValueError(
                f"CoGAN's networks (the authors' MNIST–edge networks) take 28×28 images in both "
                f"domains, but these are {height}×{width}: pass --image-size 28.")


# ------------------------------------------------------------------------------------------
# The coupled networks
# ------------------------------------------------------------------------------------------
def build_generator(latent_dim=100, image_shape=(28, 28, 1), second_image_shape=None,
                    filters=128):
    """The coupled generators (g₁, g₂): shared transposed convolutions, one private head each.

    z → ct 8f k4 (1×1 → 4×4) → BN → PReLU → [ct k3 s2 (padding 1) → BN → PReLU] with 4f, 2f, f
    channels (4 → 7 → 13 → 25), shared; then per domain ct c k6 (padding 1, 25 → 28) → tanh.
    f = 128 in the paper (Liu and Tuzel, 2016, the authors' `CoGen28x28`).

    Args:
        latent_dim: size of z ~ N(0, I) (100).
        image_shape: (28, 28, channels) of domain 1.
        second_image_shape: (28, 28, channels) of domain 2 (default: as domain 1).
        filters: channels of the last shared layer, f (128).

    Returns:
        A functional `keras.Model` named "generator": latent → [images_1, images_2].
    """
    second_image_shape = tuple(second_image_shape or image_shape)
    check_image_shapes(image_shape, second_image_shape)
    latent = keras.Input((latent_dim,), name="latent")
    x = layers.Reshape((1, 1, latent_dim))(latent)
    first, *upsampling = generator_widths(filters)
    x = transposed_convolution(x, first, 4, name="shared_convolution_0")
    x = parametric_relu()(batch_normalization()(x))
    for index, width in enumerate(upsampling, start=1):
        x = transposed_convolution(x, width, 3, strides=2, padding=1,
                                   name=f"shared_convolution_{index}")
        x = parametric_relu()(batch_normalization()(x))
    outputs = []
    for domain, shape in ((1, image_shape), (2, second_image_shape)):
        head = transposed_convolution(x, shape[-1], 6, padding=1, name=f"head_{domain}")
        outputs.append(layers.Activation("tanh", dtype="float32", name=f"images_{domain}")(head))
    return keras.Model(latent, outputs, name="generator")


def build_discriminator(image_shape=(28, 28, 1), second_image_shape=None, filters=20):
    """The coupled discriminators (f₁, f₂): one private first layer each, shared layers after.

    Per domain c f k5 → max-pool 2 (28 → 24 → 12); shared c 2.5f k5 → max-pool 2 (12 → 8 → 4)
    → c 25f k4 (4 → 1) → PReLU → c1 k1: one logit per image. f = 20 in the paper (Liu and
    Tuzel, 2016, the authors' `CoDis28x28`: 20, 50, 500 channels).

    Args:
        image_shape: (28, 28, channels) of domain 1.
        second_image_shape: (28, 28, channels) of domain 2 (default: as domain 1).
        filters: channels of the private layers, f (20).

    Returns:
        A functional `keras.Model` named "discriminator": [images_1, images_2] →
        [logits_1, logits_2].
    """
    second_image_shape = tuple(second_image_shape or image_shape)
    check_image_shapes(image_shape, second_image_shape)
    private, shared, features = discriminator_widths(filters)
    shared_layers = [convolution(shared, 5, name="shared_convolution_1"), layers.MaxPooling2D(2),
                     convolution(features, 4, name="shared_convolution_2"), parametric_relu(),
                     convolution(1, 1, name="shared_logit"), layers.Flatten()]
    inputs, logits = [], []
    for domain, shape in ((1, image_shape), (2, second_image_shape)):
        images = keras.Input(tuple(shape), name=f"images_{domain}")
        x = convolution(private, 5, name=f"private_convolution_{domain}")(images)
        x = layers.MaxPooling2D(2)(x)
        for layer in shared_layers:
            x = layer(x)
        inputs.append(images)
        logits.append(layers.Activation("linear", dtype="float32", name=f"logits_{domain}")(x))
    return keras.Model(inputs, logits, name="discriminator")


@keras.saving.register_keras_serializable(package="keras_gans")
class CoGAN(engine.GAN):
    """CoGAN: two weight-sharing GANs that learn corresponding images of two domains.

    Train it with `fit()` on batches of `(images_1, images_2)` in [-1, 1] drawn independently
    from the two domains (no pairs). `generate_pairs(count)` then draws corresponding pairs
    from shared noise; calling the model on latent vectors gives domain-1 images.

    Args:
        latent_dim: size of z ~ N(0, I) (100).
        image_shape: (28, 28, channels) of domain 1.
        second_image_shape: (28, 28, channels) of domain 2 (default: as domain 1).
        filters: channels of the generators' last shared layer (128; the others 2×, 4×, 8×).
        discriminator_filters: channels of the discriminators' private layers (20; the shared
            ones 2.5× and 25×).
        generator: optional prebuilt coupled generator, latent → [images_1, images_2].
        discriminator: optional prebuilt coupled discriminator, [images_1, images_2] →
            [logits_1, logits_2].
        seed: seed of the model's noise.

    Example:

    ```python
    model = CoGAN(image_shape=(28, 28, 1))
    model.compile()  # Adam 2e-4, β = (0.5, 0.999)
    model.fit(keras_gans.data.training_inputs(stream, 64)[0], steps_per_epoch=62, epochs=80)
    digits, edges = model.generate_pairs(16)
    ```
    """

    loss_names = ("d_loss", "g_loss")
    network_arguments = ("generator", "discriminator")

    def __init__(self, latent_dim=100, image_shape=(28, 28, 1), second_image_shape=None,
                 filters=128, discriminator_filters=20, generator=None, discriminator=None,
                 seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.latent_dim = latent_dim
        self.image_shape = tuple(image_shape)
        self.second_image_shape = tuple(second_image_shape or image_shape)
        self.filters = filters
        self.discriminator_filters = discriminator_filters
        self.generator = generator or build_generator(
            latent_dim, self.image_shape, self.second_image_shape, filters)
        self.discriminator = discriminator or build_discriminator(
            self.image_shape, self.second_image_shape, discriminator_filters)
        self.finish_init()

    # Adam 2e-4, β = (0.5, 0.999) for both generators and both discriminators; fixed normal
    # latent vectors for sample grids: as the GAN's.
    compile = gan.GAN.compile
    sample_inputs = gan.GAN.sample_inputs

    def call(self, latent, training=False):
        """Generates domain-1 images from a batch of latent vectors."""
        return self.generator(latent, training=training)[0]

    @engine.inference
    def pairs_from(self, latent):
        """The corresponding (domain-1 images, domain-2 images) of a batch of latent vectors."""
        images_1, images_2 = self.generator(latent, training=False)
        return images_1, images_2

    @engine.inference
    def generate_pairs(self, count):
        """Draws `count` pairs (domain-1 images, domain-2 images), each pair from one z."""
        return self.pairs_from(self.normal((count, self.latent_dim)))

    @engine.inference
    def generate(self, count):
        """Draws `count` domain-1 images."""
        return self.generate_pairs(count)[0]

    def sample_grid(self, latent):
        """Each z's pair side by side, several pairs per row: x₁ | x₂ | x₁ | x₂ | ...

        Returns:
            The images in reading order and the number of columns (twice the pairs per row).
        """
        pairs_per_row = math.ceil(math.sqrt(len(latent)))
        return gan_callbacks.grid_rows(*self.pairs_from(latent)), 2 * pairs_per_row

    def gan_step(self, data):
        real_images = list(data[:2])
        batch_size = keras.ops.shape(real_images[0])[0]

        # Train both discriminators (their shared layers once, on both domains) on real images
        # of each domain and on fresh pairs of fakes.
        def discriminator_loss():
            latent = self.normal((batch_size, self.latent_dim))
            fake_images = [keras.ops.stop_gradient(images)
                           for images in self.generator(latent, training=True)]
            real_logits = self.discriminator(real_images, training=True)
            fake_logits = self.discriminator(fake_images, training=True)
            return sum(losses.discriminator_loss(real, fake)
                       for real, fake in zip(real_logits, fake_logits))

        d_loss = self.minimize(
            discriminator_loss, self.discriminator.trainable_variables, self.d_optimizer)

        # Train both generators (their shared layers once, from both domains) so that both
        # updated discriminators call their fakes real, with fresh noise.
        def generator_loss():
            latent = self.normal((batch_size, self.latent_dim))
            fake_logits = self.discriminator(self.generator(latent, training=True),
                                             training=True)
            return sum(losses.generator_loss_nonsaturating(logits) for logits in fake_logits)

        g_loss = self.minimize(
            generator_loss, self.generator.trainable_variables, self.g_optimizer)
        return self.track(d_loss=d_loss, g_loss=g_loss)

    def get_config(self):
        config = super().get_config()
        config.update(
            latent_dim=self.latent_dim,
            image_shape=list(self.image_shape),
            second_image_shape=list(self.second_image_shape),
            filters=self.filters,
            discriminator_filters=self.discriminator_filters,
        )
        return config


# ------------------------------------------------------------------------------------------
# Command line: python -m keras_gans.cogan
# ------------------------------------------------------------------------------------------
# Two domains of unpaired images in, samples drawn from noise out.
DATA_KIND = "unpaired"
FROM_NOISE = True
# 80 epochs of the 62 batches of mnist_cogan: about the authors' 5,000 iterations.
DEFAULTS = dict(dataset="mnist_cogan", batch_size=64, epochs=80, latent_dim=100, g_lr=2e-4,
                d_lr=2e-4)


def add_arguments(group):
    """CoGAN's own flags."""
    group.add_argument("--filters", type=cli.integer(at_least=1), default=128,
                       help="channels of the generators' last shared layer (the three before "
                       "have 2, 4 and 8 times as many)")
    group.add_argument("--discriminator-filters", type=cli.integer(at_least=1), default=20,
                       help="channels of the discriminators' private layers (the shared ones "
                       "have 2.5 and 25 times as many)")


def build_model(args, image_shape, second_image_shape=None):
    """The CoGAN the command line asks for, for the data's two image shapes: each other
    constructor argument from its flag."""
    return cli.model_from_flags(CoGAN, args, image_shape=image_shape,
                                second_image_shape=second_image_shape)


compile_model = gan.compile_model


def main(argv=None):
    """Command line: `python -m keras_gans.cogan --help`."""
    return cli.run("cogan", argv)


if __name__ == "__main__":
    raise SystemExit(main())
