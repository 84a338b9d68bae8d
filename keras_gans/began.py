"""BEGAN: Boundary Equilibrium Generative Adversarial Networks.

Reference:
    Berthelot, Schumm, Metz, "BEGAN: Boundary Equilibrium Generative Adversarial Networks",
    arXiv:1703.10717 (2017). There is no code by the authors; `architecture="paper"` follows
    the paper's figure 1 (the layout popularised by carpedm20/BEGAN-tensorflow), the default
    compact networks and settings follow eriklindernoren/PyTorch-GAN's `began.py`.

The discriminator is an autoencoder; L(v) = mean |v − D(v)| is its reconstruction loss. The
discriminator minimises L(x) − k_t·L(G(z)), the generator minimises L(G(z)), and a
proportional controller keeps the two losses in the ratio γ = E[L(G(z))] / E[L(x)]:

    k_{t+1} = clip(k_t + λ_k·(γ·L(x) − L(G(z))), 0, 1),  k_0 = 0.

The convergence measure M = L(x) + |γ·L(x) − L(G(z))| falls as training converges.

Default configuration: the one that learns digits. The paper's own (its networks, γ 0.5,
Adam 1e-4, batch 16, both players updated from the same state) did not learn MNIST here: k_t
fell to 0 within 500 steps, the autoencoder became a plain autoencoder of the digits and the
generator collapsed to the one image it reconstructs best (FCD 215 after 10,000 steps;
docs/RESULTS.md traces it). PyTorch-GAN's BEGAN learns digits with other settings, and the
defaults here are those settings; docs/RESULTS.md gives the swaps that isolate which of them
matter. The paper's configuration stays one flag away (`architecture="paper"`, `gamma=0.5`,
`generator_first=False`, Adam 1e-4, batch 16; `--architecture paper --gamma 0.5
--update-order discriminator-first --g-lr 1e-4 --d-lr 1e-4 --batch-size 16 --lr-patience 2`).

- Compact networks (`architecture="compact"`, the default). G: z → fc 2n·(S/4)² → BN → [nearest
  ×2 up → c k3 → BN → LeakyReLU 0.2] at widths 2n and n → c C k3 → tanh. D, an autoencoder:
  c n k3 s2 → ReLU → fc N_h = 32 → BN → ReLU → fc n·(S/2)² → BN → ReLU → nearest ×2 up →
  c C k3 (linear). Batch norm ε 0.8 after the generator's convolutions and the bottleneck (the
  value PyTorch-GAN passes as BatchNorm's second argument), 1e-5 elsewhere; convolutions
  N(0, 0.02). Real and fake batches go through D separately, as in PyTorch-GAN, so each is
  normalized with its own statistics.
- γ = 0.75, λ_k = 0.001; Adam 2e-4, β = (0.5, 0.999) for both; batch 64; z ~ U[−1, 1]^64.
- The generator is updated first on L(G(z)); the discriminator then on L(x) − k_t·L(G(z)) with
  the same fakes, detached (`generator_first=True`). With `generator_first=False` the
  discriminator goes first with its own noise and the generator follows with fresh noise.
- L(x) for the k_t update and for M is measured after both steps, by the updated discriminator
  (one extra forward pass on the real batch), with L(G(z)) of the generator step.
- `HalveLearningRateOnPlateau` halves both learning rates when the epoch mean of M stops
  improving (the paper halves the learning rate when M stalls). It is a callback for `fit()`;
  the command line adds it with `--lr-patience N` (off by default, since PyTorch-GAN's
  configuration learns without it).

The paper's networks (`architecture="paper"`, scaled to the image size; 32 px: scales 32 → 16
→ 8):

- Encoder: c_n k3 → per scale [c k3, c k3, c k3 s2] with widths n, 2n, 3n, … (no stride-2
  convolution at the last, 8×8 scale) → fc N_h (64). ELU after every convolution, no batch
  norm.
- Decoder: fc N_h → 8×8×n → per scale [c_n k3, c_n k3, nearest ×2 up] (no upsampling after the
  last scale) → c C k3. `skip=True` concatenates the first 8×8 map, upsampled, to the input of
  every later scale (the paper's skip connections).
- The generator is a decoder ending in tanh, so that samples are images in [−1, 1]; the
  discriminator's decoder output is linear, a reconstruction.

    python -m keras_gans.began --dataset shapes
    python -m keras_gans.began --dataset mnist32 --data-dir ../shared/data/mnist
"""

