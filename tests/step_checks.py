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

Discriminators with several logits (an (N+1)-way classifier, class heads) use
`multiclass_discriminator`, whose logits and features NumPy follows too; `assert_sgd_update`
then checks that one SGD step moved each network by exactly −lr times the gradient worked out
in NumPy (`linear_gradients`, `generator_gradients`), so that every term of a loss is shown to
reach its network.

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
        history = model.fit(real_images, labels, batch_size=len(real_images), epochs=1,
                            verbose=0, shuffle=False)
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
# Discriminators with several logits: an (N+1)-way classifier, class heads
# ------------------------------------------------------------------------------------------
def multiclass_discriminator(image_shape, outputs, norm=0.5, bias=0.1, seed=0):
    """D(x) = [flatten(x)·W + b, flatten(x)]: `outputs` logits of a linear map (each column of
    W of norm `norm`) and the flattened image as D's "features", named "discriminator".
    `class_scores(weights, x)` computes its logits in NumPy, `flat(x)` its features."""
    kernel = np.random.default_rng(seed).normal(size=(math.prod(image_shape), outputs))
    kernel *= norm / np.linalg.norm(kernel, axis=0)
    images = keras.Input(image_shape, name="images")
    features = keras.layers.Flatten(name="features")(images)
    logits = keras.layers.Dense(outputs, kernel_initializer=keras.initializers.Constant(kernel),
                                bias_initializer=keras.initializers.Constant(bias),
                                dtype="float32", name="logits")(features)
    return keras.Model(images, [logits, features], name="discriminator")


def flat(images):
    """Images as float64 rows (batch, pixels)."""
    return np.asarray(images, "float64").reshape(len(images), -1)


def class_scores(weights, images):
    """The logits (batch, outputs) of a `multiclass_discriminator` from its [W, b]."""
    kernel, bias = weights
    return flat(images) @ kernel + bias


def softmax(logits):
    """Softmax over the last axis, computed stably."""
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def log_softmax(logits):
    """log softmax over the last axis, computed stably."""
    return logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True)


def linear_gradients(images, logit_gradients):
    """[∂/∂W, ∂/∂b] of a loss through a linear map, from its gradient at the logits."""
    return [flat(images).T @ logit_gradients, logit_gradients.sum(axis=0)]


def generator_gradients(weights, latent, image_gradients):
    """[∂/∂A, ∂/∂c] of a loss through the `linear_generator` G(z) = tanh(zA + c), from its
    gradient at the images."""
    kernel, offset = weights
    images = np.tanh(np.asarray(latent, "float64") @ kernel + offset)
    before_tanh = flat(image_gradients) * (1.0 - images**2)
    return [np.asarray(latent, "float64").T @ before_tanh, before_tanh.sum(axis=0)]


def assert_sgd_update(before, after, gradients, learning_rate=LEARNING_RATE):
    """Each weight moved by exactly −lr·gradient in one SGD step (NumPy arrays, in order):
    a term of the loss whose gradient does not reach the network fails it."""
    for old, new, gradient in zip(before, after, gradients, strict=True):
        np.testing.assert_allclose(new, old - learning_rate * gradient, rtol=1e-4, atol=1e-6)
