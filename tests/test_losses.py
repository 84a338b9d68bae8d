"""Tests of keras_gans.losses against values worked out by hand from each formula."""

import math

import keras
import numpy as np
import pytest

from keras_gans import losses

LOGITS = [0.0, 2.0, -1.0]


def value(loss):
    """The loss as a Python float, after checking that it is a float32 scalar."""
    array = keras.ops.convert_to_numpy(loss)
    assert array.shape == ()
    assert array.dtype == np.float32
    return float(array)


def sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


def mean(values):
    return sum(values) / len(values)


# ----------------------------------------------------------------------------------------------
# Cross-entropy losses
# ----------------------------------------------------------------------------------------------
def test_binary_crossentropy_from_logits_targets_one_and_zero():
    # −log σ(x) and −log(1 − σ(x)) for x = 0, 2, −1.
    target_one = mean([math.log(2.0), -math.log(sigmoid(2.0)), -math.log(sigmoid(-1.0))])
    target_zero = mean([math.log(2.0), -math.log(1 - sigmoid(2.0)), -math.log(1 - sigmoid(-1.0))])
    assert target_one == pytest.approx(mean([0.693147, 0.126928, 1.313262]), abs=1e-6)
    assert value(losses.binary_crossentropy_from_logits(LOGITS, 1.0)) == pytest.approx(target_one)
    assert value(losses.binary_crossentropy_from_logits(LOGITS, 0.0)) == pytest.approx(target_zero)


def test_binary_crossentropy_from_logits_soft_target():
    expected = mean(
        [-(0.9 * math.log(sigmoid(x)) + 0.1 * math.log(1 - sigmoid(x))) for x in LOGITS]
    )
    assert value(losses.binary_crossentropy_from_logits(LOGITS, 0.9)) == pytest.approx(expected)


def test_discriminator_loss_halves_the_sum():
    real_logits, fake_logits = [0.0, 2.0, -1.0], [1.0, -3.0]
    real_term = mean([-math.log(sigmoid(x)) for x in real_logits])
    fake_term = mean([-math.log(1 - sigmoid(x)) for x in fake_logits])
    expected = 0.5 * (real_term + fake_term)
    assert value(losses.discriminator_loss(real_logits, fake_logits)) == pytest.approx(expected)


def test_generator_loss_nonsaturating():
    expected = mean([-math.log(sigmoid(x)) for x in LOGITS])  # −E log σ(D(G(z)))
    assert value(losses.generator_loss_nonsaturating(LOGITS)) == pytest.approx(expected)


def test_generator_loss_minimax():
    expected = mean([math.log(1 - sigmoid(x)) for x in LOGITS])  # E log(1 − σ(D(G(z))))
    assert expected < 0
    assert value(losses.generator_loss_minimax(LOGITS)) == pytest.approx(expected)


def test_generator_loss_lookup():
    assert losses.generator_loss("nonsaturating") is losses.generator_loss_nonsaturating
    assert losses.generator_loss("minimax") is losses.generator_loss_minimax
    with pytest.raises(ValueError, match="unknown"):
        losses.generator_loss("unknown")


def test_cross_entropy_losses_are_stable_for_large_logits():
    # softplus(100) = 100 and softplus(−100) ≈ 0: a naive log(sigmoid) would give inf here.
    real_logits, fake_logits = [100.0, -100.0], [-100.0, 100.0]
    loss = value(losses.discriminator_loss(real_logits, fake_logits))
    assert math.isfinite(loss)
    assert loss == pytest.approx(0.5 * (50.0 + 50.0))
    assert value(losses.generator_loss_nonsaturating([-100.0])) == pytest.approx(100.0)
    assert value(losses.generator_loss_minimax([100.0])) == pytest.approx(-100.0)


# ----------------------------------------------------------------------------------------------
# Least squares, Wasserstein and hinge losses
# ----------------------------------------------------------------------------------------------
REAL_OUTPUTS, FAKE_OUTPUTS = [1.5, 0.5], [0.2, -0.4]


