"""Adversarial Autoencoder (Makhzani et al., 2015): networks, priors, both schedules against
NumPy, inference, saving and the command line."""

import math

import keras
import numpy as np
import pytest

from keras_gans import aae

import step_checks
from model_checks import assert_generates, assert_keras_round_trip, assert_trains_one_step
from model_checks import layer_types

IMAGE_SHAPE = (28, 28, 1)
SMALL_SHAPE = (8, 8, 1)


def dense_units(network):
    return [layer.units for layer in network.layers if type(layer).__name__ == "Dense"]


def slopes(network):
    return [layer.negative_slope for layer in network.layers
            if type(layer).__name__ == "LeakyReLU"]


def images(count, shape=IMAGE_SHAPE, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (count,) + shape).astype("float32")


def small_model(**options):
    """An AAE on 8×8 images with narrow networks (widths 16), latent size 4."""
    return aae.AAE(
        latent_dim=4, image_shape=SMALL_SHAPE, seed=0,
        encoder=aae.build_encoder(SMALL_SHAPE, 4, (16, 16), options.get("posterior",
                                                                        "deterministic")),
        decoder=aae.build_decoder(4, SMALL_SHAPE, (16, 16)),
        discriminator=aae.build_discriminator(4, (16, 8)), **options)


# --- The paper configuration -------------------------------------------------------------
@pytest.mark.skipif(keras.backend.backend() == "jax", reason="architecture: same on every "
                    "backend; skipped on JAX to save compile time")
def test_networks_follow_the_paper_configuration():
    encoder = aae.build_encoder(IMAGE_SHAPE, 10)
    assert dense_units(encoder) == [512, 512, 10]
    assert layer_types(encoder)[:2] == ["InputLayer", "Flatten"]
    assert encoder.output_shape == (None, 10)
    assert encoder.layers[-1].activation.__name__ == "linear"
    gaussian = aae.build_encoder(IMAGE_SHAPE, 10, posterior="gaussian")
    assert dense_units(gaussian) == [512, 512, 10, 10]
    assert [tuple(output.shape) for output in gaussian.outputs] == [(None, 10), (None, 10)]
    decoder = aae.build_decoder(10, IMAGE_SHAPE)
    assert dense_units(decoder) == [512, 512, 784]
    assert decoder.layers[-2].activation.__name__ == "tanh"
    assert decoder.output_shape == (None,) + IMAGE_SHAPE
    discriminator = aae.build_discriminator(10)
    assert dense_units(discriminator) == [512, 256, 1]
    assert discriminator.input_shape == (None, 10)
    assert discriminator.layers[-1].activation.__name__ == "linear"  # a logit
    for network in (encoder, decoder, discriminator):
        assert slopes(network) == pytest.approx([0.2, 0.2])
        assert "BatchNormalization" not in layer_types(network)
    model = aae.AAE()
    assert (model.latent_dim, model.schedule, model.posterior, model.prior) == (
        10, "two_phase", "deterministic", "normal")
    model.compile()
    assert set(model.player_optimizers) == {"autoencoder_optimizer", "d_optimizer",
                                            "g_optimizer"}
    for optimizer in model.player_optimizers.values():
        assert isinstance(optimizer, keras.optimizers.Adam)
        assert float(optimizer.learning_rate) == pytest.approx(2e-4)
        assert (optimizer.beta_1, optimizer.beta_2) == (0.5, 0.999)
    assert aae.DEFAULTS["batch_size"] == 64 and aae.DEFAULTS["latent_dim"] == 10


