"""VAE-GAN (Larsen et al., 2016): the paper's networks and layer l, one step, inference, saving,
the command line, and the step's losses, updates and equilibrium gate against NumPy."""

import keras
import numpy as np
import pytest

from keras_gans import vaegan

import step_checks
from model_checks import assert_generates, assert_keras_round_trip, assert_trains_one_step
from model_checks import layer_types

SMALL_SHAPE = (16, 16, 1)
# 16-pixel images (one stride-2 stage) with every width divided by 16: a fast real model.
SMALL_DIVISOR = 16


def images(count, shape=SMALL_SHAPE, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (count,) + shape).astype("float32")


def of_type(network, name):
    return [layer for layer in network.layers if type(layer).__name__ == name]


def output_sizes(layers_):
    return [layer.output.shape[1] for layer in layers_]


# --- 1. The paper's networks ----------------------------------------------------------------
def test_networks_of_the_paper_at_64_pixels():
    shape = (64, 64, 3)
    encoder = vaegan.build_encoder(shape, 128)
    convolutions = of_type(encoder, "Conv2D")
    assert [layer.filters for layer in convolutions] == [64, 128, 256]
    assert output_sizes(convolutions) == [32, 16, 8]
    assert all(layer.kernel_size == (5, 5) and layer.strides == (2, 2) and not layer.use_bias
               for layer in convolutions)
    assert [layer.units for layer in of_type(encoder, "Dense")] == [1024, 128, 128]
    assert layer_types(encoder).count("BatchNormalization") == 4
    assert [tuple(output.shape) for output in encoder.outputs] == [(None, 128), (None, 128)]

    decoder = vaegan.build_decoder(128, shape)
    assert of_type(decoder, "Dense")[0].units == 8 * 8 * 256
    transposed = of_type(decoder, "Conv2DTranspose")
    assert [layer.filters for layer in transposed] == [256, 128, 32]
    assert output_sizes(transposed) == [16, 32, 64]
    last = of_type(decoder, "Conv2D")[-1]
    assert (last.filters, last.kernel_size, last.strides) == (3, (5, 5), (1, 1))
    assert decoder.layers[-1].activation.__name__ == "tanh"
    assert decoder.output_shape == (None, 64, 64, 3)

    discriminator = vaegan.build_discriminator(shape)
    convolutions = of_type(discriminator, "Conv2D")
    assert [layer.filters for layer in convolutions] == [32, 128, 256, 256]
    assert [layer.strides for layer in convolutions] == [(1, 1)] + [(2, 2)] * 3
    assert [layer.units for layer in of_type(discriminator, "Dense")] == [512, 1]
    types = layer_types(discriminator)
    assert types[1:3] == ["Conv2D", "ReLU"]  # no batch norm on the input layer
    assert types.count("BatchNormalization") == 4
    # Layer l: the fourth convolution's output, before its batch norm (recon_depth=9).
    similarity = discriminator.get_layer("similarity_layer")
    assert similarity is convolutions[3]
    assert discriminator.get_layer("features").input is similarity.output
    readers = [layer for layer in discriminator.layers if layer.input is similarity.output]
    assert sorted(type(layer).__name__ for layer in readers) == [
        "Activation", "BatchNormalization"]
    logits, features = discriminator.outputs
    assert tuple(logits.shape) == (None, 1) and tuple(features.shape) == (None, 8, 8, 256)
    assert all(type(layer).__name__ != "Activation" or layer.activation.__name__ != "sigmoid"
               for layer in discriminator.layers)


