"""LSGAN: Least Squares Generative Adversarial Networks.

Reference:
    Mao, Li, Xie, Lau, Wang, Smolley, "Least Squares Generative Adversarial Networks",
    arXiv:1611.04076 (ICCV 2017).

The DCGAN networks of `keras_gans.dcgan` (4×4 kernels, N(0, 0.02) weights, batch norm with
PyTorch's settings) play the paper's least-squares game. The discriminator's output is linear
(no sigmoid) and both players regress it onto targets coded (a, b, c):

    D: ½E[(D(x) − b)²] + ½E[(D(G(z)) − a)²]        G: ½E[(D(G(z)) − c)²]

`coding="binary"` (default, both zoos) is (a, b, c) = (0, 1, 1); `coding="pearson"` is the
paper's (−1, 1, 0), under which training minimizes the Pearson χ² divergence (b − c = 1,
b − a = 2). `arch="lsun112"` builds the paper's 112×112 scene networks (3×3 transposed
convolutions in G, 5×5 convolutions in D); the default, `arch="dcgan"`, is the DCGAN layout at
any size it supports (the 32-px layout for `mnist32`, the 64-px one for LSUN at 64×64).
Optimizer: Adam with β1 = 0.5 (paper), learning rate 2e-4, β2 = 0.999.

Not copied: Keras-GAN's multilayer perceptrons, PyTorch-GAN's BatchNorm epsilon of 0.8 and its
upsampling generator.

    python -m keras_gans.lsgan --dataset shapes
    python -m keras_gans.lsgan --dataset mnist32 --data-dir ../shared/data/mnist
"""

import keras
from keras import layers

from keras_gans import cli
from keras_gans import dcgan
from keras_gans import gan
from keras_gans import losses

# Targets (a, b, c): a for fakes and b for real images in D's loss, c for fakes in G's loss.
CODINGS = {"binary": (0.0, 1.0, 1.0), "pearson": (-1.0, 1.0, 0.0)}
ARCHITECTURES = ("dcgan", "lsun112")
LSUN_SIZE = 112


def check_lsun_shape(image_shape):
    """Raises ValueError unless `image_shape` is 112×112, the size of the paper's scene model."""
    if tuple(image_shape[:2]) != (LSUN_SIZE, LSUN_SIZE):
        raise ValueError(
            f"arch='lsun112' builds the paper's {LSUN_SIZE}×{LSUN_SIZE} scene networks, but "
            f"these images are {image_shape[0]}×{image_shape[1]}: pass --image-size "
            f"{LSUN_SIZE}, or use arch='dcgan'."
        )


def lsun_generator_block(x, width, strides):
    """One block of the scene generator: 3×3 transposed convolution → BN → ReLU."""
    x = layers.Conv2DTranspose(width, 3, strides=strides, padding="same", use_bias=False,
                               kernel_initializer=dcgan.weight_initializer())(x)
    return layers.ReLU()(dcgan.batch_normalization()(x))


def build_lsun_generator(latent_dim=100, image_shape=(112, 112, 3)):
    """The paper's 112×112 scene generator (Mao et al., 2016, Figure 3a).

    z → fc 7·7·256 → BN → ReLU → ct256 s2 → ct256 → ct256 s2 → ct256 → ct128 s2 → ct64 s2 (3×3,
    each followed by BN → ReLU) → ct C 3×3 → tanh.

    Args:
        latent_dim: size of z ~ N(0, I).
        image_shape: (112, 112, channels).

    Returns:
        A functional `keras.Model` named "generator".
    """
    check_lsun_shape(image_shape)
    latent = keras.Input((latent_dim,), name="latent")
    x = layers.Dense(7 * 7 * 256, use_bias=False,
                     kernel_initializer=dcgan.weight_initializer())(latent)
    x = layers.Reshape((7, 7, 256))(x)
    x = layers.ReLU()(dcgan.batch_normalization()(x))
    for width, strides in ((256, 2), (256, 1), (256, 2), (256, 1), (128, 2), (64, 2)):
        x = lsun_generator_block(x, width, strides)
    x = layers.Conv2DTranspose(image_shape[-1], 3, padding="same",
                               kernel_initializer=dcgan.weight_initializer())(x)
    images = layers.Activation("tanh", dtype="float32", name="images")(x)
    return keras.Model(latent, images, name="generator")


