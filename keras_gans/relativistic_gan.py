"""Relativistic GAN: RSGAN, RaSGAN, RaLSGAN and RaHingeGAN.

Reference:
    Jolicoeur-Martineau, "The relativistic discriminator: a key element missing from standard
    GAN", arXiv:1807.00734 (ICLR 2019). Code: AlexiaJM/RelativisticGAN (`GAN_losses_iter.py`).

The discriminator judges how much more realistic real data is than fake data, instead of how
real each sample is. With C the critic's logit, C_r = C(x) and C_f = C(G(z)):

- "rsgan": D: −E log σ(C_r − C_f), G: −E log σ(C_f − C_r), real and fake paired by position;
- "rasgan" (default): each logit is compared with the mean logit of the other batch,
  D: −E log σ(C_r − E C_f) − E log(1 − σ(C_f − E C_r)), and G the same with real and fake
  swapped; "ralsgan" and "rahinge" are the least-squares and hinge forms of the same average.

Unlike the standard GAN, the generator's loss depends on real data: it also pushes real images
to look less real than fakes. The generator step therefore takes the training step's real
batch and computes its logits again through the just-updated discriminator, as the authors'
code computes D(x) again in its generator step (the authors draw a new real batch there; this
module reuses the batch of the discriminator step, so one training step consumes one batch).
The losses are those of `keras_gans.losses` (without the authors' factor ½ on the average
forms, which Adam's scale invariance makes immaterial).

Networks: the 32-px DCGAN backbone of `keras_gans.dcgan` ("B-DC32") with a linear
discriminator output; Adam 2e-4, β = (0.5, 0.999); one D step per G step.

Not copied: PyTorch-GAN's `relativistic_gan.py` computes the relativistic generator loss and
then overwrites it with the standard one (issue #52), so its generator never trains
relativistically; it also uses BatchNorm epsilon 0.8 and an upsampling generator.

    python -m keras_gans.relativistic_gan --dataset shapes
    python -m keras_gans.relativistic_gan --dataset mnist32 --data-dir ../shared/data/mnist
"""

import keras
from keras import ops

from keras_gans import cli
from keras_gans import dcgan
from keras_gans import engine
from keras_gans import gan
from keras_gans import losses


def check_loss(loss):
    """Raises ValueError, naming the choices, for an unknown relativistic loss."""
    if loss not in losses.RELATIVISTIC_LOSSES:
        raise ValueError(
            f"Unknown relativistic loss {loss!r}: choose one of "
            f"{', '.join(losses.RELATIVISTIC_LOSSES)}."
        )


@keras.saving.register_keras_serializable(package="keras_gans")
class RelativisticGAN(dcgan.DCGAN):
    """A GAN whose discriminator estimates how much more realistic real data is than fakes.

    Args:
        latent_dim: size of z ~ N(0, I).
        image_shape: (size, size, channels); sizes such as 28, 32 and 64.
        loss: "rsgan", "rasgan" (default), "ralsgan" or "rahinge".
        kernel_size: 4 (dcgan.torch, default) or 5 (DCGAN's Theano code).
        generator, discriminator: optional prebuilt networks replacing the DCGAN ones; the
            discriminator must output one linear logit per image.
        seed: seed of the model's noise.

    Example:

    ```python
    model = RelativisticGAN(image_shape=(32, 32, 1), loss="ralsgan")
    model.compile()  # Adam 2e-4, β = (0.5, 0.999)
    model.fit(images, batch_size=64, epochs=10)
    samples = model.generate(16)
    ```
    """

    def __init__(
        self,
        latent_dim=100,
        image_shape=(32, 32, 1),
        loss="rasgan",
        kernel_size=4,
        generator=None,
        discriminator=None,
        seed=None,
        **kwargs,
    ):
        check_loss(loss)
        # Not `self.loss`: keras.Model.compile() owns that attribute.
        self.relativistic_loss = loss
        super().__init__(
            latent_dim=latent_dim,
            image_shape=image_shape,
            kernel_size=kernel_size,
            generator=generator,
            discriminator=discriminator,
            # The relativistic objectives below replace the standard generator loss (the
            # PyTorch-GAN defect, issue #52, is to train with the standard one).
            generator_loss=None,
            seed=seed,
            **kwargs,
        )

    def discriminator_objective(self, real_images, real_outputs, fake_outputs):
        """Real images should look more realistic than fakes."""
        return losses.relativistic_discriminator_loss(
            engine.global_batch(real_outputs), engine.global_batch(fake_outputs),
            kind=self.relativistic_loss)

    def generator_objective(self, real_images, fake_outputs):
        """Fresh fakes should look more realistic than the same real images, whose logits the
        updated discriminator computes again (constants for the generator's gradient)."""
        real_outputs = ops.stop_gradient(self.discriminator(real_images, training=True))
        return losses.relativistic_generator_loss(
            engine.global_batch(real_outputs), engine.global_batch(fake_outputs),
            kind=self.relativistic_loss)

    def get_config(self):
        config = super().get_config()
        config["loss"] = self.relativistic_loss
        return config


# ------------------------------------------------------------------------------------------
# Command line: python -m keras_gans.relativistic_gan
# ------------------------------------------------------------------------------------------
DEFAULTS = dict(dataset="mnist32", batch_size=64, epochs=25, latent_dim=100, g_lr=2e-4,
                d_lr=2e-4)
compile_model = gan.compile_model


def add_arguments(group):
    """The relativistic GAN's own flags."""
    group.add_argument("--loss", choices=losses.RELATIVISTIC_LOSSES, default="rasgan",
                       help="relativistic loss: standard (rsgan) or relativistic average "
                       "(rasgan, ralsgan, rahinge)")
    group.add_argument("--kernel-size", type=int, choices=(4, 5), default=4,
                       help="4 (dcgan.torch) or 5 (DCGAN's Theano code)")


def build_model(args, image_shape):
    """The relativistic GAN the command line asks for."""
    return RelativisticGAN(
        latent_dim=args.latent_dim,
        image_shape=image_shape,
        loss=args.loss,
        kernel_size=args.kernel_size,
        seed=args.seed,
    )


def main(argv=None):
    """Command line: `python -m keras_gans.relativistic_gan --help`."""
    return cli.run("relativistic_gan", argv)


if __name__ == "__main__":
    raise SystemExit(main())
