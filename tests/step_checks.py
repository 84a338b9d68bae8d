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
# Discriminators with extra heads (a recognition network Q, an auxiliary classifier), and
# updates checked against finite differences of a NumPy objective
# ------------------------------------------------------------------------------------------
def linear_discriminator_with_heads(image_shape, head_units, features=6, seed=0):
    """A linear trunk h = flatten(x)·T + t and linear heads on it, named "discriminator".

    Outputs: [D's score h·w + b (batch, 1), then h·Hᵢ + bᵢ (batch, head_units[i]) per head].
    Its weights, in order, are [T, t, w, b, H₁, b₁, ...]; `head_outputs` computes the same
    outputs in NumPy. A term that reaches a head reaches the trunk too, so a check of the
    trunk's update shows each term's gradient arriving in the shared layers.
    """
    rng = np.random.default_rng(seed)

    def linear(units, inputs, name):
        kernel = rng.normal(0.0, 1.0 / math.sqrt(inputs.shape[-1]), (inputs.shape[-1], units))
        bias = rng.normal(0.0, 0.1, (units,))
        return keras.layers.Dense(units, kernel_initializer=keras.initializers.Constant(kernel),
                                  bias_initializer=keras.initializers.Constant(bias),
                                  dtype="float32", name=name)(inputs)

    images = keras.Input(image_shape, name="images")
    trunk = linear(features, keras.layers.Flatten()(images), "trunk")
    outputs = [linear(1, trunk, "scores")]
    outputs += [linear(units, trunk, f"head_{index + 1}")
                for index, units in enumerate(head_units)]
    return keras.Model(images, outputs, name="discriminator")


def head_outputs(weights, images):
    """The outputs of `linear_discriminator_with_heads` in NumPy, from its weights."""
    trunk_kernel, trunk_bias, *heads = weights
    features = np.asarray(images, "float64").reshape(len(images), -1) @ trunk_kernel + trunk_bias
    return [features @ kernel + bias for kernel, bias in zip(heads[::2], heads[1::2])]


def numerical_gradients(loss, weights, step=1e-6):
    """Central differences of the NumPy function `loss(weights)` for every entry of `weights`
    (a list of arrays), in float64."""
    weights = [np.asarray(weight, "float64").copy() for weight in weights]
    gradients = []
    for weight in weights:
        gradient = np.zeros_like(weight)
        for index in np.ndindex(weight.shape):
            original = weight[index]
            weight[index] = original + step
            above = loss(weights)
            weight[index] = original - step
            below = loss(weights)
            weight[index] = original
            gradient[index] = (above - below) / (2.0 * step)
        gradients.append(gradient)
    return gradients


def assert_sgd_update(before, after, gradients, learning_rate=LEARNING_RATE, names=None):
    """Every weight moved by exactly −lr·gradient (plain SGD), within float32 precision."""
    names = names or [f"weight {index}" for index in range(len(before))]
    for name, old, new, gradient in zip(names, before, after, gradients, strict=True):
        np.testing.assert_allclose(new, old - learning_rate * gradient, rtol=1e-4, atol=1e-6,
                                   err_msg=f"the update of {name}")


# ------------------------------------------------------------------------------------------
# Models with more players than a generator and a discriminator (encoders, extra heads)
# ------------------------------------------------------------------------------------------
def linear_encoder(image_shape, latent_dim, heads=("codes",), scale=0.5, biases=None, seed=2):
    """E(x) = flatten(x)·W + b for each of `heads`, named "encoder".

    One head gives one output (a deterministic encoder); ("mean", "log_variance") gives the two
    outputs of a Gaussian encoder. `biases` optionally sets each head's constant bias (e.g. a
    negative log-variance, for small σ).
    """
    rng = np.random.default_rng(seed)
    size = math.prod(image_shape)
    biases = biases or [0.0] * len(heads)
    images = keras.Input(image_shape, name="images")
    flat = keras.layers.Flatten()(images)
    outputs = []
    for head, bias in zip(heads, biases, strict=True):
        kernel = rng.normal(0.0, scale / math.sqrt(size), (size, latent_dim))
        outputs.append(keras.layers.Dense(
            latent_dim, kernel_initializer=keras.initializers.Constant(kernel),
            bias_initializer=keras.initializers.Constant(bias), dtype="float32",
            name=head)(flat))
    return keras.Model(images, outputs[0] if len(outputs) == 1 else outputs, name="encoder")


