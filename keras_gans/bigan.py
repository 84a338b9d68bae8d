"""BiGAN / ALI: adversarially learned inference with an encoder that inverts the generator.

References:
    Donahue, Krähenbühl, Darrell, "Adversarial Feature Learning", arXiv:1605.09782 (ICLR 2017).
    Authors' code: jeffdonahue/bigan.
    Dumoulin, Belghazi, Poole, Mastropietro, Lamb, Arjovsky, Courville, "Adversarially Learned
    Inference", arXiv:1606.00704 (ICLR 2017). Authors' code: IshmaelBelghazi/ALI.

Three networks play: a generator G: z → x, an encoder E: x → z and a discriminator D(x, z) that
judges joint pairs. D learns to tell (x, E(x)), x from the data, from (G(z), z), z ~ U[−1, 1]⁵⁰
(the BiGAN MNIST prior): it minimises ½[BCE(D(x, E(x)), 1) + BCE(D(G(z), z), 0)] from logits.
G and E are trained together, with one optimizer, on the same cross-entropies with the labels
swapped (the non-saturating form of both papers): ½[BCE(D(x, E(x)), 0) + BCE(D(G(z), z), 1)].
At the game's optimum E inverts G, so E(x) is a feature vector of x and G(E(x)) reconstructs it.
Per batch D is updated first, then G and E, each with fresh prior noise; Adam 2e-4,
β = (0.5, 0.999) for D and for G + E; batch 64.

The encoder is BiGAN's deterministic one by default. `encoder="stochastic"` gives ALI's:
E outputs a mean μ(x) and a log standard deviation log σ(x), and D sees the reparameterised
sample z = μ(x) + σ(x)·ε, ε ~ N(0, I) drawn from the model's seed generator; `encode` then
returns μ(x).

Networks (the MLPs of Keras-GAN's `bigan`, with logits and BiGAN's 50-d latent): G: z 50 →
[fc 512 → LeakyReLU(0.2) → BN] × 2 → fc 784 → tanh; E: flatten → [fc 512 → LeakyReLU → BN] × 2
→ fc 50; D: concat(z, flat x) → [fc 1024 → LeakyReLU → dropout 0.5] × 3 → fc 1. Batch norm
uses Keras momentum 0.8.

Differs from the authors' MNIST script (200 constant epochs, then 200 of linear decay; batch
128; weight decay 2.5e-5; their own MLP widths): the rate stays constant, and the default of
200 epochs is their constant phase. Not copied from Keras-GAN: its iteration-as-epoch loop, a
sigmoid before the cross-entropy, and its N(0, I) prior of size 100.

    python -m keras_gans.bigan --dataset shapes --image-size 28
    python -m keras_gans.bigan --dataset mnist --data-dir ../shared/data/mnist --encoder stochastic
    python -m keras_gans.bigan encode --checkpoint runs/bigan/checkpoints/model.keras \\
        --dataset mnist --data-dir ../shared/data/mnist --split test --output codes.npy

Sample grids show held-out images beside their reconstructions G(E(x)); `sample` draws G(z).
"""

import math

import keras
import numpy as np
from keras import layers
from keras import ops

from keras_gans import callbacks as gan_callbacks
from keras_gans import autoencoding, cli, engine, gan, losses

ENCODERS = ("deterministic", "stochastic")

# The command line's sample grids show held-out images beside their reconstructions.
GRID_INPUTS = "images"


def build_generator(latent_dim=50, image_shape=(28, 28, 1), widths=(512, 512)):
    """BiGAN's generator G: z → [fc → LeakyReLU(0.2) → BN] × widths → fc → tanh → image.

    `keras_gans.gan.build_generator` (the B-MLP generator, with the same arguments) at the
    widths of Keras-GAN's BiGAN (Donahue et al., 2016, §4: G maps the latent z to an image);
    a functional `keras.Model` named "generator".
    """
    return gan.build_generator(latent_dim, image_shape, widths)


def build_encoder(image_shape=(28, 28, 1), latent_dim=50, widths=(512, 512), stochastic=False):
    """BiGAN's encoder E: flatten → [fc → LeakyReLU(0.2) → BN] × widths → fc latent_dim.

    Deterministic, as in BiGAN (Donahue et al., 2016), or with ALI's Gaussian output
    (Dumoulin et al., 2016, §2.2): two heads, the mean μ(x) and the log standard deviation
    log σ(x) of q(z | x).

    Args:
        image_shape: (height, width, channels) of the input images.
        latent_dim: size of the codes.
        widths: hidden layer widths.
        stochastic: whether to output (μ, log σ) instead of the codes.

    Returns:
        A functional `keras.Model` named "encoder", with one output (the codes) or two
        (μ, log σ).
    """
    images = keras.Input(tuple(image_shape), name="images")
    x = layers.Flatten()(images)
    for width in widths:
        x = layers.Dense(width)(x)
        x = layers.LeakyReLU(0.2)(x)
        x = layers.BatchNormalization(momentum=0.8)(x)
    if not stochastic:
        codes = layers.Dense(latent_dim, dtype="float32", name="codes")(x)
        return keras.Model(images, codes, name="encoder")
    mean = layers.Dense(latent_dim, dtype="float32", name="mean")(x)
    log_sigma = layers.Dense(latent_dim, dtype="float32", name="log_sigma")(x)
    return keras.Model(images, [mean, log_sigma], name="encoder")