def test_mixture_prior_is_ten_gaussians_on_a_circle_in_every_pair_of_dimensions():
    rng = np.random.default_rng(0)
    component_draws, offsets = rng.random((500, 1)), rng.standard_normal((500, 6))
    codes = keras.ops.convert_to_numpy(aae.mixture_of_gaussians(component_draws, offsets))
    component = np.floor(component_draws[:, 0] * 10)
    angle = 2 * np.pi * component / 10
    rotation = np.stack([np.stack([np.cos(angle), -np.sin(angle)], -1),
                         np.stack([np.sin(angle), np.cos(angle)], -1)], 1)  # (n, 2, 2)
    for pair in range(3):
        local = np.stack([1.4 + 0.5 * offsets[:, 2 * pair], 0.05 * offsets[:, 2 * pair + 1]], -1)
        expected = np.einsum("nij,nj->ni", rotation, local)
        np.testing.assert_allclose(codes[:, 2 * pair:2 * pair + 2], expected, atol=1e-5)
    samples = aae.AAE(latent_dim=4, image_shape=SMALL_SHAPE, prior="mixture").sample_inputs(
        4000, seed=3)
    centres = 1.4 * np.stack([np.cos(2 * np.pi * np.arange(10) / 10),
                              np.sin(2 * np.pi * np.arange(10) / 10)], -1)
    nearest = [np.argmin(((samples[:, None, 2 * pair:2 * pair + 2] - centres) ** 2).sum(-1), 1)
               for pair in range(2)]
    # One component per sample, shared by every pair (up to the rare sample whose radial
    # offset carries it nearer another centre); ten components, equally often.
    assert np.mean(nearest[0] == nearest[1]) > 0.97
    shares = np.bincount(nearest[0], minlength=10) / 4000
    assert shares.min() > 0.08 and shares.max() < 0.12
    assert np.all(np.abs(samples.std(axis=0) - 1.05) < 0.05)


def test_settings_that_cannot_work_are_refused_with_a_fix():
    with pytest.raises(ValueError, match="--latent-dim 10"):
        aae.AAE(latent_dim=9, prior="mixture")
    for option, value in (("schedule", "alternate"), ("posterior", "uniform"),
                          ("prior", "laplace")):
        with pytest.raises(ValueError, match=f"Unknown {option}"):
            aae.AAE(**{option: value})
    with pytest.raises(ValueError, match="adversarial_weight"):
        aae.AAE(schedule="joint", adversarial_weight=2.0)
    with pytest.raises(ValueError, match="posterior='gaussian'"):
        aae.AAE(latent_dim=4, image_shape=SMALL_SHAPE, posterior="gaussian",
                encoder=aae.build_encoder(SMALL_SHAPE, 4))
    with pytest.raises(ValueError, match="latent_dim"):
        aae.AAE(latent_dim=4, image_shape=SMALL_SHAPE, decoder=aae.build_decoder(8, SMALL_SHAPE))
    with pytest.raises(ValueError, match="g_optimizer"):
        aae.AAE(latent_dim=4, image_shape=SMALL_SHAPE, schedule="joint").compile(
            autoencoder_optimizer="adam")


# --- One training step, inference, saving -------------------------------------------------
@pytest.fixture(scope="module")
def trained():
    """A two-phase AAE with a Gaussian encoder and the mixture prior, after one fit() step."""
    keras.utils.set_random_seed(0)
    model = small_model(posterior="gaussian", prior="mixture")
    model.compile()
    history = assert_trains_one_step(model, images(16, SMALL_SHAPE), batch_size=8)
    return model, history


def test_trains_one_step_generates_and_round_trips(trained, tmp_path):
    model, history = trained
    assert set(history.history) == {"reconstruction_loss", "d_loss", "g_loss"}
    assert_generates(model, SMALL_SHAPE)
    restored = assert_keras_round_trip(model, str(tmp_path / "aae.keras"))
    assert (restored.posterior, restored.prior, restored.schedule) == (
        "gaussian", "mixture", "two_phase")
    batch = images(5, SMALL_SHAPE, seed=4)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(restored.encode(batch)),
                               keras.ops.convert_to_numpy(model.encode(batch)), atol=1e-6)


