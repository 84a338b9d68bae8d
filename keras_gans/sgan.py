"""SGAN: Semi-Supervised Learning with Generative Adversarial Networks.

References:
    Odena, "Semi-Supervised Learning with Generative Adversarial Networks", arXiv:1606.01583
    (2016): the discriminator is a classifier over the N real classes plus a class "fake".
    Salimans, Goodfellow, Zaremba, Cheung, Radford, Chen, "Improved Techniques for Training
    GANs", arXiv:1606.03498 (NeurIPS 2016; code openai/improved-gan): the loss on unlabelled
    images and feature matching.

Followed: Odena's (N+1)-way discriminator trained truly semi-supervised. Only `num_labeled`
training images keep their labels (100 by default, 10 per class, chosen with the seed); the
model holds them as its labelled pool, saved with it. Each step draws a labelled batch from the
pool with replacement (from the model's seed generator), takes an unlabelled batch from the
data and generates a batch of fakes, all of the same size (64 + 64 + 64 by default):

    D: CE(D(x_labelled), y) + [−log(1 − p_fake(x_unlabelled))] + CE(D(G(z)), N)
    G: −log(1 − p_fake(G(z))), or feature matching ‖E f(x) − E f(G(z))‖² on D's penultimate
       features (`generator_loss="feature_matching"`)

with p_fake the softmax probability of the last logit, every term computed from the logits
with log-sum-exp. G is the B-DC32 generator (the DCGAN generator at 32×32); D is the B-DC32
discriminator trunk with dropout 0.25 after each block, then a dense layer of N + 1 logits.
Adam 2e-4, β = (0.5, 0.999). The unlabelled images are the whole training set with its labels
hidden, as in openai/improved-gan. Not copied: the zoos' use of a label for every real image
(so not semi-supervised), their softmax layer before a cross-entropy, and Keras `class_weight`
re-weighting.

Train with 100 labelled digits, then classify held-out digits:

    python -m keras_gans.sgan --dataset mnist32 --data-dir ../shared/data/mnist --labeled 100
    python -m keras_gans.sgan classify --checkpoint runs/sgan/checkpoints/model.keras \\
        --dataset mnist32 --data-dir ../shared/data/mnist --output classes.npy
"""

import keras
import numpy as np
from keras import layers
from keras import ops

from keras_gans import cli
from keras_gans import data as gan_data
from keras_gans import dcgan
from keras_gans import engine
from keras_gans import gan
from keras_gans import losses
from keras_gans.blocks import weight_initializer

GENERATOR_LOSSES = ("nonsaturating", "feature_matching")


def build_generator(latent_dim=100, image_shape=(32, 32, 1), base_width=64):
    """The B-DC32 generator of the SGAN (Odena, 2016): the DCGAN generator, z → fc 4·4·256 →
    BN → ReLU → [convT k4 s2 → BN → ReLU] × {128, 64} → convT k4 s2 → tanh at 32×32.

    Returns:
        A functional `keras.Model` named "generator".
    """
    return dcgan.build_generator(latent_dim, image_shape, base_width=base_width)


def build_discriminator(image_shape=(32, 32, 1), num_classes=10, base_width=64, dropout=0.25):
    """The SGAN discriminator (Odena, 2016): the B-DC32 trunk, c64 k4 s2 → LeakyReLU → [c k4
    s2 → BN → LeakyReLU] × {128, 256}, with dropout 0.25 after each block, flattened (the
    penultimate features), then a dense layer of N + 1 logits: the N classes, then "fake".

    Args:
        image_shape: (size, size, channels) of the images.
        num_classes: N, the number of real classes.
        base_width: channels of the first convolution; each later block doubles it.
        dropout: the dropout rate after each block.

    Returns:
        A functional `keras.Model` named "discriminator" mapping images to
        `[logits (batch, N + 1), features (batch, F)]`.
    """
    images = keras.Input(image_shape, name="images")
    features = dcgan.discriminator_features(images, base_width, dropout=dropout)
    logits = layers.Dense(num_classes + 1, kernel_initializer=weight_initializer(),
                          dtype="float32", name="logits")(features)
    return keras.Model(images, [logits, features], name="discriminator")


