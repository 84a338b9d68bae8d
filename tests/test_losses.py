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