def test_offline_networks_at_32_pixels_keep_the_8x8_bottleneck_and_layer_l():
    shape = (32, 32, 1)
    encoder = vaegan.build_encoder(shape, 32)
    assert [layer.filters for layer in of_type(encoder, "Conv2D")] == [64, 128]
    assert output_sizes(of_type(encoder, "Conv2D")) == [16, 8]
    decoder = vaegan.build_decoder(32, shape)
    assert [layer.filters for layer in of_type(decoder, "Conv2DTranspose")] == [128, 32]
    assert output_sizes(of_type(decoder, "Conv2DTranspose")) == [16, 32]
    discriminator = vaegan.build_discriminator(shape)
    convolutions = of_type(discriminator, "Conv2D")
    assert [layer.filters for layer in convolutions] == [32, 128, 256]
    assert discriminator.get_layer("similarity_layer") is convolutions[2]
    assert tuple(discriminator.outputs[1].shape) == (None, 8, 8, 256)
    narrow = vaegan.paper_widths(shape, width_divisor=4)
    assert narrow == dict(encoder_widths=(16, 32), encoder_units=256, decoder_widths=(32, 8),
                          decoder_channels=64, discriminator_widths=(32, 64),
                          discriminator_filters=8, discriminator_units=128)


def test_sizes_and_networks_that_cannot_work_are_refused_with_a_fix():
    with pytest.raises(ValueError, match="--image-size 32 or 64"):
        vaegan.VAEGAN(image_shape=(28, 28, 1))
    with pytest.raises(ValueError, match="--image-size"):
        vaegan.VAEGAN(image_shape=(32, 16, 1))
    small = vaegan.paper_widths(SMALL_SHAPE, SMALL_DIVISOR)
    decoder = vaegan.build_decoder(8, SMALL_SHAPE, small["decoder_widths"], 4)
    discriminator = vaegan.build_discriminator(SMALL_SHAPE, (4,), 2, 4)
    with pytest.raises(ValueError, match="encoder must return"):
        vaegan.VAEGAN(4, SMALL_SHAPE, decoder=decoder, discriminator=discriminator,
                      encoder=vaegan.build_encoder(SMALL_SHAPE, 8, (2,), 4))
    with pytest.raises(ValueError, match="decoder must map"):
        vaegan.VAEGAN(8, (16, 16, 3), encoder=vaegan.build_encoder((16, 16, 3), 8, (2,), 4),
                      decoder=decoder, discriminator=discriminator)
    with pytest.raises(ValueError, match=r"logits, features"):
        vaegan.VAEGAN(4, (8, 8, 1), encoder=step_checks.linear_two_head_encoder((8, 8, 1), 4),
                      decoder=step_checks.linear_generator(4, (8, 8, 1)),
                      discriminator=step_checks.linear_discriminator((8, 8, 1)))
    with pytest.raises(ValueError, match="2 stride-2 stage"):
        vaegan.build_encoder((32, 32, 1), 8, (4,))


def test_paper_defaults():
    model = vaegan.VAEGAN(image_shape=SMALL_SHAPE, width_divisor=SMALL_DIVISOR)
    model.compile()
    assert (model.latent_dim, model.likelihood_weight, model.equilibrium, model.margin) == (
        32, 1e-6, 0.68, 0.35)
    for optimizer in (model.e_optimizer, model.g_optimizer, model.d_optimizer):
        assert isinstance(optimizer, keras.optimizers.RMSprop)
        assert float(optimizer.learning_rate) == pytest.approx(3e-4)
    assert model.generator is model.decoder
    assert vaegan.DEFAULTS["batch_size"] == 64 and vaegan.GRID_INPUTS == "images"


# --- 2. One step, inference, saving ---------------------------------------------------------
@pytest.fixture(scope="module")
def trained():
    keras.utils.set_random_seed(0)
    # No equilibrium gate, so that every player steps (the gate has its own tests below).
    model = vaegan.VAEGAN(latent_dim=8, image_shape=SMALL_SHAPE, width_divisor=SMALL_DIVISOR,
                          margin=None, seed=0)
    model.compile()
    history = assert_trains_one_step(model, images(8), batch_size=8)
    return model, history


