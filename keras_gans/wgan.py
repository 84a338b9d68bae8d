"""WGAN: Wasserstein GAN with weight clipping.

Reference:
    Arjovsky, Chintala, Bottou, "Wasserstein GAN", arXiv:1701.07875 (ICML 2017).
    Authors' code: martinarjovsky/WassersteinGAN (PyTorch), whose training schedule this module
    follows; the MNIST networks are the WGAN mode of igul222/improved_wgan_training's
    `gan_mnist.py` (the "B-DC28" backbone in its WGAN form).

The critic D, a network with a linear output, minimizes E[D(G(z))] − E[D(x)], so that
E[D(x)] − E[D(G(z))] estimates the Wasserstein-1 distance (logged as "wasserstein_estimate");
after every critic update every critic variable, batch-norm scale and offset included, is
clipped to [−0.01, 0.01] to keep D Lipschitz. The generator minimizes −E[D(G(z))]. Both use
RMSprop with learning rate 5e-5 (the paper reports instabilities with momentum optimizers), with
the update rule and settings of the authors' PyTorch RMSprop (ρ 0.99, ε 1e-8 added outside the
square root: `keras_gans.optimizers.RMSprop`). The critic trains
n_critic = 5 times per generator step, each time on a fresh real batch, and 100 times before
each of the first 25 generator steps and before every 500th generator step.

Schedule under `fit()`: every step runs n_critic critic iterations on n_critic fresh batches,
then a generator step that is skipped while the critic owes iterations: a non-trainable counter
(`critic_iterations`, saved with the model) counts critic iterations since the last generator
step, and the generator trains once it reaches 100 (in the warm-up phases) or n_critic (else).
With n_critic = 5 the generator thus trains once every 20 steps during the first 500 steps.
`critic_warmup=False` (`--no-critic-warmup`) trains it at every step.

Networks (B-DC28, WGAN form, tanh output on [-1, 1] data): G: z 128 → fc 4·4·256 → BN → ReLU →
convT 128 k5 s2 → BN → ReLU → crop to 7×7 → convT 64 k5 s2 → BN → ReLU → convT 1 k5 s2 → tanh;
D: conv 64 k5 s2 → LReLU(0.2) → conv 128 → BN → LReLU → conv 256 → BN → LReLU → fc 1. Batch norm
as in the authors' code: ε 1e-5, γ = 1, β = 0, real and fake batches normalized separately.
Initialization: the authors' tflib (see `keras_gans.wgan_gp`).

Not copied: Keras-GAN's "1 − loss" printout and its ±1 label trick (the loss is written
directly), PyTorch-GAN's MLP networks.

    python -m keras_gans.wgan --dataset shapes --image-size 28
    python -m keras_gans.wgan --dataset mnist --data-dir ../shared/data/mnist
"""

import argparse

import keras
from keras import ops

from keras_gans import cli
from keras_gans import optimizers
from keras_gans import wgan_gp