def build_discriminator(image_shape=(28, 28, 1), latent_dim=50, widths=(1024, 1024, 1024),
                        dropout=0.5):
    """BiGAN's joint discriminator D(x, z): concat(z, flat x) → [fc → LeakyReLU(0.2) →
    dropout] × widths → fc 1, a logit (Donahue et al., 2016, §3: D sees data and latent
    together).

    Args:
        image_shape: (height, width, channels) of the images.
        latent_dim: size of the latent codes.
        widths: hidden layer widths.
        dropout: dropout rate after each hidden layer.

    Returns:
        A functional `keras.Model` named "discriminator" taking `[images, latent]`.
    """
    images = keras.Input(tuple(image_shape), name="images")
    latent = keras.Input((latent_dim,), name="latent")
    x = layers.Concatenate()([latent, layers.Flatten()(images)])
    for width in widths:
        x = layers.Dense(width)(x)
        x = layers.LeakyReLU(0.2)(x)
        x = layers.Dropout(dropout)(x)
    logits = layers.Dense(1, dtype="float32", name="logits")(x)
    return keras.Model([images, latent], logits, name="discriminator")


@keras.saving.register_keras_serializable(package="keras_gans")
class BiGAN(autoencoding.Autoencoding, engine.GAN):
    """BiGAN / ALI: a generator, an encoder and a discriminator of (image, latent) pairs.

    Train it with `fit()` on images in [-1, 1]; labels, if given, are ignored.

    Args:
        latent_dim: size of the latent z ~ U[−1, 1] (50).
        image_shape: (height, width, channels) of the images.
        encoder: "deterministic" (BiGAN, default), "stochastic" (ALI: μ and log σ heads,
            z = μ + σ·ε), or a prebuilt encoder network: one output (the codes) for a
            deterministic encoder, two (μ, log σ) for a stochastic one.
        generator: optional prebuilt generator (latent → image).
        discriminator: optional prebuilt discriminator (`[images, latent]` → logit).
        seed: seed of the model's noise.

    Example:

    ```python
    model = BiGAN(image_shape=(28, 28, 1))
    model.compile()
    model.fit(images, batch_size=64, epochs=200)
    features = model.encode(images)
    reconstructions = model.reconstruct(images)
    ```
    """

    loss_names = ("d_loss", "g_loss")
    network_arguments = ("generator", "encoder", "discriminator")

    def __init__(self, latent_dim=50, image_shape=(28, 28, 1), encoder="deterministic",
                 generator=None, discriminator=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.latent_dim = latent_dim
        self.image_shape = tuple(image_shape)
        if isinstance(encoder, str):
            if encoder not in ENCODERS:
                raise ValueError(f"Unknown encoder {encoder!r}: choose one of "
                                 f"{', '.join(ENCODERS)}.")
            encoder = build_encoder(self.image_shape, latent_dim,
                                    stochastic=encoder == "stochastic")
        self.encoder = encoder
        self.encoder_kind = encoder_kind(encoder)
        self.generator = generator or build_generator(latent_dim, self.image_shape)
        self.discriminator = discriminator or build_discriminator(self.image_shape, latent_dim)
        check_latent_sizes(self.generator, self.encoder, latent_dim)
        self.finish_init()

    def compile(self, g_optimizer=None, d_optimizer=None, **kwargs):
        """Adam 2e-4, β = (0.5, 0.999) for D, and one for G and E together."""
        g_optimizer = g_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5, name="g_adam")
        d_optimizer = d_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5, name="d_adam")
        self.compile_players({
            "d_optimizer": (d_optimizer, self.discriminator.trainable_variables),
            "g_optimizer": (g_optimizer, self.generator_encoder_variables()),
        }, **kwargs)

    def generator_encoder_variables(self):
        """The variables of G and E, which one optimizer trains together."""
        return self.generator.trainable_variables + self.encoder.trainable_variables

    # ----------------------------------------------------------------------------------------
    # Inference
    # ----------------------------------------------------------------------------------------
    def call(self, latent, training=False):
        """Decodes a batch of latent vectors into images (G)."""
        return self.generator(latent, training=training)

    def decoder_network(self):
        """G, which decodes BiGAN's codes into images."""
        return self.generator

    @engine.inference
    def generate(self, count):
        """Draws `count` images G(z), z ~ U[−1, 1]."""
        return self.generator(self.prior((count, self.latent_dim)), training=False)

    def sample_inputs(self, count, seed=0):
        """Fixed latent vectors z ~ U[−1, 1] (NumPy): the same seed gives the same grid."""
        return np.random.default_rng(seed).uniform(
            -1.0, 1.0, (count, self.latent_dim)).astype("float32")

    def sample_grid(self, images):
        """Pairs input | reconstruction G(E(x)), side by side, about √count pairs a row."""
        pairs_per_row = math.ceil(math.sqrt(len(images)))
        return gan_callbacks.grid_rows(images, self.reconstruct(images)), 2 * pairs_per_row

    # ----------------------------------------------------------------------------------------
    # Training
    # ----------------------------------------------------------------------------------------
    def prior(self, shape):
        """Latent vectors z ~ U[−1, 1] from the model's seed generator."""
        return self.uniform(shape, minval=-1.0, maxval=1.0)

    def infer(self, images, training=True):
        """A latent sample of q(z | x): E(x), or μ(x) + σ(x)·ε for a stochastic encoder."""
        if self.encoder_kind == "deterministic":
            return self.encoder(images, training=training)
        mean, log_sigma = self.encoder(images, training=training)
        noise = self.normal((ops.shape(mean)[0], self.latent_dim))
        return mean + ops.exp(log_sigma) * noise

    def gan_step(self, data):
        real_images = data[0] if isinstance(data, tuple) else data
        batch_size = ops.shape(real_images)[0]

        # Train the discriminator: (x, E(x)) is real, (G(z), z) is fake.
        def discriminator_loss():
            latent = self.prior((batch_size, self.latent_dim))
            codes = ops.stop_gradient(self.infer(real_images))
            fake_images = ops.stop_gradient(self.generator(latent, training=True))
            return losses.discriminator_loss(
                self.discriminator([real_images, codes], training=True),
                self.discriminator([fake_images, latent], training=True))

        d_loss = self.minimize(
            discriminator_loss, self.discriminator.trainable_variables, self.d_optimizer)

        # Train the generator and the encoder together, with the labels swapped.
        def generator_encoder_loss():
            latent = self.prior((batch_size, self.latent_dim))
            codes = self.infer(real_images)
            fake_images = self.generator(latent, training=True)
            return losses.bidirectional_generator_loss(
                self.discriminator([real_images, codes], training=True),
                self.discriminator([fake_images, latent], training=True))

        g_loss = self.minimize(
            generator_encoder_loss, self.generator_encoder_variables(), self.g_optimizer)
        return self.track(d_loss=d_loss, g_loss=g_loss)

    def get_config(self):
        config = super().get_config()
        config.update(latent_dim=self.latent_dim, image_shape=list(self.image_shape))
        return config


