"""Checks of a model's training step against NumPy, shared by the tests/test_<model>.py files.

A model's networks are swapped for ones whose outputs and gradients NumPy computes exactly:
a linear discriminator (or critic) D(x) = w·x + b, whose input gradient is w everywhere, and a
linear generator G(z) = tanh(zA + c). One `fit()` step with plain SGD then has a known result:

- `assert_penalty_reaches_the_critic`: the critic's new weights equal
  w − lr·(∂adversarial/∂w + λ·∂penalty/∂w). A penalty cut off from the gradient (logged, but no
  longer constraining the critic) fails it.
- `assert_step_matches_numpy`: the logged losses equal their NumPy values at the replayed noise,
  and the updates go the right way: after the D step D rates the real batch higher and the fakes
  lower, and after the G step D rates fresh fakes of the same noise higher. Real and fake
  swapped anywhere in the step fails it.

A new model adds one line per check, with its objective in NumPy.
"""

import math

import keras
import numpy as np

LEARNING_RATE = 0.05


# ------------------------------------------------------------------------------------------
# Networks NumPy can follow
# ------------------------------------------------------------------------------------------
def linear_discriminator(image_shape, norm=0.5, bias=0.1, seed=0):
    """D(x) = w·flatten(x) + b with ‖w‖₂ = `norm`, named "discriminator"."""
    kernel = np.random.default_rng(seed).normal(size=(math.prod(image_shape), 1))
    kernel *= norm / np.linalg.norm(kernel)
    images = keras.Input(image_shape, name="images")
    flat = keras.layers.Flatten()(images)
    scores = keras.layers.Dense(1, kernel_initializer=keras.initializers.Constant(kernel),
                                bias_initializer=keras.initializers.Constant(bias),
                                dtype="float32", name="scores")(flat)
    return keras.Model(images, scores, name="discriminator")


def linear_generator(latent_dim, image_shape, scale=0.3, seed=1):
    """G(z) = tanh(zA + c) reshaped to `image_shape`, named "generator": grey fakes (c ≈ 0.3),
    far from `real_batch`'s dark images."""
    rng = np.random.default_rng(seed)
    size = math.prod(image_shape)
    kernel = rng.normal(0.0, scale / math.sqrt(latent_dim), (latent_dim, size))
    offset = 0.3 + rng.normal(0.0, 0.05, (size,))
    latent = keras.Input((latent_dim,), name="latent")
    x = keras.layers.Dense(size, kernel_initializer=keras.initializers.Constant(kernel),
                           bias_initializer=keras.initializers.Constant(offset))(latent)
    x = keras.layers.Activation("tanh", dtype="float32")(x)
    images = keras.layers.Reshape(image_shape, name="images")(x)
    return keras.Model(latent, images, name="generator")


def constant_generator(latent_dim, image):
    """G(z) = `image` for every z (a zero kernel and the image as bias), named "generator"."""
    image = np.asarray(image, "float32")
    latent = keras.Input((latent_dim,), name="latent")
    x = keras.layers.Dense(image.size, kernel_initializer="zeros",
                           bias_initializer=keras.initializers.Constant(image.ravel()))(latent)
    images = keras.layers.Reshape(image.shape, name="images")(x)
    return keras.Model(latent, images, name="generator")


def conditional_discriminator(image_shape, num_classes, **options):
    """D(x, y) = w·[flatten(x), y] + b: a `linear_discriminator` of the image and the one-hot
    class concatenated, taking [images, classes]; `scores(weights, with_classes(x, y))`."""
    images = keras.Input(image_shape, name="images")
    classes = keras.Input((num_classes,), name="classes")
    joined = keras.layers.Concatenate()([keras.layers.Flatten()(images), classes])
    inner = linear_discriminator((math.prod(image_shape) + num_classes,), **options)
    return keras.Model([images, classes], inner(joined), name="discriminator")


def conditional_generator(latent_dim, num_classes, image_shape, **options):
    """G(z, y) = tanh([z, y]A + c): a `linear_generator` of the noise and the one-hot class
    concatenated, taking [latent, classes]; `generated(weights, with_classes(z, y), shape)`."""
    latent = keras.Input((latent_dim,), name="latent")
    classes = keras.Input((num_classes,), name="classes")
    inner = linear_generator(latent_dim + num_classes, image_shape, **options)
    images = inner(keras.layers.Concatenate()([latent, classes]))
    return keras.Model([latent, classes], images, name="generator")


