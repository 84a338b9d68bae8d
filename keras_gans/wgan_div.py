"""WGAN-div: the Wasserstein divergence, a gradient penalty without a Lipschitz target.

Reference:
    Wu, Huang, Thoma, Acharya, Van Gool, "Wasserstein Divergence for GANs", arXiv:1712.01026
    (ECCV 2018). Authors' code: musikisomorphie/wgan-div (TensorFlow, built on the WGAN-GP code).

The critic minimizes E[D(G(z))] − E[D(x)] + k·E[‖∇D(x̂)‖₂^p] with the paper's k = 2 and p = 6.
The penalty has no Lipschitz target: it only keeps the critic's gradients small where it is
evaluated. As in the authors' code the points x̂ are real–fake interpolates x + α(G(z) − x),
α ~ U[0, 1] per sample; `penalty_points="real_fake"` takes the gradient at the real and at the
generated images instead, k/2 each (PyTorch-GAN's form). The generator minimizes −E[D(G(z))].
Library defaults: Adam 2e-4, β = (0, 0.9), 4 critic updates per generator update (the authors'
script), batch 64, and the B-DC28 networks of `keras_gans.wgan_gp` with no normalization
(the authors' own script uses ResNets with layer norm at 64×64).

Not copied from PyTorch-GAN's `wgan_div`: its MLP networks and its unused `clip_value`.

    python -m keras_gans.wgan_div --dataset shapes --image-size 28
    python -m keras_gans.wgan_div --dataset mnist --data-dir ../shared/data/mnist
"""

import keras

from keras_gans import cli
from keras_gans import layers
from keras_gans import losses
from keras_gans import wgan_gp

PENALTY_POINTS = ("interpolates", "real_fake")


@keras.saving.register_keras_serializable(package="keras_gans")
class WGANDiv(wgan_gp.WassersteinGAN):
    """WGAN-div: a Wasserstein critic with the k·E[‖∇D‖^p] divergence penalty.

    Each training step makes `n_critic` critic updates, each on a fresh real batch, on
    E[D(G(z))] − E[D(x)] + k·E[‖∇D(x̂)‖₂^p], then one generator update on −E[D(G(z))]. When
    calling `fit()` directly, pass `batch_size = n_critic × 64` (the command line does this
    itself).

    Args:
        latent_dim: size of z ~ N(0, I) (128).
        image_shape: (28, 28, channels) (or 32×32) for the default networks.
        n_critic: critic updates per generator update (4).
        penalty_weight: k, the penalty's coefficient (2 in the paper).
        penalty_power: p, the power of the gradient norm (6 in the paper).
        penalty_points: "interpolates" (real–fake interpolates, the authors' code) or
            "real_fake" (the gradient at the real and at the fake images, k/2 each).
        generator: optional prebuilt generator (latent → image in [-1, 1]).
        discriminator: optional prebuilt critic (image → score) without batch normalization.
        seed: seed of the model's noise.

    Example:

    ```python
    model = WGANDiv(image_shape=(28, 28, 1))
    model.compile()  # Adam 2e-4, β = (0, 0.9)
    model.fit(images, batch_size=4 * 64, epochs=10)  # 4 critic batches per step
    samples = model.generate(16)
    ```
    """

    loss_names = ("d_loss", "g_loss", "wasserstein_estimate", "gradient_penalty")

    def __init__(self, latent_dim=128, image_shape=(28, 28, 1), n_critic=4, penalty_weight=2.0,
                 penalty_power=6.0, penalty_points="interpolates", generator=None,
                 discriminator=None, seed=None, **kwargs):
        if penalty_points not in PENALTY_POINTS:
            raise ValueError(f"Unknown penalty_points {penalty_points!r}: choose one of "
                             f"{', '.join(PENALTY_POINTS)}.")
        if penalty_weight < 0 or penalty_power <= 0:
            raise ValueError(
                "penalty_weight must be at least 0 and penalty_power positive (the paper uses "
                f"k = 2, p = 6). Received: penalty_weight={penalty_weight}, "
                f"penalty_power={penalty_power}"
            )
        discriminator = discriminator or wgan_gp.build_critic(image_shape)
        layers.check_no_batch_normalization(
            discriminator, "WGAN-div",
            "leave discriminator out for the paper's critic, or build one with "
            "wgan_gp.build_critic(image_shape, normalization='layer')")
        super().__init__(latent_dim=latent_dim, image_shape=image_shape, generator=generator,
                         discriminator=discriminator, n_critic=n_critic, seed=seed, **kwargs)
        self.penalty_weight = float(penalty_weight)
        self.penalty_power = float(penalty_power)
        self.penalty_points = penalty_points

    def penalty(self, real_images, fake_images):
        """E[‖∇D(x̂)‖₂^p] at the penalty points (without k)."""
        if self.penalty_points == "interpolates":
            return self.divergence_penalty(self.interpolates(real_images, fake_images))
        return 0.5 * (self.divergence_penalty(real_images)
                      + self.divergence_penalty(fake_images))

    def divergence_penalty(self, points):
        """E[‖∇D(x)‖₂^p] over a batch of points."""
        return losses.wasserstein_divergence_penalty(self.critic_gradients(points),
                                                     self.penalty_power)

    def compile(self, g_optimizer=None, d_optimizer=None, **kwargs):
        """Adam 2e-4, β = (0, 0.9) for both players (the authors' script)."""
        self.compile_players(
            {
                "d_optimizer": (d_optimizer or wgan_gp.adam(2e-4, 0.0, "d_adam"),
                                self.critic.trainable_variables),
                "g_optimizer": (g_optimizer or wgan_gp.adam(2e-4, 0.0, "g_adam"),
                                self.generator.trainable_variables),
            },
            **kwargs,
        )

    def get_config(self):
        config = super().get_config()
        config.update(penalty_weight=self.penalty_weight, penalty_power=self.penalty_power,
                      penalty_points=self.penalty_points)
        return config


