"""DRAGAN: a cross-entropy GAN with a gradient penalty around the real data.

Reference:
    Kodali, Abernethy, Hays, Kira, "On Convergence and Stability of GANs", arXiv:1705.07215
    (2017). Authors' code: kodalinaveen3/DRAGAN (TensorFlow notebook).

The discriminator minimizes the standard cross-entropy of `keras_gans.gan` plus the paper's
penalty λ·E[(‖∇D(x̂)‖₂ − 1)²], taken only in a neighbourhood of the real data: as in the
authors' code, each real batch x is perturbed to x_p = x + C·std(x)·u with u ~ U[0, 1) per
element and the standard deviation taken over the whole batch, and the penalty points are
x̂ = x + α(x_p − x) with α ~ U[0, 1] per sample; λ = 10, C = 0.5. The generator minimizes the
non-saturating cross-entropy. The networks are the 32-pixel DCGAN layout (B-DC32) without batch
normalization in the discriminator: the penalty is a per-sample quantity, and batch statistics
would couple the samples.

One choice beyond the spec: by default the discriminator normalizes each sample with layer
normalization where DCGAN has batch norm (`discriminator_norm="layer"`), the replacement the
WGAN-GP paper recommends for penalized critics; it keeps the penalty per sample.
`discriminator_norm=None` gives the plain B-DC32 discriminator with no normalization at all.
On 32-pixel digits that plain form collapsed to a single sample in every run we made (FCD 81-132
against the held-out digits): at the N(0, 0.02) initialization its input-gradient norm is about
0.02, so the λ = 10 penalty (≈ 10) dwarfs the cross-entropy (≈ 1.4) from the first step.

Not copied from PyTorch-GAN's `dragan`: its discriminator step back-propagates only the penalty
(the cross-entropy loss is computed but never applied), it iterates an undefined data loader
and it mixes CPU and GPU tensors. Here the whole discriminator loss, cross-entropy plus
penalty, is minimized.

    python -m keras_gans.dragan --dataset shapes
    python -m keras_gans.dragan --dataset mnist32 --data-dir ../shared/data/mnist
"""

import keras
from keras import ops

from keras_gans import cli
from keras_gans import dcgan
from keras_gans import engine
from keras_gans import gan
from keras_gans import layers as gan_layers
from keras_gans import losses


def check_penalty_settings(gp_weight, perturbation_scale):
    """Raises ValueError when the penalty's weight or perturbation scale is negative."""
    if gp_weight < 0:
        raise ValueError(
            f"The gradient-penalty weight must be at least 0 (the paper uses 10). "
            f"Received: gp_weight={gp_weight}"
        )
    if perturbation_scale < 0:
        raise ValueError(
            f"The perturbation scale must be at least 0 (the paper uses 0.5). "
            f"Received: perturbation_scale={perturbation_scale}"
        )


def check_discriminator_norm(discriminator_norm):
    """Raises ValueError unless `discriminator_norm` is "layer" or None."""
    if discriminator_norm not in ("layer", None):
        raise ValueError(
            "DRAGAN's discriminator_norm must be 'layer' (default) or None (no normalization); "
            f"batch norm would couple the per-sample penalty. Received: {discriminator_norm!r}"
        )


