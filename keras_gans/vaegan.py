"""VAE-GAN: a variational autoencoder whose reconstructions are judged by a GAN discriminator.

Reference:
    Larsen, Sønderby, Larochelle, Winther, "Autoencoding beyond pixels using a learned
    similarity metric", arXiv:1512.09300 (ICML 2016). Authors' code:
    andersbll/autoencoding_beyond_pixels (deeppy), `celeba_aegan.py` and `model/aegan.py`.

An encoder maps an image x to a Gaussian q(z|x) = N(μ, σ²); the decoder (the GAN's generator)
maps codes z back to images; a discriminator D tells real images from reconstructions
x̃ = Dec(z), z ~ q(z|x), and from prior samples x_p = Dec(z_p), z_p ~ N(0, I). The VAE's pixel
error is replaced by an error in D's features at a layer l ("learned similarity"):

- L_prior = KL(q(z|x) ‖ N(0, I)), summed over the code's dimensions;
- L_llike = ½‖D_l(x) − D_l(x̃)‖², the negative log-likelihood of D_l(x) under a Gaussian of
  unit variance around D_l(x̃) (without its constant), summed over the features of l;
- L_GAN = the cross-entropy of D on real images, reconstructions and prior samples.

Each player minimizes its own loss (batch means), one after the other in a step:
encoder ← L_prior + L_llike (no GAN gradient reaches it); discriminator ← L_GAN, with real
images weighted ½ and the two kinds of fakes ¼ each, as in the code (`real_vs_gen_weight`
0.5); decoder ← γ·L_llike + the non-saturating generator loss on reconstructions and prior
samples, with γ = 1e-6 (MODEL_SPECS §21's CelebA value; the authors' `celeba_aegan.py` passes
1e-5). The decoder's step decodes the codes of the encoder's step and fresh prior samples,
through the updated discriminator.

Equilibrium gating (the code's `GradientDescent`): before the updates, D's two costs are
measured: on real images, mean −log D(x), and on both kinds of fakes, mean −log(1 − D(x̃ or
x_p)). When either is below 0.68 − 0.35, D is winning and its update is skipped; when either is
above 0.68 + 0.35, D is losing and the decoder's update is skipped; when both happen at once,
both players train. A skipped update does no work (`minimize(..., enabled=...)`); the encoder
always trains.

Networks (paper, 64×64; convolutions 5×5, batch norm before every ReLU, no bias before batch
norm):
- encoder: [conv s2 → BN → ReLU] × {64, 128, 256} → fc 1024 → BN → ReLU → μ, log σ² (128);
- decoder: fc 8·8·256 → BN → ReLU → [transposed conv s2 → BN → ReLU] × {256, 128, 32} →
  conv C → tanh;
- discriminator: conv 32 → ReLU → [conv s2 → BN → ReLU] × {128, 256, 256} → fc 512 → BN → ReLU
  → fc 1 (a logit). The layer l is the output of its last strided convolution before that
  convolution's batch norm: at 64 pixels the fourth convolution (the code's `recon_depth=9`),
  8×8×256.
Smaller images keep the stages next to the image and the 8×8 bottleneck: at 32 pixels (the
offline `mnist32` configuration, latent 32) the encoder has two stride-2 stages {64, 128}, the
decoder starts at 8×8 with {128, 32}, and the discriminator has {128, 256}, so that l is its
third convolution, again 8×8×256: the equivalent of the paper's layer. 16-pixel images keep one
stage. `width_divisor` divides every width (1: the paper's).

Differences from the code: RMSprop 3e-4 at a constant rate (the code anneals its rate from
0.02 / 64 ≈ 3e-4 towards 1e-5 over 150 epochs), no weight decay (the code's 1e-5), Keras'
Glorot-uniform initialization, logits and exact cross-entropies (the code adds 1e-3 inside its
logarithms and puts a sigmoid in D), [-1, 1] data, and the decoder's GAN term in its
non-saturating form (the code reverses D's gradient). Reconstructions and prior samples pass
through the decoder as one batch, and real
images, reconstructions and prior samples through D as one batch (the code concatenates them
too). With γ = 1e-6 the decoder learns almost only from the GAN term: reconstructions follow
the input through the codes the encoder finds. The offline configuration keeps γ and the gate
(MODEL_SPECS never scales loss weights down with the networks).

The sample grids show held-out images beside their reconstructions (input | reconstruction).

    python -m keras_gans.vaegan --dataset shapes --image-size 32
    python -m keras_gans.vaegan --dataset mnist32 --data-dir ../shared/data/mnist
    python -m keras_gans.vaegan --dataset celeb_a --image-size 64 --latent-dim 128
"""

