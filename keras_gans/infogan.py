"""InfoGAN: Interpretable Representation Learning by Information Maximizing GANs.

Reference:
    Chen, Duan, Houthooft, Schulman, Sutskever, Abbeel, "InfoGAN: Interpretable Representation
    Learning by Information Maximizing Generative Adversarial Nets", arXiv:1606.03657
    (NeurIPS 2016). Authors' code: openai/InfoGAN, whose MNIST configuration
    (`launchers/run_mnist_exp.py`, `regularized_gan.py`, `infogan_trainer.py`) this module
    follows.

The generator's input joins incompressible noise z and a latent code c: 62 noise values
~ U[−1, 1], a categorical code c_cat ~ Cat(10) given one-hot, and two continuous codes c1,
c2 ~ U[−1, 1] (74 values). Nothing in the data names these codes: InfoGAN makes them
meaningful by maximizing a variational lower bound on the mutual information I(c; G(z, c)),
through a recognition network Q that recovers c from the image. Q shares the discriminator's
trunk and adds a head: 10 categorical logits and the means of a Gaussian of fixed σ = 1 for
the continuous codes. The information term, as a loss, is

    L_I = CE(Q_cat(G(z, c)), c_cat) + ½ Σ_j (c_j − μ_j(G(z, c)))²

(the code entropy H(c) and the Gaussian's normalizing constant are constants and are left
out). The discriminator step minimizes BCE(D(x), 1) + BCE(D(G(z, c)), 0) + λ·L_I over the
trunk, the D head and the Q head (the authors' sum of the two cross-entropies, not their
mean); the generator step, with fresh noise and codes, minimizes BCE(D(G(z, c)), 1) + λ·L_I.
λ = 1 (`info_reg_coeff`). Adam with β₁ = 0.5: 1e-3 for G, 2e-4 for D and Q; batch 128; the
authors ran 5,000 updates (50 epochs of 100 batches).

Networks (openai/InfoGAN's "mnist" type; weights N(0, 0.02), batch normalization with ε 1e-5,
momentum 0.1 in PyTorch terms, γ ~ N(1, 0.02)):
G: fc 1024 → BN → ReLU → fc 7·7·128 → BN → ReLU → convT 64 k4 s2 → BN → ReLU → convT 1 k4 s2
→ tanh. Shared D/Q trunk: conv 64 k4 s2 → LReLU → conv 128 k4 s2 → BN → LReLU → fc 1024 →
BN → LReLU. D head: fc 1 (a logit). Q head: fc 128 → BN → LReLU → fc 10 (logits) and fc 2
(means).

Differences from the authors' code: data in [-1, 1] and a tanh output instead of [0, 1] and
a Bernoulli (sigmoid) output; cross-entropies from logits instead of log(p + 1e-8); the
LeakyReLU slope is 0.2 (the paper states 0.1 and the code uses 0.01: `negative_slope` of
`build_discriminator` sets it); layers followed by batch normalization have no bias (the
normalization removes it). Not copied: Keras-GAN's categorical code only, its Q and G losses
printed swapped and its constant entropy term (issue #130); PyTorch-GAN's softmax before the
cross-entropy, least-squares adversarial loss, continuous weight 0.1 and BatchNorm ε 0.8.

    python -m keras_gans.infogan --dataset shapes --image-size 28
    python -m keras_gans.infogan --dataset mnist --data-dir ../shared/data/mnist
"""

import math

import keras
import numpy as np
from keras import layers
from keras import ops

from keras_gans import cli
from keras_gans import conditioning
from keras_gans import engine
from keras_gans import gan
from keras_gans import losses
from keras_gans.blocks import batch_normalization, weight_initializer

CODE_KEYS = ("categorical", "continuous")


