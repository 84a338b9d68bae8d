"""BGAN: Boundary-Seeking Generative Adversarial Networks.

Reference:
    Hjelm, Jacob, Che, Trischler, Cho, Bengio, "Boundary-Seeking Generative Adversarial
    Networks", arXiv:1702.08431 (ICLR 2018). Authors' code: rdevon/BGAN (Theano/Lasagne).

A perfect discriminator D* = p/(p + q) tells how far the generator's density q is from the
data's p: p = q·D/(1 − D). The boundary-seeking generator moves its samples to where D = ½,
the decision boundary, by minimizing ½E[(log D(G(z)) − log(1 − D(G(z))))²] = ½E[ℓ(G(z))²],
ℓ the discriminator's logit. The loss is computed from the logit (as in the authors' code), not
from clipped probabilities (Keras-GAN's probability-space loss is not copied). The
discriminator is the standard cross-entropy one, and each batch trains D first, then G through
the updated D with fresh noise (the step of `keras_gans.gan`).

Networks: the B-MLP of both zoos (z 100; D outputs a logit) by default; `arch="dcgan"` uses
the DCGAN networks of `keras_gans.dcgan` (B-DC32 on 32×32 images), the kind of networks of the
paper's continuous image experiments. PyTorch-GAN's crash on an undefined data loader has no
counterpart here.

Discrete data (`discrete=True`, the paper's binarized MNIST): the generator's tanh output t is
read as Bernoulli pixel probabilities P(x = 1) = (1 + t)/2 on images with values in {−1, 1}.
Each step draws `samples_per_latent` binary images per z (20 in the authors' code); the
discriminator learns to tell binarized real images from them, and the generator maximizes
Σ_m w̃_m log g(x_m | z), with importance weights w̃ = softmax over the samples of log w = ℓ(x_m)
(the authors' `binary_BGAN`). Real images are binarized at 0 (the middle of [−1, 1]).

    python -m keras_gans.bgan --dataset shapes --image-size 28
    python -m keras_gans.bgan --dataset mnist --data-dir ../shared/data/mnist
    python -m keras_gans.bgan --arch dcgan --dataset mnist32 --data-dir ../shared/data/mnist
    python -m keras_gans.bgan --discrete --dataset mnist --data-dir ../shared/data/mnist
"""

import keras
from keras import ops

from keras_gans import cli
from keras_gans import dcgan
from keras_gans import gan
from keras_gans import losses

# arch -> (generator builder, discriminator builder)
ARCHITECTURES = {
    "mlp": (gan.build_generator, gan.build_discriminator),
    "dcgan": (dcgan.build_generator, dcgan.build_discriminator),
}


def check_architecture(arch, image_shape):
    """Raises ValueError when `arch` is unknown or cannot generate `image_shape`."""
    if arch not in ARCHITECTURES:
        raise ValueError(
            f"Unknown BGAN architecture {arch!r}: pass arch='mlp' (B-MLP) or arch='dcgan' "
            "(DCGAN networks)."
        )
    if arch == "dcgan":
        dcgan.check_image_shape(image_shape)


def binarize(images):
    """Maps images in [−1, 1] to {−1, 1} by thresholding at 0."""
    return ops.where(images > 0.0, 1.0, -1.0)