@keras.saving.register_keras_serializable(package="keras_gans")
class SGAN(gan.GAN):
    """The semi-supervised GAN: a discriminator that classifies images into N classes or
    "fake", trained on a few labelled images, many unlabelled ones and the generator's fakes.

    The labelled pool lives in the model (non-trainable variables, saved in `.keras` files):
    give it when building the model, or later with `set_labeled`. `fit()` then takes images
    alone, all of them unlabelled; each step draws as many labelled images from the pool (with
    replacement) as its unlabelled batch holds, and generates as many fakes.

    Args:
        latent_dim: size of z ~ N(0, I).
        num_classes: N, the number of real classes.
        image_shape: (size, size, channels); sizes such as 28, 32 and 64.
        labeled_images: the labelled pool's images (count, *image_shape) in [-1, 1], or None.
        labeled_labels: their integer classes (count,).
        num_labeled: the size of the pool when its images come later (`set_labeled`, or the
            weights of a saved model); taken from `labeled_images` when they are given.
        generator_loss: "nonsaturating" (−log(1 − p_fake(G(z))), default) or
            "feature_matching" (Salimans et al., 2016).
        base_width: channels of G's last and D's first convolution (64 in B-DC32).
        generator, discriminator: optional prebuilt networks (D maps images to
            `[N + 1 logits, features]`).
        seed: seed of the model's noise and labelled draws.

    Example:

    ```python
    pool = keras_gans.data.balanced_subset(labels, 100, seed=0)  # 10 labels per digit
    model = SGAN(num_classes=10, image_shape=(32, 32, 1),
                 labeled_images=images[pool], labeled_labels=labels[pool])
    model.compile()  # Adam 2e-4, β = (0.5, 0.999)
    model.fit(images, batch_size=64, epochs=20)  # every image, without its label
    predicted = model.classify(test_images)
    ```
    """

    loss_names = ("d_loss", "d_class_loss", "d_unlabeled_loss", "d_fake_loss", "g_loss")

    def __init__(self, latent_dim=100, num_classes=10, image_shape=(32, 32, 1),
                 labeled_images=None, labeled_labels=None, num_labeled=None,
                 generator_loss="nonsaturating", base_width=64, generator=None,
                 discriminator=None, seed=None, **kwargs):
        if generator_loss not in GENERATOR_LOSSES:
            raise ValueError(f"generator_loss must be one of {GENERATOR_LOSSES}. Received: "
                             f"generator_loss={generator_loss!r}")
        if labeled_images is not None:
            num_labeled = len(labeled_images)
        if not num_labeled:
            raise ValueError("SGAN needs its labelled pool: pass labeled_images= and "
                             "labeled_labels= (or num_labeled= and call set_labeled later).")
        image_shape = tuple(image_shape)
        super().__init__(
            latent_dim=latent_dim,
            image_shape=image_shape,
            generator=generator or build_generator(latent_dim, image_shape, base_width),
            discriminator=discriminator or build_discriminator(image_shape, num_classes,
                                                               base_width),
            generator_loss=None,
            seed=seed,
            **kwargs,
        )
        self.num_classes = num_classes
        self.num_labeled = int(num_labeled)
        self.base_width = base_width
        self.generator_loss = generator_loss
        self.labeled_images = self.add_weight(
            shape=(self.num_labeled, *image_shape), initializer="zeros", trainable=False,
            name="labeled_images")
        self.labeled_labels = self.add_weight(
            shape=(self.num_labeled,), initializer="zeros", dtype="int32", trainable=False,
            name="labeled_labels")
        if labeled_images is not None:
            self.set_labeled(labeled_images, labeled_labels)

    def set_labeled(self, images, labels):
        """Fills the labelled pool with `images` (num_labeled, *image_shape) in [-1, 1] and
        their integer classes in [0, num_classes)."""
        images = np.asarray(images, "float32")
        labels = np.asarray(labels).reshape(-1)
        if images.shape != (self.num_labeled, *self.image_shape) or len(labels) != len(images):
            raise ValueError(
                f"The labelled pool takes {self.num_labeled} images of shape "
                f"{self.image_shape} with one label each. Received images of shape "
                f"{images.shape} and {len(labels)} labels.")
        if labels.min() < 0 or labels.max() >= self.num_classes:
            raise ValueError(f"Labels must lie in [0, {self.num_classes}). Received labels from "
                             f"{labels.min()} to {labels.max()}: pass classes of this model.")
        self.labeled_images.assign(images)
        self.labeled_labels.assign(labels.astype("int32"))

    def fit(self, x=None, *args, **kwargs):
        """`keras.Model.fit` on unlabelled images; refuses an empty labelled pool."""
        if not np.any(ops.convert_to_numpy(self.labeled_images)):
            raise ValueError("The labelled pool of this SGAN is empty: call "
                             "model.set_labeled(images, labels) before fit().")
        return super().fit(x, *args, **kwargs)

    def labeled_batch(self, batch_size):
        """`batch_size` labelled images and their classes, drawn from the pool with
        replacement by the model's seed generator."""
        draws = ops.floor(self.uniform((batch_size,)) * self.num_labeled)
        indices = ops.cast(ops.minimum(draws, self.num_labeled - 1), "int32")
        return (ops.take(self.labeled_images, indices, axis=0),
                ops.take(self.labeled_labels, indices, axis=0))

    def gan_step(self, data):
        real_images = unlabeled_batch(data)
        batch_size = ops.shape(real_images)[0]

        # Train the discriminator: labelled images to their class, unlabelled images to any
        # real class, fakes to the class "fake".
        def discriminator_loss():
            labeled_images, labels = self.labeled_batch(batch_size)
            latent = self.normal((batch_size, self.latent_dim))
            fake_images = ops.stop_gradient(self.generator(latent, training=True))
            labeled_logits, _ = self.discriminator(labeled_images, training=True)
            unlabeled_logits, _ = self.discriminator(real_images, training=True)
            fake_logits, _ = self.discriminator(fake_images, training=True)
            class_loss = losses.categorical_crossentropy_from_logits(
                labeled_logits, ops.one_hot(labels, self.num_classes + 1))
            unlabeled_loss = losses.real_classes_crossentropy_from_logits(unlabeled_logits)
            fake_loss = losses.fake_class_crossentropy_from_logits(fake_logits)
            return class_loss + unlabeled_loss + fake_loss, (class_loss, unlabeled_loss,
                                                             fake_loss)

        d_loss, (class_loss, unlabeled_loss, fake_loss) = self.minimize(
            discriminator_loss, self.discriminator.trainable_variables, self.d_optimizer)

        # Train the generator with fresh noise, through the updated discriminator.
        def generator_loss():
            latent = self.normal((batch_size, self.latent_dim))
            fake_logits, fake_features = self.discriminator(
                self.generator(latent, training=True), training=True)
            if self.generator_loss == "feature_matching":
                _, real_features = self.discriminator(real_images, training=True)
                return losses.feature_matching_loss(real_features, fake_features)
            return losses.real_classes_crossentropy_from_logits(fake_logits)

        g_loss = self.minimize(generator_loss, self.generator.trainable_variables,
                               self.g_optimizer)
        return self.track(d_loss=d_loss, d_class_loss=class_loss,
                          d_unlabeled_loss=unlabeled_loss, d_fake_loss=fake_loss, g_loss=g_loss)

    @engine.inference
    def class_logits(self, images):
        """D's logits over the N real classes (the "fake" logit left out)."""
        logits, _ = self.discriminator(images, training=False)
        return logits[:, :-1]

    @engine.inference
    def classify(self, images):
        """The class D predicts for each image: argmax over the N real classes, int32."""
        return ops.cast(ops.argmax(self.class_logits(images), axis=-1), "int32")

    def get_config(self):
        config = super().get_config()
        config.update(num_classes=self.num_classes, num_labeled=self.num_labeled,
                      base_width=self.base_width)
        return config


