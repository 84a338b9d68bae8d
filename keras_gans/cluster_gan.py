"""ClusterGAN: latent-space clustering with a generator, a Wasserstein critic and an encoder.

Reference:
    Mukherjee, Asnani, Lin, Kannan, "ClusterGAN: Latent Space Clustering in Generative
    Adversarial Networks", arXiv:1809.03627 (AAAI 2019). Authors' code:
    sudiptodip15/ClusterGAN (TensorFlow), whose MNIST networks (`mnist/clus_wgan.py`) this
    module follows.

The latent vector is z = (z_n, z_c): a continuous part z_n ∈ R^30 ~ N(0, 0.1²·I) and a one-hot
cluster code z_c drawn uniformly over K = 10 clusters. The generator G maps z to an image; the
encoder E maps an image back to an estimate of z_n and to logits over the K clusters, so that
after training argmax E_c(x) clusters real images. The critic D trains as in WGAN-GP,
n_critic = 5 times per generator step, each time on a fresh real batch, on
E[D(G(z))] − E[D(x)] + λ·E[(‖∇D(x̂)‖₂ − 1)²] at interpolates x̂ = x + α(G(z) − x) with one
α ~ U[0, 1] per sample (λ = 10). G and E then take one joint step on
−E[D(G(z))] + β_n·‖z_n − E_n(G(z))‖²/30 + β_c·CE(E_c(G(z)), z_c), β_n = β_c = 10, with an L2
weight decay of 2.5e-5 on the kernels of G and E (the authors' `l2_regularizer(2.5e-5)`, i.e. a
penalty 2.5e-5·Σw²/2, whose gradient 2.5e-5·w is also PyTorch's `weight_decay`). Adam 1e-4,
β = (0.5, 0.9) for D and for G+E together; batch 64.

The networks, with [-1, 1] data and a tanh output instead of the authors' [0, 1] data and
sigmoid:
- G: [z_n, z_c] (40) → fc 1024 → BN → ReLU → fc 7·7·128 → BN → ReLU → convT 64 k4 s2 → BN →
  ReLU → convT 1 k4 s2 → tanh;
- D: conv 64 k4 s2 → LeakyReLU(0.2) → conv 128 k4 s2 → LReLU → fc 1024 → LReLU → fc 1, with no
  normalization (a WGAN-GP critic);
- E: the same trunk as D → fc 40, split into the z_n estimate (30, linear) and the cluster
  logits (10).

Weights N(0, 0.02) as in the authors' code, except the last fc layers of D and E (Glorot
uniform, their default). Batch normalization is the authors' `tf.contrib` batch norm (offset,
no scale, ε 1e-3), with Keras momentum 0.9 for the moving statistics used at inference.

After training, `cluster(images)` gives argmax E_c (the `cluster` subcommand writes it for a
dataset), `encode(images)` the estimate of [z_n, z_c] and `generate(count, clusters=k)`
samples of cluster k; sample grids show one row per cluster, the same z_n down each column.

Not copied: PyTorch-GAN's z_n scale of 0.75 (the paper's is 0.1) and its CUDA-only sampler; the
authors' single interpolation coefficient shared by the whole batch (here one α per sample).
The authors train for 500k iterations; the library's offline task trains far less (see
scripts/criteria/cluster_gan.py).

    python -m keras_gans.cluster_gan --dataset shapes --image-size 28
    python -m keras_gans.cluster_gan --dataset mnist --data-dir ../shared/data/mnist
    python -m keras_gans.cluster_gan cluster --dataset mnist --data-dir ../shared/data/mnist \\
        --checkpoint runs/cluster_gan/checkpoints/model.keras --output clusters.npy
"""

import keras
from keras import layers
from keras import ops

from keras_gans import cli
from keras_gans import conditioning
from keras_gans import engine
from keras_gans import losses
from keras_gans import wgan_gp
from keras_gans.blocks import weight_initializer
from keras_gans.layers import check_no_batch_normalization

STRIDES = 4  # two stride-2 stages: the generator starts from a (size / 4)-pixel map


# ------------------------------------------------------------------------------------------
# The authors' MNIST networks
# ------------------------------------------------------------------------------------------
def check_image_shape(image_shape):
    """Raises ValueError unless the images are square with a side that is a multiple of 4."""
    height, width, _ = image_shape
    if height != width or height % STRIDES or height < STRIDES:
        raise ValueError(
            f"ClusterGAN's networks halve square images twice (28 → 14 → 7), so the side must "
            f"be a multiple of {STRIDES}, but these are {height}×{width}: pass --image-size 28. "
            f"Received: image_shape={tuple(image_shape)}"
        )