def linear_outputs(weights, images):
    """The linear encoder's outputs, one per head, from its weights [W₁, b₁, W₂, b₂, ...]."""
    flat = np.asarray(images, "float64").reshape(len(images), -1)
    return [flat @ kernel + bias for kernel, bias in zip(weights[::2], weights[1::2])]


class PlayersStep:
    """The named networks of a model before and after one `fit()` step with SGD for every
    player optimizer: the generalisation of `OneStep` to any number of players.

    Args:
        model: the model, not compiled.
        real_images: one step's real batch.
        draws: the step's random draws in order, as ("normal" or "uniform", shape).
        networks: attribute names of the networks to follow ("encoder", ...).
        optimizers: the keyword names of the model's `compile()` optimizers.

    Attributes: `logs`, `before` and `after` (network name → NumPy weights), `draws`.
    """

    def __init__(self, model, real_images, draws, networks, optimizers,
                 learning_rate=LEARNING_RATE):
        model.compile(**{name: keras.optimizers.SGD(learning_rate) for name in optimizers})
        self.learning_rate = learning_rate
        self.before = {name: weights_of(getattr(model, name)) for name in networks}
        state = keras.ops.convert_to_numpy(model.seed_generator.state).copy()
        history = model.fit(real_images, batch_size=len(real_images), epochs=1, verbose=0,
                            shuffle=False)
        self.logs = {name: values[-1] for name, values in history.history.items()}
        self.after = {name: weights_of(getattr(model, name)) for name in networks}
        self.draws = replay(state, draws)
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


# ------------------------------------------------------------------------------------------
# Models with an encoder and a joint discriminator D(x, z) (BiGAN, ALI)
# ------------------------------------------------------------------------------------------
def linear_joint_discriminator(image_shape, latent_dim, **options):
    """D(x, z) = w·[z, flatten(x)] + b: a `linear_discriminator` of the latent and the image
    concatenated, taking `[images, latent]`; `joint_scores(weights, x, z)`."""
    images = keras.Input(image_shape, name="images")
    latent = keras.Input((latent_dim,), name="latent")
    joined = keras.layers.Concatenate()([latent, keras.layers.Flatten()(images)])
    inner = linear_discriminator((latent_dim + math.prod(image_shape),), **options)
    return keras.Model([images, latent], inner(joined), name="discriminator")


def joint_scores(weights, images, latent):
    """The linear joint discriminator's outputs, shape (batch, 1), from its [w, b]."""
    flat = np.asarray(images, "float64").reshape(len(images), -1)
    return scores(weights, np.concatenate([np.asarray(latent, "float64"), flat], axis=1))


def encoded(weights, images):
    """The linear encoder's outputs from its weights: [B, d] gives E(x); [B, d, C, e] gives
    the pair (μ(x), log σ(x))."""
    flat = np.asarray(images, "float64").reshape(len(images), -1)
    heads = [flat @ weights[index] + weights[index + 1] for index in range(0, len(weights), 2)]
    return heads[0] if len(heads) == 1 else tuple(heads)


