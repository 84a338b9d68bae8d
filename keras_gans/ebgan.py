"""EBGAN: Energy-based Generative Adversarial Network.

Reference:
    Zhao, Mathieu, LeCun, "Energy-based Generative Adversarial Network", arXiv:1609.03126
    (ICLR 2017).
    Networks and generator loss of eriklindernoren/PyTorch-GAN `ebgan` (itself from
    znxlwm/pytorch-generative-model-collections): a DCGAN-style generator with z of 62 and a
    one-convolution autoencoder discriminator.

The discriminator is an autoencoder and its reconstruction error is an energy: low on real
images, pushed above a margin m on generated ones. The generator lowers the energy of its
samples, and a pull-away term (the mean squared cosine similarity between the encoder
embeddings of a fake batch) keeps those samples apart, against mode collapse.

Variant chosen:

- Energy E(x) = the per-sample mean squared reconstruction error (per pixel), margin m = 1
  (PyTorch-GAN: max(1, batch/64), i.e. 1 at batch 64). The hinge is per sample, as in the
  paper: L_D = E(x) + max(0, m − E(G(z))); L_G = E(G(z)) + λ_PT·f_PT with λ_PT = 0.1.
- Generator: the B-DC32 DCGAN generator of `keras_gans.dcgan` with z ∈ R^62 ~ N(0, I).
- Discriminator: c64 k3 s2 → ReLU → flatten → fc 32 (the embedding S) → fc 64·16·16 → BN →
  ReLU → reshape → nearest ×2 upsampling → conv C k3. As in PyTorch-GAN the reconstruction has
  no output activation (a linear regression of the image). Stride-2 convolutions pad one pixel
  on each side, as PyTorch's `padding=1` does.
- Real and fake images go through the discriminator as one batch, in both steps, so that its
  batch normalization takes statistics over both. With separate batches (PyTorch-GAN) a
  collapsed fake batch is normalized to a constant code, the autoencoder returns the same
  reconstruction whatever the fakes look like, and the generator settles on that image: on
  MNIST it collapsed to one grey texture within 100 steps.
- In the generator loss the reconstruction target G(z) is held constant (PyTorch-GAN's
  `pixelwise_loss(recon_imgs, gen_imgs.detach())`): the generator moves its samples so that
  the autoencoder reconstructs them, not towards the reconstructions. Differentiating through
  the target too (the paper's D(G(z)) taken literally) pulled every sample onto the
  autoencoder's current output and collapsed the generator on MNIST.
- One discriminator step, then one generator step with fresh noise (the zoo does G first).
- "margin_active" logs the fraction of fakes whose energy is below the margin in the
  discriminator step, i.e. how often the hinge term still pushes fakes up.

Zoo defects not copied: batch-norm epsilon 0.8 (PyTorch-GAN's `BatchNorm1d(32, 0.8)` after the
embedding; here batch norm uses momentum 0.1, epsilon 1e-5, and sits only where the
specification puts it) and the hinge applied to the batch-mean energy instead of each sample.

    python -m keras_gans.ebgan --dataset shapes
    python -m keras_gans.ebgan --dataset mnist32 --data-dir ../shared/data/mnist
"""

import keras
from keras import layers
from keras import ops

from keras_gans import cli
from keras_gans import dcgan
from keras_gans import engine
from keras_gans import gan
from keras_gans import losses


