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


def wasserstein_divergence_penalty(gradients, power=6.0):
    """WGAN-div penalty E[‖∇D(x̂)‖₂^p] without its coefficient k (Wu et al., 2018: p = 6)."""
    return ops.mean(ops.power(per_sample_norm(gradients), power))


def perturb_real(real, uniform_noise, scale=0.5, std=None):
    """DRAGAN's perturbed real points x + scale·std(x)·u, u ~ U[0, 1) per element.

    The standard deviation is taken over the whole real batch (all samples and pixels), as in
    the authors' code (Kodali et al., 2017); `std` passes it in (the global batch's, under
    data parallelism).
    """
    real = _float(real)
    std = ops.std(real) if std is None else std
    return real + scale * std * uniform_noise


# ----------------------------------------------------------------------------------------------
# Boundary-seeking GAN (Hjelm et al., 2017)
# ----------------------------------------------------------------------------------------------
def boundary_seeking_generator_loss(fake_logits):
    """BGAN generator loss ½E[(log D(G(z)) − log(1 − D(G(z))))²] = ½E[ℓ²], ℓ the D logit."""
    return 0.5 * ops.mean(ops.square(_float(fake_logits)))


def bernoulli_log_likelihood(samples, means, epsilon=1e-6):
    """log g(x | z) of binary images x ∈ {−1, 1} under pixel means t, P(x = 1) = (1 + t)/2.

    The probabilities are kept in [ε, 1 − ε] so that a saturated tanh (t = ±1 in float32)
    cannot give log 0.

    Args:
        samples: binary images, shaped (batch, samples, height, width, channels).
        means: generator outputs in [−1, 1], shaped (batch, 1, height, width, channels).

    Returns:
        The log-likelihood of each sample, shaped (batch, samples).
    """
    probability_on = ops.clip((1.0 + means) / 2.0, epsilon, 1.0 - epsilon)
    on = (samples + 1.0) / 2.0
    per_pixel = on * ops.log(probability_on) + (1.0 - on) * ops.log(1.0 - probability_on)
    return ops.sum(per_pixel, axis=tuple(range(2, len(per_pixel.shape))))


def importance_weighted_generator_loss(log_weights, log_likelihoods):
    """Discrete BGAN generator loss −E_z Σ_m w̃_m log g(x_m | z).

    Args:
        log_weights: log w = the discriminator's logit of each sample, (batch, samples).
        log_likelihoods: log g(x_m | z) of each sample, (batch, samples).

    Returns:
        The loss; the normalized weights w̃ = softmax over the samples of log w carry no
        gradient (they are a property of the samples, not of the generator's parameters).
    """
    normalized_weights = ops.softmax(ops.stop_gradient(log_weights), axis=1)
    return -ops.mean(ops.sum(normalized_weights * log_likelihoods, axis=1))


# ----------------------------------------------------------------------------------------------
# Energy-based discriminators: EBGAN (Zhao et al., 2016) and BEGAN (Berthelot et al., 2017)
# ----------------------------------------------------------------------------------------------
def _per_sample_mean(values):
    values = _float(values)
    return ops.mean(ops.reshape(values, (ops.shape(values)[0], -1)), axis=1)


def reconstruction_energy(images, reconstructions):
    """EBGAN energy: the per-sample mean squared reconstruction error of an autoencoder D."""
    return _per_sample_mean(ops.square(_float(images) - _float(reconstructions)))


def reconstruction_l1(images, reconstructions):
    """BEGAN's L(v): the per-sample mean absolute reconstruction error |v − D(v)|."""
    return _per_sample_mean(ops.abs(_float(images) - _float(reconstructions)))


def energy_margin_discriminator_loss(real_energy, fake_energy, margin=1.0):
    """EBGAN discriminator loss E[E(x)] + E[max(0, m − E(G(z)))]."""
    return ops.mean(_float(real_energy)) + ops.mean(ops.relu(margin - _float(fake_energy)))


