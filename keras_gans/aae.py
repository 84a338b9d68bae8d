"""AAE: Adversarial Autoencoders.

Reference:
    Makhzani, Shlens, Jaitly, Goodfellow, Frey, "Adversarial Autoencoders", arXiv:1511.05644
    (ICLR 2016 workshop). The authors published no code.

An autoencoder whose codes are made to follow a chosen prior p(z) by a discriminator on the
codes: the encoder q(z|x) is the adversarial network's generator. Every batch trains in the
paper's two phases (§2): in the reconstruction phase the encoder and the decoder minimise the
reconstruction error; in the regularisation phase the discriminator learns to tell prior
samples (real) from codes of the batch (fake), then the encoder minimises BCE(D(q(z|x)), 1)
to fool it. `schedule="joint"` trains instead as the zoo's scripts do: the discriminator, then
the encoder and decoder on one weighted loss 0.999·reconstruction + 0.001·adversarial.

Networks (the Keras-GAN `aae` widths, LeakyReLU 0.2): encoder flatten → fc 512 → fc 512 → fc
10; decoder fc 512 → fc 512 → fc 784 → tanh; discriminator on codes fc 512 → fc 256 → fc 1 (a
logit). The encoder is deterministic, the paper's main choice (§2.1); `posterior="gaussian"`
gives it two heads, μ and log σ², and codes μ + σ·ε reparameterised with the model's noise.
The prior is N(0, I), or `prior="mixture"`: the paper's mixture of 10 Gaussians (Figure 4),
ten elongated Gaussians on a circle (radius 1.4, standard deviation 0.5 along the radius and
0.05 across it) repeated in every pair of latent dimensions, one component per sample.

Differs from the paper: Adam 2e-4, β = (0.5, 0.999) for every phase, each phase with its own
optimizer, instead of SGD with momentum; the reconstruction error is the mean squared error on
[-1, 1] pixels. Not copied: Keras-GAN's removed `merge` API and its `save_model`, which refers
to a generator that does not exist; checkpoints here save every network and optimizer.

    python -m keras_gans.aae --dataset shapes
    python -m keras_gans.aae --dataset mnist --data-dir ../shared/data/mnist --prior mixture
"""

import math

import keras
import numpy as np
from keras import layers, ops

from keras_gans import callbacks as gan_callbacks
from keras_gans import autoencoding, cli, engine, gan, losses

SCHEDULES = ("two_phase", "joint")
POSTERIORS = ("deterministic", "gaussian")
PRIORS = ("normal", "mixture")

# The mixture-of-Gaussians prior: its components, their distance from the origin and their
# standard deviations along and across the radius, in each pair of latent dimensions.
MIXTURE_COMPONENTS = 10
MIXTURE_RADIUS = 1.4
MIXTURE_RADIAL_STDDEV = 0.5
MIXTURE_TANGENTIAL_STDDEV = 0.05


# ------------------------------------------------------------------------------------------
# Networks
# ------------------------------------------------------------------------------------------
def leaky_dense_layers(x, widths):
    """[fc → LeakyReLU(0.2)] × widths: the hidden layers of every AAE network."""
    for width in widths:
        x = layers.LeakyReLU(0.2)(layers.Dense(width)(x))
    return x


def build_encoder(image_shape=(28, 28, 1), latent_dim=10, widths=(512, 512),
                  posterior="deterministic"):
    """The encoder q(z|x) of the paper's MNIST autoencoder: flatten → [fc → LR] × widths → fc.

    Args:
        image_shape: (height, width, channels) of the input images.
        latent_dim: size of the code z (10).
        widths: hidden layer widths.
        posterior: "deterministic" (one output, the code) or "gaussian" (two outputs, the
            mean μ and the log-variance log σ² of a diagonal Gaussian over codes).

    Returns:
        A functional `keras.Model` named "encoder".
    """
    check_choice("posterior", posterior, POSTERIORS)
    images = keras.Input(tuple(image_shape), name="images")
    hidden = leaky_dense_layers(layers.Flatten()(images), widths)
    if posterior == "deterministic":
        codes = layers.Dense(latent_dim, dtype="float32", name="codes")(hidden)
        return keras.Model(images, codes, name="encoder")
    mean = layers.Dense(latent_dim, dtype="float32", name="mean")(hidden)
    log_variance = layers.Dense(latent_dim, dtype="float32", name="log_variance")(hidden)
    return keras.Model(images, [mean, log_variance], name="encoder")