import math

import keras
import numpy as np
from keras import layers
from keras import ops

from keras_gans import callbacks as gan_callbacks
from keras_gans import autoencoding
from keras_gans import cli
from keras_gans import engine
from keras_gans import losses

# The paper's widths at 64 pixels, from the image inwards (encoder, discriminator) or from the
# 8×8 bottleneck outwards (decoder).
ENCODER_WIDTHS = (64, 128, 256)
DECODER_WIDTHS = (256, 128, 32)
DISCRIMINATOR_WIDTHS = (128, 256, 256)
ENCODER_UNITS = 1024
DECODER_CHANNELS = 256
DISCRIMINATOR_FILTERS = 32
DISCRIMINATOR_UNITS = 512
BOTTLENECK_SIZE = 8
IMAGE_SIZES = (16, 32, 64)


# ------------------------------------------------------------------------------------------
# Networks
# ------------------------------------------------------------------------------------------
def count_stages(image_shape):
    """Stride-2 stages between the image and the 8×8 bottleneck: 3 at 64 px, 2 at 32, 1 at 16.

    Raises:
        ValueError: for images that are not square images of 16, 32 or 64 pixels.
    """
    height, width = image_shape[0], image_shape[1]
    if height != width or height not in IMAGE_SIZES:
        raise ValueError(
            "VAE-GAN's networks take square images of 64 pixels (the paper), 32 or 16, but these "
            f"are {height}×{width}: pass --image-size 32 or 64.")
    return int(math.log2(height // BOTTLENECK_SIZE))


def narrowed(width, width_divisor):
    """A layer width divided by `width_divisor`, at least 1."""
    return max(1, width // width_divisor)


def paper_widths(image_shape, width_divisor=1):
    """The widths of the three networks at this image size, each divided by `width_divisor`.

    Returns:
        A dict of the builders' width arguments: `encoder_widths`, `encoder_units`,
        `decoder_widths`, `decoder_channels`, `discriminator_widths`, `discriminator_filters`
        and `discriminator_units`.
    """
    stages = count_stages(image_shape)

    def divided(widths):
        return tuple(narrowed(width, width_divisor) for width in widths)

    return dict(
        encoder_widths=divided(ENCODER_WIDTHS[:stages]),
        encoder_units=narrowed(ENCODER_UNITS, width_divisor),
        decoder_widths=divided(DECODER_WIDTHS[len(DECODER_WIDTHS) - stages:]),
        decoder_channels=narrowed(DECODER_CHANNELS, width_divisor),
        discriminator_widths=divided(DISCRIMINATOR_WIDTHS[:stages]),
        discriminator_filters=narrowed(DISCRIMINATOR_FILTERS, width_divisor),
        discriminator_units=narrowed(DISCRIMINATOR_UNITS, width_divisor),
    )


def batch_normalization():
    """Batch normalization as in the authors' code: momentum 0.9, ε 1e-6, γ = 1, β = 0."""
    return layers.BatchNormalization(momentum=0.9, epsilon=1e-6)


def convolution_block(x, filters, transposed=False):
    """[conv (or transposed conv) k5 s2, no bias → BN → ReLU]: one stage of the paper."""
    convolution = layers.Conv2DTranspose if transposed else layers.Conv2D
    x = convolution(filters, 5, strides=2, padding="same", use_bias=False)(x)
    return layers.ReLU()(batch_normalization()(x))


def check_stages(widths, image_shape, network):
    """Raises ValueError unless `widths` has one width per stride-2 stage of `image_shape`."""
    stages = count_stages(image_shape)
    if len(widths) != stages:
        raise ValueError(
            f"The {network} of {image_shape[0]}-pixel images has {stages} stride-2 stage(s) to "
            f"reach 8×8, but {len(widths)} widths were given: pass {stages}.")


def build_encoder(image_shape=(64, 64, 3), latent_dim=128, encoder_widths=None,
                  encoder_units=ENCODER_UNITS):
    """The encoder of Larsen et al. (2016): image → (μ, log σ²) of q(z|x).

    [conv k5 s2 → BN → ReLU] × widths → fc → BN → ReLU → two linear heads, μ and log σ².

    Args:
        image_shape: (size, size, channels), size 16, 32 or 64.
        latent_dim: size of the code z (128 in the paper, 32 for digits).
        encoder_widths: filters of the stride-2 stages (default: the paper's, those next to the
            image: (64, 128, 256) at 64 px, (64, 128) at 32 px).
        encoder_units: width of the fully connected layer (1024).

    Returns:
        A functional `keras.Model` named "encoder" returning `[mean, log_variance]`.
    """
    encoder_widths = tuple(encoder_widths or paper_widths(image_shape)["encoder_widths"])
    check_stages(encoder_widths, image_shape, "encoder")
    images = keras.Input(tuple(image_shape), name="images")
    x = images
    for filters in encoder_widths:
        x = convolution_block(x, filters)
    x = layers.Flatten()(x)
    x = layers.Dense(encoder_units, use_bias=False)(x)
    x = layers.ReLU()(batch_normalization()(x))
    mean = layers.Dense(latent_dim, dtype="float32", name="mean")(x)
    log_variance = layers.Dense(latent_dim, dtype="float32", name="log_variance")(x)
    return keras.Model(images, [mean, log_variance], name="encoder")


def build_decoder(latent_dim=128, image_shape=(64, 64, 3), decoder_widths=None,
                  decoder_channels=DECODER_CHANNELS):
    """The decoder (the GAN's generator) of Larsen et al. (2016): code z → image.

    fc 8·8·channels → BN → ReLU → [transposed conv k5 s2 → BN → ReLU] × widths → conv k5 →
    tanh.

    Args:
        latent_dim: size of the code z.
        image_shape: (size, size, channels) of the images, size 16, 32 or 64.
        decoder_widths: filters of the stride-2 stages (default: the paper's, those next to the
            image: (256, 128, 32) at 64 px, (128, 32) at 32 px).
        decoder_channels: channels of the 8×8 start (256).

    Returns:
        A functional `keras.Model` named "decoder".
    """
    decoder_widths = tuple(decoder_widths or paper_widths(image_shape)["decoder_widths"])
    check_stages(decoder_widths, image_shape, "decoder")
    codes = keras.Input((latent_dim,), name="codes")
    x = layers.Dense(BOTTLENECK_SIZE * BOTTLENECK_SIZE * decoder_channels, use_bias=False)(codes)
    x = layers.ReLU()(batch_normalization()(x))
    x = layers.Reshape((BOTTLENECK_SIZE, BOTTLENECK_SIZE, decoder_channels))(x)
    for filters in decoder_widths:
        x = convolution_block(x, filters, transposed=True)
    x = layers.Conv2D(image_shape[-1], 5, padding="same")(x)
    images = layers.Activation("tanh", dtype="float32", name="images")(x)
    return keras.Model(codes, images, name="decoder")


def build_discriminator(image_shape=(64, 64, 3), discriminator_widths=None,
                        discriminator_filters=DISCRIMINATOR_FILTERS,
                        discriminator_units=DISCRIMINATOR_UNITS):
    """The discriminator of Larsen et al. (2016), with its learned-similarity layer l.

    conv 32 k5 → ReLU → [conv k5 s2 → BN → ReLU] × widths → fc → BN → ReLU → fc 1 (a logit).
    Its second output is layer l: the last strided convolution's output before its batch norm
    (at 64 px the fourth convolution, the code's `recon_depth=9`; 8×8×256 at 32 and 64 px).

    Args:
        image_shape: (size, size, channels), size 16, 32 or 64.
        discriminator_widths: filters of the stride-2 stages (default: the paper's, those next
            to the image: (128, 256, 256) at 64 px, (128, 256) at 32 px).
        discriminator_filters: filters of the first, stride-1 convolution (32).
        discriminator_units: width of the fully connected layer (512).

    Returns:
        A functional `keras.Model` named "discriminator" returning `[logits, features]`.
    """
    discriminator_widths = tuple(
        discriminator_widths or paper_widths(image_shape)["discriminator_widths"])
    check_stages(discriminator_widths, image_shape, "discriminator")
    images = keras.Input(tuple(image_shape), name="images")
    x = layers.ReLU()(layers.Conv2D(discriminator_filters, 5, padding="same")(images))
    for stage, filters in enumerate(discriminator_widths):
        last = stage == len(discriminator_widths) - 1
        x = layers.Conv2D(filters, 5, strides=2, padding="same", use_bias=False,
                          name="similarity_layer" if last else None)(x)
        if last:
            features = layers.Activation("linear", dtype="float32", name="features")(x)
        x = layers.ReLU()(batch_normalization()(x))
    x = layers.Flatten()(x)
    x = layers.Dense(discriminator_units, use_bias=False)(x)
    x = layers.ReLU()(batch_normalization()(x))
    logits = layers.Dense(1, dtype="float32", name="logits")(x)
    return keras.Model(images, [logits, features], name="discriminator")


def check_networks(encoder, decoder, discriminator, latent_dim, image_shape):
    """Raises ValueError when prebuilt networks do not fit together."""
    if len(encoder.outputs) != 2 or any(
            output.shape[-1] != latent_dim for output in encoder.outputs):
        raise ValueError(
            f"The encoder must return [mean, log_variance], each of size latent_dim={latent_dim}: "
            "build it with vaegan.build_encoder, or pass its latent_dim.")
    if decoder.inputs[0].shape[-1] != latent_dim or tuple(
            decoder.outputs[0].shape[1:]) != tuple(image_shape):
        raise ValueError(
            f"The decoder must map codes of size {latent_dim} to images of shape "
            f"{tuple(image_shape)}: build it with vaegan.build_decoder for these sizes.")
    if len(discriminator.outputs) != 2:
        raise ValueError(
            "The discriminator must return [logits, features of the layer l]: build it with "
            "vaegan.build_discriminator.")


# ------------------------------------------------------------------------------------------
# The model
# ------------------------------------------------------------------------------------------
@keras.saving.register_keras_serializable(package="keras_gans")
class VAEGAN(autoencoding.Autoencoding, engine.GAN):
    """VAE-GAN: an encoder, a decoder and a discriminator whose features measure similarity.

    Train it with `fit()` on images in [-1, 1]. Each step makes one encoder update, then one
    discriminator update and one decoder update unless the equilibrium gate skips them (see
    the module's docstring).

    Args:
        latent_dim: size of the code z ~ N(0, I) (128 in the paper, 32 for 32-pixel digits).
        image_shape: (size, size, channels), size 16, 32 or 64.
        width_divisor: divides every layer width of the paper's networks (1).
        likelihood_weight: γ, the weight of L_llike in the decoder's loss against the GAN
            term (1e-6, the paper's CelebA value).
        equilibrium: the discriminator cost around which the gate balances the players
            (0.68, about log 2).
        margin: how far D's costs may leave `equilibrium` before a player pauses (0.35);
            None trains every player at every step.
        encoder, decoder, discriminator: optional prebuilt networks (see `build_encoder`,
            `build_decoder` and `build_discriminator` for what each returns).
        seed: seed of the model's noise (reparameterization and prior samples).

    Example:

    ```python
    model = VAEGAN(latent_dim=32, image_shape=(32, 32, 1))
    model.compile()  # RMSprop 3e-4 for every player
    model.fit(images, batch_size=64, epochs=20)
    codes = model.encode(images[:8])
    reconstructions = model.reconstruct(images[:8])
    samples = model.generate(16)
    ```
    """

    loss_names = ("e_loss", "prior_loss", "likelihood_loss", "d_loss", "g_loss", "real_cost",
                  "fake_cost", "d_updated", "g_updated")
    network_arguments = ("encoder", "decoder", "discriminator")
    config_arguments = ("latent_dim", "image_shape", "width_divisor",
                        "likelihood_weight", "equilibrium", "margin")

    def __init__(self, latent_dim=32, image_shape=(32, 32, 1), width_divisor=1,
                 likelihood_weight=1e-6, equilibrium=0.68, margin=0.35, encoder=None,
                 decoder=None, discriminator=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.latent_dim = latent_dim
        self.image_shape = tuple(image_shape)
        self.width_divisor = width_divisor
        self.likelihood_weight = likelihood_weight
        self.equilibrium = equilibrium
        self.margin = margin
        if width_divisor < 1:
            raise ValueError(f"width_divisor must be at least 1. Received: "
                             f"width_divisor={width_divisor}")
        widths = (paper_widths(self.image_shape, width_divisor)
                  if None in (encoder, decoder, discriminator) else None)
        self.encoder = encoder or build_encoder(
            self.image_shape, latent_dim, widths["encoder_widths"], widths["encoder_units"])
        self.decoder = decoder or build_decoder(
            latent_dim, self.image_shape, widths["decoder_widths"], widths["decoder_channels"])
        self.discriminator = discriminator or build_discriminator(
            self.image_shape, widths["discriminator_widths"], widths["discriminator_filters"],
            widths["discriminator_units"])
        check_networks(self.encoder, self.decoder, self.discriminator, latent_dim,
                       self.image_shape)
        self.finish_init()

    @property
    def generator(self):
        """The decoder, which is the GAN's generator."""
        return self.decoder

    def compile(self, e_optimizer=None, g_optimizer=None, d_optimizer=None, **kwargs):
        """RMSprop 3e-4 for the encoder, the decoder (`g_optimizer`) and the discriminator."""
        e_optimizer = e_optimizer or keras.optimizers.RMSprop(3e-4, name="e_rmsprop")
        g_optimizer = g_optimizer or keras.optimizers.RMSprop(3e-4, name="g_rmsprop")
        d_optimizer = d_optimizer or keras.optimizers.RMSprop(3e-4, name="d_rmsprop")
        self.compile_players({
            "e_optimizer": (e_optimizer, self.encoder.trainable_variables),
            "d_optimizer": (d_optimizer, self.discriminator.trainable_variables),
            "g_optimizer": (g_optimizer, self.decoder.trainable_variables),
        }, **kwargs)

    # Inference ---------------------------------------------------------------------------
    def call(self, codes, training=False):
        """Decodes a batch of codes (prior samples z ~ N(0, I) give new images)."""
        return self.decoder(codes, training=training)

    @engine.inference
    def generate(self, count):
        """Decodes `count` prior samples z ~ N(0, I)."""
        return self.decoder(self.normal((count, self.latent_dim)), training=False)

    def sample_inputs(self, count, seed=0):
        """Fixed prior samples (NumPy) for `call`: the same seed gives the same images."""
        return np.random.default_rng(seed).standard_normal((count, self.latent_dim)).astype(
            "float32")

    def sample_grid(self, images):
        """Input | reconstruction pairs of a batch of real images, side by side: √count pairs
        per row (8 for 64 images)."""
        pairs_per_row = math.ceil(math.sqrt(len(images)))
        return gan_callbacks.grid_rows(images, self.reconstruct(images)), 2 * pairs_per_row

    # Training ----------------------------------------------------------------------------
    def reparameterize(self, mean, log_variance):
        """z = μ + σ·ε with ε ~ N(0, I) from the model's seed generator."""
        noise = self.normal(ops.shape(mean))
        return mean + ops.exp(0.5 * log_variance) * noise

    def judge(self, real_images, fake_images):
        """D on real images and fakes as one batch: (real logits, fake logits, real features,
        fake features)."""
        batch_size = ops.shape(real_images)[0]
        logits, features = self.discriminator(
            ops.concatenate([real_images, fake_images], axis=0), training=True)
        return logits[:batch_size], logits[batch_size:], features[:batch_size], features[
            batch_size:]

    def decode_both(self, codes, prior_codes):
        """The decoder on codes of real images and on prior samples as one batch:
        (reconstructions, prior images)."""
        images = self.decoder(ops.concatenate([codes, prior_codes], axis=0), training=True)
        batch_size = ops.shape(codes)[0]
        return images[:batch_size], images[batch_size:]

    def gates(self, real_cost, fake_cost):
        """Whether D and the decoder train in this step, from D's costs (the code's rule)."""
        if self.margin is None:
            return None, None
        too_strong = ops.logical_or(real_cost < self.equilibrium - self.margin,
                                    fake_cost < self.equilibrium - self.margin)
        too_weak = ops.logical_or(real_cost > self.equilibrium + self.margin,
                                  fake_cost > self.equilibrium + self.margin)
        # When D is too strong on one kind of image and too weak on the other, both train.
        return ops.logical_or(ops.logical_not(too_strong), too_weak), ops.logical_or(
            ops.logical_not(too_weak), too_strong)

    def gan_step(self, data):
        real_images = data[0] if isinstance(data, tuple) else data
        batch_size = ops.shape(real_images)[0]
        noise_shape = (batch_size, self.latent_dim)
        prior_codes = self.normal(noise_shape)

        # Train the encoder on L_prior + L_llike; measure D's costs on the same batch.
        def encoder_loss():
            mean, log_variance = self.encoder(real_images, training=True)
            codes = self.reparameterize(mean, log_variance)
            reconstructions, prior_images = self.decode_both(codes, prior_codes)
            fakes = ops.concatenate([reconstructions, prior_images], axis=0)
            real_logits, fake_logits, real_features, fake_features = self.judge(
                real_images, fakes)
            prior_loss = losses.kl_divergence_from_standard_normal(mean, log_variance)
            likelihood_loss = losses.gaussian_negative_log_likelihood(
                fake_features[:batch_size], real_features)
            costs = (losses.binary_crossentropy_from_logits(real_logits, 1.0),
                     losses.binary_crossentropy_from_logits(fake_logits, 0.0))
            return prior_loss + likelihood_loss, (codes, fakes, prior_loss, likelihood_loss,
                                                  costs)

        e_loss, (codes, fakes, prior_loss, likelihood_loss, (real_cost, fake_cost)) = (
            self.minimize(encoder_loss, self.encoder.trainable_variables, self.e_optimizer))
        d_turn, g_turn = self.gates(real_cost, fake_cost)

        # Train the discriminator on real images, reconstructions and prior samples.
        def discriminator_loss():
            real_logits, fake_logits, _, _ = self.judge(real_images, fakes)
            return losses.discriminator_loss(real_logits, fake_logits)

        d_loss = self.minimize(discriminator_loss, self.discriminator.trainable_variables,
                               self.d_optimizer, enabled=d_turn)

        # Train the decoder: γ·L_llike and fooling the updated D, with fresh prior samples.
        fresh_prior_codes = self.normal(noise_shape)

        def decoder_loss():
            reconstructions, prior_images = self.decode_both(codes, fresh_prior_codes)
            _, fake_logits, real_features, fake_features = self.judge(
                real_images, ops.concatenate([reconstructions, prior_images], axis=0))
            likelihood_loss = losses.gaussian_negative_log_likelihood(
                fake_features[:batch_size], real_features)
            return (self.likelihood_weight * likelihood_loss
                    + losses.generator_loss_nonsaturating(fake_logits))

        g_loss = self.minimize(decoder_loss, self.decoder.trainable_variables, self.g_optimizer,
                               enabled=g_turn)
        d_updated = 1.0 if d_turn is None else ops.cast(d_turn, "float32")
        g_updated = 1.0 if g_turn is None else ops.cast(g_turn, "float32")
        return self.track(e_loss=e_loss, prior_loss=prior_loss, likelihood_loss=likelihood_loss,
                          d_loss=d_loss, g_loss=g_loss, real_cost=real_cost, fake_cost=fake_cost,
                          d_updated=d_updated, g_updated=g_updated,
                          weights={"d_loss": d_turn, "g_loss": g_turn})


# ------------------------------------------------------------------------------------------
# Command line: python -m keras_gans.vaegan
# ------------------------------------------------------------------------------------------
DEFAULTS = dict(dataset="mnist32", batch_size=64, epochs=100, latent_dim=32, g_lr=3e-4,
                d_lr=3e-4)
# The sample grids show held-out images beside their reconstructions.
GRID_INPUTS = "images"


def add_arguments(group):
    """VAE-GAN's own flags."""
    group.add_argument("--likelihood-weight", type=cli.number(at_least=0), default=1e-6,
                       help="γ: weight of the feature-space reconstruction term in the decoder's "
                       "loss, against the GAN term")
    group.add_argument("--equilibrium", type=cli.number(above=0), default=0.68,
                       help="discriminator cost the equilibrium gate balances the players around")
    group.add_argument("--margin", type=cli.number(at_least=0), default=0.35,
                       help="D's update pauses when one of its costs is below equilibrium − "
                       "margin, the decoder's when one is above equilibrium + margin")
    group.add_argument("--width-divisor", type=cli.integer(at_least=1), default=1,
                       help="divide every layer width of the paper's networks by this")


build_model = cli.flag_builder(VAEGAN)


def compile_model(model, args, **options):
    """RMSprop at `--g-lr` for the encoder and the decoder, at `--d-lr` for the
    discriminator."""
    model.compile(
        e_optimizer=keras.optimizers.RMSprop(args.g_lr, name="e_rmsprop"),
        g_optimizer=keras.optimizers.RMSprop(args.g_lr, name="g_rmsprop"),
        d_optimizer=keras.optimizers.RMSprop(args.d_lr, name="d_rmsprop"),
        **options,
    )


def main(argv=None):
    """Command line: `python -m keras_gans.vaegan --help`."""
    return cli.run("vaegan", argv)


if __name__ == "__main__":
    raise SystemExit(main())