def test_least_squares_discriminator_loss_default_targets():
    # ½ mean((1.5 − 1)², (0.5 − 1)²) + ½ mean(0.2², 0.4²) = ½ · 0.25 + ½ · 0.1
    loss = losses.least_squares_discriminator_loss(REAL_OUTPUTS, FAKE_OUTPUTS)
    assert value(loss) == pytest.approx(0.175)


def test_least_squares_discriminator_loss_pearson_targets():
    # (a, b) = (−1, 1): ½ · 0.25 + ½ mean(1.2², 0.6²) = 0.125 + ½ · 0.9
    loss = losses.least_squares_discriminator_loss(
        REAL_OUTPUTS, FAKE_OUTPUTS, fake_target=-1.0, real_target=1.0
    )
    assert value(loss) == pytest.approx(0.575)


def test_least_squares_generator_loss():
    # ½ mean((0.2 − 1)², (−0.4 − 1)²) = ½ mean(0.64, 1.96)
    assert value(losses.least_squares_generator_loss(FAKE_OUTPUTS)) == pytest.approx(0.65)
    assert value(losses.least_squares_generator_loss(FAKE_OUTPUTS, target=0.0)) == pytest.approx(
        0.05
    )


def test_wasserstein_losses():
    real_outputs, fake_outputs = [1.0, 3.0], [-1.0, 0.5]
    # mean(fake) − mean(real) = −0.25 − 2
    critic_loss = losses.wasserstein_critic_loss(real_outputs, fake_outputs)
    assert value(critic_loss) == pytest.approx(-2.25)
    assert value(losses.wasserstein_generator_loss(fake_outputs)) == pytest.approx(0.25)


def test_hinge_losses():
    real_outputs, fake_outputs = [1.5, 0.5, -1.0], [-2.0, 0.0, 0.5]
    # mean(max(0, 1 − real)) = mean(0, 0.5, 2); mean(max(0, 1 + fake)) = mean(0, 1, 1.5)
    loss = losses.hinge_discriminator_loss(real_outputs, fake_outputs)
    assert value(loss) == pytest.approx(2.5 / 3 + 2.5 / 3)
    assert value(losses.hinge_generator_loss(fake_outputs)) == pytest.approx(0.5)
    assert losses.hinge_generator_loss is losses.wasserstein_generator_loss


# ----------------------------------------------------------------------------------------------
# Gradient penalties
# ----------------------------------------------------------------------------------------------
GRADIENTS = np.arange(8, dtype="float32").reshape(2, 2, 2, 1)  # samples [0..3] and [4..7]


def test_per_sample_norm_over_all_non_batch_axes():
    norms = keras.ops.convert_to_numpy(losses.per_sample_norm(GRADIENTS))
    # √(0 + 1 + 4 + 9) and √(16 + 25 + 36 + 49)
    np.testing.assert_allclose(norms, [math.sqrt(14.0), math.sqrt(126.0)], rtol=1e-6)
    zero_norm = keras.ops.convert_to_numpy(losses.per_sample_norm(np.zeros((1, 3))))
    np.testing.assert_allclose(zero_norm, [1e-6], rtol=1e-3)  # √epsilon keeps it differentiable


def test_gradient_penalty():
    expected = mean([(math.sqrt(14.0) - 1.0) ** 2, (math.sqrt(126.0) - 1.0) ** 2])
    assert value(losses.gradient_penalty(GRADIENTS)) == pytest.approx(expected, rel=1e-6)
    assert value(losses.gradient_penalty(GRADIENTS, target=0.0)) == pytest.approx(70.0)


def test_interpolate():
    real = np.array([[0.0, 2.0], [2.0, 4.0]], "float32")
    fake = np.array([[4.0, -2.0], [0.0, 0.0]], "float32")
    alpha = np.array([[0.25], [0.5]], "float32")
    points = keras.ops.convert_to_numpy(losses.interpolate(real, fake, alpha))
    np.testing.assert_allclose(points, [[1.0, 1.0], [1.0, 2.0]])
    for alpha, endpoint in ((0.0, real), (1.0, fake)):
        points = keras.ops.convert_to_numpy(losses.interpolate(real, fake, alpha))
        np.testing.assert_allclose(points, endpoint)


