"""AC-GAN: Conditional Image Synthesis with Auxiliary Classifier GANs.

Reference:
    Odena, Olah, Shlens, "Conditional Image Synthesis with Auxiliary Classifier GANs",
    arXiv:1610.09585 (ICML 2017).

Every generated image carries a class c drawn at random, X_fake = G(z, c), and the
discriminator has two heads: the source, a logit of P(S = real | X), and the class, logits of
P(C | X). With L_S the log-likelihood of the correct source and L_C that of the correct class,
D maximises L_S + L_C and G maximises L_C − L_S. Implemented, from logits, as

    D: ½[BCE(D_s(x), 1) + CE(D_c(x), y)] + ½[BCE(D_s(G(z, c)), 0) + CE(D_c(G(z, c)), c)]
    G: BCE(D_s(G(z, c)), 1) + CE(D_c(G(z, c)), c)

(the generator's source term in the non-saturating form). Fakes carry the class they were drawn
for, uniformly and afresh for each player's step, among the same N classes as the real images
(not an N + 1-th "fake" class). The trained discriminator is a classifier of real images:
`classify(images)`.

Networks: the generator multiplies z (100) element-wise by a learned embedding of the class
(100 numbers per class, a bias-free dense layer on the one-hot class, initialised N(0, 1) as
PyTorch's `nn.Embedding`), then runs the DCGAN generator of `keras_gans.dcgan` (32×32:
fc 4·4·256 → BN → ReLU → ct128 → ct64 → ct C → tanh; 64×64 adds a stage). The discriminator is
the DCGAN discriminator (c64 → c128 → c256, k4 s2, BN after all but the first, LeakyReLU 0.2)
with dropout 0.25 after each block, as the paper's discriminator uses dropout, and two dense
heads on its features: 1 source logit and N class logits. Adam 2e-4, β = (0.5, 0.999) for both
players; batch 64 (the paper: 100). Not copied: PyTorch-GAN's softmax layer before the
cross-entropy and its BatchNorm epsilon of 0.8. The paper's CIFAR-10 and ImageNet networks are
not reproduced.

    python -m keras_gans.acgan --dataset mnist32 --data-dir ../shared/data/mnist
    python -m keras_gans.acgan classify --checkpoint runs/acgan/checkpoints/model.keras \\
        --dataset mnist32 --data-dir ../shared/data/mnist --output classes.npy
"""

import keras
from keras import layers
from keras import ops

from keras_gans import cli
from keras_gans import conditioning
from keras_gans import dcgan
from keras_gans import engine
from keras_gans import gan
from keras_gans import losses
from keras_gans.blocks import weight_initializer


def build_generator(latent_dim=100, num_classes=10, image_shape=(32, 32, 1), base_width=64):
    """AC-GAN generator: z ⊙ embedding(c) → the DCGAN generator → tanh image.

    Args:
        latent_dim: size of z ~ N(0, I), and of each class's embedding.
        num_classes: number of classes.
        image_shape: (size, size, channels) of the images (28, 32, 64, ...).
        base_width: channels of the DCGAN generator's last hidden stage (64).

    Returns:
        A functional `keras.Model` named "generator" taking [latent, one-hot classes].
    """
    latent = keras.Input((latent_dim,), name="latent")
    classes = keras.Input((num_classes,), name="classes")
    embedding = layers.Dense(latent_dim, use_bias=False,
                             kernel_initializer=keras.initializers.RandomNormal(0.0, 1.0),
                             name="class_embedding")(classes)
    conditioned = layers.Multiply(name="conditioned_latent")([latent, embedding])
    body = dcgan.build_generator(latent_dim, image_shape, base_width=base_width)
    return keras.Model([latent, classes], body(conditioned), name="generator")


def build_discriminator(image_shape=(32, 32, 1), num_classes=10, base_width=64, dropout=0.25):
    """AC-GAN discriminator: the DCGAN discriminator's convolutions, each block followed by
    dropout, then two heads: fc 1 (the source logit) and fc N (the class logits).

    Args:
        image_shape: (size, size, channels) of the images.
        num_classes: number of classes N.
        base_width: channels of the first convolution (64); each later stage doubles it.
        dropout: dropout rate after each block (0.25).

    Returns:
        A functional `keras.Model` named "discriminator" mapping images to
        [source logits (batch, 1), class logits (batch, N)].
    """
    images = keras.Input(image_shape, name="images")
    features = dcgan.discriminator_features(images, base_width, dropout=dropout)
    source = layers.Dense(1, kernel_initializer=weight_initializer(), dtype="float32",
                          name="source_logits")(features)
    classes = layers.Dense(num_classes, kernel_initializer=weight_initializer(),
                           dtype="float32", name="class_logits")(features)
    return keras.Model(images, [source, classes], name="discriminator")