def encoder_kind(encoder):
    """ "deterministic" for an encoder network with one output, "stochastic" for two (μ, log σ).
    """
    outputs = len(encoder.outputs) if isinstance(encoder.outputs, (list, tuple)) else 1
    if outputs not in (1, 2):
        raise ValueError(
            f"An encoder outputs the codes (deterministic) or (mean, log sigma) (stochastic), "
            f"but this one has {outputs} outputs: pass a network with one or two outputs.")
    return ENCODERS[outputs - 1]


def check_latent_sizes(generator, encoder, latent_dim):
    """Raises ValueError unless G takes and E gives codes of size `latent_dim`."""
    sizes = {"the generator's input": generator.inputs[0].shape[-1]}
    for index, output in enumerate(keras.tree.flatten(encoder.outputs)):
        sizes[f"the encoder's output {index}"] = output.shape[-1]
    for name, size in sizes.items():
        if size != latent_dim:
            raise ValueError(f"The latent size is {latent_dim}, but {name} has size {size}: "
                             f"pass latent_dim={size} or networks built for {latent_dim}.")


# ------------------------------------------------------------------------------------------
# Command line: python -m keras_gans.bigan
# ------------------------------------------------------------------------------------------
DEFAULTS = dict(dataset="mnist", batch_size=64, epochs=200, latent_dim=50, g_lr=2e-4, d_lr=2e-4)


def add_arguments(group):
    """BiGAN's own flags."""
    group.add_argument("--encoder", choices=ENCODERS, default="deterministic",
                       help="BiGAN's deterministic encoder, or ALI's stochastic one "
                       "(mean and log sigma, reparameterised)")


def build_model(args, image_shape):
    """The BiGAN the command line asks for."""
    return BiGAN(latent_dim=args.latent_dim, image_shape=image_shape, encoder=args.encoder,
                 seed=args.seed)


compile_model = gan.compile_model


def main(argv=None):
    """Command line: `python -m keras_gans.bigan --help`."""
    return cli.run("bigan", argv)


if __name__ == "__main__":
    raise SystemExit(main())