def weight_decay_regularizer(weight_decay):
    """The L2 penalty weight_decay·Σw²/2 (TensorFlow's `l2_regularizer(weight_decay)`), or None."""
    return keras.regularizers.L2(weight_decay / 2.0) if weight_decay else None


def generator_batch_normalization():
    """The authors' batch norm (`tf.contrib.layers.batch_norm`): an offset and no scale, ε 1e-3;
    Keras momentum 0.9 for the moving statistics used at inference."""
    return layers.BatchNormalization(momentum=0.9, epsilon=1e-3, scale=False)


def build_generator(latent_dim=30, clusters=10, image_shape=(28, 28, 1), filters=64,
                    hidden_units=1024, weight_decay=2.5e-5):
    """ClusterGAN generator: [z_n, z_c] → fc 1024 → BN → ReLU → fc 7·7·128 → BN → ReLU → convT 64
    → BN → ReLU → convT → tanh.

    The transposed convolutions have 4×4 kernels and stride 2 (7 → 14 → 28). Mukherjee et al.
    (2019), the authors' MNIST generator, which takes z_n and the one-hot z_c concatenated.

    Args:
        latent_dim: size of the continuous part z_n (30).
        clusters: K, the size of the one-hot part z_c (10).
        image_shape: (size, size, channels), the size a multiple of 4.
        filters: channels of the first transposed convolution (64); the fc layer's map has
            twice as many (128).
        hidden_units: units of the first fc layer (1024).
        weight_decay: L2 weight decay on every kernel (2.5e-5), see `weight_decay_regularizer`.

    Returns:
        A functional `keras.Model` named "generator" taking [z_n, one-hot z_c].
    """
    check_image_shape(image_shape)
    start = image_shape[0] // STRIDES
    options = dict(kernel_initializer=weight_initializer(),
                   kernel_regularizer=weight_decay_regularizer(weight_decay))
    latent = keras.Input((latent_dim,), name="latent")
    classes = keras.Input((clusters,), name="clusters")
    x = layers.Concatenate()([latent, classes])
    x = layers.Dense(hidden_units, **options)(x)
    x = layers.ReLU()(generator_batch_normalization()(x))
    x = layers.Dense(start * start * 2 * filters, **options)(x)
    x = layers.Reshape((start, start, 2 * filters))(x)
    x = layers.ReLU()(generator_batch_normalization()(x))
    x = layers.Conv2DTranspose(filters, 4, strides=2, padding="same", **options)(x)
    x = layers.ReLU()(generator_batch_normalization()(x))
    x = layers.Conv2DTranspose(image_shape[-1], 4, strides=2, padding="same", **options)(x)
    images = layers.Activation("tanh", dtype="float32", name="images")(x)
    return keras.Model([latent, classes], images, name="generator")


