"""Softmax GAN: one softmax over the real and generated samples of a batch.

Reference:
    Min Lin, "Softmax GAN", arXiv:1704.06191 (2017).

The discriminator outputs an energy e(x) (its linear output; low = real). For a batch
B = B⁺ ∪ B⁻ of real and generated samples, the softmax p(x) = exp(−e(x))/Z with
Z = Σ_{x∈B} exp(−e(x)) is trained towards two targets:

- the discriminator's puts equal mass on the real samples and none on the fakes:
  L_D = (1/|B⁺|)·Σ_{B⁺} e(x) + log Z;
- the generator's is uniform over the whole batch: L_G = (1/|B|)·Σ_B e(x) + log Z,

both computed with log-sum-exp (`keras_gans.losses.softmax_discriminator_loss` and
`softmax_generator_loss`). Networks: the B-MLP of PyTorch-GAN's version (z 100, a linear
discriminator output); the paper itself used DCGAN networks on CelebA.

Each step trains D first, then G with fresh noise, through the updated D, and with a fresh real
batch in Z: a training step therefore consumes two real batches (64 + 64 by default), and an
epoch is still one pass over the data. PyTorch-GAN's version, which computes both losses from
one forward pass and steps D before G's backward pass (an error on current PyTorch), is not
copied.

    python -m keras_gans.softmax_gan --dataset shapes --image-size 28
    python -m keras_gans.softmax_gan --dataset mnist --data-dir ../shared/data/mnist
"""

import keras
from keras import ops

from keras_gans import cli
from keras_gans import engine
from keras_gans import gan
from keras_gans import losses


@keras.saving.register_keras_serializable(package="keras_gans")
class SoftmaxGAN(gan.GAN):
    """Softmax GAN: the discriminator's energies define a softmax over each batch.

    A training step takes two real batches: one for the discriminator step and a fresh one for
    the generator step, so `fit()` needs `batch_size = 2 × batch` (128 for the paper's 64 real
    + 64 fake per batch); the command line does this by itself.

    Args:
        latent_dim: size of z ~ N(0, I) (100).
        image_shape: (height, width, channels) of the images.
        generator: optional prebuilt generator (latent → image); B-MLP by default.
        discriminator: optional prebuilt discriminator (image → energy, a linear output);
            B-MLP by default.
        seed: seed of the model's noise.

    Example:

    ```python
    model = SoftmaxGAN(image_shape=(28, 28, 1))
    model.compile()  # Adam 2e-4, β = (0.5, 0.999)
    model.fit(images, batch_size=128, epochs=10)  # 64 real images per player step
    samples = model.generate(16)
    ```
    """

    # One real batch for the discriminator's step, a fresh one for the generator's.
    real_batches_per_step = 2

    def __init__(
        self,
        latent_dim=100,
        image_shape=(28, 28, 1),
        generator=None,
        discriminator=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(
            latent_dim=latent_dim,
            image_shape=image_shape,
            generator=generator,
            discriminator=discriminator,
            seed=seed,
            **kwargs,
        )
        self.generator_loss = "softmax"
        self.generator_loss_fn = None  # the softmax losses need real and fake energies

    def gan_step(self, data):
        """One D step on the first real batch, then one G step with the second one."""
        real_images = data[0] if isinstance(data, tuple) else data
        d_real_images, g_real_images = self.split_real_batches(real_images, 2)
        batch_size = ops.shape(d_real_images)[0]

        # Train the discriminator: all of the softmax's mass on the real samples.
        def discriminator_loss():
            latent = self.normal((batch_size, self.latent_dim))
            fake_images = ops.stop_gradient(self.generator(latent, training=True))
            real_energy = self.discriminator(d_real_images, training=True)
            fake_energy = self.discriminator(fake_images, training=True)
            return losses.softmax_discriminator_loss(engine.global_batch(real_energy),
                                                     engine.global_batch(fake_energy))

        d_loss = self.minimize(
            discriminator_loss, self.discriminator.trainable_variables, self.d_optimizer
        )

        # Train the generator: a uniform softmax over a fresh real batch and fresh fakes,
        # through the updated discriminator.
        def generator_loss():
            latent = self.normal((batch_size, self.latent_dim))
            fake_images = self.generator(latent, training=True)
            real_energy = self.discriminator(g_real_images, training=True)
            fake_energy = self.discriminator(fake_images, training=True)
            return losses.softmax_generator_loss(engine.global_batch(real_energy),
                                                 engine.global_batch(fake_energy))

        g_loss = self.minimize(
            generator_loss, self.generator.trainable_variables, self.g_optimizer
        )
        return self.track(d_loss=d_loss, g_loss=g_loss)

    def get_config(self):
        config = super().get_config()
        del config["generator_loss"]  # fixed: the softmax loss
        return config


# ------------------------------------------------------------------------------------------
# Command line: python -m keras_gans.softmax_gan
# ------------------------------------------------------------------------------------------
DEFAULTS = dict(dataset="mnist", batch_size=64, epochs=200, latent_dim=100, g_lr=2e-4,
                d_lr=2e-4)
compile_model = gan.compile_model


def add_arguments(group):
    """Softmax GAN has no flags of its own: --batch-size is the real (and the fake) batch."""


def build_model(args, image_shape):
    """The Softmax GAN the command line asks for."""
    return SoftmaxGAN(latent_dim=args.latent_dim, image_shape=image_shape, seed=args.seed)


def main(argv=None):
    """Command line: `python -m keras_gans.softmax_gan --help`."""
    return cli.run("softmax_gan", argv)


if __name__ == "__main__":
    raise SystemExit(main())