@keras.saving.register_keras_serializable(package="keras_gans")
class WGAN(wgan_gp.WassersteinGAN):
    """WGAN: a Wasserstein critic kept Lipschitz by clipping its weights.

    Each training step makes `n_critic` critic updates on E[D(G(z))] − E[D(x)], each on a fresh
    real batch and each followed by clipping every critic variable to [−clip_value,
    clip_value], then one generator update on −E[D(G(z))] when it is the generator's turn
    (see `critic_warmup`; a skipped update costs nothing, and "g_loss" averages the steps
    whose update ran).
    When calling `fit()` directly, pass `batch_size = n_critic × 64` (the command line does
    this itself).

    Args:
        latent_dim: size of z ~ N(0, I) (128).
        image_shape: (28, 28, channels) (or 32×32) for the default networks.
        n_critic: critic updates per generator update (5).
        clip_value: the critic's variables are clipped to [−clip_value, clip_value] (0.01).
        critic_warmup: the authors' schedule: `warmup_critic_iterations` critic iterations
            before each of the first `warmup_generator_steps` generator steps and before every
            `warmup_interval`-th one. False trains the generator at every step.
        warmup_critic_iterations: critic iterations per generator step in the warm-up phases
            (100); rounded up to a multiple of `n_critic`.
        warmup_generator_steps: generator steps of the initial warm-up (25).
        warmup_interval: every this many generator steps the warm-up repeats once (500).
        generator: optional prebuilt generator (latent → image in [-1, 1]); B-DC28 with batch
            norm by default.
        discriminator: optional prebuilt critic (image → score); B-DC28 with batch norm by
            default.
        seed: seed of the model's noise.

    Example:

    ```python
    model = WGAN(image_shape=(28, 28, 1))
    model.compile()  # RMSprop 5e-5 for both players
    model.fit(images, batch_size=5 * 64, epochs=10)  # 5 critic batches per step
    samples = model.generate(16)
    ```
    """

    def __init__(self, latent_dim=128, image_shape=(28, 28, 1), n_critic=5, clip_value=0.01,
                 critic_warmup=True, warmup_critic_iterations=100, warmup_generator_steps=25,
                 warmup_interval=500, generator=None, discriminator=None, seed=None, **kwargs):
        if clip_value <= 0:
            raise ValueError(f"clip_value must be positive (the paper uses 0.01). "
                             f"Received: clip_value={clip_value}")
        if min(warmup_critic_iterations, warmup_interval) < 1 or warmup_generator_steps < 0:
            raise ValueError(
                "The warm-up schedule needs warmup_critic_iterations and warmup_interval of at "
                "least 1 and warmup_generator_steps of at least 0 (the paper: 100, 500, 25). "
                f"Received: warmup_critic_iterations={warmup_critic_iterations}, "
                f"warmup_interval={warmup_interval}, "
                f"warmup_generator_steps={warmup_generator_steps}"
            )
        super().__init__(
            latent_dim=latent_dim,
            image_shape=image_shape,
            generator=generator
            or wgan_gp.build_generator(latent_dim, image_shape, normalization="batch"),
            discriminator=discriminator
            or wgan_gp.build_critic(image_shape, normalization="batch"),
            n_critic=n_critic,
            seed=seed,
            **kwargs,
        )
        self.clip_value = float(clip_value)
        self.critic_warmup = bool(critic_warmup)
        self.warmup_critic_iterations = int(warmup_critic_iterations)
        self.warmup_generator_steps = int(warmup_generator_steps)
        self.warmup_interval = int(warmup_interval)
        self.critic_iterations = keras.Variable(0, dtype="int32", trainable=False,
                                                name="critic_iterations")

    def constrain_critic(self):
        """Clips every critic variable (batch-norm γ and β included) to ±clip_value."""
        self.clip_variables(self.critic.trainable_variables, self.clip_value)

    def generator_turn(self):
        """True once the critic has made the iterations the schedule asks for.

        Counts this step's n_critic critic iterations; the generator trains when the count
        since its last step reaches `warmup_critic_iterations` (during the warm-up phases:
        before its first `warmup_generator_steps` steps and before every
        `warmup_interval`-th step) or `n_critic` (otherwise), and the count restarts.
        """
        if not self.critic_warmup:
            return None
        generator_steps = ops.cast(self.g_optimizer.iterations, "int32")
        warming_up = ops.logical_or(generator_steps < self.warmup_generator_steps,
                                    generator_steps % self.warmup_interval == 0)
        required = ops.where(warming_up, self.warmup_critic_iterations, self.n_critic)
        done = self.critic_iterations.value + self.n_critic
        turn = done >= required
        self.critic_iterations.assign(ops.where(turn, 0, done))
        return turn

    def compile(self, g_optimizer=None, d_optimizer=None, **kwargs):
        """RMSprop 5e-5 for both players (ρ 0.99, ε 1e-8: the authors' PyTorch defaults)."""
        self.compile_players(
            {
                "d_optimizer": (d_optimizer or rmsprop(5e-5, "d_rmsprop"),
                                self.critic.trainable_variables),
                "g_optimizer": (g_optimizer or rmsprop(5e-5, "g_rmsprop"),
                                self.generator.trainable_variables),
            },
            **kwargs,
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            clip_value=self.clip_value,
            critic_warmup=self.critic_warmup,
            warmup_critic_iterations=self.warmup_critic_iterations,
            warmup_generator_steps=self.warmup_generator_steps,
            warmup_interval=self.warmup_interval,
        )
        return config


def rmsprop(learning_rate, name):
    """RMSprop with the update rule and settings of the authors' PyTorch code (ρ 0.99, ε 1e-8
    added outside the square root)."""
    return optimizers.RMSprop(learning_rate, rho=0.99, epsilon=1e-8, name=name)


# ------------------------------------------------------------------------------------------
# Command line: python -m keras_gans.wgan
# ------------------------------------------------------------------------------------------
DEFAULTS = dict(dataset="mnist", batch_size=64, epochs=200, latent_dim=128, g_lr=5e-5,
                d_lr=5e-5)


def add_arguments(group):
    """WGAN's own flags."""
    wgan_gp.add_n_critic_argument(group, 5)
    group.add_argument("--clip-value", type=cli.number(above=0), default=0.01,
                       help="critic variables are clipped to [-clip, clip] after each update")
    group.add_argument("--critic-warmup", action=argparse.BooleanOptionalAction, default=True,
                       help="the authors' schedule: 100 critic iterations before each of the "
                       "first 25 and every 500th generator step (--no-critic-warmup: "
                       "n_critic before every generator step)")


def build_model(args, image_shape):
    """The WGAN the command line asks for."""
    return WGAN(
        latent_dim=args.latent_dim,
        image_shape=image_shape,
        n_critic=args.n_critic,
        clip_value=args.clip_value,
        critic_warmup=args.critic_warmup,
        seed=args.seed,
    )


def compile_model(model, args, **options):
    """Compiles with RMSprop at the command line's learning rates."""
    model.compile(g_optimizer=rmsprop(args.g_lr, "g_rmsprop"),
                  d_optimizer=rmsprop(args.d_lr, "d_rmsprop"), **options)


def main(argv=None):
    """Command line: `python -m keras_gans.wgan --help`."""
    return cli.run("wgan", argv)


if __name__ == "__main__":
    raise SystemExit(main())