def pull_away_term(embeddings):
    """EBGAN's pull-away term: mean over i ≠ j of cos²(S_i, S_j) for a batch of embeddings."""
    embeddings = _float(embeddings)
    embeddings = ops.reshape(embeddings, (ops.shape(embeddings)[0], -1))
    unit = embeddings / ops.sqrt(ops.sum(ops.square(embeddings), axis=1, keepdims=True) + 1e-12)
    cosine_squared = ops.square(ops.matmul(unit, ops.transpose(unit)))
    count = ops.cast(ops.shape(embeddings)[0], "float32")
    off_diagonal = ops.sum(cosine_squared) - ops.sum(ops.diagonal(cosine_squared))
    return off_diagonal / (count * (count - 1.0))


def began_equilibrium_update(k, real_loss, fake_loss, gamma=0.5, lambda_k=0.001):
    """BEGAN's proportional control k ← clip(k + λ_k(γ·L(x) − L(G(z))), 0, 1)."""
    k, real_loss, fake_loss = _float(k), _float(real_loss), _float(fake_loss)
    return ops.clip(k + lambda_k * (gamma * real_loss - fake_loss), 0.0, 1.0)


def began_convergence(real_loss, fake_loss, gamma=0.5):
    """BEGAN's convergence measure M = L(x) + |γ·L(x) − L(G(z))|."""
    real_loss, fake_loss = _float(real_loss), _float(fake_loss)
    return real_loss + ops.abs(gamma * real_loss - fake_loss)


# ----------------------------------------------------------------------------------------------
# Relativistic discriminators (Jolicoeur-Martineau, 2018)
# ----------------------------------------------------------------------------------------------
RELATIVISTIC_LOSSES = ("rsgan", "rasgan", "ralsgan", "rahinge")


def _relativistic_differences(real_logits, fake_logits, kind):
    """(C_r − reference of fakes, C_f − reference of reals) for the standard or average form."""
    real_logits, fake_logits = _float(real_logits), _float(fake_logits)
    if kind == "rsgan":  # real and fake paired by position in the batch
        return real_logits - fake_logits, fake_logits - real_logits
    return real_logits - ops.mean(fake_logits), fake_logits - ops.mean(real_logits)


def _check_relativistic(kind):
    if kind not in RELATIVISTIC_LOSSES:
        raise ValueError(f"Unknown relativistic loss {kind!r}: choose one of "
                         f"{', '.join(RELATIVISTIC_LOSSES)}.")


def relativistic_discriminator_loss(real_logits, fake_logits, kind="rasgan"):
    """Relativistic discriminator loss: "rsgan", "rasgan", "ralsgan" or "rahinge".

    rsgan: −E log σ(C_r − C_f). rasgan: −E log σ(C_r − E C_f) − E log(1 − σ(C_f − E C_r)).
    ralsgan: E(C_r − E C_f − 1)² + E(C_f − E C_r + 1)². rahinge: E max(0, 1 − (C_r − E C_f)) +
    E max(0, 1 + (C_f − E C_r)).
    """
    _check_relativistic(kind)
    real_relative, fake_relative = _relativistic_differences(real_logits, fake_logits, kind)
    if kind == "rsgan":
        return binary_crossentropy_from_logits(real_relative, 1.0)
    return _relativistic_pair_loss(real_relative, fake_relative, kind)


def relativistic_generator_loss(real_logits, fake_logits, kind="rasgan"):
    """The generator's relativistic loss: the discriminator's with real and fake swapped."""
    _check_relativistic(kind)
    real_relative, fake_relative = _relativistic_differences(real_logits, fake_logits, kind)
    if kind == "rsgan":
        return binary_crossentropy_from_logits(fake_relative, 1.0)
    return _relativistic_pair_loss(fake_relative, real_relative, kind)