def test_inference_methods(trained):
    model, _ = trained
    batch = images(5, SMALL_SHAPE, seed=4)
    codes = keras.ops.convert_to_numpy(model.encode(batch))
    assert codes.shape == (5, 4) and np.all(np.isfinite(codes))
    # The Gaussian encoder's codes at inference are its means: the same every time.
    np.testing.assert_array_equal(codes, keras.ops.convert_to_numpy(model.encode(batch)))
    mean, _ = model.encoder(batch, training=False)
    np.testing.assert_allclose(codes, keras.ops.convert_to_numpy(mean), atol=1e-6)
    decoded = keras.ops.convert_to_numpy(model.decode(codes))
    reconstructed = keras.ops.convert_to_numpy(model.reconstruct(batch))
    np.testing.assert_allclose(reconstructed, decoded, atol=1e-6)
    assert reconstructed.shape == (5,) + SMALL_SHAPE and np.abs(reconstructed).max() <= 1.0
    generated = keras.ops.convert_to_numpy(model.generate(6))
    assert generated.shape == (6,) + SMALL_SHAPE and np.abs(generated).max() <= 1.0
    # Samples draw fresh prior noise each time; sample_inputs is fixed by its seed.
    assert not np.allclose(generated, keras.ops.convert_to_numpy(model.generate(6)))
    np.testing.assert_array_equal(model.sample_inputs(3, seed=7), model.sample_inputs(3, seed=7))
    grid, columns = model.sample_grid(batch)
    assert columns == 2 and grid.shape == (10,) + SMALL_SHAPE
    np.testing.assert_array_equal(grid[0::2], batch)
    np.testing.assert_allclose(grid[1::2], reconstructed, atol=1e-6)


def test_command_line_smoke_run_encode_and_sample(tmp_path):
    run = tmp_path / "run"
    code = aae.main(["--dataset", "shapes", "--image-size", "28", "--smoke", "--out",
                     str(run), "--verbose", "0"])
    assert code == 0
    checkpoint = run / "checkpoints" / "model.keras"
    restored = keras.saving.load_model(checkpoint)
    assert restored.latent_dim == 10 and restored.image_shape == IMAGE_SHAPE
    # The grid shows 16 held-out images (a smoke run's count) beside their reconstructions.
    grid = keras.utils.img_to_array(keras.utils.load_img(run / "samples" / "epoch_0001.png"))
    assert grid.shape[:2] == (16 * 28, 2 * 28)
    codes_file = tmp_path / "codes.npy"
    assert aae.main(["encode", "--checkpoint", str(checkpoint), "--dataset", "shapes",
                     "--image-size", "28", "--limit", "10", "--output", str(codes_file)]) == 0
    codes = np.load(codes_file)
    assert codes.shape == (10, 10)
    assert aae.main(["sample", "--checkpoint", str(checkpoint), "--count", "4", "--output",
                     str(tmp_path / "samples.png")]) == 0


def test_command_line_refuses_an_odd_code_size_for_the_mixture_prior(tmp_path, capsys):
    code = aae.main(["--dataset", "shapes", "--image-size", "28", "--smoke", "--prior",
                     "mixture", "--latent-dim", "9", "--out", str(tmp_path / "run")])
    assert code == 2
    assert "--latent-dim 10" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


# --- The training step against NumPy ------------------------------------------------------
class LinearAAE:
    """The AAE's step in NumPy for a linear encoder, decoder tanh(zA + c) and linear D.

    Each network is a list of NumPy weights (as `step_checks.weights_of` gives them); every
    method returns values and gradients, so the tests can follow each phase's SGD update.
    """

    def __init__(self, images, learning_rate):
        self.x = np.asarray(images, "float64").reshape(len(images), -1)
        self.batch = len(images)
        self.learning_rate = learning_rate

    def codes(self, encoder, noise=None):
        """z and the map from ∂L/∂z to the encoder's gradients."""
        x = self.x
        if len(encoder) == 2:
            kernel, bias = encoder
            return x @ kernel + bias, lambda dz: [x.T @ dz, dz.sum(0)]
        mean, log_variance = step_checks.linear_outputs(encoder, x)
        sigma = np.exp(0.5 * log_variance)

        def backward(dz):
            d_log_variance = dz * noise * sigma * 0.5
            return [x.T @ dz, dz.sum(0), x.T @ d_log_variance, d_log_variance.sum(0)]

        return mean + sigma * noise, backward

    def reconstruction(self, decoder, codes):
        """MSE(tanh(zA + c), x), the decoder's gradients and ∂/∂z."""
        kernel, offset = decoder
        decoded = np.tanh(codes @ kernel + offset)
        error = ((decoded - self.x) ** 2).mean()
        d_pre = 2.0 * (decoded - self.x) / self.x.size * (1.0 - decoded**2)
        return error, [codes.T @ d_pre, d_pre.sum(0)], d_pre @ kernel.T

    def discriminator(self, weights, prior, codes):
        """½[BCE(D(p), 1) + BCE(D(z), 0)] and D's gradients."""
        kernel, bias = weights
        prior_scores, code_scores = step_checks.scores(weights, prior), step_checks.scores(
            weights, codes)
        loss = 0.5 * (step_checks.softplus(-prior_scores).mean()
                      + step_checks.softplus(code_scores).mean())
        d_prior = -0.5 * step_checks.sigmoid(-prior_scores) / self.batch
        d_codes = 0.5 * step_checks.sigmoid(code_scores) / self.batch
        return loss, [prior.T @ d_prior + codes.T @ d_codes, (d_prior.sum() + d_codes.sum(),)]

    def adversarial(self, weights, codes):
        """BCE(D(z), 1) and ∂/∂z."""
        kernel, _ = weights
        scores = step_checks.scores(weights, codes)
        return (step_checks.softplus(-scores).mean(),
                (-step_checks.sigmoid(-scores) / self.batch) @ kernel.T)

    def sgd(self, weights, gradients):
        return [w - self.learning_rate * np.reshape(g, np.shape(w))
                for w, g in zip(weights, gradients, strict=True)]