def test_trains_one_step_generates_and_round_trips(trained, tmp_path):
    model, history = trained
    assert (history.history["d_updated"][-1], history.history["g_updated"][-1]) == (1.0, 1.0)
    assert history.history["e_loss"][-1] == pytest.approx(
        history.history["prior_loss"][-1] + history.history["likelihood_loss"][-1], rel=1e-4)
    assert_generates(model, SMALL_SHAPE)
    restored = assert_keras_round_trip(model, str(tmp_path / "vaegan.keras"))
    assert (restored.width_divisor, restored.likelihood_weight, restored.margin) == (
        SMALL_DIVISOR, 1e-6, None)
    batch = images(3, seed=5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(restored.reconstruct(batch)),
                               keras.ops.convert_to_numpy(model.reconstruct(batch)), atol=1e-6)


def test_inference_methods(trained):
    model, _ = trained
    batch = images(4, seed=1)
    codes = keras.ops.convert_to_numpy(model.encode(batch))
    assert codes.shape == (4, 8) and np.all(np.isfinite(codes))
    np.testing.assert_array_equal(codes, keras.ops.convert_to_numpy(model.encode(batch)))
    decoded = keras.ops.convert_to_numpy(model.decode(codes))
    assert decoded.shape == (4,) + SMALL_SHAPE
    assert decoded.min() >= -1.0 and decoded.max() <= 1.0
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model.reconstruct(batch)), decoded,
                               atol=1e-6)
    samples = keras.ops.convert_to_numpy(model.generate(5))
    assert samples.shape == (5,) + SMALL_SHAPE and np.abs(samples).max() <= 1.0
    np.testing.assert_array_equal(model.sample_inputs(3, seed=4), model.sample_inputs(3, seed=4))
    grid, columns = model.sample_grid(batch)
    assert columns == 4 and grid.shape == (8,) + SMALL_SHAPE  # two pairs per row
    np.testing.assert_array_equal(grid[0::2], batch)
    np.testing.assert_allclose(grid[1::2], decoded, atol=1e-6)


# --- 3. The command line --------------------------------------------------------------------
def test_command_line_smoke_run(tmp_path):
    out = tmp_path / "run"
    code = vaegan.main(["--dataset", "shapes", "--image-size", "16", "--width-divisor", "16",
                        "--likelihood-weight", "0.001", "--smoke", "--out", str(out),
                        "--verbose", "0"])
    assert code == 0
    assert (out / "checkpoints" / "model.keras").exists()
    assert (out / "samples" / "epoch_0001.png").exists()
    checkpoint = str(out / "checkpoints" / "model.keras")
    restored = keras.saving.load_model(checkpoint)
    assert (restored.likelihood_weight, restored.width_divisor) == (0.001, 16)
    assert isinstance(restored.e_optimizer, keras.optimizers.RMSprop)
    # `encode` writes the codes μ of a dataset; `sample` decodes prior samples.
    codes = tmp_path / "codes.npy"
    assert vaegan.main(["encode", "--checkpoint", checkpoint, "--dataset", "shapes",
                        "--image-size", "16", "--limit", "10", "--output", str(codes)]) == 0
    assert np.load(codes).shape == (10, restored.latent_dim)
    assert vaegan.main(["sample", "--checkpoint", checkpoint, "--count", "4", "--output",
                        str(tmp_path / "samples.png")]) == 0
    assert (tmp_path / "samples.png").exists()


def test_command_line_refuses_an_impossible_size(tmp_path, capsys):
    code = vaegan.main(["--dataset", "shapes", "--image-size", "28", "--smoke", "--out",
                        str(tmp_path / "run"), "--verbose", "0"])
    assert code == 2
    assert "pass --image-size 32 or 64" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


# --- 4. The step's losses and updates against NumPy -----------------------------------------
NUMPY_SHAPE, LATENT, BATCH = (4, 4, 1), 2, 6
PLAYERS = {"e_optimizer": "encoder", "d_optimizer": "discriminator", "g_optimizer": "decoder"}