def _relativistic_pair_loss(positive, negative, kind):
    """Loss pushing `positive` differences up and `negative` ones down (average forms)."""
    if kind == "rasgan":
        return (binary_crossentropy_from_logits(positive, 1.0)
                + binary_crossentropy_from_logits(negative, 0.0))
    if kind == "ralsgan":
        return ops.mean(ops.square(positive - 1.0)) + ops.mean(ops.square(negative + 1.0))
    return ops.mean(ops.relu(1.0 - positive)) + ops.mean(ops.relu(1.0 + negative))


# ----------------------------------------------------------------------------------------------
# Softmax GAN (Lin, 2017)
# ----------------------------------------------------------------------------------------------
def _log_partition(real_energy, fake_energy):
    """log Z = log Σ_{x ∈ B⁺ ∪ B⁻} exp(−e(x)), computed with log-sum-exp."""
    energies = ops.concatenate([ops.reshape(_float(real_energy), (-1,)),
                                ops.reshape(_float(fake_energy), (-1,))])
    return ops.logsumexp(-energies)


def softmax_discriminator_loss(real_energy, fake_energy):
    """Softmax GAN discriminator loss (1/|B⁺|)·Σ_{B⁺} e(x) + log Z (target: all mass on reals)."""
    return ops.mean(_float(real_energy)) + _log_partition(real_energy, fake_energy)


def softmax_generator_loss(real_energy, fake_energy):
    """Softmax GAN generator loss (1/|B|)·Σ_B e(x) + log Z (target: uniform over the batch)."""
    energies = ops.concatenate([ops.reshape(_float(real_energy), (-1,)),
                                ops.reshape(_float(fake_energy), (-1,))])
    return ops.mean(energies) + _log_partition(real_energy, fake_energy)


# ----------------------------------------------------------------------------------------------
# Image-to-image translation: reconstruction, cycle and identity terms (pix2pix, CycleGAN)
# ----------------------------------------------------------------------------------------------
def mean_absolute_error(images, targets):
    """Mean |images − targets| over every pixel and channel: pix2pix's L1 term and CycleGAN's
    cycle-consistency and identity terms (PyTorch `L1Loss`)."""
    return ops.mean(ops.abs(_float(images) - _float(targets)))


def mean_squared_error(outputs, target):
    """Mean (outputs − target)² over every element (PyTorch `MSELoss`), `target` a constant or
    a tensor shaped like `outputs`: the least-squares adversarial term of CycleGAN's generators
    (constant target) and the AAE's reconstruction error (target: the images)."""
    return ops.mean(ops.square(_float(outputs) - target))


# ----------------------------------------------------------------------------------------------
# Recovering the codes of generated images: InfoGAN (Chen et al., 2016)
# ----------------------------------------------------------------------------------------------
def categorical_crossentropy_from_logits(logits, labels):
    """Mean cross-entropy −Σ_k y_k·log softmax(logits)_k of one-hot (or soft) labels y.

    Args:
        logits: unnormalized class scores, (batch, classes).
        labels: one-hot labels or probabilities, (batch, classes).
    """
    log_probabilities = ops.log_softmax(_float(logits), axis=-1)
    return -ops.mean(ops.sum(_float(labels) * log_probabilities, axis=-1))


def information_loss(categorical_logits, categorical_codes, continuous_means, continuous_codes):
    """InfoGAN's L_I = CE(Q_cat(x), c_cat) + ½Σ_j (c_j − μ_j(x))², without its weight λ.

    The negative of the variational lower bound on the mutual information I(c; G(z, c)) less
    the entropy H(c) of the codes, which is a constant: a recognition network Q that recovers
    the codes of the generated images x = G(z, c) makes it small.

    Args:
        categorical_logits: Q's logits for the categorical code, (batch, categories).
        categorical_codes: the one-hot categorical codes given to G, (batch, categories).
        continuous_means: Q's means μ of the continuous codes (σ = 1), (batch, codes).
        continuous_codes: the continuous codes given to G, (batch, codes).
    """
    return (categorical_crossentropy_from_logits(categorical_logits, categorical_codes)
            + gaussian_negative_log_likelihood(continuous_means, continuous_codes))