# ----------------------------------------------------------------------------------------------
# Losses of the unconditional family (issue: LSGAN … Softmax GAN)
# ----------------------------------------------------------------------------------------------
def test_wasserstein_divergence_penalty():
    # Per-sample norms 5 and 1 (gradients (3, 4) and (1, 0)); p = 6: (5⁶ + 1⁶) / 2 = 7813.
    gradients = np.array([[3.0, 4.0], [1.0, 0.0]], "float32")
    assert value(losses.wasserstein_divergence_penalty(gradients)) == pytest.approx(7813.0,
                                                                                    rel=1e-5)
    assert value(losses.wasserstein_divergence_penalty(gradients, power=2)) == pytest.approx(13.0)


def test_perturb_real_uses_the_std_of_the_whole_batch():
    real = np.array([[-1.0, 1.0], [-1.0, 1.0]], "float32")  # std over all 4 values = 1
    noise = np.array([[0.5, 0.0], [1.0, 0.25]], "float32")
    expected = real + 0.5 * 1.0 * noise
    np.testing.assert_allclose(keras.ops.convert_to_numpy(losses.perturb_real(real, noise)),
                               expected, rtol=1e-6)


def test_boundary_seeking_generator_loss():
    # ½ mean(ℓ²) = ½ (0 + 4 + 1) / 3; equal to ½(log D − log(1 − D))² since log-odds = ℓ.
    assert value(losses.boundary_seeking_generator_loss(LOGITS)) == pytest.approx(5.0 / 6.0)
    d = sigmoid(2.0)
    assert (math.log(d) - math.log(1 - d)) ** 2 == pytest.approx(4.0)


def test_reconstruction_energies_are_per_sample_means():
    images = np.zeros((2, 2, 2, 1), "float32")
    reconstructions = np.array([[[[1.0], [1.0]], [[1.0], [1.0]]],
                                [[[2.0], [0.0]], [[0.0], [0.0]]]], "float32")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(losses.reconstruction_energy(images, reconstructions)),
        [1.0, 1.0])  # (1+1+1+1)/4 and 4/4
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(losses.reconstruction_l1(images, reconstructions)),
        [1.0, 0.5])  # 4/4 and 2/4


def test_energy_margin_discriminator_loss():
    # mean(0.2, 0.4) + mean(max(0, 1 − 0.5), max(0, 1 − 1.5)) = 0.3 + 0.25.
    assert value(losses.energy_margin_discriminator_loss([0.2, 0.4], [0.5, 1.5])) == (
        pytest.approx(0.55))
    assert value(losses.energy_margin_discriminator_loss([0.2, 0.4], [0.5, 1.5], margin=2.0)) == (
        pytest.approx(0.3 + 1.0))


def test_pull_away_term():
    # S = (1, 0), (1, 1), (0, 2): cos² pairs: (1,2) ½, (1,3) 0, (2,3) ½; mean over the 6
    # ordered pairs i ≠ j = 2·(½ + 0 + ½) / 6 = 1/3.
    embeddings = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0]], "float32")
    assert value(losses.pull_away_term(embeddings)) == pytest.approx(1.0 / 3.0, rel=1e-5)
    identical = np.ones((4, 3), "float32")
    assert value(losses.pull_away_term(identical)) == pytest.approx(1.0, rel=1e-5)


def test_began_controller_and_convergence():
    # k + λ(γ L(x) − L(G)) = 0.5 + 0.001 (0.5·0.4 − 0.1) = 0.5001; clipped to [0, 1].
    update = losses.began_equilibrium_update
    assert float(keras.ops.convert_to_numpy(update(0.5, 0.4, 0.1))) == pytest.approx(0.5001)
    assert float(keras.ops.convert_to_numpy(update(0.0, 0.1, 5.0))) == 0.0
    assert float(keras.ops.convert_to_numpy(update(1.0, 5.0, 0.0, lambda_k=1.0))) == 1.0
    # M = L(x) + |γ L(x) − L(G)| = 0.4 + |0.2 − 0.1|.
    assert float(keras.ops.convert_to_numpy(losses.began_convergence(0.4, 0.1))) == (
        pytest.approx(0.5))


