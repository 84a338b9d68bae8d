"""WGAN-GP: Wasserstein GAN with a gradient penalty.

Reference:
    Gulrajani, Ahmed, Arjovsky, Dumoulin, Courville, "Improved Training of Wasserstein GANs",
    arXiv:1704.00028 (NeurIPS 2017). Authors' code: igul222/improved_wgan_training
    (TensorFlow), whose MNIST script `gan_mnist.py` this module follows.

The critic minimizes E[D(G(z))] − E[D(x)] + λ·E[(‖∇D(x̂)‖₂ − 1)²] at the points
x̂ = x + α(G(z) − x), α ~ U[0, 1] per sample, the norm taken over all pixels of a sample; λ = 10.
It trains n_critic = 5 times per generator step, each time on a fresh real batch. The generator
minimizes −E[D(G(z))]. Adam 1e-4 with β = (0.5, 0.9) for both players, as in the authors' MNIST
and CIFAR scripts; the paper's Algorithm 1 states β₁ = 0 (`--beta-1 0`).

The networks are the authors' MNIST networks (the "B-DC28" backbone, width 64), with [-1, 1]
data and a tanh output instead of their [0, 1] data and sigmoid: G: z 128 → fc 4·4·256 → ReLU →
convT 128 k5 s2 → ReLU → crop 8×8 to 7×7 → convT 64 k5 s2 → ReLU → convT 1 k5 s2 → tanh;
D: conv 64 k5 s2 → LeakyReLU(0.2) → conv 128 k5 s2 → LReLU → conv 256 k5 s2 → LReLU → fc 1,
a linear output. Nothing is normalized (the script's batch norm exists only in its WGAN mode,
which `keras_gans.wgan` reproduces); `critic_norm="layer"` adds the layer normalization the
paper suggests instead, in the authors' form (per-sample statistics over channels and pixels,
per-channel scale and offset). Initialization is the authors' `tflib`: dense layers Glorot
uniform (Keras' default), convolutions He-style uniform with standard deviation
√(4 / (fan_in + fan_out)), the fan on the strided side divided by stride². 32×32 images use the
same layers without the crop (the DCGAN-32 widths of the paper's CIFAR-10 configuration).

This module also holds what the three Wasserstein models share: the B-DC28 builders and the
`WassersteinGAN` training step (n_critic critic iterations, then one generator step), which
`keras_gans.wgan` (weight clipping) and `keras_gans.wgan_div` (the Wasserstein-divergence
penalty) reuse.

Not copied from the zoos: batch normalization in the critic and RMSprop (Keras-GAN, issue #48);
interpolation weights shaped for a hard-coded batch of 32 and a private merge layer (Keras-GAN
#167); PyTorch-GAN's unused `clip_value` and MLP networks; a gradient norm not taken over the
flattened per-sample gradient (PyTorch-GAN #20).

    python -m keras_gans.wgan_gp --dataset shapes --image-size 28
    python -m keras_gans.wgan_gp --dataset mnist --data-dir ../shared/data/mnist
"""

import math

import keras
from keras import layers
from keras import ops

from keras_gans import cli
from keras_gans import dcgan
from keras_gans import gan
from keras_gans import layers as gan_layers
from keras_gans import losses

NORMALIZATIONS = (None, "batch", "layer")


# ------------------------------------------------------------------------------------------
# The B-DC28 networks (the authors' MNIST generator and critic)
# ------------------------------------------------------------------------------------------
def tflib_initializer(fan_in, fan_out):
    """The authors' convolution initializer: uniform with std √(4 / (fan_in + fan_out))."""
    limit = math.sqrt(3.0 * 4.0 / (fan_in + fan_out))
    return keras.initializers.RandomUniform(-limit, limit)


def convolution(x, filters, kernel_size=5, strides=2):
    """A 'same' convolution initialized as in the authors' code (fan_out divided by stride²)."""
    fan_in = x.shape[-1] * kernel_size**2
    fan_out = filters * kernel_size**2 / strides**2
    return layers.Conv2D(filters, kernel_size, strides=strides, padding="same",
                         kernel_initializer=tflib_initializer(fan_in, fan_out))(x)