# ------------------------------------------------------------------------------------------
# Command line: python -m keras_gans.wgan_div
# ------------------------------------------------------------------------------------------
DEFAULTS = dict(dataset="mnist", batch_size=64, epochs=200, latent_dim=128, g_lr=2e-4,
                d_lr=2e-4)


def add_arguments(group):
    """WGAN-div's own flags."""
    wgan_gp.add_n_critic_argument(group, 4)
    group.add_argument("--penalty-weight", type=cli.number(at_least=0), default=2.0,
                       help="k, the coefficient of the divergence penalty")
    group.add_argument("--penalty-power", type=cli.number(above=0), default=6.0,
                       help="p, the power of the critic's gradient norm in the penalty")
    group.add_argument("--penalty-points", choices=PENALTY_POINTS, default="interpolates",
                       help="where the gradient is taken: real-fake interpolates (the authors' "
                       "code) or the real and the fake images, k/2 each")


def build_model(args, image_shape):
    """The WGAN-div the command line asks for."""
    return WGANDiv(
        latent_dim=args.latent_dim,
        image_shape=image_shape,
        n_critic=args.n_critic,
        penalty_weight=args.penalty_weight,
        penalty_power=args.penalty_power,
        penalty_points=args.penalty_points,
        seed=args.seed,
    )


def compile_model(model, args, **options):
    """Compiles with Adam(lr, β = (0, 0.9)) for both players."""
    model.compile(g_optimizer=wgan_gp.adam(args.g_lr, 0.0, "g_adam"),
                  d_optimizer=wgan_gp.adam(args.d_lr, 0.0, "d_adam"), **options)


def main(argv=None):
    """Command line: `python -m keras_gans.wgan_div --help`."""
    return cli.run("wgan_div", argv)


if __name__ == "__main__":
    raise SystemExit(main())