REAL, FAKE = [1.0, 3.0], [0.0, -2.0]  # E C_r = 2, E C_f = −1


def softplus(x):
    return math.log1p(math.exp(x))


def test_relativistic_standard_pairs_by_position():
    # −E log σ(C_r − C_f): differences 1 and 5.
    expected_d = mean([softplus(-1.0), softplus(-5.0)])
    expected_g = mean([softplus(1.0), softplus(5.0)])  # −E log σ(C_f − C_r)
    assert value(losses.relativistic_discriminator_loss(REAL, FAKE, "rsgan")) == pytest.approx(
        expected_d)
    assert value(losses.relativistic_generator_loss(REAL, FAKE, "rsgan")) == pytest.approx(
        expected_g)


def test_relativistic_average_losses():
    real_relative = [1.0 - (-1.0), 3.0 - (-1.0)]  # C_r − E C_f = 2, 4
    fake_relative = [0.0 - 2.0, -2.0 - 2.0]  # C_f − E C_r = −2, −4
    rasgan_d = mean([softplus(-r) for r in real_relative]) + mean(
        [softplus(f) for f in fake_relative])
    rasgan_g = mean([softplus(-f) for f in fake_relative]) + mean(
        [softplus(r) for r in real_relative])
    ralsgan_d = mean([(r - 1) ** 2 for r in real_relative]) + mean(
        [(f + 1) ** 2 for f in fake_relative])  # (1 + 9)/2 + (1 + 9)/2 = 10
    ralsgan_g = mean([(f - 1) ** 2 for f in fake_relative]) + mean(
        [(r + 1) ** 2 for r in real_relative])  # (9 + 25)/2 + (9 + 25)/2 = 34
    rahinge_d = mean([max(0, 1 - r) for r in real_relative]) + mean(
        [max(0, 1 + f) for f in fake_relative])  # 0
    rahinge_g = mean([max(0, 1 - f) for f in fake_relative]) + mean(
        [max(0, 1 + r) for r in real_relative])  # (3 + 5)/2 + (3 + 5)/2 = 8
    assert (ralsgan_d, ralsgan_g, rahinge_d, rahinge_g) == (10.0, 34.0, 0.0, 8.0)
    for kind, expected_d, expected_g in (("rasgan", rasgan_d, rasgan_g),
                                         ("ralsgan", ralsgan_d, ralsgan_g),
                                         ("rahinge", rahinge_d, rahinge_g)):
        assert value(losses.relativistic_discriminator_loss(REAL, FAKE, kind)) == (
            pytest.approx(expected_d, rel=1e-6))
        assert value(losses.relativistic_generator_loss(REAL, FAKE, kind)) == (
            pytest.approx(expected_g, rel=1e-6))


def test_unknown_relativistic_loss_is_refused():
    with pytest.raises(ValueError, match="Unknown relativistic loss"):
        losses.relativistic_discriminator_loss(REAL, FAKE, "relative")


def test_softmax_gan_losses():
    real_energy, fake_energy = [0.0, 1.0], [2.0, 3.0]
    log_z = math.log(sum(math.exp(-e) for e in real_energy + fake_energy))
    assert value(losses.softmax_discriminator_loss(real_energy, fake_energy)) == pytest.approx(
        0.5 + log_z)
    assert value(losses.softmax_generator_loss(real_energy, fake_energy)) == pytest.approx(
        1.5 + log_z)
    # Large energies stay finite (log-sum-exp).
    assert np.isfinite(value(losses.softmax_discriminator_loss([500.0, 600.0], [700.0, 800.0])))