import math

import keras
import numpy as np
from keras import layers
from keras import ops

from keras_gans import cli
from keras_gans import engine
from keras_gans import gan
from keras_gans import losses

FIRST_SIZE = 8  # the decoder starts from, and the encoder ends at, 8×8 maps


def count_scales(image_shape):
    """Number of scales for `image_shape`: 8·2^(scales − 1) pixels (32 px → 3 scales).

    Raises:
        ValueError: when the images are not square with a size of 8 times a power of two.
    """
    height, width, _ = image_shape
    scales = int(round(math.log2(height / FIRST_SIZE))) + 1 if height >= FIRST_SIZE else 0
    if height != width or scales < 2 or FIRST_SIZE * 2 ** (scales - 1) != height:
        raise ValueError(
            "BEGAN needs square images of 8 times a power of two pixels (16, 32, 64, 128), "
            f"but these are {height}×{width}: pass --image-size 32 or 64."
        )
    return scales


def convolution(x, filters, strides=1):
    """A 3×3 convolution followed by ELU, the paper's only hidden layer type."""
    return layers.Conv2D(filters, 3, strides=strides, padding="same", activation="elu")(x)


def decode(hidden, image_shape, filters, skip):
    """The paper's decoder on a tensor: fc → 8×8×n → [conv, conv, up]… → conv C (linear)."""
    x = layers.Dense(FIRST_SIZE * FIRST_SIZE * filters)(hidden)
    first = layers.Reshape((FIRST_SIZE, FIRST_SIZE, filters))(x)
    x = first
    for scale in range(count_scales(image_shape)):
        if scale > 0:
            x = layers.UpSampling2D(2, interpolation="nearest")(x)
            if skip:
                upsampled_first = layers.UpSampling2D(2**scale, interpolation="nearest")(first)
                x = layers.Concatenate()([x, upsampled_first])
        x = convolution(x, filters)
        x = convolution(x, filters)
    return layers.Conv2D(image_shape[-1], 3, padding="same")(x)


def encode(images, filters, hidden_dim):
    """The paper's encoder on a tensor: conv n → [conv, conv, conv s2]… (n, 2n, 3n …) → fc."""
    scales = count_scales(tuple(images.shape[1:]))
    x = convolution(images, filters)
    for scale in range(scales):
        width = filters * (scale + 1)
        x = convolution(x, width)
        x = convolution(x, width)
        if scale < scales - 1:
            x = convolution(x, width, strides=2)
    return layers.Dense(hidden_dim, name="embedding")(layers.Flatten()(x))


def build_generator(latent_dim=64, image_shape=(32, 32, 1), filters=64, skip=False):
    """BEGAN generator: the decoder, z → fc → 8×8×n → [conv, conv, up]… → conv C → tanh.

    Args:
        latent_dim: size of z ~ U[−1, 1]^latent_dim (64).
        image_shape: (size, size, channels), size = 8·2^k (16, 32, 64, 128).
        filters: n, the channels of every decoder convolution (64; the paper also uses 128).
        skip: concatenate the upsampled first 8×8 map at every later scale.

    Returns:
        A functional `keras.Model` named "generator".
    """
    latent = keras.Input((latent_dim,), name="latent")
    x = decode(latent, image_shape, filters, skip)
    images = layers.Activation("tanh", dtype="float32", name="images")(x)
    return keras.Model(latent, images, name="generator")


def build_discriminator(image_shape=(32, 32, 1), filters=64, hidden_dim=64, skip=False):
    """BEGAN discriminator: an autoencoder, encoder → h (N_h) → decoder → reconstruction.

    Args:
        image_shape: (size, size, channels), size = 8·2^k (16, 32, 64, 128).
        filters: n; encoder widths n, 2n, 3n, … per scale, decoder width n (64).
        hidden_dim: N_h, the size of the embedding h between encoder and decoder (64).
        skip: skip connections in the decoder, as in `build_generator`.

    Returns:
        A functional `keras.Model` named "discriminator" mapping images to reconstructions
        (linear output, same shape as the images).
    """
    count_scales(image_shape)
    images = keras.Input(image_shape, name="images")
    hidden = encode(images, filters, hidden_dim)
    x = decode(hidden, image_shape, filters, skip)
    reconstructions = layers.Activation("linear", dtype="float32", name="reconstruction")(x)
    return keras.Model(images, reconstructions, name="discriminator")