def mixture(component_draws, offsets):
    """The mixture prior in NumPy: rotate (1.4 + 0.5·n₁, 0.05·n₂) by 2πk/10 in every pair."""
    angle = 2 * np.pi * np.floor(component_draws * 10) / 10
    along, across = 1.4 + 0.5 * offsets[:, 0::2], 0.05 * offsets[:, 1::2]
    codes = np.empty_like(offsets)
    codes[:, 0::2] = along * np.cos(angle) - across * np.sin(angle)
    codes[:, 1::2] = along * np.sin(angle) + across * np.cos(angle)
    return codes


NETWORKS = ("encoder", "decoder", "discriminator")


def linear_model(posterior="deterministic", **options):
    heads = ("codes",) if posterior == "deterministic" else ("mean", "log_variance")
    return aae.AAE(latent_dim=4, image_shape=SMALL_SHAPE, posterior=posterior, seed=5,
                   encoder=step_checks.linear_encoder(SMALL_SHAPE, 4, heads,
                                                      biases=[0.0, -1.0][:len(heads)]),
                   decoder=step_checks.linear_generator(4, SMALL_SHAPE),
                   discriminator=step_checks.linear_discriminator((4,)), **options)


def assert_matches(step, name, expected):
    for actual, wanted in zip(step.after[name], expected, strict=True):
        np.testing.assert_allclose(actual, np.reshape(wanted, actual.shape), rtol=1e-4,
                                   atol=1e-6, err_msg=f"the {name}'s update")


def two_phase_step_matches_numpy(posterior, prior):
    """One two-phase step: logged values and every network's SGD update equal NumPy's."""
    real = step_checks.real_batch(8, SMALL_SHAPE)
    model = linear_model(posterior, prior=prior)
    gaussian = posterior == "gaussian"
    prior_draws = ([("uniform", (8, 1))] if prior == "mixture" else []) + [("normal", (8, 4))]
    draws = ([("normal", (8, 4))] if gaussian else []) + prior_draws + (
        [("normal", (8, 4))] * 2 if gaussian else [])
    step = step_checks.PlayersStep(model, real, draws, NETWORKS,
                                   ("autoencoder_optimizer", "d_optimizer", "g_optimizer"))
    numpy = LinearAAE(real, step.learning_rate)
    noise = iter(step.draws)
    encoder, decoder, discriminator = (step.before[name] for name in NETWORKS)

    # Reconstruction phase.
    reconstruction_noise = next(noise) if gaussian else None
    codes, encoder_backward = numpy.codes(encoder, reconstruction_noise)
    reconstruction_loss, decoder_gradients, d_codes = numpy.reconstruction(decoder, codes)
    encoder_1 = numpy.sgd(encoder, encoder_backward(d_codes))
    decoder_1 = numpy.sgd(decoder, decoder_gradients)
    # Regularisation phase: the discriminator, then the encoder.
    if prior == "mixture":
        prior_codes = mixture(next(noise), next(noise))
    else:
        prior_codes = next(noise)
    held_codes, _ = numpy.codes(encoder_1, next(noise) if gaussian else None)
    d_loss, discriminator_gradients = numpy.discriminator(discriminator, prior_codes, held_codes)
    discriminator_1 = numpy.sgd(discriminator, discriminator_gradients)
    adversarial_noise = next(noise) if gaussian else None
    codes_1, encoder_backward = numpy.codes(encoder_1, adversarial_noise)
    g_loss, d_codes = numpy.adversarial(discriminator_1, codes_1)
    encoder_2 = numpy.sgd(encoder_1, encoder_backward(d_codes))

    for name, value in (("reconstruction_loss", reconstruction_loss), ("d_loss", d_loss),
                        ("g_loss", g_loss)):
        np.testing.assert_allclose(step.logs[name], value, rtol=1e-4, atol=1e-6, err_msg=name)
    assert_matches(step, "decoder", decoder_1)
    assert_matches(step, "discriminator", discriminator_1)
    assert_matches(step, "encoder", encoder_2)
    # Directions: a lower reconstruction error; D separates prior samples (higher scores)
    # from codes (lower) better; the encoder's adversarial update makes its codes look more
    # like prior samples to D.
    codes_after, _ = numpy.codes(encoder_1, reconstruction_noise)
    assert numpy.reconstruction(decoder_1, codes_after)[0] < reconstruction_loss

    def mean_score(weights, points):
        return step_checks.scores(weights, points).mean()

    def gap(weights):
        return mean_score(weights, prior_codes) - mean_score(weights, held_codes)

    assert gap(discriminator_1) > gap(discriminator)
    codes_2, _ = numpy.codes(encoder_2, adversarial_noise)
    assert mean_score(discriminator_1, codes_2) > mean_score(discriminator_1, codes_1)
    return step, encoder, encoder_2