def unlabeled_batch(data):
    """The images of a training batch; a ValueError with the fix for (images, labels)."""
    if isinstance(data, (tuple, list)):
        raise ValueError("SGAN learns from unlabelled images plus its own labelled pool: call "
                         "model.fit(images) without labels.")
    return data


# ------------------------------------------------------------------------------------------
# Command line: python -m keras_gans.sgan
# ------------------------------------------------------------------------------------------
DEFAULTS = dict(dataset="mnist32", batch_size=64, epochs=20, latent_dim=100, g_lr=2e-4,
                d_lr=2e-4)
LABELS = "semi-supervised"
compile_model = gan.compile_model
SMOKE_LABELS_PER_CLASS = 2


def add_arguments(group):
    """SGAN's own flags."""
    group.add_argument("--labeled", type=cli.integer(at_least=1), default=100,
                       help="training images that keep their label, spread evenly over the "
                       "classes and chosen with --seed; every image is also used unlabelled "
                       f"(--smoke: at most {SMOKE_LABELS_PER_CLASS} per class)")
    group.add_argument("--generator-loss", choices=GENERATOR_LOSSES, default="nonsaturating",
                       help="generator objective: −log(1 − p_fake(G(z))), or feature matching "
                       "on the discriminator's penultimate features")


def build_model(args, image_shape):
    """The SGAN the command line asks for (`args.num_classes` comes from the data; 10 when
    parsed without data)."""
    num_classes = args.num_classes or 10
    if args.smoke:
        args.labeled = min(args.labeled, SMOKE_LABELS_PER_CLASS * num_classes)
    if args.labeled < num_classes:
        raise ValueError(f"--labeled {args.labeled} leaves some of the {num_classes} classes "
                         f"without a label: pass --labeled {num_classes} or more.")
    return SGAN(latent_dim=args.latent_dim, num_classes=num_classes,
                image_shape=image_shape, num_labeled=args.labeled,
                generator_loss=args.generator_loss, seed=args.seed)


def prepare_model(model, args, data):
    """Fills a new model's labelled pool with `--labeled` training images, balanced over the
    classes and chosen with `--seed`."""
    indices = gan_data.balanced_subset(data.labels, model.num_labeled, seed=args.seed)
    model.set_labeled(*gan_data.examples_at(data, indices))


def main(argv=None):
    """Command line: `python -m keras_gans.sgan --help`."""
    return cli.run("sgan", argv)


if __name__ == "__main__":
    raise SystemExit(main())