def check_image_shape(image_shape):
    """Raises ValueError unless the images are square with a side divisible by 4 (≥ 8)."""
    height, width, _ = image_shape
    if height != width or height % 4 or height < 8:
        raise ValueError(
            "InfoGAN's networks halve the image twice, so it must be square with a side "
            f"divisible by 4, but it is {height}×{width}: pass --image-size 28. Received: "
            f"image_shape={tuple(image_shape)}")


def dense(units, use_bias=True, name=None):
    """A fully connected layer initialized N(0, 0.02), as the authors' `custom_fully_connected`."""
    return layers.Dense(units, use_bias=use_bias, kernel_initializer=weight_initializer(),
                        name=name)


def convolution(filters, transposed=False, use_bias=True):
    """A k4 s2 'same' (transposed) convolution initialized N(0, 0.02)."""
    layer = layers.Conv2DTranspose if transposed else layers.Conv2D
    return layer(filters, 4, strides=2, padding="same", use_bias=use_bias,
                 kernel_initializer=weight_initializer())


def build_generator(latent_dim=62, categories=10, continuous_codes=2, image_shape=(28, 28, 1),
                    dense_width=1024, filters=64):
    """InfoGAN's MNIST generator: (z, c) → fc 1024 → fc (s/4)²·128 → convT 64 → convT → tanh.

    Every hidden layer is followed by batch normalization and ReLU; both transposed
    convolutions have 4×4 kernels and stride 2 (7 → 14 → 28 for 28-pixel images).

    Args:
        latent_dim: size of the noise z (62).
        categories: values of the categorical code (10), given one-hot.
        continuous_codes: number of continuous codes (2).
        image_shape: (size, size, channels), the size divisible by 4.
        dense_width: width of the first fully connected layer (1024).
        filters: channels of the last hidden layer (64); the reshaped map has twice as many.

    Returns:
        A functional `keras.Model` named "generator" from the (latent_dim + categories +
        continuous_codes)-vector [z, one-hot c_cat, c_cont] to images in [-1, 1].
    """
    check_image_shape(image_shape)
    start = image_shape[0] // 4
    inputs = keras.Input((latent_dim + categories + continuous_codes,), name="latent_and_codes")
    x = layers.ReLU()(batch_normalization()(dense(dense_width, use_bias=False)(inputs)))
    x = dense(start * start * 2 * filters, use_bias=False)(x)
    x = layers.ReLU()(batch_normalization()(x))
    x = layers.Reshape((start, start, 2 * filters))(x)
    x = convolution(filters, transposed=True, use_bias=False)(x)
    x = layers.ReLU()(batch_normalization()(x))
    x = convolution(image_shape[-1], transposed=True)(x)
    images = layers.Activation("tanh", dtype="float32", name="images")(x)
    return keras.Model(inputs, images, name="generator")


def shared_trunk(images, filters=64, dense_width=1024, negative_slope=0.2):
    """The trunk D and Q share: conv 64 k4 s2 → LReLU → conv 128 k4 s2 → BN → LReLU → fc 1024
    → BN → LReLU, on a tensor of images."""
    x = layers.LeakyReLU(negative_slope)(convolution(filters)(images))
    x = convolution(2 * filters, use_bias=False)(x)
    x = layers.LeakyReLU(negative_slope)(batch_normalization()(x))
    x = dense(dense_width, use_bias=False)(layers.Flatten()(x))
    return layers.LeakyReLU(negative_slope)(batch_normalization()(x))


def recognition_head(features, categories=10, continuous_codes=2, width=128, negative_slope=0.2):
    """Q's head on the trunk's features: fc 128 → BN → LReLU → categorical logits and the
    means μ of the continuous codes (a Gaussian with σ = 1)."""
    x = dense(width, use_bias=False)(features)
    x = layers.LeakyReLU(negative_slope)(batch_normalization()(x))
    categorical_logits = layers.Dense(categories, kernel_initializer=weight_initializer(),
                                      dtype="float32", name="categorical_logits")(x)
    continuous_means = layers.Dense(continuous_codes, kernel_initializer=weight_initializer(),
                                    dtype="float32", name="continuous_means")(x)
    return categorical_logits, continuous_means