# ----------------------------------------------------------------------------------------------
# InfoGAN's information loss
# ----------------------------------------------------------------------------------------------
def test_categorical_crossentropy_from_logits():
    # Sample 1: logits (0, 0, 0), label 2: −log(1/3). Sample 2: logits (ln 3, 0, 0), label 0:
    # −log(3/5). Large logits stay finite (log-softmax).
    logits, labels = [[0.0, 0.0, 0.0], [math.log(3.0), 0.0, 0.0]], [[0, 0, 1], [1, 0, 0]]
    expected = mean([math.log(3.0), -math.log(3.0 / 5.0)])
    assert value(losses.categorical_crossentropy_from_logits(logits, labels)) == pytest.approx(
        expected, rel=1e-6)
    assert value(losses.categorical_crossentropy_from_logits([[1000.0, 0.0]], [[0.0, 1.0]])) == (
        pytest.approx(1000.0))


def test_information_loss_is_cross_entropy_plus_half_squared_code_errors():
    # ½Σ_j (c_j − μ_j)²: sample 1 ½(0.5² + 1²) = 0.625, sample 2 ½(0² + 2²) = 2; mean 1.3125.
    codes, means = [[0.5, -1.0], [0.0, 1.0]], [[0.0, 0.0], [0.0, -1.0]]
    assert value(losses.gaussian_negative_log_likelihood(means, codes)) == pytest.approx(1.3125)
    logits, labels = [[0.0, 0.0], [0.0, 0.0]], [[1.0, 0.0], [0.0, 1.0]]  # CE = log 2
    assert value(losses.information_loss(logits, labels, means, codes)) == pytest.approx(
        math.log(2.0) + 1.3125)


# ----------------------------------------------------------------------------------------------
# Bidirectional GANs (BiGAN, ALI)
# ----------------------------------------------------------------------------------------------
def test_bidirectional_generator_loss_swaps_the_labels():
    encoder_logits, generator_logits = [0.0, 2.0], [-1.0, 3.0]
    # ½[BCE(D(x, E(x)), 0) + BCE(D(G(z), z), 1)] = ½[mean log(1 + e^l) + mean log(1 + e^−l)].
    encoder_term = mean([math.log(2.0), math.log(1.0 + math.exp(2.0))])
    generator_term = mean([math.log(1.0 + math.e), math.log(1.0 + math.exp(-3.0))])
    expected = 0.5 * (encoder_term + generator_term)
    assert expected == pytest.approx(0.5 * ((0.6931 + 2.1269) / 2 + (1.3133 + 0.0486) / 2),
                                     abs=1e-4)
    assert value(losses.bidirectional_generator_loss(encoder_logits, generator_logits)) == (
        pytest.approx(expected, rel=1e-6))