def linear_model(likelihood_weight=0.5, discriminator_bias=0.1, **options):
    """VAE-GAN on networks NumPy follows: linear encoder and features, tanh-linear decoder."""
    return vaegan.VAEGAN(
        latent_dim=LATENT, image_shape=NUMPY_SHAPE, likelihood_weight=likelihood_weight,
        encoder=step_checks.linear_two_head_encoder(NUMPY_SHAPE, LATENT),
        decoder=step_checks.linear_generator(LATENT, NUMPY_SHAPE),
        discriminator=step_checks.linear_feature_discriminator(NUMPY_SHAPE,
                                                               bias=discriminator_bias),
        seed=3, **options)


def vaegan_draws():
    """The step's draws: prior codes, the reparameterization noise ε, fresh prior codes."""
    return [("normal", (BATCH, LATENT))] * 3


def kl_divergence(mean, log_variance):
    return (-0.5 * (1 + log_variance - mean**2 - np.exp(log_variance)).sum(axis=1)).mean()


def feature_error(features, targets):
    return (0.5 * ((features - targets) ** 2).sum(axis=1)).mean()


class NumpyVAEGAN:
    """The VAE-GAN step in NumPy, at the weights of a `PlayersStep` and its replayed draws."""

    def __init__(self, step, real, likelihood_weight):
        self.step, self.real, self.likelihood_weight = step, real, likelihood_weight
        self.prior, self.noise, self.fresh_prior = step.draws

    def decode(self, decoder, codes):
        return step_checks.generated(decoder, codes, NUMPY_SHAPE)

    def codes(self, encoder):
        mean, log_variance = step_checks.two_head_encoded(encoder, self.real)
        return mean + np.exp(0.5 * log_variance) * self.noise

    def fakes(self, encoder, decoder, prior):
        """Reconstructions and decoded prior samples, as one batch."""
        return np.concatenate([self.decode(decoder, self.codes(encoder)),
                               self.decode(decoder, prior)])

    def encoder_losses(self, encoder):
        """(L_prior, L_llike) at the weights before the step, for these encoder weights."""
        discriminator = self.step.before["discriminator"]
        mean, log_variance = step_checks.two_head_encoded(encoder, self.real)
        reconstructions = self.decode(self.step.before["decoder"], self.codes(encoder))
        _, real_features = step_checks.judged(discriminator, self.real)
        _, fake_features = step_checks.judged(discriminator, reconstructions)
        return kl_divergence(mean, log_variance), feature_error(fake_features, real_features)

    def costs(self, discriminator):
        """D's costs on the real batch and on the fakes of the encoder's step."""
        fakes = self.fakes(self.step.before["encoder"], self.step.before["decoder"], self.prior)
        real_logits, _ = step_checks.judged(discriminator, self.real)
        fake_logits, _ = step_checks.judged(discriminator, fakes)
        return step_checks.softplus(-real_logits).mean(), step_checks.softplus(fake_logits).mean()

    def discriminator_loss(self, discriminator):
        return 0.5 * sum(self.costs(discriminator))

    def decoder_loss(self, decoder):
        """γ·L_llike + the non-saturating loss, through D after its step, with fresh prior."""
        discriminator = self.step.after["discriminator"]
        fakes = self.fakes(self.step.before["encoder"], decoder, self.fresh_prior)
        fake_logits, fake_features = step_checks.judged(discriminator, fakes)
        _, real_features = step_checks.judged(discriminator, self.real)
        return (self.likelihood_weight * feature_error(fake_features[:BATCH], real_features)
                + step_checks.softplus(-fake_logits).mean())