def assert_joint_step_matches_numpy(model, real_images, discriminator_loss, generator_loss,
                                    draws, latents, codes, rtol=1e-4):
    """A step of D on (x, E(x)) against (G(z), z), then of G and E together, as NumPy says.

    `model` must hold a `linear_joint_discriminator`, a `linear_generator` and a
    `linear_encoder`, as `model.discriminator`, `.generator` and `.encoder`, and log `d_loss`
    and `g_loss` (the loss of G and E). Checks that the logged losses equal NumPy's; that the
    encoder's new weights are one SGD step on NumPy's generator loss (the encoder's gradient
    reaches it, whole); and that every update goes the right way: after the D step D rates
    (x, E(x)) higher and (G(z), z) lower; after the G and E step D rates (G(z), z) of the same
    z higher and (x, E(x)) of the same x lower.

    Args:
        model: the model, not compiled.
        real_images: one step's real batch.
        discriminator_loss: (scores of (x, E(x)), scores of (G(z), z), draws) → D's loss.
        generator_loss: the same → the loss of G and E, scored by D after its step.
        draws: the step's random draws in order, as ("normal" or "uniform", shape).
        latents: draws → (the D step's z, the G and E step's z), in NumPy.
        codes: (encoder weights, images, draws, step) → the codes D sees at `step` (0: the
            D step, 1: the G and E step), from the weights as `encoded` reads them.
    """
    encoder_before = [w.astype("float64") for w in weights_of(model.encoder)]
    step = OneStep(model, real_images, draws)
    encoder_after = weights_of(model.encoder)
    image_shape = real_images.shape[1:]
    d_before, d_after = step.discriminator_before, step.discriminator_after
    g_before, g_after = step.generator_before, step.generator_after
    d_latent, g_latent = latents(step.draws)

    def d_scores(d_weights, e_weights, g_weights, latent, index):
        real = joint_scores(d_weights, real_images,
                            codes(e_weights, real_images, step.draws, index))
        fake = joint_scores(d_weights, generated(g_weights, latent, image_shape), latent)
        return real, fake

    def g_loss_of(e_weights):
        return generator_loss(*d_scores(d_after, e_weights, g_before, g_latent, 1), step.draws)

    expected_d = discriminator_loss(*d_scores(d_before, encoder_before, g_before, d_latent, 0),
                                    step.draws)
    np.testing.assert_allclose(step.logs["d_loss"], expected_d, rtol=rtol, atol=1e-6)
    np.testing.assert_allclose(step.logs["g_loss"], g_loss_of(encoder_before), rtol=rtol,
                               atol=1e-6)
    gradients = numerical_gradients(g_loss_of, encoder_before)
    assert max(np.abs(step.learning_rate * g).max() for g in gradients) > 1e-4, \
        "the generator loss must move the encoder"
    for before, gradient, after in zip(encoder_before, gradients, encoder_after, strict=True):
        np.testing.assert_allclose(after, before - step.learning_rate * gradient, rtol=rtol,
                                   atol=1e-6)
    # Directions: D's step, then G's and E's.
    real_before, fake_before = d_scores(d_before, encoder_before, g_before, d_latent, 0)
    real_after, fake_after = d_scores(d_after, encoder_before, g_before, d_latent, 0)
    assert real_after.mean() > real_before.mean() and fake_after.mean() < fake_before.mean()
    real_before, fake_before = d_scores(d_after, encoder_before, g_before, g_latent, 1)
    real_after, fake_after = d_scores(d_after, encoder_after, g_after, g_latent, 1)
    assert fake_after.mean() > fake_before.mean() and real_after.mean() < real_before.mean()
    return step


def bidirectional_generator_loss(real, fake, draws=None):
    """½[BCE(D(x, E(x)), 0) + BCE(D(G(z), z), 1)]: D's cross-entropy with the labels swapped."""
    return 0.5 * (softplus(real).mean() + softplus(-fake).mean())


# ------------------------------------------------------------------------------------------
# Encoders and jointly trained players (ClusterGAN's G + E, ...)
# ------------------------------------------------------------------------------------------
def linear_split_encoder(image_shape, output_sizes, scale=0.3, seed=2):
    """E(x) = flatten(x)·W + b split into consecutive outputs of `output_sizes`, named
    "encoder" (one output per size, as a list when there are several)."""
    rng = np.random.default_rng(seed)
    size, total = math.prod(image_shape), sum(output_sizes)
    kernel = rng.normal(0.0, scale / math.sqrt(size), (size, total))
    bias = rng.normal(0.0, 0.05, (total,))
    images = keras.Input(image_shape, name="images")
    x = keras.layers.Dense(total, kernel_initializer=keras.initializers.Constant(kernel),
                           bias_initializer=keras.initializers.Constant(bias),
                           dtype="float32")(keras.layers.Flatten()(images))
    starts = np.cumsum([0] + list(output_sizes))
    outputs = [x[:, start:stop] for start, stop in zip(starts[:-1], starts[1:])]
    return keras.Model(images, outputs if len(outputs) > 1 else outputs[0], name="encoder")