def build_discriminator(image_shape=(28, 28, 1), categories=10, continuous_codes=2, filters=64,
                        dense_width=1024, recognition_width=128, negative_slope=0.2):
    """InfoGAN's MNIST discriminator D and recognition network Q on one shared trunk.

    Args:
        image_shape: (size, size, channels) of the images.
        categories: values of the categorical code (10).
        continuous_codes: number of continuous codes (2).
        filters: channels of the first convolution (64); the second has twice as many.
        dense_width: width of the trunk's fully connected layer (1024).
        recognition_width: width of Q's hidden layer (128).
        negative_slope: slope of the LeakyReLUs (0.2; the paper 0.1, the authors' code 0.01).

    Returns:
        A functional `keras.Model` named "discriminator" from images to three outputs: D's
        logit (batch, 1), Q's categorical logits (batch, categories) and Q's continuous means
        (batch, continuous_codes).
    """
    check_image_shape(image_shape)
    images = keras.Input(tuple(image_shape), name="images")
    features = shared_trunk(images, filters, dense_width, negative_slope)
    logits = layers.Dense(1, kernel_initializer=weight_initializer(), dtype="float32",
                          name="logits")(features)
    categorical_logits, continuous_means = recognition_head(
        features, categories, continuous_codes, recognition_width, negative_slope)
    return keras.Model(images, [logits, categorical_logits, continuous_means],
                       name="discriminator")


def continuous_values(values):
    """`values` as a float32 array with NaN where they hold None, or None if not numbers."""
    def to_float(value):
        return np.nan if value is None else float(value)

    try:
        return np.vectorize(to_float, otypes=["float32"])(np.asarray(values, dtype=object))
    except (TypeError, ValueError):
        return None


def check_discriminator_outputs(discriminator, categories, continuous_codes):
    """Raises ValueError unless `discriminator` returns (logit, categorical logits, means)."""
    widths = [output.shape[-1] for output in discriminator.outputs]
    if widths != [1, categories, continuous_codes]:
        raise ValueError(
            "InfoGAN's discriminator must return three outputs, D's logit and Q's categorical "
            f"logits and continuous means, of widths [1, {categories}, {continuous_codes}], but "
            f"{discriminator.name!r} returns widths {widths}: build it with "
            "infogan.build_discriminator or give it these heads.")