def transposed_convolution(x, filters, kernel_size=5, strides=2):
    """A 'same' transposed convolution as in the authors' code (fan_in divided by stride²)."""
    fan_in = x.shape[-1] * kernel_size**2 / strides**2
    fan_out = filters * kernel_size**2
    return layers.Conv2DTranspose(filters, kernel_size, strides=strides, padding="same",
                                  kernel_initializer=tflib_initializer(fan_in, fan_out))(x)


def normalize(x, normalization):
    """Batch norm ("batch"), the authors' layer norm ("layer") or nothing (None).

    Batch norm uses the authors' settings: ε 1e-5, γ = 1, β = 0 (Keras momentum 0.9, PyTorch's
    0.1, for the moving statistics used at inference). Layer norm is their `Layernorm` over
    channels and pixels of each sample with a per-channel scale and offset, i.e. group norm with
    one group.
    """
    if normalization == "batch":
        return layers.BatchNormalization(momentum=0.9, epsilon=1e-5)(x)
    if normalization == "layer":
        return dcgan.layer_normalization()(x)
    return x


def check_normalization(normalization, allowed=NORMALIZATIONS):
    """Raises ValueError unless `normalization` is one of `allowed`."""
    if normalization not in allowed:
        raise ValueError(
            f"Unknown normalization {normalization!r}: choose one of "
            f"{', '.join(repr(name) for name in allowed)}."
        )


def check_image_shape(image_shape):
    """Raises ValueError unless the images are square 28- or 32-pixel images."""
    height, width, _ = image_shape
    if height != width or height not in (28, 32):
        raise ValueError(
            "The B-DC28 networks take 28×28 images (or 32×32, without the crop), but these "
            f"are {height}×{width}: pass --image-size 28. Received: image_shape={image_shape}"
        )


def build_generator(latent_dim=128, image_shape=(28, 28, 1), normalization=None):
    """B-DC28 generator: z → fc 4·4·256 → ReLU → convT 128 → ReLU → crop → convT 64 → convT.

    Every transposed convolution has 5×5 kernels and stride 2: 4 → 8, cropped to 7 (28-pixel
    images only) → 14 → 28, ending in tanh.

    Args:
        latent_dim: size of z ~ N(0, I) (128 in the authors' script).
        image_shape: (28, 28, channels), or (32, 32, channels) without the crop.
        normalization: None (WGAN-GP) or "batch" (the WGAN form: batch norm after the fc
            layer and the first two transposed convolutions).

    Returns:
        A functional `keras.Model` named "generator".
    """
    check_image_shape(image_shape)
    check_normalization(normalization, (None, "batch"))
    latent = keras.Input((latent_dim,), name="latent")
    x = layers.Dense(4 * 4 * 256)(latent)
    x = layers.ReLU()(normalize(x, normalization))
    x = layers.Reshape((4, 4, 256))(x)
    x = transposed_convolution(x, 128)
    x = layers.ReLU()(normalize(x, normalization))
    if image_shape[0] == 28:
        x = layers.Cropping2D(((0, 1), (0, 1)), name="crop_to_7x7")(x)
    x = transposed_convolution(x, 64)
    x = layers.ReLU()(normalize(x, normalization))
    x = transposed_convolution(x, image_shape[-1])
    images = layers.Activation("tanh", dtype="float32", name="images")(x)
    return keras.Model(latent, images, name="generator")


def build_critic(image_shape=(28, 28, 1), normalization=None):
    """B-DC28 critic: conv 64 → LReLU → conv 128 → LReLU → conv 256 → LReLU → fc 1 (linear).

    Every convolution has 5×5 kernels and stride 2 ('same' padding: 28 → 14 → 7 → 4).

    Args:
        image_shape: (28, 28, channels) or (32, 32, channels).
        normalization: None (WGAN-GP), "batch" (the WGAN form) or "layer" (the paper's
            replacement for batch norm), after the second and third convolutions.

    Returns:
        A functional `keras.Model` named "critic" (image → one unbounded score).
    """
    check_image_shape(image_shape)
    check_normalization(normalization)
    images = keras.Input(image_shape, name="images")
    x = layers.LeakyReLU(0.2)(convolution(images, 64))
    for filters in (128, 256):
        x = layers.LeakyReLU(0.2)(normalize(convolution(x, filters), normalization))
    x = layers.Flatten()(x)
    scores = layers.Dense(1, dtype="float32", name="scores")(x)
    return keras.Model(images, scores, name="critic")