def split_encoded(weights, images, output_sizes):
    """The linear encoder's outputs (a list, one per size) from its [W, b]."""
    kernel, bias = weights
    x = np.asarray(images, "float64").reshape(len(images), -1) @ kernel + bias
    return np.split(x, np.cumsum(output_sizes)[:-1], axis=1)


def with_weight_decay(network, weight_decay):
    """Puts the L2 penalty weight_decay·Σw²/2 on every kernel of `network`; returns it."""
    for variable in network.trainable_variables:
        if variable.name == "kernel":
            variable.regularizer = keras.regularizers.L2(weight_decay / 2.0)
    return network


def log_softmax(logits):
    """log softmax over the last axis, computed stably."""
    logits = np.asarray(logits, "float64")
    return logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True)


def assert_sgd_step(before, after, loss, learning_rate=LEARNING_RATE, rtol=1e-3, atol=1e-6):
    """Players updated together by one SGD step moved by exactly −lr·∇loss.

    Every term of the loss must reach every weight it depends on: a term cut off from the
    gradient, dropped, given another weight or a wrong sign moves the weights elsewhere.

    Args:
        before, after: the players' weights (lists of NumPy arrays, in the same order) before
            and after the step.
        loss: weights → the loss the step minimized, in NumPy (float64), with every other
            input (latents, other players' weights) fixed inside it.
        learning_rate: the SGD learning rate.
    """
    gradients = numerical_gradients(loss, before)
    assert max(np.abs(learning_rate * g).max() for g in gradients) > 1e-4, "nothing moves"
    for w_before, w_after, gradient in zip(before, after, gradients, strict=True):
        np.testing.assert_allclose(np.asarray(w_after, "float64") - w_before,
                                   -learning_rate * gradient, rtol=rtol, atol=atol)


# ------------------------------------------------------------------------------------------
# Models with more players (an encoder) and networks with several outputs
# ------------------------------------------------------------------------------------------
def linear_two_head_encoder(image_shape, latent_dim, scale=0.1, seed=2):
    """E(x) = [x·A₁ + c₁, x·A₂ + c₂] (for instance μ and log σ² of q(z|x)), named "encoder"."""
    rng = np.random.default_rng(seed)
    size = math.prod(image_shape)
    images = keras.Input(image_shape, name="images")
    flat = keras.layers.Flatten()(images)
    heads = [keras.layers.Dense(
        latent_dim, dtype="float32", name=name,
        kernel_initializer=keras.initializers.Constant(
            rng.normal(0.0, scale / math.sqrt(size), (size, latent_dim))),
        bias_initializer=keras.initializers.Constant(rng.normal(0.0, scale, latent_dim)))(flat)
        for name in ("head_1", "head_2")]
    return keras.Model(images, heads, name="encoder")


def two_head_encoded(weights, images):
    """The linear encoder's two heads from its [A₁, c₁, A₂, c₂]."""
    flat = np.asarray(images, "float64").reshape(len(images), -1)
    return [flat @ weights[index] + weights[index + 1] for index in (0, 2)]


def linear_feature_discriminator(image_shape, feature_count=3, bias=0.1, seed=0):
    """D(x) = [f·w + b, f] with features f = x·F: logits and the features they are read from
    (a discriminator with a feature layer, such as VAE-GAN's), named "discriminator"."""
    rng = np.random.default_rng(seed)
    size = math.prod(image_shape)
    images = keras.Input(image_shape, name="images")
    features = keras.layers.Dense(
        feature_count, use_bias=False, dtype="float32", name="features",
        kernel_initializer=keras.initializers.Constant(
            rng.normal(0.0, 1.0 / math.sqrt(size), (size, feature_count))))(
        keras.layers.Flatten()(images))
    logits = keras.layers.Dense(
        1, dtype="float32", name="logits",
        kernel_initializer=keras.initializers.Constant(
            rng.normal(0.0, 0.5 / math.sqrt(feature_count), (feature_count, 1))),
        bias_initializer=keras.initializers.Constant(bias))(features)
    return keras.Model(images, [logits, features], name="discriminator")