@keras.saving.register_keras_serializable(package="keras_gans")
class ACGAN(conditioning.ConditionalGANStep, engine.GAN):
    """AC-GAN: a conditional generator and a discriminator that also classifies.

    Args:
        latent_dim: the length of z, each entry drawn from N(0, 1).
        num_classes: how many classes the labels name, 0 to num_classes − 1.
        image_shape: the square images' (size, size, channels).
        base_width: width of the DCGAN networks (64).
        dropout: the discriminator's dropout rate after each block (0.25).
        generator: optional prebuilt generator ([latent, one-hot classes] → images).
        discriminator: optional prebuilt discriminator (images → [source logits, class
            logits]).
        seed: seed of the model's noise and sampled classes.

    Example:

    ```python
    model = ACGAN(num_classes=10, image_shape=(32, 32, 1))
    model.compile()  # Adam 2e-4, β = (0.5, 0.999)
    model.fit(images, labels, batch_size=64, epochs=20)
    sevens = model.generate(16, labels=7)
    predicted = model.classify(images)
    ```
    """

    loss_names = ("d_loss", "g_loss", "d_class_loss", "g_class_loss")
    network_arguments = ("generator", "discriminator")

    def __init__(self, latent_dim=100, num_classes=10, image_shape=(32, 32, 1), base_width=64,
                 dropout=0.25, generator=None, discriminator=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout must lie in [0, 1). Received: dropout={dropout}")
        self.latent_dim = latent_dim
        self.num_classes = num_classes
        self.image_shape = tuple(image_shape)
        self.base_width = base_width
        self.dropout = dropout
        self.generator = generator or build_generator(
            latent_dim, num_classes, self.image_shape, base_width)
        self.discriminator = discriminator or build_discriminator(
            self.image_shape, num_classes, base_width, dropout)
        self.finish_init()

    # Adam 2e-4, β = (0.5, 0.999) for both players, the defaults of GAN's `compile`.
    compile = gan.GAN.compile

    def discriminator_loss(self, real_images, real_classes, fake_images, fake_classes):
        """D's loss: the source of real images and of fakes (L_S), and the class of both
        (L_C), each fake labelled with the class it was drawn for."""
        real_source, real_class_logits = self.discriminator(real_images, training=True)
        fake_source, fake_class_logits = self.discriminator(fake_images, training=True)
        class_loss = 0.5 * (
            losses.categorical_crossentropy_from_logits(real_class_logits, real_classes)
            + losses.categorical_crossentropy_from_logits(fake_class_logits, fake_classes))
        source_loss = losses.discriminator_loss(real_source, fake_source)
        return source_loss + class_loss, {"d_class_loss": class_loss}

    def generator_loss(self, fake_images, fake_classes):
        """G's loss: its fakes should pass for real (−L_S) and for their class (L_C)."""
        fake_source, fake_class_logits = self.discriminator(fake_images, training=True)
        class_loss = losses.categorical_crossentropy_from_logits(fake_class_logits, fake_classes)
        return (losses.generator_loss_nonsaturating(fake_source) + class_loss,
                {"g_class_loss": class_loss})

    @engine.inference
    def classify(self, images):
        """The class the discriminator's class head gives each image: the argmax of its
        logits, int (batch,)."""
        _, class_logits = self.discriminator(images, training=False)
        return ops.argmax(class_logits, axis=-1)

    def get_config(self):
        config = super().get_config()
        config.update(latent_dim=self.latent_dim, num_classes=self.num_classes,
                      image_shape=list(self.image_shape), base_width=self.base_width,
                      dropout=self.dropout)
        return config


# ------------------------------------------------------------------------------------------
# Command line: python -m keras_gans.acgan
# ------------------------------------------------------------------------------------------
DEFAULTS = dict(dataset="mnist32", batch_size=64, epochs=25, latent_dim=100, g_lr=2e-4,
                d_lr=2e-4)
LABELS = True
compile_model = gan.compile_model


def add_arguments(group):
    """AC-GAN's own flags."""
    group.add_argument("--dropout", type=cli.number(at_least=0, below=1), default=0.25,
                       help="the discriminator's dropout rate after each block")


def build_model(args, image_shape):
    """The AC-GAN the command line asks for (`args.num_classes` comes from the data; 10 when
    parsed without data)."""
    return ACGAN(latent_dim=args.latent_dim, num_classes=args.num_classes or 10,
                 image_shape=image_shape, dropout=args.dropout, seed=args.seed)


def main(argv=None):
    """Command line: `python -m keras_gans.acgan --help`."""
    return cli.run("acgan", argv)


if __name__ == "__main__":
    raise SystemExit(main())