# ------------------------------------------------------------------------------------------
# The Wasserstein training step shared by WGAN, WGAN-GP and WGAN-div
# ------------------------------------------------------------------------------------------
class WassersteinGAN(gan.GAN):
    """Base of the Wasserstein models: a critic trained n_critic times per generator step.

    Each `fit()` step splits its real images into `n_critic` batches. For each, the critic
    takes one step on E[D(G(z))] − E[D(x)] + weight·penalty (fresh noise every time), then
    `constrain_critic()` runs; finally the generator takes one step on −E[D(G(z))], unless
    `generator_turn()` says it is not its turn. Subclasses differ only in `penalty()`,
    `penalty_weight`, `constrain_critic()` and `generator_turn()`; models with another latent
    space or more players (ClusterGAN) override `fresh_fakes()` and `train_generator()`.

    When calling `fit()` directly, pass `batch_size = n_critic × (batch per critic step)`.

    The critic is stored as `discriminator` (the library's name for the second player, used by
    its serialization and by `d_optimizer`); `critic` is the same network.

    Logs: "d_loss" (the critic's loss, penalty included), "g_loss", "wasserstein_estimate"
    (E[D(x)] − E[D(G(z))], the critic's estimate of the Wasserstein-1 distance) and, for models
    with a penalty, "gradient_penalty" (the penalty without its weight). The critic's values are
    averaged over its n_critic iterations.
    """

    loss_names = ("d_loss", "g_loss", "wasserstein_estimate")
    penalty_weight = 0.0

    def __init__(self, latent_dim=128, image_shape=(28, 28, 1), generator=None,
                 discriminator=None, n_critic=5, seed=None, **kwargs):
        if int(n_critic) != n_critic or n_critic < 1:
            raise ValueError(
                f"n_critic must be a positive integer (critic steps per generator step). "
                f"Received: n_critic={n_critic}"
            )
        super().__init__(
            latent_dim=latent_dim,
            image_shape=image_shape,
            generator=generator or build_generator(latent_dim, image_shape),
            discriminator=discriminator or build_critic(image_shape),
            seed=seed,
            **kwargs,
        )
        self.n_critic = int(n_critic)
        self.real_batches_per_step = self.n_critic

    @property
    def critic(self):
        """The critic D (image → unbounded score), stored as `discriminator`."""
        return self.discriminator

    # The parts in which the Wasserstein models differ ------------------------------------
    def penalty(self, real_images, fake_images):
        """The critic's penalty without its weight, or None (plain WGAN)."""
        return None

    def constrain_critic(self):
        """Runs after every critic update (WGAN clips the critic's weights here)."""

    def generator_turn(self):
        """Whether the generator trains in this step: None means always."""
        return None

    # Helpers for penalties ---------------------------------------------------------------
    def interpolates(self, real_images, fake_images):
        """Points x̂ = x + α(G(z) − x) with one α ~ U[0, 1] per sample."""
        real_images = ops.convert_to_tensor(real_images, "float32")
        fake_images = ops.convert_to_tensor(fake_images, "float32")
        alpha = self.uniform((ops.shape(real_images)[0],) + (1,) * len(self.image_shape))
        return losses.interpolate(real_images, fake_images, alpha)

    def critic_gradients(self, images):
        """∇ₓD(x) at each image, differentiable again (for the penalties)."""
        images = ops.convert_to_tensor(images, "float32")
        return self.input_gradients(lambda x: self.critic(x, training=True), images)

    # The training step -------------------------------------------------------------------
    def critic_loss(self, real_images, fake_images):
        """E[D(G(z))] − E[D(x)] + weight·penalty; records its terms in the logs."""
        real_scores = self.critic(real_images, training=True)
        fake_scores = self.critic(fake_images, training=True)
        wasserstein_loss = losses.wasserstein_critic_loss(real_scores, fake_scores)
        terms = dict(wasserstein_estimate=-wasserstein_loss)
        loss = wasserstein_loss
        penalty = self.penalty(real_images, fake_images)
        if penalty is not None:
            loss = loss + self.penalty_weight * penalty
            terms["gradient_penalty"] = penalty
        terms["d_loss"] = loss
        # `minimize` returns only the total, so the terms are logged here, as they are
        # computed; the engine carries metric updates out of the loss on every backend.
        self.track(**{name: ops.stop_gradient(value) for name, value in terms.items()})
        return loss

    def fresh_fakes(self, batch_size):
        """Images generated in training mode from fresh noise z ~ N(0, I)."""
        return self.generator(self.normal((batch_size, self.latent_dim)), training=True)

    def train_critic(self, real_images):
        """One critic update on a real batch and as many fresh fakes."""
        fake_images = ops.stop_gradient(self.fresh_fakes(ops.shape(real_images)[0]))
        self.minimize(lambda: self.critic_loss(real_images, fake_images),
                      self.critic.trainable_variables, self.d_optimizer)
        self.constrain_critic()

    def gan_step(self, data):
        real_images = data[0] if isinstance(data, tuple) else data
        real_batches = self.split_real_batches(real_images, self.n_critic)

        # Train the critic n_critic times, each time on a fresh real batch.
        for real_batch in real_batches:
            self.train_critic(real_batch)

        # Train the generator through the updated critic, with fresh noise.
        return self.train_generator(ops.shape(real_batches[0])[0])

    def train_generator(self, batch_size):
        """One generator update on −E[D(G(z))] at fresh fakes, unless `generator_turn()` says
        it is not the generator's turn; returns the logs."""

        def generator_loss():
            return losses.wasserstein_generator_loss(
                self.critic(self.fresh_fakes(batch_size), training=True))

        turn = self.generator_turn()
        g_loss = self.minimize(generator_loss, self.generator.trainable_variables,
                               self.g_optimizer, enabled=turn)
        return self.track(g_loss=g_loss, weights={"g_loss": turn})

    def get_config(self):
        config = super().get_config()
        config.pop("generator_loss")  # always the Wasserstein generator loss
        config["n_critic"] = self.n_critic
        return config