def build_discriminator(image_shape=(32, 32, 1), filters=64, embedding_dim=32):
    """EBGAN autoencoder: conv s2 → ReLU → fc (embedding) → fc → BN → ReLU → up → conv.

    Args:
        image_shape: (height, width, channels) of the images; height and width must be even.
        filters: channels of the encoder's convolution and of the decoder's first map (64).
        embedding_dim: size of the embedding S the pull-away term compares (32).

    Returns:
        A functional `keras.Model` named "discriminator" mapping images to
        `[reconstructions, embeddings]`.
    """
    height, width, channels = image_shape
    if height % 2 or width % 2:
        raise ValueError(
            f"The EBGAN discriminator halves the image size, but these images are "
            f"{height}×{width}: pass an even --image-size such as 32."
        )
    images = keras.Input(image_shape, name="images")
    # Encoder: one stride-2 convolution, then the embedding S.
    x = layers.ZeroPadding2D(1)(images)
    x = layers.Conv2D(filters, 3, strides=2, kernel_initializer=dcgan.weight_initializer())(x)
    x = layers.ReLU()(x)
    x = layers.Flatten()(x)
    embeddings = layers.Dense(embedding_dim, dtype="float32", name="embedding")(x)
    # Decoder: back to a half-size map, nearest upsampling, one convolution to the image.
    x = layers.Dense(filters * (height // 2) * (width // 2))(embeddings)
    x = layers.ReLU()(dcgan.batch_normalization()(x))
    x = layers.Reshape((height // 2, width // 2, filters))(x)
    x = layers.UpSampling2D(2, interpolation="nearest")(x)
    reconstructions = layers.Conv2D(channels, 3, padding="same",
                                    kernel_initializer=dcgan.weight_initializer(),
                                    dtype="float32", name="reconstruction")(x)
    return keras.Model(images, [reconstructions, embeddings], name="discriminator")


@keras.saving.register_keras_serializable(package="keras_gans")
class EBGAN(gan.GAN):
    """EBGAN: an autoencoder discriminator whose reconstruction error is the energy.

    The discriminator lowers the energy E of real images and raises that of fakes up to the
    margin m; the generator lowers the energy of its samples plus λ_PT times the pull-away
    term of their embeddings. The discriminator (`self.discriminator`) returns
    `[reconstructions, embeddings]`; during training it sees each step's real and fake
    images as one batch. `energy(images)` scores images with the trained autoencoder.

    Args:
        latent_dim: size of z ~ N(0, I) (62, as in PyTorch-GAN).
        image_shape: (size, size, channels); sizes such as 28, 32 and 64.
        margin: m, the energy above which fakes no longer train the discriminator (1 for
            this per-pixel energy at batch 64).
        pull_away_weight: λ_PT, the weight of the pull-away term (0.1 in the paper).
        embedding_dim: size of the discriminator's embedding S (32).
        generator: optional prebuilt generator (latent → image); B-DC32 by default.
        discriminator: optional prebuilt autoencoder (image → [reconstruction, embedding]).
        seed: seed of the model's noise.

    Example:

    ```python
    model = EBGAN(image_shape=(32, 32, 1))
    model.compile()  # Adam 2e-4, β = (0.5, 0.999)
    model.fit(images, batch_size=64, epochs=10)  # logs d_loss, g_loss, margin_active
    samples = model.generate(16)
    ```
    """

    loss_names = ("d_loss", "g_loss", "margin_active")

    def __init__(
        self,
        latent_dim=62,
        image_shape=(32, 32, 1),
        margin=1.0,
        pull_away_weight=0.1,
        embedding_dim=32,
        generator=None,
        discriminator=None,
        seed=None,
        **kwargs,
    ):
        if margin <= 0:
            raise ValueError(f"The margin must be positive (e.g. 1.0). Received: margin={margin}")
        if pull_away_weight < 0:
            raise ValueError("The pull-away weight must be zero or positive (e.g. 0.1). "
                             f"Received: pull_away_weight={pull_away_weight}")
        self.margin = float(margin)
        self.pull_away_weight = float(pull_away_weight)
        self.embedding_dim = embedding_dim
        super().__init__(
            latent_dim=latent_dim,
            image_shape=image_shape,
            generator=generator or dcgan.build_generator(latent_dim, image_shape),
            discriminator=discriminator
            or build_discriminator(image_shape, embedding_dim=embedding_dim),
            seed=seed,
            **kwargs,
        )

    def energy(self, images, training=False):
        """Per-sample energies E(images) (mean squared reconstruction error) and embeddings S."""
        reconstructions, embeddings = self.discriminator(images, training=training)
        return losses.reconstruction_energy(images, reconstructions), embeddings

    def reconstruct(self, real_images, fake_images):
        """The discriminator on real and fake images as one batch (shared batch statistics).

        Returns:
            (real reconstructions, fake reconstructions, fake embeddings).
        """
        count = ops.shape(real_images)[0]
        images = ops.concatenate([real_images, ops.cast(fake_images, real_images.dtype)], axis=0)
        reconstructions, embeddings = self.discriminator(images, training=True)
        return reconstructions[:count], reconstructions[count:], embeddings[count:]

    def gan_step(self, data):
        real_images = data[0] if isinstance(data, tuple) else data
        batch_size = ops.shape(real_images)[0]

        # Train the discriminator: low energy on real images, at least the margin on fakes.
        def discriminator_loss():
            latent = self.normal((batch_size, self.latent_dim))
            fake_images = ops.stop_gradient(self.generator(latent, training=True))
            real_reconstructions, fake_reconstructions, _ = self.reconstruct(
                real_images, fake_images)
            real_energy = losses.reconstruction_energy(real_images, real_reconstructions)
            fake_energy = losses.reconstruction_energy(fake_images, fake_reconstructions)
            # Logged here, where this step's fake energies exist: fakes still inside the margin.
            self.track(margin_active=ops.mean(ops.cast(fake_energy < self.margin, "float32")))
            return losses.energy_margin_discriminator_loss(real_energy, fake_energy, self.margin)

        d_loss = self.minimize(
            discriminator_loss, self.discriminator.trainable_variables, self.d_optimizer
        )

        # Train the generator: samples the autoencoder reconstructs (the target G(z) held
        # constant), with embeddings pulled apart; fresh noise.
        def generator_loss():
            latent = self.normal((batch_size, self.latent_dim))
            fake_images = self.generator(latent, training=True)
            _, fake_reconstructions, fake_embeddings = self.reconstruct(real_images, fake_images)
            fake_energy = losses.reconstruction_energy(ops.stop_gradient(fake_images),
                                                       fake_reconstructions)
            return ops.mean(fake_energy) + self.pull_away_weight * losses.pull_away_term(
                engine.global_batch(fake_embeddings))

        g_loss = self.minimize(
            generator_loss, self.generator.trainable_variables, self.g_optimizer
        )
        return self.track(d_loss=d_loss, g_loss=g_loss)

    def get_config(self):
        config = super().get_config()
        del config["generator_loss"]  # EBGAN's generator loss is the energy, not a choice
        config.update(
            margin=self.margin,
            pull_away_weight=self.pull_away_weight,
            embedding_dim=self.embedding_dim,
        )
        return config


# ------------------------------------------------------------------------------------------
# Command line: python -m keras_gans.ebgan
# ------------------------------------------------------------------------------------------
DEFAULTS = dict(dataset="mnist32", batch_size=64, epochs=25, latent_dim=62, g_lr=2e-4,
                d_lr=2e-4)
compile_model = gan.compile_model


def add_arguments(group):
    """EBGAN's own flags."""
    group.add_argument("--margin", type=cli.number(above=0), default=1.0,
                       help="energy margin m for fakes (per-pixel mean squared error)")
    group.add_argument("--pull-away-weight", type=cli.number(at_least=0), default=0.1,
                       help="λ_PT, weight of the pull-away term in the generator loss")


def build_model(args, image_shape):
    """The EBGAN the command line asks for."""
    return EBGAN(
        latent_dim=args.latent_dim,
        image_shape=image_shape,
        margin=args.margin,
        pull_away_weight=args.pull_away_weight,
        seed=args.seed,
    )


def main(argv=None):
    """Command line: `python -m keras_gans.ebgan --help`."""
    return cli.run("ebgan", argv)


if __name__ == "__main__":
    raise SystemExit(main())