def test_step_matches_numpy_and_every_term_reaches_its_network():
    real = step_checks.real_batch(BATCH, NUMPY_SHAPE)
    step = step_checks.PlayerWeightsStep(linear_model(likelihood_weight=0.5), real, vaegan_draws(),
                                   PLAYERS)
    numpy_step = NumpyVAEGAN(step, real, likelihood_weight=0.5)
    prior_loss, likelihood_loss = numpy_step.encoder_losses(step.before["encoder"])
    real_cost, fake_cost = numpy_step.costs(step.before["discriminator"])
    assert 0.33 < min(real_cost, fake_cost) and max(real_cost, fake_cost) < 1.03  # both train
    expected = dict(prior_loss=prior_loss, likelihood_loss=likelihood_loss,
                    e_loss=prior_loss + likelihood_loss, real_cost=real_cost, fake_cost=fake_cost,
                    d_loss=0.5 * (real_cost + fake_cost),
                    g_loss=numpy_step.decoder_loss(step.before["decoder"]),
                    d_updated=1.0, g_updated=1.0)
    for name, value in expected.items():
        np.testing.assert_allclose(step.logs[name], value, rtol=1e-4, atol=1e-6, err_msg=name)

    # Each player moved by SGD on its own loss only: the encoder on L_prior + L_llike (no GAN
    # term), D on the cross-entropy, the decoder on γ·L_llike + its GAN loss.
    step.assert_sgd_update("encoder", lambda weights: sum(numpy_step.encoder_losses(weights)))
    step.assert_sgd_update("discriminator", numpy_step.discriminator_loss)
    step.assert_sgd_update("decoder", numpy_step.decoder_loss)
    # The decoder's check sees L_llike: without it, the gradient would differ by far more than
    # the check's tolerance.
    without_likelihood = NumpyVAEGAN(step, real, likelihood_weight=0.0)
    gradients = [step_checks.numerical_gradients(loss, step.before["decoder"])
                 for loss in (numpy_step.decoder_loss, without_likelihood.decoder_loss)]
    assert max(np.abs(a - b).max() / np.abs(a).max() for a, b in zip(*gradients)) > 0.05

    # And the right way: D rates real images higher and the fakes lower, the decoder's fresh
    # fakes look more real to the updated D, the encoder's loss falls.
    before, after = step.before["discriminator"], step.after["discriminator"]
    fakes = numpy_step.fakes(step.before["encoder"], step.before["decoder"], numpy_step.prior)
    assert step_checks.judged(after, real)[0].mean() > step_checks.judged(before, real)[0].mean()
    assert step_checks.judged(after, fakes)[0].mean() < step_checks.judged(before, fakes)[0].mean()
    assert numpy_step.decoder_loss(step.after["decoder"]) < expected["g_loss"]
    assert sum(numpy_step.encoder_losses(step.after["encoder"])) < expected["e_loss"]


@pytest.mark.parametrize("case, options, d_trains, g_trains", [
    # D's costs (about 0.6) are below 2 − 0.35: D is too strong and pauses.
    ("discriminator too strong", dict(equilibrium=2.0), False, True),
    # ... and above 0.1 + 0.35: D is too weak, the decoder pauses.
    ("discriminator too weak", dict(equilibrium=0.1), True, False),
    # A bias of 3 makes D's real cost about 0.05 and its fake cost about 3: both train.
    ("too strong and too weak", dict(discriminator_bias=3.0), True, True),
])
def test_equilibrium_gate_skips_the_right_update(case, options, d_trains, g_trains):
    real = step_checks.real_batch(BATCH, NUMPY_SHAPE)
    step = step_checks.PlayerWeightsStep(linear_model(**options), real, vaegan_draws(), PLAYERS)
    assert step.moved("encoder")
    assert step.moved("discriminator") == d_trains
    assert step.moved("decoder") == g_trains
    assert step.iterations == {"e_optimizer": 1, "d_optimizer": int(d_trains),
                               "g_optimizer": int(g_trains)}
    assert (step.logs["d_updated"], step.logs["g_updated"]) == (float(d_trains), float(g_trains))