# ------------------------------------------------------------------------------------------
# WGAN-GP
# ------------------------------------------------------------------------------------------
@keras.saving.register_keras_serializable(package="keras_gans")
class WGANGP(WassersteinGAN):
    """WGAN-GP: a Wasserstein critic kept 1-Lipschitz by a gradient penalty.

    Each training step makes `n_critic` critic updates, each on a fresh real batch, on
    E[D(G(z))] − E[D(x)] + `gp_weight`·E[(‖∇D(x̂)‖₂ − 1)²] at random interpolates x̂ between
    real and generated images, then one generator update on −E[D(G(z))]. When calling `fit()`
    directly, pass `batch_size = n_critic × 64` (the command line does this itself).

    Args:
        latent_dim: size of z ~ N(0, I) (128 in the authors' script).
        image_shape: (28, 28, channels) (or 32×32) for the default networks.
        n_critic: critic updates per generator update (5).
        gp_weight: λ, the weight of the gradient penalty (10).
        critic_norm: None (the authors' MNIST critic) or "layer" (layer normalization after
            the second and third convolutions, the paper's suggestion).
        generator: optional prebuilt generator (latent → image in [-1, 1]).
        discriminator: optional prebuilt critic (image → score) without batch normalization.
        seed: seed of the model's noise (latents and interpolation weights).

    Example:

    ```python
    model = WGANGP(image_shape=(28, 28, 1))
    model.compile()  # Adam 1e-4, β = (0.5, 0.9); Algorithm 1: Adam(1e-4, 0.0, 0.9)
    model.fit(images, batch_size=5 * 64, epochs=10)  # 5 critic batches per step
    samples = model.generate(16)
    ```
    """

    loss_names = ("d_loss", "g_loss", "wasserstein_estimate", "gradient_penalty")

    def __init__(self, latent_dim=128, image_shape=(28, 28, 1), n_critic=5, gp_weight=10.0,
                 critic_norm=None, generator=None, discriminator=None, seed=None, **kwargs):
        check_normalization(critic_norm, (None, "layer"))
        if gp_weight < 0:
            raise ValueError(f"gp_weight must be at least 0 (the paper uses 10). "
                             f"Received: gp_weight={gp_weight}")
        generator = generator or build_generator(latent_dim, image_shape)
        discriminator = discriminator or build_critic(image_shape, normalization=critic_norm)
        gan_layers.check_no_batch_normalization(discriminator, "WGAN-GP",
                                                "use critic_norm='layer' or None, or pass a critic "
                                                "without it")
        super().__init__(latent_dim=latent_dim, image_shape=image_shape, generator=generator,
                         discriminator=discriminator, n_critic=n_critic, seed=seed, **kwargs)
        self.gp_weight = float(gp_weight)
        self.penalty_weight = self.gp_weight
        self.critic_norm = critic_norm

    def penalty(self, real_images, fake_images):
        """E[(‖∇D(x̂)‖₂ − 1)²] at random interpolates x̂ (without λ)."""
        gradients = self.critic_gradients(self.interpolates(real_images, fake_images))
        return losses.gradient_penalty(gradients)

    def compile(self, g_optimizer=None, d_optimizer=None, **kwargs):
        """Adam 1e-4, β = (0.5, 0.9) for both players (the authors' scripts)."""
        self.compile_players(
            {
                "d_optimizer": (d_optimizer or adam(1e-4, 0.5, "d_adam"),
                                self.critic.trainable_variables),
                "g_optimizer": (g_optimizer or adam(1e-4, 0.5, "g_adam"),
                                self.generator.trainable_variables),
            },
            **kwargs,
        )

    def get_config(self):
        config = super().get_config()
        config.update(gp_weight=self.gp_weight, critic_norm=self.critic_norm)
        return config