def with_classes(inputs, labels, num_classes):
    """[flatten(inputs), one-hot(labels)]: what the conditional linear networks see."""
    inputs = np.asarray(inputs, "float64").reshape(len(inputs), -1)
    return np.concatenate([inputs, np.eye(num_classes)[np.asarray(labels, int)]], axis=1)


def drawn_classes(uniform_draws, num_classes):
    """The classes a step draws from its uniform draws: ⌊u·K⌋ (K − 1 at most)."""
    return np.minimum(np.floor(uniform_draws * num_classes), num_classes - 1).astype(int)


def weights_of(network):
    """A network's trainable variables as NumPy arrays."""
    return [keras.ops.convert_to_numpy(v).copy() for v in network.trainable_variables]


def scores(weights, images):
    """The linear discriminator's outputs, shape (batch, 1), from its [w, b]."""
    kernel, bias = weights
    return np.asarray(images, "float64").reshape(len(images), -1) @ kernel + bias


def generated(weights, latent, image_shape):
    """The linear generator's images from its [A, c]."""
    kernel, offset = weights
    return np.tanh(np.asarray(latent, "float64") @ kernel + offset).reshape(
        (len(latent),) + tuple(image_shape))


def softplus(x):
    """log(1 + eˣ), computed stably."""
    return np.logaddexp(0.0, x)


def sigmoid(x):
    """1 / (1 + e⁻ˣ)."""
    return 1.0 / (1.0 + np.exp(-x))


# ------------------------------------------------------------------------------------------
# One step, with everything NumPy needs to follow it
# ------------------------------------------------------------------------------------------
class OneStep:
    """The state of a model before and after one `fit()` step with SGD for every player
    (`labels`: the class of each real image, for conditional models).

    `real_images` is one batch: an array, or a tuple of arrays such as two domains' batches.

    Attributes: `logs` (the logged values), `discriminator_before` and `discriminator_after`,
    `generator_before` and `generator_after` (NumPy weights), and `draws`: the step's random
    draws replayed from the model's seed generator, in the order given.
    """

    def __init__(self, model, real_images, draws, learning_rate=LEARNING_RATE, labels=None):
        model.compile(g_optimizer=keras.optimizers.SGD(learning_rate),
                      d_optimizer=keras.optimizers.SGD(learning_rate))
        self.learning_rate = learning_rate
        self.discriminator_before = weights_of(model.discriminator)
        self.generator_before = weights_of(model.generator)
        state = keras.ops.convert_to_numpy(model.seed_generator.state).copy()
        # One batch: `real_images` is an array, or a tuple of arrays (two domains).
        batch_size = len(keras.tree.flatten(real_images)[0])
        history = model.fit(real_images, labels, batch_size=batch_size, epochs=1, verbose=0,
                            shuffle=False)
        self.logs = {name: values[-1] for name, values in history.history.items()}
        self.discriminator_after = weights_of(model.discriminator)
        self.generator_after = weights_of(model.generator)
        self.draws = replay(state, draws)


def replay(state, draws):
    """The draws ("normal" or "uniform", shape) a step made from a seed generator `state`."""
    generator = keras.random.SeedGenerator(0)
    generator.state.assign(keras.ops.convert_to_tensor(state, dtype=generator.state.dtype))
    functions = {"normal": keras.random.normal, "uniform": keras.random.uniform}
    return [keras.ops.convert_to_numpy(functions[kind](shape, seed=generator)).astype("float64")
            for kind, shape in draws]