def judged(weights, images):
    """The linear feature discriminator's (logits, features) from its [F, w, b]."""
    feature_kernel, kernel, bias = weights
    features = np.asarray(images, "float64").reshape(len(images), -1) @ feature_kernel
    return features @ kernel + bias, features


class PlayerWeightsStep:
    """The weights of every player of a model before and after one `fit()` step with SGD.

    `OneStep` for models with other players than a generator and a discriminator (an encoder).

    Args:
        model: the model, not compiled; its `compile()` takes one optimizer per player.
        real_images: one step's real batch.
        draws: the step's random draws in order, as ("normal" or "uniform", shape).
        players: optimizer argument → network attribute, e.g. {"e_optimizer": "encoder"}.
        learning_rate: the SGD rate of every player.
        **compile_options: passed to `compile()` (`jit_compile`, `run_eagerly`).

    Attributes: `logs`, `before` and `after` (network attribute → NumPy weights), `draws`
    (replayed from the model's seed state), `learning_rate`, `iterations` (optimizer argument
    → its iteration count after the step).
    """

    def __init__(self, model, real_images, draws, players, learning_rate=LEARNING_RATE,
                 **compile_options):
        model.compile(**{name: keras.optimizers.SGD(learning_rate) for name in players},
                      **compile_options)
        self.learning_rate = learning_rate
        self.before = {network: weights_of(getattr(model, network))
                       for network in players.values()}
        state = keras.ops.convert_to_numpy(model.seed_generator.state).copy()
        history = model.fit(real_images, batch_size=len(real_images), epochs=1, verbose=0,
                            shuffle=False)
        self.logs = {name: values[-1] for name, values in history.history.items()}
        self.after = {network: weights_of(getattr(model, network))
                      for network in players.values()}
        self.iterations = {name: int(keras.ops.convert_to_numpy(getattr(model, name).iterations))
                           for name in players}
        self.draws = replay(state, draws)

    def moved(self, network):
        """Whether one step changed any weight of `network`."""
        return any(not np.array_equal(before, after) for before, after in
                   zip(self.before[network], self.after[network]))

    def assert_sgd_update(self, network, loss, rtol=1e-3):
        """The step moved `network` by −lr·∇loss at its weights before the step.

        `loss` maps the network's weights (a list of float64 arrays) to its objective in NumPy;
        the gradient is taken by central differences, so any term missing from the model's
        loss, added to it, or cut off from this network's gradient fails the check.
        """
        gradient = numerical_gradients(loss, self.before[network])
        for before, after, slope in zip(self.before[network], self.after[network], gradient):
            assert np.abs(slope).max() > 0, f"a weight of the {network} has no gradient"
            # Float32 weights: their difference carries rounding of their own size.
            atol = (1e-5 * self.learning_rate * np.abs(slope).max()
                    + 2.5e-7 * (np.abs(before).max() + 1.0))
            np.testing.assert_allclose(after - before, -self.learning_rate * slope, rtol=rtol,
                                       atol=atol)


def two_head_discriminator(image_shape, num_classes, norm=0.5, bias=0.1, scale=0.3, seed=0):
    """D(x) = [w·flatten(x) + b, V·flatten(x) + c]: the source score of a
    `linear_discriminator` and linear class logits, named "discriminator";
    `two_head_outputs(weights, x)` follows it."""
    size = math.prod(image_shape)
    rng = np.random.default_rng(seed)
    source_kernel = rng.normal(size=(size, 1))
    source_kernel *= norm / np.linalg.norm(source_kernel)
    images = keras.Input(image_shape, name="images")
    flat = keras.layers.Flatten()(images)
    source = keras.layers.Dense(
        1, kernel_initializer=keras.initializers.Constant(source_kernel),
        bias_initializer=keras.initializers.Constant(bias), dtype="float32",
        name="source_scores")(flat)
    class_logits = keras.layers.Dense(
        num_classes,
        kernel_initializer=keras.initializers.Constant(
            rng.normal(0.0, scale / math.sqrt(size), (size, num_classes))),
        bias_initializer=keras.initializers.Constant(rng.normal(0.0, 0.1, num_classes)),
        dtype="float32", name="class_logits")(flat)
    network = keras.Model(images, [source, class_logits], name="discriminator")
    assert [tuple(v.shape) for v in network.trainable_variables] == [
        (size, 1), (1,), (size, num_classes), (num_classes,)]
    return network


