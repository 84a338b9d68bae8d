"""GAN: Generative Adversarial Networks.

Reference:
    Goodfellow, Pouget-Abadie, Mirza, Xu, Warde-Farley, Ozair, Courville, Bengio,
    "Generative Adversarial Nets", arXiv:1406.2661 (NeurIPS 2014).

Follows the paper's objective with the non-saturating generator loss the paper recommends in
practice (`generator_loss="minimax"` plays the original game), and the multilayer perceptrons of
Keras-GAN's `gan` (the "B-MLP" backbone): batch normalization with Keras momentum 0.8 and the
default epsilon (not PyTorch-GAN's epsilon of 0.8), a discriminator that outputs a logit, and
epochs that are full passes over the data. The paper's maxout discriminator and SGD are not
reproduced.

Train on the built-in offline digits, or on real MNIST:

    python -m keras_gans.gan --dataset shapes
    python -m keras_gans.gan --dataset mnist --data-dir ../shared/data/mnist
"""

import math

import keras
import numpy as np
from keras import layers

from keras_gans import cli
from keras_gans import engine
from keras_gans import losses


def build_generator(latent_dim=100, image_shape=(28, 28, 1), widths=(256, 512, 1024)):
    """B-MLP generator: z → [fc → LeakyReLU → BN] × widths → fc → tanh → image.

    Args:
        latent_dim: size of the noise vector z.
        image_shape: (height, width, channels) of the generated images.
        widths: hidden layer widths.

    Returns:
        A functional `keras.Model` named "generator".
    """
    latent = keras.Input((latent_dim,), name="latent")
    x = latent
    for width in widths:
        x = layers.Dense(width)(x)
        x = layers.LeakyReLU(0.2)(x)
        x = layers.BatchNormalization(momentum=0.8)(x)
    x = layers.Dense(math.prod(image_shape))(x)
    x = layers.Activation("tanh", dtype="float32")(x)
    images = layers.Reshape(image_shape, name="images")(x)
    return keras.Model(latent, images, name="generator")


def build_discriminator(image_shape=(28, 28, 1), widths=(512, 256)):
    """B-MLP discriminator: flatten → [fc → LeakyReLU] × widths → fc 1 (a logit).

    Args:
        image_shape: (height, width, channels) of the input images.
        widths: hidden layer widths.

    Returns:
        A functional `keras.Model` named "discriminator".
    """
    images = keras.Input(image_shape, name="images")
    x = layers.Flatten()(images)
    for width in widths:
        x = layers.Dense(width)(x)
        x = layers.LeakyReLU(0.2)(x)
    logits = layers.Dense(1, dtype="float32", name="logits")(x)
    return keras.Model(images, logits, name="discriminator")