def linear_initializer():
    """PyTorch's default for fully connected weights: U(±1/√fan_in)."""
    return keras.initializers.VarianceScaling(1.0 / 3.0, mode="fan_in", distribution="uniform")


def compact_batch_normalization(epsilon=0.8, spatial=True):
    """Batch normalization of the compact networks: momentum 0.1 (Keras 0.9) and ε 0.8, the
    value PyTorch-GAN passes as BatchNorm's second argument; γ ~ N(1, 0.02) on feature maps."""
    gamma = keras.initializers.RandomNormal(1.0, 0.02) if spatial else "ones"
    return layers.BatchNormalization(momentum=0.9, epsilon=epsilon, gamma_initializer=gamma)


def compact_convolution(x, filters, strides=1):
    """A 3×3 convolution with one pixel of zero padding on each side, N(0, 0.02) weights."""
    x = layers.ZeroPadding2D(1)(x)
    return layers.Conv2D(filters, 3, strides=strides,
                         kernel_initializer=keras.initializers.RandomNormal(0.0, 0.02))(x)


def build_compact_generator(latent_dim=64, image_shape=(32, 32, 1), filters=64):
    """The compact generator: z → fc 2n·(S/4)² → BN → [up ×2 → conv → BN → LeakyReLU 0.2] for
    widths 2n and n → conv C → tanh (PyTorch-GAN's upsampling DCGAN generator at n = 64).

    Args:
        latent_dim: size of z.
        image_shape: (size, size, channels); size divisible by 4.
        filters: n (64).

    Returns:
        A functional `keras.Model` named "generator".
    """
    height, width, channels = image_shape
    check_compact_shape(image_shape)
    latent = keras.Input((latent_dim,), name="latent")
    x = layers.Dense(2 * filters * (height // 4) * (width // 4),
                     kernel_initializer=linear_initializer())(latent)
    x = layers.Reshape((height // 4, width // 4, 2 * filters))(x)
    x = compact_batch_normalization(epsilon=1e-5)(x)
    for block_filters in (2 * filters, filters):
        x = layers.UpSampling2D(2, interpolation="nearest")(x)
        x = compact_convolution(x, block_filters)
        x = layers.LeakyReLU(0.2)(compact_batch_normalization()(x))
    x = compact_convolution(x, channels)
    images = layers.Activation("tanh", dtype="float32", name="images")(x)
    return keras.Model(latent, images, name="generator")


def build_compact_discriminator(image_shape=(32, 32, 1), filters=64, hidden_dim=32):
    """The compact autoencoder: conv n s2 → ReLU → fc N_h → BN → ReLU → fc n·(S/2)² → BN →
    ReLU → up ×2 → conv C (linear), PyTorch-GAN's BEGAN discriminator at n = 64, N_h = 32.

    Args:
        image_shape: (size, size, channels); size divisible by 4.
        filters: n, the channels of the convolution and of the decoded map (64).
        hidden_dim: N_h, the bottleneck's size (32).

    Returns:
        A functional `keras.Model` named "discriminator" mapping images to reconstructions.
    """
    height, width, channels = image_shape
    check_compact_shape(image_shape)
    images = keras.Input(image_shape, name="images")
    x = layers.ReLU()(compact_convolution(images, filters, strides=2))
    x = layers.Dense(hidden_dim, kernel_initializer=linear_initializer(),
                     name="embedding")(layers.Flatten()(x))
    x = layers.ReLU()(compact_batch_normalization(spatial=False)(x))
    x = layers.Dense(filters * (height // 2) * (width // 2),
                     kernel_initializer=linear_initializer())(x)
    x = layers.ReLU()(compact_batch_normalization(epsilon=1e-5, spatial=False)(x))
    x = layers.Reshape((height // 2, width // 2, filters))(x)
    x = compact_convolution(layers.UpSampling2D(2, interpolation="nearest")(x), channels)
    reconstructions = layers.Activation("linear", dtype="float32", name="reconstruction")(x)
    return keras.Model(images, reconstructions, name="discriminator")


def check_compact_shape(image_shape):
    """Raises ValueError, naming the fix, for images the compact networks cannot take."""
    height, width, _ = image_shape
    if height % 4 or width % 4:
        raise ValueError(
            f"BEGAN's compact networks need a size divisible by 4, but these images are "
            f"{height}×{width}: pass --image-size 32 or 64."
        )


ARCHITECTURES = {
    "paper": (build_generator, build_discriminator),
    "compact": (build_compact_generator, build_compact_discriminator),
}


@keras.saving.register_keras_serializable(package="keras_gans")
class BEGAN(gan.GAN):
    """BEGAN: an autoencoder discriminator balanced against the generator by k_t.

    Logs "d_loss" (L(x) − k_t·L(G(z_D))), "g_loss" (L(G(z_G))), "k" (k_t after each step) and
    "convergence" (the measure M), each averaged over the epoch. k_t is a non-trainable
    variable of the model (`model.k`), saved in `.keras` files so that a resumed run continues
    its equilibrium.

    Args:
        latent_dim: size of z ~ U[−1, 1]^latent_dim (64).
        image_shape: (size, size, channels), size = 8·2^k (16, 32, 64, 128).
        filters: n, the networks' base width (64).
        hidden_dim: N_h, the discriminator's embedding size (default 64 for the paper's
            networks, 32 for the compact ones).
        gamma: γ, the diversity ratio E[L(G(z))] / E[L(x)] the controller aims for (0.75;
            the paper uses 0.3-0.7).
        lambda_k: λ_k, the proportional gain of the k_t update (0.001).
        skip: the paper's decoder skip connections (in both networks; paper networks only).
        architecture: "compact" (default: the upsampling generator and the bottleneck
            autoencoder of `build_compact_generator` and `build_compact_discriminator`) or
            "paper" (figure 1's networks).
        generator_first: update the generator first, then the discriminator on the same
            (detached) fakes (default, True), instead of the discriminator first with its own
            noise.
        generator, discriminator: optional prebuilt networks (latent → image, image →
            reconstruction).
        seed: seed of the model's noise.

    Example:

    ```python
    model = BEGAN(image_shape=(32, 32, 1))
    model.compile()  # Adam 2e-4, β = (0.5, 0.999)
    model.fit(images, batch_size=64, epochs=16)
    print(float(model.k))
    ```
    """

    loss_names = ("d_loss", "g_loss", "k", "convergence")

    def __init__(
        self,
        latent_dim=64,
        image_shape=(32, 32, 1),
        filters=64,
        hidden_dim=None,
        gamma=0.75,
        lambda_k=0.001,
        skip=False,
        architecture="compact",
        generator_first=True,
        generator=None,
        discriminator=None,
        seed=None,
        **kwargs,
    ):
        if not 0 < gamma <= 1:
            raise ValueError(f"gamma must be in (0, 1] (the paper uses 0.3-0.7). "
                             f"Received: gamma={gamma}")
        if lambda_k < 0:
            raise ValueError(f"lambda_k must be zero or positive (e.g. 0.001). "
                             f"Received: lambda_k={lambda_k}")
        if architecture not in ARCHITECTURES:
            raise ValueError(f"architecture must be one of {sorted(ARCHITECTURES)}. "
                             f"Received: architecture={architecture!r}")
        if skip and architecture != "paper":
            raise ValueError("The skip connections belong to the paper's networks: pass "
                             "architecture='paper' with skip=True, or leave skip off.")
        self.filters = filters
        self.hidden_dim = hidden_dim or (64 if architecture == "paper" else 32)
        self.gamma = float(gamma)
        self.lambda_k = float(lambda_k)
        self.skip = bool(skip)
        self.architecture = architecture
        self.generator_first = bool(generator_first)
        super().__init__(
            latent_dim=latent_dim,
            image_shape=image_shape,
            generator=generator or self.build_networks()[0](latent_dim, image_shape),
            discriminator=discriminator or self.build_networks()[1](image_shape),
            seed=seed,
            **kwargs,
        )
        # k_t: the equilibrium controller's state, saved with the model.
        self.k = keras.Variable(0.0, trainable=False, dtype="float32", name="k",
                                aggregation="only_first_replica")

    def compile(self, g_optimizer=None, d_optimizer=None, **kwargs):
        """Adam 2e-4, β = (0.5, 0.999) for both players (the paper: 1e-4)."""
        super().compile(
            g_optimizer=g_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5, name="g_adam"),
            d_optimizer=d_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5, name="d_adam"),
            **kwargs,
        )

    def latent(self, count):
        """z ~ U[−1, 1]^latent_dim from the model's seed generator."""
        return self.uniform((count, self.latent_dim), -1.0, 1.0)

    @engine.inference
    def generate(self, count):
        """Draws `count` images from the generator."""
        return self.generator(self.latent(count), training=False)

    def sample_inputs(self, count, seed=0):
        """Fixed uniform latent vectors (NumPy) for sample grids."""
        return np.random.default_rng(seed).uniform(-1.0, 1.0, (count, self.latent_dim)).astype(
            "float32")

    def reconstruction_loss(self, images):
        """L(v) = mean |v − D(v)|, the discriminator's batch-mean reconstruction loss."""
        reconstructions = self.discriminator(images, training=True)
        return ops.mean(losses.reconstruction_l1(images, reconstructions))

    def build_networks(self):
        """The architecture's (generator builder(latent_dim, image_shape), discriminator
        builder(image_shape)) at the model's widths."""
        build_generator_of, build_discriminator_of = ARCHITECTURES[self.architecture]
        options = dict(skip=True) if self.skip else {}
        return (
            lambda latent_dim, image_shape: build_generator_of(
                latent_dim, image_shape, filters=self.filters, **options),
            lambda image_shape: build_discriminator_of(
                image_shape, filters=self.filters, hidden_dim=self.hidden_dim, **options),
        )

    def discriminator_update(self, real_images, fake_images):
        """One discriminator step on L(x) − k_t·L(G(z)); returns that loss."""

        def discriminator_loss():
            return (self.reconstruction_loss(real_images)
                    - self.k.value * self.reconstruction_loss(ops.stop_gradient(fake_images)))

        return self.minimize(
            discriminator_loss, self.discriminator.trainable_variables, self.d_optimizer)

    def generator_update(self, batch_size):
        """One generator step on L(G(z)) with fresh noise; returns (L(G(z)), G(z))."""

        def generator_loss():
            fake_images = self.generator(self.latent(batch_size), training=True)
            return self.reconstruction_loss(fake_images), fake_images

        return self.minimize(
            generator_loss, self.generator.trainable_variables, self.g_optimizer)

    def gan_step(self, data):
        real_images = data[0] if isinstance(data, tuple) else data
        batch_size = ops.shape(real_images)[0]
        if self.generator_first:
            # The generator moves first; the discriminator then sees the same fakes.
            g_loss, fake_images = self.generator_update(batch_size)
            d_loss = self.discriminator_update(real_images, fake_images)
        else:
            # The discriminator reconstructs real images, and fakes badly in proportion k_t;
            # then the generator makes fresh samples easy to reconstruct.
            d_loss = self.discriminator_update(
                real_images, self.generator(self.latent(batch_size), training=True))
            g_loss, _ = self.generator_update(batch_size)

        # Update k_t from L(x) and L(G(z_G)), both measured by the updated discriminator
        # (averaged over replicas, so that every replica keeps the same k_t).
        real_loss = engine.replica_mean(self.reconstruction_loss(real_images))
        fake_loss = engine.replica_mean(g_loss)
        self.k.assign(losses.began_equilibrium_update(
            self.k.value, real_loss, fake_loss, self.gamma, self.lambda_k))
        convergence = losses.began_convergence(real_loss, fake_loss, self.gamma)
        return self.track(d_loss=d_loss, g_loss=g_loss, k=self.k.value,
                          convergence=convergence)

    @classmethod
    def from_config(cls, config):
        """Rebuilds a saved BEGAN; files saved before the compact default name no architecture
        and were the paper's networks, trained discriminator first."""
        config = dict(config)
        config.setdefault("architecture", "paper")
        config.setdefault("generator_first", False)
        return super().from_config(config)

    def get_config(self):
        config = super().get_config()
        del config["generator_loss"]  # BEGAN's generator loss is L(G(z)), not a choice
        config.update(
            filters=self.filters,
            hidden_dim=self.hidden_dim,
            gamma=self.gamma,
            lambda_k=self.lambda_k,
            skip=self.skip,
            architecture=self.architecture,
            generator_first=self.generator_first,
        )
        return config


class HalveLearningRateOnPlateau(keras.callbacks.Callback):
    """Halves every player's learning rate when the convergence measure M stops improving.

    The paper halves the learning rate when the convergence measure stalls. This callback
    watches the epoch mean of the logged "convergence" and halves the learning rate of every
    player optimizer after `patience` epochs without a relative improvement of at least
    `min_delta` on the best value so far.

    Args:
        patience: epochs without improvement before halving.
        min_delta: relative improvement that counts (0.01 = 1% below the best M).
        min_learning_rate: learning rates are never halved below this.
        verbose: print a line when the learning rates are halved.

    Example:

    ```python
    model.fit(images, batch_size=16, epochs=50,
              callbacks=[HalveLearningRateOnPlateau(patience=2)])
    ```
    """

    def __init__(self, patience=2, min_delta=0.01, min_learning_rate=1e-6, verbose=0):
        super().__init__()
        self.patience = patience
        self.min_delta = min_delta
        self.min_learning_rate = min_learning_rate
        self.verbose = verbose
        self.best = math.inf
        self.wait = 0

    def on_epoch_end(self, epoch, logs=None):
        convergence = float((logs or {}).get("convergence", math.nan))
        if not math.isfinite(convergence):
            return
        if convergence < self.best * (1.0 - self.min_delta):
            self.best, self.wait = convergence, 0
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.wait = 0
            for optimizer in self.model.player_optimizers.values():
                rate = float(ops.convert_to_numpy(optimizer.learning_rate))
                optimizer.learning_rate = max(rate / 2.0, self.min_learning_rate)
            if self.verbose:
                print(f"\nEpoch {epoch + 1}: M stalled at {convergence:.4f}; learning rates "
                      "halved.")


# ------------------------------------------------------------------------------------------
# Command line: python -m keras_gans.began
# ------------------------------------------------------------------------------------------
DEFAULTS = dict(dataset="mnist32", batch_size=64, epochs=16, latent_dim=64, g_lr=2e-4,
                d_lr=2e-4)
compile_model = gan.compile_model
UPDATE_ORDERS = ("generator-first", "discriminator-first")
# Runs started before the compact default saved no --architecture or --update-order: they
# trained the paper's networks, discriminator first (see `BEGAN.from_config`).
FORMER_DEFAULTS = {"architecture": "paper", "update_order": "discriminator-first"}


def add_arguments(group):
    """BEGAN's own flags."""
    group.add_argument("--filters", type=cli.integer(at_least=1), default=64,
                       help="n, the networks' base width (the paper uses 64 and 128)")
    group.add_argument("--hidden-dim", type=cli.integer(at_least=1), default=None,
                       help="N_h, the discriminator's embedding size (64 for the paper's "
                            "networks, 32 for the compact ones)")
    group.add_argument("--architecture", choices=sorted(ARCHITECTURES), default="compact",
                       help="the networks: the paper's figure 1, or the compact upsampling "
                            "generator and bottleneck autoencoder")
    group.add_argument("--update-order", choices=UPDATE_ORDERS, default="generator-first",
                       help="generator-first: G, then D on the same fakes; "
                            "discriminator-first: D, then G on fresh noise (the paper's "
                            "simultaneous updates, in sequence)")
    group.add_argument("--gamma", type=cli.number(above=0, at_most=1), default=0.75,
                       help="γ, the diversity ratio E[L(G(z))] / E[L(x)] (paper: 0.3-0.7)")
    group.add_argument("--lambda-k", type=cli.number(at_least=0), default=0.001,
                       help="λ_k, the gain of the k_t equilibrium update")
    group.add_argument("--skip", action="store_true",
                       help="the paper's decoder skip connections")
    group.add_argument("--lr-patience", type=cli.integer(at_least=0), default=0,
                       help="halve the learning rates after this many epochs without a 1%% "
                            "improvement of the convergence measure M (0: never; the paper "
                            "halves on a plateau, e.g. 2)")


def build_model(args, image_shape):
    """The BEGAN the command line asks for."""
    return BEGAN(
        latent_dim=args.latent_dim,
        image_shape=image_shape,
        filters=args.filters,
        hidden_dim=args.hidden_dim,
        gamma=args.gamma,
        lambda_k=args.lambda_k,
        skip=args.skip,
        architecture=args.architecture,
        generator_first=args.update_order == "generator-first",
        seed=args.seed,
    )


def model_callbacks(args):
    """The paper's learning-rate halving on a plateau of M, unless `--lr-patience 0`."""
    if args.lr_patience == 0:
        return []
    return [HalveLearningRateOnPlateau(patience=args.lr_patience, verbose=int(args.verbose > 0))]


def main(argv=None):
    """Command line: `python -m keras_gans.began --help`."""
    return cli.run("began", argv)


if __name__ == "__main__":
    raise SystemExit(main())