@keras.saving.register_keras_serializable(package="keras_gans")
class InfoGAN(engine.GAN):
    """InfoGAN: a GAN whose generator codes c stay recoverable from its images.

    The generator takes [z, one-hot c_cat, c_cont]; the discriminator network returns D's logit
    and Q's estimate of the codes (categorical logits and continuous means). Both players add
    λ·L_I, the information loss on the generated batch, to their cross-entropy.

    Logs: "d_loss" (D and Q's loss, λ·L_I included), "g_loss" (the generator's, λ·L_I
    included) and "info_loss" (L_I of the discriminator step's fakes, without λ: how well Q
    recovers the codes).

    Args:
        latent_dim: size of the noise z ~ U[−1, 1] (62).
        categories: values of the categorical code c_cat ~ Cat(categories) (10).
        continuous_codes: number of continuous codes c_j ~ U[−1, 1] (2).
        image_shape: (size, size, channels) of the images, the size divisible by 4.
        info_weight: λ, the weight of the information loss (1).
        generator: optional prebuilt generator taking latent_dim + categories +
            continuous_codes values.
        discriminator: optional prebuilt network returning [logit, categorical logits,
            continuous means].
        seed: seed of the model's noise and codes.

    Example:

    ```python
    model = InfoGAN(image_shape=(28, 28, 1))
    model.compile()  # Adam 1e-3 (G) and 2e-4 (D, Q), β₁ = 0.5
    model.fit(images, batch_size=128, epochs=80)
    threes = model.generate(8, code={"categorical": 3, "continuous": [0.5, None]})
    clusters = model.classify(images)
    ```
    """

    loss_names = ("d_loss", "g_loss", "info_loss")
    network_arguments = ("generator", "discriminator")
    config_arguments = ("latent_dim", "categories", "continuous_codes", "image_shape",
                        "info_weight")

    def __init__(self, latent_dim=62, categories=10, continuous_codes=2, image_shape=(28, 28, 1),
                 info_weight=1.0, generator=None, discriminator=None, seed=None, **kwargs):
        if int(categories) != categories or categories < 2:
            raise ValueError("The categorical code needs at least 2 values (10 for digits). "
                             f"Received: categories={categories}")
        if int(continuous_codes) != continuous_codes or continuous_codes < 1:
            raise ValueError("InfoGAN needs at least 1 continuous code (2 for digits). "
                             f"Received: continuous_codes={continuous_codes}")
        if not info_weight >= 0:
            raise ValueError("info_weight (λ) must be at least 0 (the paper uses 1). "
                             f"Received: info_weight={info_weight}")
        super().__init__(seed=seed, **kwargs)
        self.latent_dim = int(latent_dim)
        self.categories = int(categories)
        self.continuous_codes = int(continuous_codes)
        self.image_shape = tuple(image_shape)
        self.info_weight = float(info_weight)
        self.generator = generator or build_generator(
            self.latent_dim, self.categories, self.continuous_codes, self.image_shape)
        self.discriminator = discriminator or build_discriminator(
            self.image_shape, self.categories, self.continuous_codes)
        check_discriminator_outputs(self.discriminator, self.categories, self.continuous_codes)
        self.finish_init()

    def compile(self, g_optimizer=None, d_optimizer=None, **kwargs):
        """Adam with β₁ = 0.5: 1e-3 for the generator, 2e-4 for D and Q (the authors' MNIST
        run); D's optimizer updates the shared trunk and both heads."""
        g_optimizer = g_optimizer or keras.optimizers.Adam(1e-3, beta_1=0.5, name="g_adam")
        gan.GAN.compile(self, g_optimizer, d_optimizer, **kwargs)

    # Latent codes -----------------------------------------------------------------------
    def sample_codes(self, count):
        """Noise z ~ U[−1, 1], one-hot c_cat ~ Cat(categories) and c_cont ~ U[−1, 1], drawn in
        that order from the model's seed generator."""
        noise = self.uniform((count, self.latent_dim), -1.0, 1.0)
        categorical = self.categorical_code(self.uniform((count,)))
        continuous = self.uniform((count, self.continuous_codes), -1.0, 1.0)
        return noise, categorical, continuous

    def categorical_code(self, uniform):
        """One-hot categories from uniform draws u ∈ [0, 1): the value ⌊u·categories⌋."""
        index = ops.cast(ops.floor(uniform * self.categories), "int32")
        return ops.one_hot(ops.minimum(index, self.categories - 1), self.categories)

    @staticmethod
    def generator_inputs(noise, categorical, continuous):
        """The generator's input vector [z, one-hot c_cat, c_cont]."""
        return ops.concatenate([noise, categorical, continuous], axis=-1)

    def information_loss(self, categorical_logits, continuous_means, categorical, continuous):
        """L_I = CE(Q_cat, c_cat) + ½Σ_j (c_j − μ_j)², without its weight λ."""
        return losses.information_loss(categorical_logits, categorical, continuous_means,
                                       continuous)

    # The training step ------------------------------------------------------------------
    def gan_step(self, data):
        real_images = data[0] if isinstance(data, tuple) else data
        batch_size = ops.shape(real_images)[0]

        # Train D and Q (trunk and both heads) on real images and fresh fakes.
        def discriminator_loss():
            noise, categorical, continuous = self.sample_codes(batch_size)
            fake_images = ops.stop_gradient(self.generator(
                self.generator_inputs(noise, categorical, continuous), training=True))
            real_logits, _, _ = self.discriminator(real_images, training=True)
            fake_logits, categorical_logits, continuous_means = self.discriminator(
                fake_images, training=True)
            gan_loss = (losses.binary_crossentropy_from_logits(real_logits, 1.0)
                        + losses.binary_crossentropy_from_logits(fake_logits, 0.0))
            info_loss = self.information_loss(categorical_logits, continuous_means, categorical,
                                              continuous)
            return gan_loss + self.info_weight * info_loss, info_loss

        d_loss, info_loss = self.minimize(
            discriminator_loss, self.discriminator.trainable_variables, self.d_optimizer)

        # Train the generator to fool the updated D and to keep its codes recoverable by Q.
        def generator_loss():
            noise, categorical, continuous = self.sample_codes(batch_size)
            fake_images = self.generator(
                self.generator_inputs(noise, categorical, continuous), training=True)
            fake_logits, categorical_logits, continuous_means = self.discriminator(
                fake_images, training=True)
            return (losses.generator_loss_nonsaturating(fake_logits)
                    + self.info_weight * self.information_loss(
                        categorical_logits, continuous_means, categorical, continuous))

        g_loss = self.minimize(generator_loss, self.generator.trainable_variables,
                               self.g_optimizer)
        return self.track(d_loss=d_loss, g_loss=g_loss, info_loss=info_loss)

    # Inference --------------------------------------------------------------------------
    def call(self, inputs, training=False):
        """Generates images from a batch of generator inputs [z, one-hot c_cat, c_cont]."""
        return self.generator(inputs, training=training)

    def code_inputs(self, count, code=None):
        """Generator inputs for `count` samples, random except where `code` fixes them.

        Args:
            count: number of samples.
            code: None (every code random), or a dict with either or both keys:
                "categorical": one value in [0, categories) for every sample, or a sequence
                of `count` values;
                "continuous": a sequence of `continuous_codes` values for every sample, where
                None leaves that code random (e.g. [0.5, None]), or an array (count,
                continuous_codes).

        Returns:
            A tensor (count, latent_dim + categories + continuous_codes). The noise and the
            random codes come from the model's seed generator.
        """
        code = self.check_code(count, code)
        noise, categorical, continuous = self.sample_codes(count)
        if "categorical" in code:
            categorical = np.eye(self.categories, dtype="float32")[code["categorical"]]
        if "continuous" in code:
            values = code["continuous"]
            continuous = ops.where(np.isnan(values), continuous, np.nan_to_num(values))
        return self.generator_inputs(noise, ops.convert_to_tensor(categorical, "float32"),
                                     ops.cast(continuous, "float32"))

    def check_code(self, count, code):
        """`code` as NumPy arrays broadcast over `count` samples, or ValueError naming the fix."""
        code = {} if code is None else dict(code)
        unknown = sorted(set(code) - set(CODE_KEYS))
        if unknown:
            raise ValueError(f"Unknown code keys {unknown}: use 'categorical' and/or "
                             f"'continuous'. Received: code={code}")
        checked = {}
        if code.get("categorical") is not None:
            values = np.asarray(code["categorical"])
            if values.dtype.kind not in "iu" or values.shape not in ((), (count,)):
                raise ValueError(
                    f"code['categorical'] must be whole numbers from 0 to {self.categories - 1}"
                    f": one for every sample, or {count} of them. Received: {code['categorical']}")
            checked["categorical"] = conditioning.label_array(values, count, self.categories)
        if code.get("continuous") is not None:
            values = continuous_values(code["continuous"])
            shapes = ((self.continuous_codes,), (count, self.continuous_codes))
            if values is None or values.shape not in shapes:
                raise ValueError(
                    f"code['continuous'] must hold {self.continuous_codes} values (None for a "
                    f"random one), or be an array ({count}, {self.continuous_codes}). Received: "
                    f"{code['continuous']}")
            checked["continuous"] = np.broadcast_to(values, (count, self.continuous_codes))
        return checked

    @engine.inference
    def generate(self, count, code=None):
        """Draws `count` images, with the codes `code` fixes (see `code_inputs`).

        Example: `model.generate(10, code={"categorical": 3, "continuous": [0.5, -1.0]})`
        gives ten images of category 3 with c1 = 0.5 and c2 = −1, each with its own noise.
        """
        return self.generator(self.code_inputs(count, code), training=False)

    @engine.inference
    def classify(self, images):
        """Q's categorical code of images: the argmax of its logits (int, (batch,)).

        The values are the categories InfoGAN discovered, not labels of the data: they name
        digits only through a one-to-one matching of categories to classes, which the command
        line's `cluster` (the same method) applies before it reports the agreement.
        """
        probabilities, _ = self.recognize(images)
        return ops.argmax(probabilities, axis=-1)

    cluster = classify

    @engine.inference
    def recognize(self, images):
        """Q's estimate of the codes of images: (categorical probabilities, continuous means).

        Q runs in inference mode (batch normalization with its moving statistics), so each
        image's estimate does not depend on the others in its batch.
        """
        _, categorical_logits, continuous_means = self.discriminator(images, training=False)
        return ops.softmax(categorical_logits, axis=-1), continuous_means

    # Sample grids -----------------------------------------------------------------------
    def grid_columns(self, count):
        """Columns of the grid of `count` samples: the values c1 sweeps along each row."""
        return conditioning.grid_columns(count, self.categories)

    def sample_inputs(self, count, seed=0):
        """Fixed generator inputs (NumPy) laid out as the paper's figures.

        Sample i sits in row i // columns and column i % columns (see `grid_columns`). Row r
        has the categorical value r mod categories, its own noise and its own other continuous
        codes; along the row, c1 sweeps from −1 to 1. The same seed gives the same inputs.
        """
        rng = np.random.default_rng(seed)
        columns = self.grid_columns(count)
        rows = math.ceil(count / columns)
        noise = rng.uniform(-1.0, 1.0, (rows, self.latent_dim))
        continuous = rng.uniform(-1.0, 1.0, (rows, self.continuous_codes))
        row, column = np.divmod(np.arange(count), columns)
        continuous = continuous[row]
        continuous[:, 0] = np.linspace(-1.0, 1.0, columns)[column] if columns > 1 else 0.0
        categorical = np.eye(self.categories)[row % self.categories]
        return np.concatenate([noise[row], categorical, continuous], axis=1).astype("float32")

    @engine.inference
    def sample_grid(self, inputs):
        """The grid of `sample_inputs`: one row per categorical value, c1 from −1 to 1 along
        the columns; rows beyond the categorical values are left out."""
        columns = self.grid_columns(len(inputs))
        shown = min(len(inputs) // columns, self.categories) * columns
        return self.generator(inputs[:shown], training=False), columns


# ------------------------------------------------------------------------------------------
# Command line: python -m keras_gans.infogan
# ------------------------------------------------------------------------------------------
# 80 epochs of the 8,000 offline training digits at batch 128 are the authors' 5,000 updates.
DEFAULTS = dict(dataset="mnist", batch_size=128, epochs=80, latent_dim=62, g_lr=1e-3,
                d_lr=2e-4)
compile_model = gan.compile_model
build_model = cli.flag_builder(InfoGAN)


def add_arguments(group):
    """InfoGAN's own flags."""
    group.add_argument("--categories", type=cli.integer(at_least=2), default=10,
                       help="values of the categorical code")
    group.add_argument("--continuous-codes", type=cli.integer(at_least=1), default=2,
                       help="number of continuous codes, each ~ U[-1, 1]")
    cli.add_weight_argument(group, "--info-weight", 1.0,
                            "λ, the weight of the information loss in both players' losses")


def main(argv=None):
    """Command line: `python -m keras_gans.infogan --help`."""
    return cli.run("infogan", argv)


if __name__ == "__main__":
    raise SystemExit(main())