def build_decoder(latent_dim=10, image_shape=(28, 28, 1), widths=(512, 512)):
    """The decoder p(x|z): z → [fc → LR] × widths → fc → tanh → image.

    Args:
        latent_dim: size of the code z.
        image_shape: (height, width, channels) of the decoded images.
        widths: hidden layer widths.

    Returns:
        A functional `keras.Model` named "decoder".
    """
    codes = keras.Input((latent_dim,), name="codes")
    x = layers.Dense(math.prod(image_shape))(leaky_dense_layers(codes, widths))
    x = layers.Activation("tanh", dtype="float32")(x)
    images = layers.Reshape(tuple(image_shape), name="images")(x)
    return keras.Model(codes, images, name="decoder")


def build_discriminator(latent_dim=10, widths=(512, 256)):
    """The discriminator on codes: z → [fc → LR] × widths → fc 1 (a logit: "drawn from p(z)").

    The paper's adversarial network judges codes, not images; it is the B-MLP discriminator of
    `keras_gans.gan` on vectors of size `latent_dim`.

    Returns:
        A functional `keras.Model` named "discriminator".
    """
    return gan.build_discriminator((latent_dim,), widths)


def mixture_of_gaussians(component_draws, offsets, components=MIXTURE_COMPONENTS):
    """Samples of the mixture prior from uniform and standard normal draws (NumPy or tensors).

    Component k of `components` is centred at radius 1.4 and angle 2πk/components in every pair
    of latent dimensions, with standard deviation 0.5 along the radius and 0.05 across it.

    Args:
        component_draws: U[0, 1) draws, shaped (batch, 1): they pick each sample's component.
        offsets: N(0, 1) draws, shaped (batch, latent_dim) with latent_dim even.

    Returns:
        The codes, shaped (batch, latent_dim).
    """
    latent_dim = offsets.shape[-1]
    component = ops.minimum(ops.floor(ops.cast(component_draws, "float32") * components),
                            components - 1.0)
    angle = 2.0 * math.pi * component / components
    offsets = ops.reshape(ops.cast(offsets, "float32"), (-1, latent_dim // 2, 2))
    radial = MIXTURE_RADIUS + MIXTURE_RADIAL_STDDEV * offsets[..., 0]
    tangential = MIXTURE_TANGENTIAL_STDDEV * offsets[..., 1]
    cosine, sine = ops.cos(angle), ops.sin(angle)
    pairs = ops.stack([radial * cosine - tangential * sine,
                       radial * sine + tangential * cosine], axis=-1)
    return ops.reshape(pairs, (-1, latent_dim))


def check_choice(name, value, choices):
    """Raises ValueError unless `value` is one of `choices`."""
    if value not in choices:
        raise ValueError(f"Unknown {name} {value!r}: choose one of {', '.join(choices)}.")


def check_latent_dim(latent_dim, prior):
    """Raises ValueError for a code size the prior cannot fill."""
    if int(latent_dim) != latent_dim or latent_dim < 1:
        raise ValueError(f"latent_dim must be a positive integer (the code size, 10 in the "
                         f"paper). Received: latent_dim={latent_dim}")
    if prior == "mixture" and latent_dim % 2:
        raise ValueError(f"The mixture prior places its Gaussians in pairs of latent dimensions, "
                         f"so the code size must be even, but it is {latent_dim}: pass "
                         f"--latent-dim {latent_dim + 1}.")


def check_networks(encoder, decoder, discriminator, image_shape, latent_dim, posterior):
    """Raises ValueError when prebuilt networks do not fit the images, codes or posterior."""
    outputs = encoder.outputs if hasattr(encoder, "outputs") else []
    wanted = 2 if posterior == "gaussian" else 1
    if len(outputs) != wanted:
        raise ValueError(f"A {posterior} encoder has {wanted} output(s) (the code, or its mean "
                         f"and log-variance), but the encoder given has {len(outputs)}: build it "
                         f"with build_encoder(..., posterior={posterior!r}).")
    shapes = {"the encoder's input": (tuple(encoder.input_shape[1:]), tuple(image_shape)),
              "the encoder's codes": (tuple(outputs[0].shape[1:]), (latent_dim,)),
              "the decoder's input": (tuple(decoder.input_shape[1:]), (latent_dim,)),
              "the decoder's images": (tuple(decoder.output_shape[1:]), tuple(image_shape)),
              "the discriminator's input": (tuple(discriminator.input_shape[1:]), (latent_dim,))}
    for what, (shape, expected) in shapes.items():
        if shape != expected:
            raise ValueError(f"The shape of {what} is {shape}, but the model needs {expected}: "
                             "build the networks with the model's image_shape and latent_dim.")


# ------------------------------------------------------------------------------------------
# The model
# ------------------------------------------------------------------------------------------
@keras.saving.register_keras_serializable(package="keras_gans")
class AAE(autoencoding.Autoencoding, engine.GAN):
    """The adversarial autoencoder: an autoencoder whose codes follow a prior p(z).

    Train it with `fit()` on images in [-1, 1] (labels, if given, are ignored).

    Args:
        latent_dim: size of the code z (10; even for the mixture prior).
        image_shape: (height, width, channels) of the images.
        schedule: "two_phase" (the paper: reconstruction phase, then regularisation phase) or
            "joint" (one weighted loss for the encoder and decoder, as in the zoo's scripts).
        posterior: the encoder q(z|x), "deterministic" (the paper's main choice) or
            "gaussian" (μ, log σ² and z = μ + σ·ε).
        prior: p(z), "normal" (N(0, I)) or "mixture" (the paper's 10 Gaussians).
        adversarial_weight: weight of the adversarial term in the joint schedule's loss (the
            reconstruction term takes the rest: 0.999 and 0.001).
        encoder, decoder, discriminator: optional prebuilt networks (`build_encoder`, ...).
        seed: seed of the model's noise (prior samples and ε).

    Example:

    ```python
    model = AAE(image_shape=(28, 28, 1))
    model.compile()  # Adam 2e-4, β = (0.5, 0.999) for each phase
    model.fit(images, batch_size=64, epochs=100)
    codes = model.encode(images[:16])
    samples = model.generate(16)
    ```
    """

    loss_names = ("reconstruction_loss", "d_loss", "g_loss")
    network_arguments = ("encoder", "decoder", "discriminator")
    config_arguments = ("latent_dim", "image_shape", "schedule",
                        "posterior", "prior", "adversarial_weight")

    def __init__(self, latent_dim=10, image_shape=(28, 28, 1), schedule="two_phase",
                 posterior="deterministic", prior="normal", adversarial_weight=0.001,
                 encoder=None, decoder=None, discriminator=None, seed=None, **kwargs):
        check_choice("schedule", schedule, SCHEDULES)
        check_choice("posterior", posterior, POSTERIORS)
        check_choice("prior", prior, PRIORS)
        check_latent_dim(latent_dim, prior)
        if not 0 <= adversarial_weight <= 1:
            raise ValueError(f"adversarial_weight must be in [0, 1] (the joint schedule uses "
                             f"0.001). Received: adversarial_weight={adversarial_weight}")
        super().__init__(seed=seed, **kwargs)
        self.latent_dim = int(latent_dim)
        self.image_shape = tuple(image_shape)
        self.schedule = schedule
        self.posterior = posterior
        self.prior = prior
        self.adversarial_weight = float(adversarial_weight)
        self.encoder = encoder or build_encoder(self.image_shape, self.latent_dim,
                                                posterior=posterior)
        self.decoder = decoder or build_decoder(self.latent_dim, self.image_shape)
        self.discriminator = discriminator or build_discriminator(self.latent_dim)
        check_networks(self.encoder, self.decoder, self.discriminator, self.image_shape,
                       self.latent_dim, posterior)
        self.finish_init()

    def compile(self, autoencoder_optimizer=None, d_optimizer=None, g_optimizer=None,
                **kwargs):
        """Adam 2e-4, β = (0.5, 0.999) for every phase (the paper used SGD with momentum).

        Two-phase schedule: `autoencoder_optimizer` trains the encoder and decoder on the
        reconstruction error, `d_optimizer` the discriminator, `g_optimizer` the encoder as the
        generator. Joint schedule: `g_optimizer` trains the encoder and decoder on the weighted
        loss, and there is no `autoencoder_optimizer`.
        """
        players = {"d_optimizer": (d_optimizer or adam("d_adam"),
                                   self.discriminator.trainable_variables)}
        if self.schedule == "two_phase":
            players["autoencoder_optimizer"] = (autoencoder_optimizer or adam("autoencoder_adam"),
                                                self.autoencoder_variables())
            players["g_optimizer"] = (g_optimizer or adam("g_adam"),
                                      self.encoder.trainable_variables)
        else:
            if autoencoder_optimizer is not None:
                raise ValueError("The joint schedule trains the encoder and decoder with "
                                 "g_optimizer alone: pass that instead of autoencoder_optimizer.")
            players["g_optimizer"] = (g_optimizer or adam("g_adam"), self.autoencoder_variables())
        self.compile_players(players, **kwargs)

    def autoencoder_variables(self):
        """The trainable variables of the encoder and the decoder."""
        return self.encoder.trainable_variables + self.decoder.trainable_variables

    # Codes and prior samples -------------------------------------------------------------
    def posterior_codes(self, images, training=True):
        """Codes z ~ q(z|x) of `images`: the encoder's output, or μ + σ·ε (ε ~ N(0, I))."""
        if self.posterior == "deterministic":
            return self.encoder(images, training=training)
        mean, log_variance = self.encoder(images, training=training)
        return mean + ops.exp(0.5 * log_variance) * self.normal(ops.shape(mean))

    def prior_samples(self, count):
        """`count` codes drawn from the prior p(z) with the model's noise."""
        if self.prior == "normal":
            return self.normal((count, self.latent_dim))
        component_draws = self.uniform((count, 1))
        return mixture_of_gaussians(component_draws, self.normal((count, self.latent_dim)))

    # Inference -----------------------------------------------------------------------------
    def call(self, codes, training=False):
        """Decodes a batch of codes into images (codes from `sample_inputs`: samples)."""
        return self.decoder(codes, training=training)

    @engine.inference
    def generate(self, count):
        """Draws `count` images: decoded samples of the prior."""
        return self.decoder(self.prior_samples(count), training=False)

    def sample_inputs(self, count, seed=0):
        """Fixed prior samples (NumPy) for sample grids: the same seed gives the same grid."""
        rng = np.random.default_rng(seed)
        offsets = rng.standard_normal((count, self.latent_dim)).astype("float32")
        if self.prior == "normal":
            return offsets
        component_draws = rng.random((count, 1)).astype("float32")
        return ops.convert_to_numpy(mixture_of_gaussians(component_draws, offsets))

    def sample_grid(self, images):
        """Rows of input | reconstruction for sample grids (2 columns)."""
        return gan_callbacks.grid_rows(images, self.reconstruct(images)), 2

    # The training step ---------------------------------------------------------------------
    def reconstruction_error(self, images, codes):
        """The mean squared error between `images` and the decoding of `codes`."""
        return losses.mean_squared_error(self.decoder(codes, training=True), images)

    def discriminator_objective(self, real_images):
        """D's loss: prior samples are real, codes of the batch (held fixed) are fake."""
        prior_codes = self.prior_samples(ops.shape(real_images)[0])
        codes = ops.stop_gradient(self.posterior_codes(real_images))
        return losses.discriminator_loss(self.discriminator(prior_codes, training=True),
                                         self.discriminator(codes, training=True))

    def adversarial_objective(self, codes):
        """The encoder's loss as the generator: BCE(D(z), 1) on its codes."""
        return losses.generator_loss_nonsaturating(self.discriminator(codes, training=True))

    def gan_step(self, data):
        real_images = data[0] if isinstance(data, tuple) else data
        if self.schedule == "joint":
            return self.joint_step(real_images)

        # Reconstruction phase: the encoder and decoder minimise the reconstruction error.
        def reconstruction_loss():
            return self.reconstruction_error(real_images, self.posterior_codes(real_images))

        reconstruction_loss = self.minimize(reconstruction_loss, self.autoencoder_variables(),
                                            self.autoencoder_optimizer)

        # Regularisation phase: the discriminator tells prior samples from codes...
        d_loss = self.minimize(lambda: self.discriminator_objective(real_images),
                               self.discriminator.trainable_variables, self.d_optimizer)

        # ...then the encoder, the generator of this game, learns to fool it.
        g_loss = self.minimize(
            lambda: self.adversarial_objective(self.posterior_codes(real_images)),
            self.encoder.trainable_variables, self.g_optimizer)
        return self.track(reconstruction_loss=reconstruction_loss, d_loss=d_loss, g_loss=g_loss)

    def joint_step(self, real_images):
        """The zoo's step: D, then the encoder and decoder on 0.999·MSE + 0.001·BCE(D(z), 1)."""
        # Train the discriminator: prior samples are real, codes are fake.
        d_loss = self.minimize(lambda: self.discriminator_objective(real_images),
                               self.discriminator.trainable_variables, self.d_optimizer)

        # Train the autoencoder on the weighted sum of both terms.
        def autoencoder_loss():
            codes = self.posterior_codes(real_images)
            reconstruction = self.reconstruction_error(real_images, codes)
            adversarial = self.adversarial_objective(codes)
            weight = self.adversarial_weight
            return (1.0 - weight) * reconstruction + weight * adversarial, (reconstruction,
                                                                            adversarial)

        _, (reconstruction_loss, g_loss) = self.minimize(
            autoencoder_loss, self.autoencoder_variables(), self.g_optimizer)
        return self.track(reconstruction_loss=reconstruction_loss, d_loss=d_loss, g_loss=g_loss)


def adam(name, learning_rate=2e-4):
    """Adam with β = (0.5, 0.999), the optimizer of every phase."""
    return keras.optimizers.Adam(learning_rate, beta_1=0.5, name=name)


# ------------------------------------------------------------------------------------------
# Command line: python -m keras_gans.aae
# ------------------------------------------------------------------------------------------
DEFAULTS = dict(dataset="mnist", batch_size=64, epochs=100, latent_dim=10, g_lr=2e-4,
                d_lr=2e-4)
GRID_INPUTS = "images"


def add_arguments(group):
    """The AAE's own flags."""
    group.add_argument("--schedule", choices=SCHEDULES, default="two_phase",
                       help="two_phase: the paper's reconstruction and regularisation phases; "
                       "joint: one weighted loss for the encoder and decoder (the zoo's)")
    group.add_argument("--posterior", choices=POSTERIORS, default="deterministic",
                       help="the encoder q(z|x): deterministic, or gaussian (μ, log σ², "
                       "reparameterised)")
    group.add_argument("--prior", choices=PRIORS, default="normal",
                       help="the prior of the codes: normal N(0, I), or mixture (the paper's "
                       "10 Gaussians; needs an even --latent-dim)")
    group.add_argument("--autoencoder-lr", type=cli.number(above=0), default=2e-4,
                       help="learning rate of the reconstruction phase (two_phase schedule); "
                       "--g-lr is the encoder's in the regularisation phase")
    group.add_argument("--adversarial-weight", type=cli.number(at_least=0, at_most=1),
                       default=0.001,
                       help="weight of the adversarial term in the joint schedule's loss")


build_model = cli.flag_builder(AAE)


def compile_model(model, args, **options):
    """Compiles with the command line's learning rates (Adam, β = (0.5, 0.999))."""
    if model.schedule == "two_phase":
        options["autoencoder_optimizer"] = adam("autoencoder_adam", args.autoencoder_lr)
    model.compile(d_optimizer=adam("d_adam", args.d_lr), g_optimizer=adam("g_adam", args.g_lr),
                  **options)


def main(argv=None):
    """Command line: `python -m keras_gans.aae --help`."""
    return cli.run("aae", argv)


if __name__ == "__main__":
    raise SystemExit(main())