# ------------------------------------------------------------------------------------------
# The checks
# ------------------------------------------------------------------------------------------
def assert_penalty_reaches_the_critic(model, real_images, fake_image, adversarial_gradient,
                                      penalty_gradient, weight, draws=()):
    """One SGD step of a critic with a penalty moves w by −lr·(adversarial + λ·penalty).

    `model` must hold a `linear_discriminator` as its critic and a `constant_generator` of
    `fake_image`, so that the penalty's points do not matter: ∇ₓD = w at every point.

    Args:
        model: the model, not compiled.
        real_images: the batch of one critic step.
        fake_image: the constant generator's image.
        adversarial_gradient: (w, b, real, fake) → (∂/∂w, ∂/∂b) of the critic's loss without
            the penalty, in NumPy (w flat, real and fake flattened per sample).
        penalty_gradient: w → ∂penalty/∂w (the penalty without its weight).
        weight: λ.
        draws: the draws the step makes, if the caller needs them (unused here).
    """
    step = OneStep(model, real_images, draws)
    kernel, bias = step.discriminator_before
    w = kernel[:, 0].astype("float64")
    real = np.asarray(real_images, "float64").reshape(len(real_images), -1)
    fake = np.broadcast_to(np.asarray(fake_image, "float64").ravel(), real.shape)
    gradient_w, gradient_b = adversarial_gradient(w, float(bias[0]), real, fake)
    penalty = weight * penalty_gradient(w)
    assert np.abs(step.learning_rate * penalty).max() > 1e-3, "the penalty must move w"
    expected_w = w - step.learning_rate * (gradient_w + penalty)
    expected_b = bias[0] - step.learning_rate * gradient_b
    new_kernel, new_bias = step.discriminator_after
    np.testing.assert_allclose(new_kernel[:, 0], expected_w, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(new_bias[0], expected_b, rtol=1e-4, atol=1e-6)
    return step


def assert_step_matches_numpy(model, real_images, discriminator_loss, generator_loss, draws,
                              discriminator_latent=0, generator_latent=-1, directions=True,
                              rtol=1e-4):
    """The logged d_loss and g_loss equal NumPy's, and the updates go the right way.

    `model` must hold a `linear_discriminator` and a `linear_generator`.

    Args:
        model: the model, not compiled.
        real_images: one step's real batch.
        discriminator_loss: (real scores, fake scores, draws) → the D step's loss, in NumPy.
        generator_loss: (real scores, fake scores, draws) → the G step's loss, where D is the
            discriminator after its step.
        draws: the step's random draws in order, as ("normal" or "uniform", shape).
        discriminator_latent, generator_latent: which draws are the D and G steps' latents.
        directions: also check that D's scores move the right way (for objectives where a
            higher score means "more real").
    """
    step = OneStep(model, real_images, draws)
    image_shape = real_images.shape[1:]
    d_before, d_after = step.discriminator_before, step.discriminator_after
    g_before, g_after = step.generator_before, step.generator_after
    d_fakes = generated(g_before, step.draws[discriminator_latent], image_shape)
    g_latent = step.draws[generator_latent]
    expected_d = discriminator_loss(scores(d_before, real_images), scores(d_before, d_fakes),
                                    step.draws)
    expected_g = generator_loss(scores(d_after, real_images),
                                scores(d_after, generated(g_before, g_latent, image_shape)),
                                step.draws)
    np.testing.assert_allclose(step.logs["d_loss"], expected_d, rtol=rtol, atol=1e-6)
    np.testing.assert_allclose(step.logs["g_loss"], expected_g, rtol=rtol, atol=1e-6)
    if directions:
        assert scores(d_after, real_images).mean() > scores(d_before, real_images).mean()
        assert scores(d_after, d_fakes).mean() < scores(d_before, d_fakes).mean()
        fresh_before = scores(d_after, generated(g_before, g_latent, image_shape)).mean()
        fresh_after = scores(d_after, generated(g_after, g_latent, image_shape)).mean()
        assert fresh_after > fresh_before
    return step


def real_batch(batch_size, image_shape, seed=0):
    """Real images: bright strokes on a dark background, far from the generator's fakes."""
    rng = np.random.default_rng(seed)
    images = np.full((batch_size,) + tuple(image_shape), -0.8, "float32")
    mask = rng.random(images.shape) < 0.3
    images[mask] = rng.uniform(0.5, 1.0, mask.sum())
    return images


# ------------------------------------------------------------------------------------------
# Objectives in NumPy, on score arrays
# ------------------------------------------------------------------------------------------
def cross_entropy_discriminator_loss(real, fake, draws=None):
    """½[BCE(D(x), 1) + BCE(D(G(z)), 0)] from logits."""
    return 0.5 * (softplus(-real).mean() + softplus(fake).mean())


def nonsaturating_generator_loss(real, fake, draws=None):
    """BCE(D(G(z)), 1) = −E log σ(D(G(z)))."""
    return softplus(-fake).mean()


def minimax_generator_loss(real, fake, draws=None):
    """E log(1 − σ(D(G(z))))."""
    return -softplus(fake).mean()


def gan_draws(batch_size, latent_dim):
    """The draws of `gan.GAN`'s step: the D step's latents, then the G step's."""
    return [("normal", (batch_size, latent_dim)), ("normal", (batch_size, latent_dim))]


# ------------------------------------------------------------------------------------------
# Coupled networks of two domains (CoGAN): shared layers NumPy can follow
# ------------------------------------------------------------------------------------------
def linear_coupled_generator(latent_dim, image_shape, hidden=3, scale=0.3, seed=1):
    """G_d(z) = tanh(zB·A_d + c_d) for the domains d = 1, 2, named "generator": a shared
    linear trunk B (layer "shared", no bias) and one linear head per domain (layers "head_1"
    and "head_2"); outputs [images_1, images_2], grey fakes like `linear_generator`'s."""
    rng = np.random.default_rng(seed)
    size = math.prod(image_shape)
    latent = keras.Input((latent_dim,), name="latent")
    trunk = keras.layers.Dense(
        hidden, use_bias=False, name="shared",
        kernel_initializer=keras.initializers.Constant(rng.normal(size=(latent_dim, hidden))))(
        latent)
    outputs = []
    for domain in (1, 2):
        kernel = rng.normal(0.0, scale / math.sqrt(hidden), (hidden, size))
        offset = 0.3 + rng.normal(0.0, 0.05, (size,))
        x = keras.layers.Dense(size, name=f"head_{domain}",
                               kernel_initializer=keras.initializers.Constant(kernel),
                               bias_initializer=keras.initializers.Constant(offset))(trunk)
        x = keras.layers.Activation("tanh", dtype="float32")(x)
        outputs.append(keras.layers.Reshape(image_shape, name=f"images_{domain}")(x))
    return keras.Model(latent, outputs, name="generator")


def linear_coupled_discriminator(image_shape, hidden=3, bias=0.1, seed=0):
    """D_d(x) = flatten(x)P_d·w + b for the domains d = 1, 2, named "discriminator": one
    private linear map P_d per domain (layers "private_1" and "private_2", no bias) and a
    shared w, b (layer "shared"); inputs [images_1, images_2], outputs [scores_1, scores_2]."""
    rng = np.random.default_rng(seed)
    size = math.prod(image_shape)
    shared = keras.layers.Dense(
        1, name="shared", dtype="float32",
        kernel_initializer=keras.initializers.Constant(rng.normal(0.0, 0.5, (hidden, 1))),
        bias_initializer=keras.initializers.Constant(bias))
    inputs, outputs = [], []
    for domain in (1, 2):
        images = keras.Input(image_shape, name=f"images_{domain}")
        kernel = rng.normal(0.0, 1.0 / math.sqrt(size), (size, hidden))
        private = keras.layers.Dense(hidden, use_bias=False, name=f"private_{domain}",
                                     kernel_initializer=keras.initializers.Constant(kernel))
        inputs.append(images)
        outputs.append(shared(private(keras.layers.Flatten()(images))))
    return keras.Model(inputs, outputs, name="discriminator")


def named_weights(network, weights):
    """NumPy `weights` of `network` (as `weights_of` lists them) keyed by variable path, e.g.
    "shared/kernel"."""
    paths = [variable.path for variable in network.trainable_variables]
    return dict(zip(paths, weights, strict=True))


def coupled_generated(generator, weights, latent, image_shape):
    """The two domains' images of `linear_coupled_generator` with NumPy `weights`, and the
    shared hidden code h = zB: `(h, [images_1, images_2])`."""
    named = named_weights(generator, weights)
    hidden = np.asarray(latent, "float64") @ named["shared/kernel"]
    images = [np.tanh(hidden @ named[f"head_{domain}/kernel"] + named[f"head_{domain}/bias"])
              .reshape((len(latent),) + tuple(image_shape)) for domain in (1, 2)]
    return hidden, images


def coupled_scores(discriminator, weights, images):
    """The two domains' scores of `linear_coupled_discriminator` with NumPy `weights` on
    `images` = [images_1, images_2]: a list of (batch, 1) arrays."""
    named = named_weights(discriminator, weights)
    return [np.asarray(batch, "float64").reshape(len(batch), -1)
            @ named[f"private_{domain}/kernel"] @ named["shared/kernel"] + named["shared/bias"]
            for domain, batch in zip((1, 2), images)]