def critic_trunk(images, filters=64, hidden_units=1024, weight_decay=0.0):
    """The layers D and E share: conv 64 k4 s2 → LReLU → conv 128 k4 s2 → LReLU → fc 1024 → LReLU.

    Args:
        images: the input tensor of a functional network.
        filters: channels of the first convolution (64); the second has twice as many.
        hidden_units: units of the fc layer (1024).
        weight_decay: L2 weight decay on the kernels (the encoder's 2.5e-5; none in D).

    Returns:
        The features of the fc layer.
    """
    options = dict(kernel_initializer=weight_initializer(),
                   kernel_regularizer=weight_decay_regularizer(weight_decay))
    x = images
    for width in (filters, 2 * filters):
        x = layers.Conv2D(width, 4, strides=2, padding="same", **options)(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Flatten()(x)
    return layers.LeakyReLU(0.2)(layers.Dense(hidden_units, **options)(x))


def build_critic(image_shape=(28, 28, 1), filters=64, hidden_units=1024):
    """ClusterGAN critic D: `critic_trunk` → fc 1, an unbounded score with no normalization.

    Mukherjee et al. (2019), the authors' MNIST discriminator, trained as a WGAN-GP critic.

    Args:
        image_shape: (size, size, channels), the size a multiple of 4.
        filters: channels of the first convolution (64).
        hidden_units: units of the hidden fc layer (1024).

    Returns:
        A functional `keras.Model` named "critic" (image → score).
    """
    check_image_shape(image_shape)
    images = keras.Input(image_shape, name="images")
    features = critic_trunk(images, filters, hidden_units)
    scores = layers.Dense(1, dtype="float32", name="scores")(features)
    return keras.Model(images, scores, name="critic")


def build_encoder(latent_dim=30, clusters=10, image_shape=(28, 28, 1), filters=64,
                  hidden_units=1024, weight_decay=2.5e-5):
    """ClusterGAN encoder E: `critic_trunk` → fc (latent_dim + clusters), split in two.

    Mukherjee et al. (2019), the authors' MNIST encoder: one linear layer whose first
    `latent_dim` outputs estimate z_n and whose last `clusters` outputs are the logits of z_c.

    Args:
        latent_dim: size of z_n (30).
        clusters: K (10).
        image_shape: (size, size, channels), the size a multiple of 4.
        filters: channels of the first convolution (64).
        hidden_units: units of the hidden fc layer (1024).
        weight_decay: L2 weight decay on every kernel (2.5e-5).

    Returns:
        A functional `keras.Model` named "encoder": image → [z_n estimate, cluster logits].
    """
    check_image_shape(image_shape)
    images = keras.Input(image_shape, name="images")
    features = critic_trunk(images, filters, hidden_units, weight_decay)
    latent = layers.Dense(latent_dim + clusters, dtype="float32", name="latent",
                          kernel_regularizer=weight_decay_regularizer(weight_decay))(features)
    noise = layers.Identity(name="noise")(latent[:, :latent_dim])
    cluster_logits = layers.Identity(name="cluster_logits")(latent[:, latent_dim:])
    return keras.Model(images, [noise, cluster_logits], name="encoder")


# ------------------------------------------------------------------------------------------
# The model
# ------------------------------------------------------------------------------------------
@keras.saving.register_keras_serializable(package="keras_gans")
class ClusterGAN(conditioning.ClassConditional, wgan_gp.WassersteinGAN):
    """ClusterGAN: a WGAN-GP whose latent space has K clusters that an encoder recovers.

    Each training step makes `n_critic` critic updates, each on a fresh real batch, then one
    joint update of the generator and the encoder (see the module docstring for the losses).
    When calling `fit()` directly, pass `batch_size = n_critic × 64` (the command line does
    this itself). Labels are never used: the clusters are learnt.

    The generator takes `(z_n, cluster ids)` like the library's conditional models
    (`conditioning.ClassConditional`), so `model((noise, clusters))`, `sample_inputs` and the
    sample grids (one row per cluster, the same z_n down each column) work as theirs do;
    `num_classes` is K.

    Args:
        latent_dim: size of the continuous latent z_n (30).
        clusters: K, the number of clusters, i.e. the size of the one-hot z_c (10).
        image_shape: (size, size, channels), the size a multiple of 4.
        noise_stddev: standard deviation σ of z_n ~ N(0, σ²·I) (0.1).
        n_critic: critic updates per generator update (5).
        gp_weight: λ, the weight of the gradient penalty (10).
        noise_weight: β_n, the weight of the z_n reconstruction term (10).
        cluster_weight: β_c, the weight of the z_c cross-entropy term (10).
        weight_decay: L2 weight decay on the kernels of the default G and E (2.5e-5).
        filters: channels of the networks' 64-channel layers (64).
        hidden_units: units of their 1024-unit fc layers (1024).
        generator: optional prebuilt generator ([z_n, one-hot z_c] → image in [-1, 1]).
        discriminator: optional prebuilt critic (image → score) without batch normalization.
        encoder: optional prebuilt encoder (image → [z_n estimate, cluster logits]).
        seed: seed of the model's noise (z_n, z_c and the interpolation weights).

    Logs: "d_loss" (critic loss with its penalty), "wasserstein_estimate", "gradient_penalty",
    "g_loss" (the G+E loss, weight decay included), "noise_loss" (the mean squared error of
    E_n(G(z)) against z_n) and "cluster_loss" (the cross-entropy of E_c(G(z)) against z_c),
    the last two without their weights.

    Example:

    ```python
    model = ClusterGAN(image_shape=(28, 28, 1))
    model.compile()  # Adam 1e-4, β = (0.5, 0.9) for D and for G+E
    model.fit(digits, batch_size=5 * 64, epochs=100)  # 5 critic batches per step
    cluster_ids = model.cluster(digits)  # argmax of E_c: one cluster per image
    cluster_3 = model.generate(16, clusters=3)
    ```
    """

    loss_names = ("d_loss", "g_loss", "wasserstein_estimate", "gradient_penalty", "noise_loss",
                  "cluster_loss")
    network_arguments = ("generator", "discriminator", "encoder")
    config_arguments = ("clusters", "noise_stddev", "gp_weight", "noise_weight", "cluster_weight",
                        "weight_decay", "filters", "hidden_units")

    def __init__(self, latent_dim=30, clusters=10, image_shape=(28, 28, 1), noise_stddev=0.1,
                 n_critic=5, gp_weight=10.0, noise_weight=10.0, cluster_weight=10.0,
                 weight_decay=2.5e-5, filters=64, hidden_units=1024, generator=None,
                 discriminator=None, encoder=None, seed=None, **kwargs):
        check_settings(latent_dim=latent_dim, clusters=clusters, noise_stddev=noise_stddev,
                       gp_weight=gp_weight, noise_weight=noise_weight,
                       cluster_weight=cluster_weight, weight_decay=weight_decay)
        image_shape = tuple(image_shape)
        networks = dict(image_shape=image_shape, filters=filters, hidden_units=hidden_units)
        discriminator = discriminator or build_critic(**networks)
        check_no_batch_normalization(discriminator, "ClusterGAN", "pass a critic without it")
        generator = generator or build_generator(latent_dim, clusters, weight_decay=weight_decay,
                                                 **networks)
        super().__init__(latent_dim=latent_dim, image_shape=image_shape, generator=generator,
                         discriminator=discriminator, n_critic=n_critic, seed=seed, **kwargs)
        self.clusters = int(clusters)
        self.noise_stddev = float(noise_stddev)
        self.gp_weight = float(gp_weight)
        self.penalty_weight = self.gp_weight
        self.noise_weight = float(noise_weight)
        self.cluster_weight = float(cluster_weight)
        self.weight_decay = float(weight_decay)
        self.filters = filters
        self.hidden_units = hidden_units
        self.encoder = encoder or build_encoder(latent_dim, clusters, weight_decay=weight_decay,
                                                **networks)

    @property
    def num_classes(self):
        """K, under the name the library's class-conditional helpers use."""
        return self.clusters

    def compile(self, g_optimizer=None, d_optimizer=None, **kwargs):
        """Adam 1e-4, β = (0.5, 0.9) for the critic and one for G and E together."""
        self.compile_players(
            {
                "d_optimizer": (d_optimizer or wgan_gp.adam(1e-4, 0.5, "d_adam"),
                                self.critic.trainable_variables),
                "g_optimizer": (g_optimizer or wgan_gp.adam(1e-4, 0.5, "g_adam"),
                                self.generator_encoder_variables()),
            },
            **kwargs,
        )

    def generator_encoder_variables(self):
        """The variables of G and E, which one optimizer updates together."""
        return self.generator.trainable_variables + self.encoder.trainable_variables

    # Training -----------------------------------------------------------------------------
    def sample_latent(self, batch_size):
        """Fresh z = (z_n, z_c) from the model's seed generator, drawn as
        `ClassConditional.fakes` draws them: the cluster ids, int32 (batch,), uniformly, then
        z_n ~ N(0, σ²·I)."""
        cluster_ids = self.random_labels(batch_size)
        noise = self.normal((batch_size, self.latent_dim), stddev=self.noise_stddev)
        return noise, cluster_ids

    def penalty(self, real_images, fake_images):
        """E[(‖∇D(x̂)‖₂ − 1)²] at interpolates with one α per sample (without λ)."""
        gradients = self.critic_gradients(self.interpolates(real_images, fake_images))
        return losses.gradient_penalty(gradients)

    def fresh_fakes(self, batch_size):
        """The critic's fakes: images of fresh z = (z_n, z_c) (`ClassConditional.fakes`)."""
        return self.fakes(batch_size)[0]

    def generator_encoder_loss(self, batch_size):
        """−E[D(G(z))] + β_n·MSE(E_n(G(z)), z_n) + β_c·CE(E_c(G(z)), z_c) on fresh z.

        Returns:
            `(loss, (noise_loss, cluster_loss))`, the two terms without their weights.
        """
        noise, cluster_ids = self.sample_latent(batch_size)
        fake_images = self.generator([noise, self.one_hot(cluster_ids)], training=True)
        adversarial_loss = losses.wasserstein_generator_loss(
            self.critic(fake_images, training=True))
        noise_estimate, cluster_logits = self.encoder(fake_images, training=True)
        noise_loss = losses.mean_squared_error(noise_estimate, noise)
        cluster_loss = losses.categorical_crossentropy_from_logits(
            cluster_logits, self.one_hot(cluster_ids))
        loss = (adversarial_loss + self.noise_weight * noise_loss
                + self.cluster_weight * cluster_loss)
        return loss, (noise_loss, cluster_loss)

    def train_generator(self, batch_size):
        """One joint update of G and E through the updated critic; returns the logs."""
        g_loss, (noise_loss, cluster_loss) = self.minimize(
            lambda: self.generator_encoder_loss(batch_size),
            self.generator_encoder_variables(), self.g_optimizer)
        return self.track(g_loss=g_loss, noise_loss=noise_loss, cluster_loss=cluster_loss)

    # Inference ------------------------------------------------------------------------------
    @engine.inference
    def generate(self, count, clusters=None):
        """Draws `count` images: of one cluster (an int), of one cluster per image (a sequence
        of `count` ids), or of clusters drawn at random (None)."""
        return super().generate(count, labels=clusters)

    @engine.inference
    def encode(self, images):
        """The latent code of images (N, H, W, C) in [-1, 1], laid out as z = [z_n, z_c].

        Returns:
            float32 (N, latent_dim + K): the estimate of z_n, then the probability of each
            cluster (the softmax of E_c's logits, in place of the one-hot z_c). The logits
            themselves are the encoder's second output, `model.encoder(images)[1]`.
        """
        noise, cluster_logits = self.encoder(images, training=False)
        return ops.concatenate([noise, ops.softmax(cluster_logits, axis=-1)], axis=-1)

    @engine.inference
    def cluster(self, images):
        """The cluster of each image (N, H, W, C) in [-1, 1]: argmax of E_c, int32 (N,)."""
        cluster_logits = self.encoder(images, training=False)[1]
        return ops.cast(ops.argmax(cluster_logits, axis=-1), "int32")


def check_settings(**settings):
    """Raises ValueError, naming the fix, for settings ClusterGAN cannot train with."""
    if int(settings["latent_dim"]) != settings["latent_dim"] or settings["latent_dim"] < 1:
        raise ValueError(f"latent_dim must be a positive integer (the paper's z_n has 30). "
                         f"Received: latent_dim={settings['latent_dim']}")
    if int(settings["clusters"]) != settings["clusters"] or settings["clusters"] < 2:
        raise ValueError(f"clusters must be an integer of at least 2 (10 for digits). "
                         f"Received: clusters={settings['clusters']}")
    if not settings["noise_stddev"] > 0:
        raise ValueError(f"noise_stddev must be positive (the paper uses 0.1). "
                         f"Received: noise_stddev={settings['noise_stddev']}")
    for name in ("gp_weight", "noise_weight", "cluster_weight", "weight_decay"):
        if settings[name] < 0:
            raise ValueError(f"{name} must be at least 0. Received: {name}={settings[name]}")


# ------------------------------------------------------------------------------------------
# Command line: python -m keras_gans.cluster_gan
# ------------------------------------------------------------------------------------------
DEFAULTS = dict(dataset="mnist", batch_size=64, epochs=200, latent_dim=30, g_lr=1e-4,
                d_lr=1e-4)


def add_arguments(group):
    """ClusterGAN's own flags (--latent-dim is the size of z_n)."""
    group.add_argument("--clusters", type=cli.integer(at_least=2), default=10,
                       help="K, the number of clusters (the size of the one-hot z_c)")
    group.add_argument("--noise-stddev", type=cli.number(above=0), default=0.1,
                       help="standard deviation of the continuous latent z_n")
    wgan_gp.add_n_critic_argument(group, 5)
    cli.add_weight_argument(group, "--gp-weight", 10.0, "λ, the weight of the gradient penalty")
    cli.add_weight_argument(group, "--noise-weight", 10.0,
                            "β_n, the weight of the z_n reconstruction term")
    cli.add_weight_argument(group, "--cluster-weight", 10.0,
                            "β_c, the weight of the z_c cross-entropy term")
    group.add_argument("--weight-decay", type=cli.number(at_least=0), default=2.5e-5,
                       help="L2 weight decay on the generator's and the encoder's kernels")
    group.add_argument("--filters", type=cli.integer(at_least=1), default=64,
                       help="channels of the networks' first convolutions (the paper's 64)")
    group.add_argument("--hidden-units", type=cli.integer(at_least=1), default=1024,
                       help="units of the networks' hidden fc layers (the paper's 1024)")


build_model = cli.flag_builder(ClusterGAN)


def compile_model(model, args, **options):
    """Compiles with Adam(lr, β = (0.5, 0.9)) for the critic and for G and E."""
    model.compile(
        g_optimizer=wgan_gp.adam(args.g_lr, 0.5, "g_adam"),
        d_optimizer=wgan_gp.adam(args.d_lr, 0.5, "d_adam"),
        **options,
    )


def main(argv=None):
    """Command line: `python -m keras_gans.cluster_gan --help`."""
    return cli.run("cluster_gan", argv)


if __name__ == "__main__":
    raise SystemExit(main())