def adam(learning_rate, beta_1, name):
    """Adam with β₂ = 0.9, the Wasserstein-penalty models' setting."""
    return keras.optimizers.Adam(learning_rate, beta_1=beta_1, beta_2=0.9, name=name)


# ------------------------------------------------------------------------------------------
# Command line: python -m keras_gans.wgan_gp
# ------------------------------------------------------------------------------------------
DEFAULTS = dict(dataset="mnist", batch_size=64, epochs=200, latent_dim=128, g_lr=1e-4,
                d_lr=1e-4)


def add_n_critic_argument(group, default):
    """The --n-critic flag of the Wasserstein models."""
    group.add_argument("--n-critic", type=cli.integer(at_least=1), default=default,
                       help="critic updates per generator update, each on a fresh batch of "
                       "--batch-size real images")


def add_arguments(group):
    """WGAN-GP's own flags."""
    add_n_critic_argument(group, 5)
    group.add_argument("--gp-weight", type=cli.number(at_least=0), default=10.0,
                       help="λ, the weight of the gradient penalty")
    group.add_argument("--critic-norm", choices=("none", "layer"), default="none",
                       help="normalization in the critic: none (the authors' MNIST critic) or "
                       "layer (the paper's replacement for batch norm)")
    group.add_argument("--beta-1", type=cli.number(at_least=0, below=1), default=0.5,
                       help="Adam's β₁ for both players: 0.5 (the authors' scripts) or 0 "
                       "(the paper's Algorithm 1)")


def build_model(args, image_shape):
    """The WGAN-GP the command line asks for."""
    return WGANGP(
        latent_dim=args.latent_dim,
        image_shape=image_shape,
        n_critic=args.n_critic,
        gp_weight=args.gp_weight,
        critic_norm=None if args.critic_norm == "none" else args.critic_norm,
        seed=args.seed,
    )


def compile_model(model, args, **options):
    """Compiles with Adam(lr, β₁ = --beta-1, β₂ = 0.9) for both players."""
    model.compile(
        g_optimizer=adam(args.g_lr, args.beta_1, "g_adam"),
        d_optimizer=adam(args.d_lr, args.beta_1, "d_adam"),
        **options,
    )


def main(argv=None):
    """Command line: `python -m keras_gans.wgan_gp --help`."""
    return cli.run("wgan_gp", argv)


if __name__ == "__main__":
    raise SystemExit(main())