def test_categorical_crossentropy_of_cluster_codes():
    # Logits (0, 0, ln 2): softmax = (1/4, 1/4, 1/2). Logits (3, 3): softmax = (1/2, 1/2).
    logits = [[0.0, 0.0, math.log(2.0)], [3.0, 3.0, -1000.0]]
    targets = [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    expected = mean([-math.log(0.5), -math.log(0.5)])  # = ln 2
    assert value(losses.categorical_crossentropy_from_logits(logits, targets)) == (
        pytest.approx(expected, rel=1e-6))
    assert value(losses.categorical_crossentropy_from_logits(
        [[0.0, 0.0, math.log(2.0)]], [[1.0, 0.0, 0.0]])) == pytest.approx(math.log(4.0), rel=1e-6)
    # Very confident logits stay finite (log-softmax, not log of a softmax).
    assert value(losses.categorical_crossentropy_from_logits(
        [[1000.0, -1000.0]], [[0.0, 1.0]])) == pytest.approx(2000.0, rel=1e-6)


def test_kl_divergence_from_standard_normal_sums_dimensions_and_averages_samples():
    mean = [[0.0, 1.0], [2.0, 0.0]]
    log_variance = [[0.0, math.log(2.0)], [0.0, 0.0]]
    # Sample 1: −½[(1 + 0 − 0 − 1) + (1 + log 2 − 1 − 2)] = 1 − ½log 2; sample 2: −½(1 − 4 − 1) = 2.
    expected = ((1.0 - 0.5 * math.log(2.0)) + 2.0) / 2
    assert value(losses.kl_divergence_from_standard_normal(mean, log_variance)) == (
        pytest.approx(expected, rel=1e-6))
    assert value(losses.kl_divergence_from_standard_normal([[0.0, 0.0]], [[0.0, 0.0]])) == 0.0


def test_gaussian_negative_log_likelihood_sums_features_and_averages_samples():
    predictions = np.zeros((2, 2, 1, 1), "float32")
    targets = np.array([1.0, 2.0, 0.0, 3.0], "float32").reshape(2, 2, 1, 1)
    # ½(1 + 4) = 2.5 and ½(0 + 9) = 4.5, averaged.
    assert value(losses.gaussian_negative_log_likelihood(predictions, targets)) == (
        pytest.approx(3.5, rel=1e-6))


def test_categorical_crossentropy_of_class_logits():
    # softmax([0, ln 3]) = [1/4, 3/4] and softmax([ln 4, 0]) = [4/5, 1/5]; both rows want class 1.
    logits = [[0.0, math.log(3.0)], [math.log(4.0), 0.0]]
    expected = mean([-math.log(3 / 4), -math.log(1 / 5)])
    assert value(losses.categorical_crossentropy_from_logits(logits, [[0.0, 1.0], [0.0, 1.0]])) == (
        pytest.approx(expected, rel=1e-6))
    # Soft targets weigh each class's log-probability: ½(−ln ¼) + ½(−ln ¾).
    assert value(losses.categorical_crossentropy_from_logits(logits[:1], [[0.5, 0.5]])) == (
        pytest.approx(0.5 * math.log(4.0) + 0.5 * math.log(4 / 3), rel=1e-6))
    # Large logits stay finite: −log softmax([1000, 0])₁ = 1000.
    assert value(losses.categorical_crossentropy_from_logits([[1000.0, 0.0]], [[0.0, 1.0]])) == (
        pytest.approx(1000.0, rel=1e-6))


# Semi-supervised (N+1)-way losses: two real classes and "fake" last. The first sample's
# logits give each class 1/3; the second's, exp = (2, 1, 1), give (1/2, 1/4, 1/4).
SEMI_SUPERVISED_LOGITS = [[0.0, 0.0, 0.0], [math.log(2.0), 0.0, 0.0]]


def test_fake_and_real_classes_crossentropies_from_logits():
    # −log p_fake: −log(1/3), −log(1/4). −log(1 − p_fake): −log(2/3), −log(3/4).
    assert value(losses.fake_class_crossentropy_from_logits(SEMI_SUPERVISED_LOGITS)) == (
        pytest.approx(mean([math.log(3.0), math.log(4.0)]), rel=1e-6))
    assert value(losses.real_classes_crossentropy_from_logits(SEMI_SUPERVISED_LOGITS)) == (
        pytest.approx(mean([math.log(1.5), math.log(4.0 / 3.0)]), rel=1e-6))
    # Computed with log-sum-exp: huge logits stay finite and exact.
    huge = [[1000.0, 0.0, -1000.0]]
    assert value(losses.real_classes_crossentropy_from_logits(huge)) == pytest.approx(0.0)
    assert value(losses.fake_class_crossentropy_from_logits(huge)) == pytest.approx(2000.0)


def test_feature_matching_loss():
    # Batch means (2, 3) and (1, 1): ‖(1, 2)‖² = 5, for flat or spatial features.
    real, fake = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.0, 0.0], [2.0, 2.0]])
    assert value(losses.feature_matching_loss(real, fake)) == pytest.approx(5.0)
    assert value(losses.feature_matching_loss(real.reshape(2, 1, 1, 2),
                                              fake.reshape(2, 1, 1, 2))) == pytest.approx(5.0)