@keras.saving.register_keras_serializable(package="keras_gans")
class DRAGAN(dcgan.DCGAN):
    """DRAGAN: the DCGAN game with a gradient penalty on perturbed real data.

    Each training step makes one discriminator update on the cross-entropy plus
    `gp_weight`·E[(‖∇D(x̂)‖₂ − 1)²] at points x̂ near the real batch, then one generator
    update on the non-saturating cross-entropy with fresh noise.

    Args:
        latent_dim: size of z ~ N(0, I).
        image_shape: (size, size, channels); sizes such as 28, 32 and 64.
        kernel_size: 4 (dcgan.torch layout, default) or 5.
        gp_weight: λ, the weight of the gradient penalty (10 in the paper).
        perturbation_scale: C, the size of the perturbation relative to the standard
            deviation of the real batch (0.5 in the paper).
        generator: optional prebuilt generator (latent → image); DCGAN's by default.
        discriminator_norm: "layer" (default: layer normalization where DCGAN has batch norm)
            or None (no normalization in the discriminator).
        discriminator: optional prebuilt discriminator (image → logit) without batch
            normalization; by default DCGAN's with `discriminator_norm` instead of batch norm.
        generator_loss: "nonsaturating" (default) or "minimax".
        seed: seed of the model's noise (latents, perturbations, interpolation weights).

    Example:

    ```python
    model = DRAGAN(image_shape=(32, 32, 1))
    model.compile()  # Adam 2e-4, β = (0.5, 0.999) for both players
    model.fit(images, batch_size=64, epochs=10)
    samples = model.generate(16)
    ```
    """

    def __init__(
        self,
        latent_dim=100,
        image_shape=(32, 32, 1),
        kernel_size=4,
        gp_weight=10.0,
        perturbation_scale=0.5,
        discriminator_norm="layer",
        generator=None,
        discriminator=None,
        generator_loss="nonsaturating",
        seed=None,
        **kwargs,
    ):
        check_penalty_settings(gp_weight, perturbation_scale)
        check_discriminator_norm(discriminator_norm)
        discriminator = discriminator or dcgan.build_discriminator(
            image_shape, kernel_size=kernel_size, normalization=discriminator_norm
        )
        gan_layers.check_no_batch_normalization(
            discriminator, "DRAGAN",
            "build it with dcgan.build_discriminator(image_shape, normalization='layer') or "
            "normalization=None",
        )
        super().__init__(
            latent_dim=latent_dim,
            image_shape=image_shape,
            kernel_size=kernel_size,
            generator=generator,
            discriminator=discriminator,
            generator_loss=generator_loss,
            seed=seed,
            **kwargs,
        )
        self.gp_weight = float(gp_weight)
        self.perturbation_scale = float(perturbation_scale)
        self.discriminator_norm = discriminator_norm

    def penalty_points(self, real_images, perturbation_noise, alpha):
        """x̂ = x + α(x_p − x), with x_p = x + C·std(x)·u the perturbed real images."""
        perturbed_images = losses.perturb_real(
            real_images, perturbation_noise, scale=self.perturbation_scale,
            std=ops.std(ops.cast(engine.global_batch(real_images), "float32")),
        )
        return losses.interpolate(ops.cast(real_images, "float32"), perturbed_images, alpha)

    def gradient_penalty(self, real_images, perturbation_noise, alpha):
        """E[(‖∇D(x̂)‖₂ − 1)²] at the points x̂ near the real images (without λ)."""
        points = self.penalty_points(real_images, perturbation_noise, alpha)
        gradients = self.input_gradients(
            lambda images: self.discriminator(images, training=True), points
        )
        return losses.gradient_penalty(gradients)

    def penalized_loss(self, real_images, real_outputs, fake_outputs, perturbation_noise, alpha):
        """The whole discriminator loss for given random draws: cross-entropy + λ·penalty.

        Args:
            real_images: a batch of real images.
            real_outputs, fake_outputs: the discriminator's logits on real and fake images.
            perturbation_noise: u ~ U[0, 1), shaped like `real_images`.
            alpha: interpolation weights α ~ U[0, 1], shaped (batch, 1, 1, 1).
        """
        cross_entropy = losses.discriminator_loss(real_outputs, fake_outputs)
        penalty = self.gradient_penalty(real_images, perturbation_noise, alpha)
        return cross_entropy + self.gp_weight * penalty

    def discriminator_objective(self, real_images, real_outputs, fake_outputs):
        """Cross-entropy plus the penalty around the real data, with fresh draws of u and α.

        The whole sum is minimized (PyTorch-GAN applied only the penalty).
        """
        perturbation_noise = self.uniform(ops.shape(real_images))
        alpha = self.uniform((ops.shape(real_images)[0], 1, 1, 1))
        return self.penalized_loss(real_images, real_outputs, fake_outputs, perturbation_noise,
                                   alpha)

    def get_config(self):
        config = super().get_config()
        config.update(gp_weight=self.gp_weight, perturbation_scale=self.perturbation_scale,
                      discriminator_norm=self.discriminator_norm)
        return config


# ------------------------------------------------------------------------------------------
# Command line: python -m keras_gans.dragan
# ------------------------------------------------------------------------------------------
DEFAULTS = dict(dataset="mnist32", batch_size=64, epochs=25, latent_dim=100, g_lr=2e-4,
                d_lr=2e-4)
compile_model = gan.compile_model


def add_arguments(group):
    """DRAGAN's own flags (DCGAN's, plus the penalty's)."""
    dcgan.add_arguments(group)
    group.add_argument("--gp-weight", type=cli.number(at_least=0), default=10.0,
                       help="λ, the weight of the gradient penalty around the real data")
    group.add_argument("--perturbation-scale", type=cli.number(at_least=0), default=0.5,
                       help="C: real images are perturbed by C·std(batch)·U[0, 1)")
    group.add_argument("--discriminator-norm", choices=["layer", "none"], default="layer",
                       help="per-sample layer normalization in the discriminator (default) or "
                            "none, the plain B-DC32 discriminator")


def build_model(args, image_shape):
    """The DRAGAN the command line asks for."""
    return DRAGAN(
        latent_dim=args.latent_dim,
        image_shape=image_shape,
        kernel_size=args.kernel_size,
        gp_weight=args.gp_weight,
        perturbation_scale=args.perturbation_scale,
        discriminator_norm=None if args.discriminator_norm == "none" else "layer",
        generator_loss=args.generator_loss,
        seed=args.seed,
    )


def main(argv=None):
    """Command line: `python -m keras_gans.dragan --help`."""
    return cli.run("dragan", argv)


if __name__ == "__main__":
    raise SystemExit(main())