def two_head_outputs(weights, images):
    """(source scores (batch, 1), class logits (batch, classes)) of a
    `two_head_discriminator` from its [w, b, V, c]."""
    source_kernel, source_bias, class_kernel, class_bias = weights
    flat = np.asarray(images, "float64").reshape(len(images), -1)
    return flat @ source_kernel + source_bias, flat @ class_kernel + class_bias


def categorical_crossentropy(logits, labels):
    """Mean −log softmax(logits)[label] over the batch, from integer labels."""
    logits = np.asarray(logits, "float64")
    log_partition = np.logaddexp.reduce(logits, axis=1)
    return float(np.mean(log_partition - logits[np.arange(len(logits)), labels]))


def class_log_probabilities(logits, labels):
    """log softmax(logits)[label] of each sample."""
    logits = np.asarray(logits, "float64")
    return logits[np.arange(len(logits)), labels] - np.logaddexp.reduce(logits, axis=1)


def assert_sgd_step_on_loss(before, after, loss, learning_rate=LEARNING_RATE, rtol=1e-3, atol=1e-6):
    """A player's update is one plain SGD step on the NumPy `loss`:
    after − before = −lr·∇loss(before), array by array.

    Every term of the loss must reach the weights it depends on: a term cut off from the
    gradient (`stop_gradient`), dropped, or given to the wrong player fails it, even when the
    logged loss is right.
    """
    gradients = numerical_gradients(loss, before)
    for index, (old, new, gradient) in enumerate(zip(before, after, gradients, strict=True)):
        np.testing.assert_allclose(new - old, -learning_rate * gradient, rtol=rtol, atol=atol,
                                   err_msg=f"update of weight {index}")


# ------------------------------------------------------------------------------------------
# Class-conditional models (`conditioning.ClassConditional`)
# ------------------------------------------------------------------------------------------
def conditional_one_step(model, real_images, labels):
    """`OneStep` of a class-conditional model whose D and G steps each draw their fakes'
    classes, then their noise (`ClassConditional.fakes`). The step also has `d_classes`,
    `d_latent`, `g_classes` and `g_latent`: the replayed draws of each player's step."""
    batch = len(real_images)
    draws = [("uniform", (batch,)), ("normal", (batch, model.latent_dim))] * 2
    step = OneStep(model, real_images, draws, labels=labels)
    step.d_classes, step.g_classes = (drawn_classes(step.draws[index], model.num_classes)
                                      for index in (0, 2))
    step.d_latent, step.g_latent = step.draws[1], step.draws[3]
    return step


def conditional_fakes(weights, latent, classes, num_classes, image_shape):
    """The images of a `conditional_generator` with `weights` for noise and integer classes."""
    return generated(weights, with_classes(latent, classes, num_classes), image_shape)


# ------------------------------------------------------------------------------------------
# An (N+1)-way discriminator: N class logits and "fake" (SGAN)
# ------------------------------------------------------------------------------------------
def multiclass_discriminator(image_shape, outputs, norm=0.5, bias=0.1, seed=0):
    """D(x) = [flatten(x)·W + b, flatten(x)]: `outputs` logits of a linear map (each column of
    W of norm `norm`) and the flattened image as D's features, named "discriminator";
    `class_scores(weights, x)` computes its logits in NumPy."""
    kernel = np.random.default_rng(seed).normal(size=(math.prod(image_shape), outputs))
    kernel *= norm / np.linalg.norm(kernel, axis=0)
    images = keras.Input(image_shape, name="images")
    features = keras.layers.Flatten(name="features")(images)
    logits = keras.layers.Dense(outputs, kernel_initializer=keras.initializers.Constant(kernel),
                                bias_initializer=keras.initializers.Constant(bias),
                                dtype="float32", name="logits")(features)
    return keras.Model(images, [logits, features], name="discriminator")


def class_scores(weights, images):
    """The logits (batch, outputs) of a `multiclass_discriminator` from its [W, b]."""
    kernel, bias = weights
    return np.asarray(images, "float64").reshape(len(images), -1) @ kernel + bias