@keras.saving.register_keras_serializable(package="keras_gans")
class GAN(engine.GAN):
    """The original GAN: a generator and a discriminator playing a minimax game.

    Args:
        latent_dim: size of the noise vector z ~ N(0, I).
        image_shape: (height, width, channels) of the images.
        generator: optional prebuilt generator (latent → image); B-MLP by default.
        discriminator: optional prebuilt discriminator (image → logit); B-MLP by default.
        generator_loss: "nonsaturating" (default) or "minimax"; None for subclasses whose
            `generator_objective` defines its own loss.
        seed: seed of the model's noise.

    Example:

    ```python
    model = GAN(image_shape=(28, 28, 1))
    model.compile()
    model.fit(images, batch_size=64, epochs=10)
    samples = model.generate(16)
    ```
    """

    loss_names = ("d_loss", "g_loss")
    network_arguments = ("generator", "discriminator")

    def __init__(
        self,
        latent_dim=100,
        image_shape=(28, 28, 1),
        generator=None,
        discriminator=None,
        generator_loss="nonsaturating",
        seed=None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        self.latent_dim = latent_dim
        self.image_shape = tuple(image_shape)
        self.generator_loss = generator_loss
        self.generator_loss_fn = (
            None if generator_loss is None else losses.generator_loss(generator_loss))
        self.generator = generator or build_generator(latent_dim, self.image_shape)
        self.discriminator = discriminator or build_discriminator(self.image_shape)
        self.finish_init()

    def compile(self, g_optimizer=None, d_optimizer=None, **kwargs):
        """Adam 2e-4, β = (0.5, 0.999) for both players, as in the zoos and DCGAN."""
        g_optimizer = g_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5, name="g_adam")
        d_optimizer = d_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5, name="d_adam")
        self.compile_players(
            {
                "d_optimizer": (d_optimizer, self.discriminator.trainable_variables),
                "g_optimizer": (g_optimizer, self.generator.trainable_variables),
            },
            **kwargs,
        )

    def call(self, latent, training=False):
        """Generates images from a batch of latent vectors."""
        return self.generator(latent, training=training)

    @engine.inference
    def generate(self, count):
        """Draws `count` images from the generator."""
        return self.generator(self.normal((count, self.latent_dim)), training=False)

    def sample_inputs(self, count, seed=0):
        """Fixed latent vectors (NumPy) for sample grids: the same seed gives the same grid."""
        return np.random.default_rng(seed).standard_normal((count, self.latent_dim)).astype(
            "float32"
        )

    def discriminator_objective(self, real_images, real_outputs, fake_outputs):
        """The discriminator's loss on one batch: here the standard cross-entropy.

        Models that change only the losses (LSGAN, relativistic, DRAGAN, ...) override this
        and `generator_objective`; the training step stays the one below.
        """
        return losses.discriminator_loss(real_outputs, fake_outputs)

    def generator_objective(self, real_images, fake_outputs):
        """The generator's loss on the discriminator's outputs for fresh fakes."""
        return self.generator_loss_fn(fake_outputs)

    def gan_step(self, data):
        real_images = data[0] if isinstance(data, tuple) else data
        batch_size = keras.ops.shape(real_images)[0]

        # Train the discriminator on real images and fresh fakes.
        def discriminator_loss():
            latent = self.normal((batch_size, self.latent_dim))
            fake_images = keras.ops.stop_gradient(self.generator(latent, training=True))
            real_outputs = self.discriminator(real_images, training=True)
            fake_outputs = self.discriminator(fake_images, training=True)
            return self.discriminator_objective(real_images, real_outputs, fake_outputs)

        d_loss = self.minimize(
            discriminator_loss, self.discriminator.trainable_variables, self.d_optimizer
        )

        # Train the generator through the updated discriminator, with fresh noise.
        def generator_loss():
            latent = self.normal((batch_size, self.latent_dim))
            fake_images = self.generator(latent, training=True)
            return self.generator_objective(
                real_images, self.discriminator(fake_images, training=True))

        g_loss = self.minimize(
            generator_loss, self.generator.trainable_variables, self.g_optimizer
        )
        return self.track(d_loss=d_loss, g_loss=g_loss)

    def get_config(self):
        config = super().get_config()
        config.update(
            latent_dim=self.latent_dim,
            image_shape=list(self.image_shape),
        )
        if self.generator_loss is not None:
            config["generator_loss"] = self.generator_loss
        return config


# ------------------------------------------------------------------------------------------
# Command line: python -m keras_gans.gan
# ------------------------------------------------------------------------------------------
DEFAULTS = dict(dataset="mnist", batch_size=64, epochs=200, latent_dim=100, g_lr=2e-4, d_lr=2e-4)


def add_arguments(group):
    """The GAN's own flags."""
    group.add_argument(
        "--generator-loss",
        choices=sorted(losses.GENERATOR_LOSSES),
        default="nonsaturating",
        help="generator objective: the paper's recommended non-saturating loss, or minimax",
    )


def build_model(args, image_shape):
    """The GAN the command line asks for."""
    return GAN(
        latent_dim=args.latent_dim,
        image_shape=image_shape,
        generator_loss=args.generator_loss,
        seed=args.seed,
    )


def compile_model(model, args, **options):
    """Compiles with the command line's learning rates (Adam, β = (0.5, 0.999))."""
    model.compile(
        g_optimizer=keras.optimizers.Adam(args.g_lr, beta_1=0.5, name="g_adam"),
        d_optimizer=keras.optimizers.Adam(args.d_lr, beta_1=0.5, name="d_adam"),
        **options,
    )


def main(argv=None):
    """Command line: `python -m keras_gans.gan --help`."""
    return cli.run("gan", argv)


if __name__ == "__main__":
    raise SystemExit(main())