# ----------------------------------------------------------------------------------------------
# Bidirectional GANs: BiGAN (Donahue et al., 2016) and ALI (Dumoulin et al., 2016)
# ----------------------------------------------------------------------------------------------
def bidirectional_generator_loss(encoder_logits, generator_logits):
    """The loss of a BiGAN's generator and encoder together: the joint discriminator's
    cross-entropy with the labels swapped, ½[BCE(D(x, E(x)), 0) + BCE(D(G(z), z), 1)].

    Args:
        encoder_logits: discriminator logits on data pairs (x, E(x)).
        generator_logits: discriminator logits on generated pairs (G(z), z).
    """
    return discriminator_loss(generator_logits, encoder_logits)


# ----------------------------------------------------------------------------------------------
# Variational autoencoders with a learned similarity: VAE-GAN (Larsen et al., 2016)
# ----------------------------------------------------------------------------------------------
def _per_sample_sum(values):
    values = _float(values)
    return ops.sum(ops.reshape(values, (ops.shape(values)[0], -1)), axis=1)


def kl_divergence_from_standard_normal(mean, log_variance):
    """KL(N(μ, σ²) ‖ N(0, I)) = −½Σ(1 + log σ² − μ² − σ²), summed over the code's dimensions
    and averaged over the batch (a VAE's prior term).

    Args:
        mean: μ of each sample's Gaussian, shaped (batch, latent_dim).
        log_variance: log σ² of each sample's Gaussian, shaped like `mean`.
    """
    mean, log_variance = _float(mean), _float(log_variance)
    return ops.mean(-0.5 * _per_sample_sum(
        1.0 + log_variance - ops.square(mean) - ops.exp(log_variance)))


def gaussian_negative_log_likelihood(predictions, targets):
    """½‖targets − predictions‖², summed over every non-batch axis and averaged over the batch:
    −log N(targets | predictions, I) without its constant (VAE-GAN's L_llike on features)."""
    return ops.mean(0.5 * _per_sample_sum(ops.square(_float(targets) - _float(predictions))))


# ----------------------------------------------------------------------------------------------
# Semi-supervised GAN (Odena, 2016; Salimans et al., 2016): an (N+1)-way discriminator whose
# last logit is the class "fake"; every term from the logits (log-softmax, log-sum-exp). Its
# labelled images use `categorical_crossentropy_from_logits`.
# ----------------------------------------------------------------------------------------------
def fake_class_crossentropy_from_logits(logits):
    """−E log p_fake of an (N+1)-way classifier whose last logit is "fake": the cross-entropy
    against class N, logsumexp(logits) − logits[N]."""
    return -ops.mean(ops.log_softmax(_float(logits), axis=-1)[:, -1])


def real_classes_crossentropy_from_logits(logits):
    """−E log(1 − p_fake) of an (N+1)-way classifier whose last logit is "fake": the
    log-probability of any real class, logsumexp(logits) − logsumexp(logits[:N]).

    The SGAN discriminator's loss on unlabelled real images, and its generator's loss on fakes
    (Salimans et al., 2016).
    """
    logits = _float(logits)
    return ops.mean(ops.logsumexp(logits, axis=1) - ops.logsumexp(logits[:, :-1], axis=1))


def feature_matching_loss(real_features, fake_features):
    """Feature matching ‖E f(x) − E f(G(z))‖²: the squared distance between the batch means of
    the discriminator's features on real and generated images (Salimans et al., 2016)."""
    real_features = ops.reshape(_float(real_features), (ops.shape(real_features)[0], -1))
    fake_features = ops.reshape(_float(fake_features), (ops.shape(fake_features)[0], -1))
    difference = ops.mean(real_features, axis=0) - ops.mean(fake_features, axis=0)
    return ops.sum(ops.square(difference))