def build_lsun_discriminator(image_shape=(112, 112, 3)):
    """The paper's 112×112 scene discriminator (Mao et al., 2016, Figure 3b).

    c64 → c128 → c256 → c512 (5×5, stride 2, LeakyReLU 0.2, BN from the second) → fc 1 (linear).

    Args:
        image_shape: (112, 112, channels).

    Returns:
        A functional `keras.Model` named "discriminator".
    """
    check_lsun_shape(image_shape)
    images = keras.Input(image_shape, name="images")
    x = images
    for stage, width in enumerate((64, 128, 256, 512)):
        x = layers.Conv2D(width, 5, strides=2, padding="same", use_bias=stage == 0,
                          kernel_initializer=dcgan.weight_initializer())(x)
        if stage > 0:
            x = dcgan.batch_normalization()(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Flatten()(x)
    outputs = layers.Dense(1, kernel_initializer=dcgan.weight_initializer(), dtype="float32",
                           name="logits")(x)
    return keras.Model(images, outputs, name="discriminator")


def check_choices(coding, arch, kernel_size):
    """Raises ValueError, naming the fix, for an unknown coding or architecture."""
    if coding not in CODINGS:
        raise ValueError(
            f"Unknown coding {coding!r}: choose 'binary' ((a, b, c) = (0, 1, 1)) or 'pearson' "
            "((a, b, c) = (-1, 1, 0))."
        )
    if arch not in ARCHITECTURES:
        raise ValueError(f"Unknown arch {arch!r}: choose one of {', '.join(ARCHITECTURES)}.")
    if arch == "lsun112" and kernel_size != 4:
        raise ValueError(
            "kernel_size applies to arch='dcgan' only (the lsun112 networks have fixed 3×3 and "
            f"5×5 kernels), but kernel_size={kernel_size} was given: leave it at 4."
        )


@keras.saving.register_keras_serializable(package="keras_gans")
class LSGAN(dcgan.DCGAN):
    """LSGAN: DCGAN networks trained with least-squares losses on a linear discriminator.

    Args:
        latent_dim: size of z ~ N(0, I).
        image_shape: (size, size, channels); 28, 32 or 64 px with `arch="dcgan"`, 112 px with
            `arch="lsun112"`.
        coding: "binary" for targets (a, b, c) = (0, 1, 1) (default), or "pearson" for
            (−1, 1, 0), the paper's Pearson χ² setting.
        arch: "dcgan" (the DCGAN layout, default) or "lsun112" (the paper's scene networks).
        kernel_size: 4 (dcgan.torch, default) or 5 (DCGAN's Theano code); `arch="dcgan"` only.
        generator, discriminator: optional prebuilt networks replacing the defaults; the
            discriminator must output one linear value per image.
        seed: seed of the model's noise.

    Example:

    ```python
    model = LSGAN(image_shape=(32, 32, 1), coding="pearson")
    model.compile()  # Adam 2e-4, β = (0.5, 0.999)
    model.fit(images, batch_size=64, epochs=10)
    samples = model.generate(16)
    ```
    """

    def __init__(
        self,
        latent_dim=100,
        image_shape=(32, 32, 1),
        coding="binary",
        arch="dcgan",
        kernel_size=4,
        generator=None,
        discriminator=None,
        seed=None,
        **kwargs,
    ):
        check_choices(coding, arch, kernel_size)
        self.coding = coding
        self.arch = arch
        if arch == "lsun112":
            generator = generator or build_lsun_generator(latent_dim, image_shape)
            discriminator = discriminator or build_lsun_discriminator(image_shape)
        super().__init__(
            latent_dim=latent_dim,
            image_shape=image_shape,
            kernel_size=kernel_size,
            generator=generator,
            discriminator=discriminator,
            generator_loss=None,  # the least-squares objectives below replace it
            seed=seed,
            **kwargs,
        )

    @property
    def targets(self):
        """The coding (a, b, c): targets for fakes and reals in D's loss, for fakes in G's."""
        return CODINGS[self.coding]

    def discriminator_objective(self, real_images, real_outputs, fake_outputs):
        """½E[(D(x) − b)²] + ½E[(D(G(z)) − a)²]."""
        fake_target, real_target, _ = self.targets
        return losses.least_squares_discriminator_loss(
            real_outputs, fake_outputs, fake_target=fake_target, real_target=real_target)

    def generator_objective(self, real_images, fake_outputs):
        """½E[(D(G(z)) − c)²]."""
        return losses.least_squares_generator_loss(fake_outputs, target=self.targets[2])

    def get_config(self):
        config = super().get_config()
        config.update(coding=self.coding, arch=self.arch)
        return config


# ------------------------------------------------------------------------------------------
# Command line: python -m keras_gans.lsgan
# ------------------------------------------------------------------------------------------
DEFAULTS = dict(dataset="mnist32", batch_size=64, epochs=25, latent_dim=100, g_lr=2e-4,
                d_lr=2e-4)
compile_model = gan.compile_model


def add_arguments(group):
    """LSGAN's own flags."""
    group.add_argument("--coding", choices=sorted(CODINGS), default="binary",
                       help="least-squares targets (a, b, c): binary (0, 1, 1) or pearson "
                       "(-1, 1, 0)")
    group.add_argument("--arch", choices=ARCHITECTURES, default="dcgan",
                       help="dcgan: the DCGAN layout (28, 32, 64 px); lsun112: the paper's "
                       "112-px scene networks (pass --image-size 112)")
    group.add_argument("--kernel-size", type=int, choices=(4, 5), default=4,
                       help="DCGAN kernels (arch dcgan): 4 (dcgan.torch) or 5 (Theano code)")


def build_model(args, image_shape):
    """The LSGAN the command line asks for."""
    return LSGAN(
        latent_dim=args.latent_dim,
        image_shape=image_shape,
        coding=args.coding,
        arch=args.arch,
        kernel_size=args.kernel_size,
        seed=args.seed,
    )


def main(argv=None):
    """Command line: `python -m keras_gans.lsgan --help`."""
    return cli.run("lsgan", argv)


if __name__ == "__main__":
    raise SystemExit(main())