def test_two_phase_step_matches_numpy_and_moves_the_right_way():
    two_phase_step_matches_numpy("deterministic", "normal")


def test_gaussian_encoder_and_mixture_prior_step_matches_numpy():
    step, encoder, encoder_2 = two_phase_step_matches_numpy("gaussian", "mixture")
    # Both heads of the Gaussian encoder learn: the reparameterised noise carries the
    # gradient to the log-variance head.
    for before, after in zip(encoder, encoder_2):
        assert np.abs(after - before).max() > 1e-4


def test_joint_step_matches_numpy_and_round_trips(tmp_path):
    real = step_checks.real_batch(8, SMALL_SHAPE)
    model = linear_model(schedule="joint", adversarial_weight=0.25)
    step = step_checks.PlayersStep(model, real, [("normal", (8, 4))], NETWORKS,
                                   ("d_optimizer", "g_optimizer"))
    numpy = LinearAAE(real, step.learning_rate)
    encoder, decoder, discriminator = (step.before[name] for name in NETWORKS)
    # The discriminator first, on the codes of the encoder before the step.
    codes, encoder_backward = numpy.codes(encoder)
    d_loss, discriminator_gradients = numpy.discriminator(discriminator, step.draws[0], codes)
    discriminator_1 = numpy.sgd(discriminator, discriminator_gradients)
    # Then one update of encoder and decoder on 0.75·MSE + 0.25·BCE(D(z), 1).
    reconstruction_loss, decoder_gradients, d_codes_reconstruction = numpy.reconstruction(
        decoder, codes)
    g_loss, d_codes_adversarial = numpy.adversarial(discriminator_1, codes)
    for name, value in (("reconstruction_loss", reconstruction_loss), ("d_loss", d_loss),
                        ("g_loss", g_loss)):
        np.testing.assert_allclose(step.logs[name], value, rtol=1e-4, atol=1e-6, err_msg=name)
    assert_matches(step, "discriminator", discriminator_1)
    assert_matches(step, "decoder", numpy.sgd(decoder, [0.75 * g for g in decoder_gradients]))
    assert_matches(step, "encoder", numpy.sgd(encoder, encoder_backward(
        0.75 * d_codes_reconstruction + 0.25 * d_codes_adversarial)))
    assert set(model.player_optimizers) == {"d_optimizer", "g_optimizer"}
    restored = assert_keras_round_trip(model, str(tmp_path / "joint.keras"))
    assert (restored.schedule, restored.adversarial_weight) == ("joint", 0.25)
    assert math.isclose(float(restored.g_optimizer.learning_rate), step.learning_rate,
                        rel_tol=1e-6)