@keras.saving.register_keras_serializable(package="keras_gans")
class BGAN(gan.GAN):
    """Boundary-seeking GAN: the generator seeks the discriminator's decision boundary.

    Args:
        latent_dim: size of z ~ N(0, I) (100).
        image_shape: (height, width, channels) of the images.
        arch: "mlp" (B-MLP, default) or "dcgan" (the DCGAN networks; square images of 28,
            32 or 64 pixels, B-DC32 at 32).
        discrete: train on binarized images with importance-weighted samples (the paper's
            discrete BGAN) instead of the continuous boundary-seeking loss. Real images are
            binarized at 0; the model then generates Bernoulli pixel means in [−1, 1].
        samples_per_latent: binary samples drawn per z when `discrete` (20, the authors'
            `n_samples`).
        generator: optional prebuilt generator (latent → image in [−1, 1]).
        discriminator: optional prebuilt discriminator (image → logit).
        seed: seed of the model's noise.

    Example:

    ```python
    model = BGAN(image_shape=(28, 28, 1))
    model.compile()  # Adam 2e-4, β = (0.5, 0.999)
    model.fit(images, batch_size=64, epochs=10)
    samples = model.generate(16)
    ```
    """

    def __init__(
        self,
        latent_dim=100,
        image_shape=(28, 28, 1),
        arch="mlp",
        discrete=False,
        samples_per_latent=20,
        generator=None,
        discriminator=None,
        seed=None,
        **kwargs,
    ):
        image_shape = tuple(image_shape)
        check_architecture(arch, image_shape)
        if int(samples_per_latent) < 1:
            raise ValueError(
                f"samples_per_latent must be at least 1, but is {samples_per_latent}: pass a "
                "positive number of binary samples per latent vector (20 in the paper's code)."
            )
        build_generator, build_discriminator = ARCHITECTURES[arch]
        self.arch = arch
        self.discrete = bool(discrete)
        self.samples_per_latent = int(samples_per_latent)
        super().__init__(
            latent_dim=latent_dim,
            image_shape=image_shape,
            generator=generator or build_generator(latent_dim, image_shape),
            discriminator=discriminator or build_discriminator(image_shape),
            seed=seed,
            **kwargs,
        )
        # The continuous step is GAN's, with the boundary-seeking generator loss ½E[ℓ²].
        self.generator_loss = "boundary_seeking"
        self.generator_loss_fn = losses.boundary_seeking_generator_loss

    def gan_step(self, data):
        """One training step: GAN's continuous step with ½E[ℓ²] for G, or the discrete step."""
        if self.discrete:
            return self.discrete_step(data)
        return super().gan_step(data)

    def binary_samples(self, means, count):
        """Draws `count` binary images in {−1, 1} per image of Bernoulli means `means`.

        Returns:
            A tensor shaped (batch, count, height, width, channels).
        """
        means = ops.expand_dims(means, 1)
        uniform = self.uniform((ops.shape(means)[0], count) + self.image_shape)
        return ops.where(uniform < (1.0 + means) / 2.0, 1.0, -1.0)

    def discriminate_samples(self, samples, training=True):
        """The discriminator's logits of (batch, samples, ...) images, shaped (batch, samples)."""
        flat = ops.reshape(samples, (-1,) + self.image_shape)
        logits = self.discriminator(flat, training=training)
        return ops.reshape(logits, (ops.shape(samples)[0], ops.shape(samples)[1]))

    def discrete_step(self, data):
        """One discrete BGAN step: D on binarized data, then G by importance-weighted likelihood."""
        real_images = binarize(data[0] if isinstance(data, tuple) else data)
        batch_size = ops.shape(real_images)[0]
        count = self.samples_per_latent

        # Train the discriminator on binarized real images and binary samples of the generator.
        def discriminator_loss():
            latent = self.normal((batch_size, self.latent_dim))
            means = ops.stop_gradient(self.generator(latent, training=True))
            fake_logits = self.discriminate_samples(self.binary_samples(means, count))
            real_logits = self.discriminator(real_images, training=True)
            return losses.discriminator_loss(real_logits, fake_logits)

        d_loss = self.minimize(
            discriminator_loss, self.discriminator.trainable_variables, self.d_optimizer
        )

        # Train the generator: raise the likelihood of its own samples, weighted by how real the
        # updated discriminator finds them (w̃ = softmax over the samples of log w = ℓ).
        def generator_loss():
            latent = self.normal((batch_size, self.latent_dim))
            means = self.generator(latent, training=True)
            samples = self.binary_samples(ops.stop_gradient(means), count)
            log_weights = self.discriminate_samples(samples)
            log_likelihoods = losses.bernoulli_log_likelihood(samples, ops.expand_dims(means, 1))
            return losses.importance_weighted_generator_loss(log_weights, log_likelihoods)

        g_loss = self.minimize(
            generator_loss, self.generator.trainable_variables, self.g_optimizer
        )
        return self.track(d_loss=d_loss, g_loss=g_loss)

    def get_config(self):
        config = super().get_config()
        del config["generator_loss"]  # fixed: the boundary-seeking loss
        config.update(
            arch=self.arch, discrete=self.discrete, samples_per_latent=self.samples_per_latent
        )
        return config


# ------------------------------------------------------------------------------------------
# Command line: python -m keras_gans.bgan
# ------------------------------------------------------------------------------------------
DEFAULTS = dict(dataset="mnist", batch_size=64, epochs=200, latent_dim=100, g_lr=2e-4,
                d_lr=2e-4)
compile_model = gan.compile_model


def add_arguments(group):
    """BGAN's own flags."""
    group.add_argument("--arch", choices=sorted(ARCHITECTURES), default="mlp",
                       help="networks: B-MLP, or DCGAN (use 32-pixel data such as mnist32)")
    group.add_argument("--discrete", action="store_true",
                       help="discrete BGAN on binarized images (importance-weighted samples)")
    group.add_argument("--samples-per-latent", type=cli.integer(at_least=1), default=None,
                       help="binary samples per latent vector with --discrete (20 when not "
                       "given, as in the authors' code)")


def build_model(args, image_shape):
    """The BGAN the command line asks for."""
    if args.samples_per_latent is not None and not args.discrete:
        raise ValueError("--samples-per-latent only applies to the discrete BGAN: add --discrete "
                         "or leave --samples-per-latent out.")
    return BGAN(
        latent_dim=args.latent_dim,
        image_shape=image_shape,
        arch=args.arch,
        discrete=args.discrete,
        samples_per_latent=20 if args.samples_per_latent is None else args.samples_per_latent,
        seed=args.seed,
    )


def main(argv=None):
    """Command line: `python -m keras_gans.bgan --help`."""
    return cli.run("bgan", argv)


if __name__ == "__main__":
    raise SystemExit(main())
