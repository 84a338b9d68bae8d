"""BEGAN: Boundary Equilibrium Generative Adversarial Networks.

Reference:
    Berthelot, Schumm, Metz, "BEGAN: Boundary Equilibrium Generative Adversarial Networks",
    arXiv:1703.10717 (2017). There is no code by the authors; the networks follow the paper's
    figure 1 (the layout popularised by carpedm20/BEGAN-tensorflow).

The discriminator is an autoencoder; L(v) = mean |v − D(v)| is its reconstruction loss. The
discriminator minimises L(x) − k_t·L(G(z)), the generator minimises L(G(z)), and a
proportional controller keeps the two losses in the ratio γ = E[L(G(z))] / E[L(x)]:

    k_{t+1} = clip(k_t + λ_k·(γ·L(x) − L(G(z))), 0, 1),  k_0 = 0.

The convergence measure M = L(x) + |γ·L(x) − L(G(z))| falls as training converges.

Networks (the paper's, scaled to the image size; 32 px: scales 32 → 16 → 8):

- Encoder: c_n k3 → per scale [c k3, c k3, c k3 s2] with widths n, 2n, 3n, … (no stride-2
  convolution at the last, 8×8 scale) → fc N_h. ELU after every convolution, no batch norm.
- Decoder: fc N_h → 8×8×n → per scale [c_n k3, c_n k3, nearest ×2 up] (no upsampling after the
  last scale) → c C k3. `skip=True` concatenates the first 8×8 map, upsampled, to the input of
  every later scale (the paper's skip connections).
- The generator is a decoder (z ~ U[−1, 1]^64) ending in tanh, so that samples are images in
  [−1, 1]; the discriminator's decoder output is linear, a reconstruction.
- n = 64 filters, N_h = 64, γ = 0.5, λ_k = 0.001; Adam 1e-4 with β1 = 0.5 for both; batch 16.
- `HalveLearningRateOnPlateau` halves both learning rates when the epoch mean of M stops
  improving (the paper halves the learning rate when M stalls). It is a callback for `fit()`;
  the command line adds it (`--lr-patience`, 2 epochs by default; 0 turns it off).
- L(x) for the k_t update and for M is measured after the discriminator step, by the same
  discriminator that measures L(G(z_G)) in the generator step (one extra forward pass on the
  real batch: the engine's `minimize` returns only the loss).

Zoo defects not copied: PyTorch-GAN's DCGAN-lite generator with batch norm (epsilon 0.8) and
its one-layer fully connected autoencoder, and γ = 0.75.

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
        hidden_dim: N_h, the discriminator's embedding size (64).
        gamma: γ, the diversity ratio E[L(G(z))] / E[L(x)] the controller aims for (0.5).
        lambda_k: λ_k, the proportional gain of the k_t update (0.001).
        skip: the paper's decoder skip connections (in both networks).
        generator, discriminator: optional prebuilt networks (latent → image, image →
            reconstruction).
        seed: seed of the model's noise.

    Example:

    ```python
    model = BEGAN(image_shape=(32, 32, 1))
    model.compile()  # Adam 1e-4, β = (0.5, 0.999)
    model.fit(images, batch_size=16, epochs=10,
              callbacks=[HalveLearningRateOnPlateau(patience=2)])
    print(float(model.k))
    ```
    """

    loss_names = ("d_loss", "g_loss", "k", "convergence")

    def __init__(
        self,
        latent_dim=64,
        image_shape=(32, 32, 1),
        filters=64,
        hidden_dim=64,
        gamma=0.5,
        lambda_k=0.001,
        skip=False,
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
        self.filters = filters
        self.hidden_dim = hidden_dim
        self.gamma = float(gamma)
        self.lambda_k = float(lambda_k)
        self.skip = bool(skip)
        super().__init__(
            latent_dim=latent_dim,
            image_shape=image_shape,
            generator=generator
            or build_generator(latent_dim, image_shape, filters=filters, skip=skip),
            discriminator=discriminator
            or build_discriminator(image_shape, filters=filters, hidden_dim=hidden_dim,
                                   skip=skip),
            seed=seed,
            **kwargs,
        )
        # k_t: the equilibrium controller's state, saved with the model.
        self.k = keras.Variable(0.0, trainable=False, dtype="float32", name="k",
                                aggregation="only_first_replica")

    def compile(self, g_optimizer=None, d_optimizer=None, **kwargs):
        """Adam 1e-4, β = (0.5, 0.999) for both players (the paper's 1e-4; β1 0.5 here)."""
        super().compile(
            g_optimizer=g_optimizer or keras.optimizers.Adam(1e-4, beta_1=0.5, name="g_adam"),
            d_optimizer=d_optimizer or keras.optimizers.Adam(1e-4, beta_1=0.5, name="d_adam"),
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

    def gan_step(self, data):
        real_images = data[0] if isinstance(data, tuple) else data
        batch_size = ops.shape(real_images)[0]

        # Train the discriminator: reconstruct real images, and fakes badly in proportion k_t.
        def discriminator_loss():
            fake_images = ops.stop_gradient(self.generator(self.latent(batch_size),
                                                           training=True))
            return (self.reconstruction_loss(real_images)
                    - self.k.value * self.reconstruction_loss(fake_images))

        d_loss = self.minimize(
            discriminator_loss, self.discriminator.trainable_variables, self.d_optimizer
        )

        # Train the generator: make its samples easy to reconstruct, with fresh noise.
        def generator_loss():
            return self.reconstruction_loss(
                self.generator(self.latent(batch_size), training=True))

        g_loss = self.minimize(
            generator_loss, self.generator.trainable_variables, self.g_optimizer
        )

        # Update k_t from L(x) and L(G(z_G)), both measured by the updated discriminator
        # (averaged over replicas, so that every replica keeps the same k_t).
        real_loss = engine.replica_mean(self.reconstruction_loss(real_images))
        fake_loss = engine.replica_mean(g_loss)
        self.k.assign(losses.began_equilibrium_update(
            self.k.value, real_loss, fake_loss, self.gamma, self.lambda_k))
        convergence = losses.began_convergence(real_loss, fake_loss, self.gamma)
        return self.track(d_loss=d_loss, g_loss=g_loss, k=self.k.value,
                          convergence=convergence)

    def get_config(self):
        config = super().get_config()
        del config["generator_loss"]  # BEGAN's generator loss is L(G(z)), not a choice
        config.update(
            filters=self.filters,
            hidden_dim=self.hidden_dim,
            gamma=self.gamma,
            lambda_k=self.lambda_k,
            skip=self.skip,
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
DEFAULTS = dict(dataset="mnist32", batch_size=16, epochs=25, latent_dim=64, g_lr=1e-4,
                d_lr=1e-4)
compile_model = gan.compile_model


def add_arguments(group):
    """BEGAN's own flags."""
    group.add_argument("--filters", type=cli.integer(at_least=1), default=64,
                       help="n, the networks' base width (the paper uses 64 and 128)")
    group.add_argument("--hidden-dim", type=cli.integer(at_least=1), default=64,
                       help="N_h, the discriminator's embedding size")
    group.add_argument("--gamma", type=cli.number(above=0, at_most=1), default=0.5,
                       help="γ, the diversity ratio E[L(G(z))] / E[L(x)] (paper: 0.3-0.7)")
    group.add_argument("--lambda-k", type=cli.number(at_least=0), default=0.001,
                       help="λ_k, the gain of the k_t equilibrium update")
    group.add_argument("--skip", action="store_true",
                       help="the paper's decoder skip connections")
    group.add_argument("--lr-patience", type=cli.integer(at_least=0), default=2,
                       help="halve the learning rates after this many epochs without a 1%% "
                            "improvement of the convergence measure M (0: never)")


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
