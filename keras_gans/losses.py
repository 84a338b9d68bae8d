"""Adversarial losses and penalties, written with `keras.ops` so they run on every backend.

Discriminators output logits; every cross-entropy here is computed from logits. Each function
returns the batch mean of its loss as a float32 scalar. Under `tf.distribute` that mean is a
per-replica mean: `engine.GAN.minimize` scales it for the replica count.
"""

from keras import ops


def _float(x):
    return ops.cast(x, "float32")


def binary_crossentropy_from_logits(logits, target):
    """Mean binary cross-entropy of `sigmoid(logits)` against a constant target in [0, 1].

    Computed stably as `target * softplus(-logits) + (1 - target) * softplus(logits)`.
    """
    logits = _float(logits)
    return ops.mean(target * ops.softplus(-logits) + (1.0 - target) * ops.softplus(logits))


# ----------------------------------------------------------------------------------------------
# Standard GAN (Goodfellow et al., 2014)
# ----------------------------------------------------------------------------------------------
def discriminator_loss(real_logits, fake_logits):
    """Standard discriminator loss: ½[BCE(D(x), 1) + BCE(D(G(z)), 0)].

    Args:
        real_logits: discriminator logits on real samples.
        fake_logits: discriminator logits on generated samples.
    """
    return 0.5 * (
        binary_crossentropy_from_logits(real_logits, 1.0)
        + binary_crossentropy_from_logits(fake_logits, 0.0)
    )


def generator_loss_nonsaturating(fake_logits):
    """Non-saturating generator loss: BCE(D(G(z)), 1) = −E log σ(D(G(z)))."""
    return binary_crossentropy_from_logits(fake_logits, 1.0)


def generator_loss_minimax(fake_logits):
    """The paper's original (saturating) generator loss: E log(1 − σ(D(G(z))))."""
    return -binary_crossentropy_from_logits(fake_logits, 0.0)


GENERATOR_LOSSES = {
    "nonsaturating": generator_loss_nonsaturating,
    "minimax": generator_loss_minimax,
}


def generator_loss(name):
    """Returns the generator loss function called `name` ("nonsaturating" or "minimax")."""
    if name not in GENERATOR_LOSSES:
        raise ValueError(
            f"Unknown generator loss {name!r}: choose one of {', '.join(GENERATOR_LOSSES)}."
        )
    return GENERATOR_LOSSES[name]


# ----------------------------------------------------------------------------------------------
# Least squares (Mao et al., 2016)
# ----------------------------------------------------------------------------------------------
def least_squares_discriminator_loss(real_outputs, fake_outputs, fake_target=0.0, real_target=1.0):
    """LSGAN discriminator loss: ½E[(D(x) − b)²] + ½E[(D(G(z)) − a)²].

    Args:
        real_outputs: linear discriminator outputs on real samples.
        fake_outputs: linear discriminator outputs on generated samples.
        fake_target: a, the target for fakes (0, or −1 in the Pearson χ² coding).
        real_target: b, the target for real samples.
    """
    real_outputs, fake_outputs = _float(real_outputs), _float(fake_outputs)
    return 0.5 * ops.mean(ops.square(real_outputs - real_target)) + 0.5 * ops.mean(
        ops.square(fake_outputs - fake_target)
    )


def least_squares_generator_loss(fake_outputs, target=1.0):
    """LSGAN generator loss: ½E[(D(G(z)) − c)²]."""
    return 0.5 * ops.mean(ops.square(_float(fake_outputs) - target))


# ----------------------------------------------------------------------------------------------
# Wasserstein (Arjovsky et al., 2017) and hinge
# ----------------------------------------------------------------------------------------------
def wasserstein_critic_loss(real_outputs, fake_outputs):
    """Critic loss E[D(G(z))] − E[D(x)]; its negative estimates the Wasserstein-1 distance."""
    return ops.mean(_float(fake_outputs)) - ops.mean(_float(real_outputs))


def wasserstein_generator_loss(fake_outputs):
    """Generator loss −E[D(G(z))] (also the hinge generator loss)."""
    return -ops.mean(_float(fake_outputs))


def hinge_discriminator_loss(real_outputs, fake_outputs):
    """Hinge discriminator loss E[max(0, 1 − D(x))] + E[max(0, 1 + D(G(z)))]."""
    return ops.mean(ops.relu(1.0 - _float(real_outputs))) + ops.mean(
        ops.relu(1.0 + _float(fake_outputs))
    )


hinge_generator_loss = wasserstein_generator_loss


# ----------------------------------------------------------------------------------------------
# Penalties on input gradients
# ----------------------------------------------------------------------------------------------
def per_sample_norm(gradients, epsilon=1e-12):
    """Euclidean norm of each sample's gradient, taken over all of its non-batch axes."""
    gradients = _float(gradients)
    flat = ops.reshape(gradients, (ops.shape(gradients)[0], -1))
    return ops.sqrt(ops.sum(ops.square(flat), axis=1) + epsilon)


def gradient_penalty(gradients, target=1.0):
    """WGAN-GP / DRAGAN penalty E[(‖∇D(x̂)‖₂ − target)²], without its weight λ.

    Args:
        gradients: ∇D at the penalty points, one per sample (from `GAN.input_gradients`).
        target: the Lipschitz target (1 in WGAN-GP and DRAGAN).
    """
    return ops.mean(ops.square(per_sample_norm(gradients) - target))


def interpolate(real, fake, alpha):
    """Points x̂ = x + α(G(z) − x) between real and fake samples (α shaped (batch, 1, ...))."""
    return real + alpha * (fake - real)
