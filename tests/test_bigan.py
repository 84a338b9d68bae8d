"""BiGAN / ALI (Donahue et al., 2016; Dumoulin et al., 2016): the networks, one step, the
inference methods, saving, the command line, and the training step's maths against NumPy."""

import math
import keras
import numpy as np
import pytest

from keras_gans import bigan

import step_checks
from model_checks import assert_generates, assert_keras_round_trip, assert_trains_one_step
from model_checks import layer_types

SMALL_SHAPE = (8, 8, 1)
SMALL_LATENT = 4


def of_type(network, name):
    return [layer for layer in network.layers if type(layer).__name__ == name]


def units(network):
    return [layer.units for layer in of_type(network, "Dense")]


def numpy(tensor):
    return keras.ops.convert_to_numpy(tensor)


@pytest.mark.skipif(keras.backend.backend() == "jax", reason="the layers are the same on every "
                    "backend; building them once (TensorFlow, PyTorch) is enough")
def test_networks_follow_the_paper_configuration():
    generator = bigan.build_generator()
    assert units(generator) == [512, 512, 784]
    assert generator.input_shape == (None, 50) and generator.output_shape == (None, 28, 28, 1)
    assert generator.layers[-2].activation.__name__ == "tanh"
    encoder = bigan.build_encoder()
    assert units(encoder) == [512, 512, 50]
    assert encoder.output_shape == (None, 50)
    for network in (generator, encoder):
        normalizations = of_type(network, "BatchNormalization")
        assert len(normalizations) == 2 and all(n.momentum == 0.8 for n in normalizations)
        assert all(layer.negative_slope == pytest.approx(0.2)
                   for layer in of_type(network, "LeakyReLU"))
        types = layer_types(network)
        # fc → LeakyReLU → BN, twice.
        assert types[types.index("Dense"):][:6] == ["Dense", "LeakyReLU",
                                                    "BatchNormalization"] * 2
    stochastic = bigan.build_encoder(stochastic=True)
    assert stochastic.output_shape == [(None, 50), (None, 50)]
    assert [layer.name for layer in of_type(stochastic, "Dense")[-2:]] == ["mean", "log_sigma"]
    discriminator = bigan.build_discriminator()
    assert discriminator.input_shape == [(None, 28, 28, 1), (None, 50)]
    assert of_type(discriminator, "Concatenate")[0].output.shape == (None, 50 + 784)
    assert units(discriminator) == [1024, 1024, 1024, 1]
    assert [layer.rate for layer in of_type(discriminator, "Dropout")] == [0.5] * 3
    assert "BatchNormalization" not in layer_types(discriminator)
    assert discriminator.layers[-1].activation.__name__ == "linear"  # a logit
    model = bigan.BiGAN()
    assert model.latent_dim == 50 and model.encoder_kind == "deterministic"
    assert units(model.encoder) == [512, 512, 50] and units(model.generator) == [512, 512, 784]
    assert bigan.DEFAULTS["latent_dim"] == 50 and bigan.DEFAULTS["batch_size"] == 64


def test_settings_that_cannot_work_are_refused(tmp_path, capsys):
    assert bigan.main(["--encoder", "gaussian", "--out", str(tmp_path / "run")]) == 2
    assert "--encoder: invalid choice: 'gaussian'" in capsys.readouterr().err
    with pytest.raises(ValueError, match="Unknown encoder 'gaussian'"):
        bigan.BiGAN(encoder="gaussian")
    with pytest.raises(ValueError, match="pass latent_dim=50"):
        bigan.BiGAN(latent_dim=8, image_shape=SMALL_SHAPE,
                    generator=bigan.build_generator(8, SMALL_SHAPE, widths=(4,)),
                    encoder=bigan.build_encoder(SMALL_SHAPE, 50, widths=(4,)),
                    discriminator=bigan.build_discriminator(SMALL_SHAPE, 8, widths=(4,)))
    images = keras.Input(SMALL_SHAPE)
    flat = keras.layers.Flatten()(images)
    three = keras.Model(images, [keras.layers.Dense(4)(flat) for _ in range(3)])
    with pytest.raises(ValueError, match="one or two outputs"):
        bigan.BiGAN(latent_dim=4, image_shape=SMALL_SHAPE, encoder=three)


def small_model(encoder, seed=0):
    """A BiGAN on 8×8 images with narrow networks."""
    return bigan.BiGAN(
        latent_dim=SMALL_LATENT, image_shape=SMALL_SHAPE, seed=seed,
        generator=bigan.build_generator(SMALL_LATENT, SMALL_SHAPE, widths=(16,)),
        encoder=bigan.build_encoder(SMALL_SHAPE, SMALL_LATENT, widths=(16,),
                                    stochastic=encoder == "stochastic"),
        discriminator=bigan.build_discriminator(SMALL_SHAPE, SMALL_LATENT, widths=(16,)))


def small_images(count, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (count,) + SMALL_SHAPE).astype("float32")


@pytest.fixture(scope="module")
def trained():
    """A small ALI (stochastic encoder) after one training step, with its weights before. The
    command-line test trains and reloads the deterministic encoder."""
    keras.utils.set_random_seed(0)
    model = small_model("stochastic")
    model.compile()
    before = [numpy(w).copy() for w in model.trainable_weights]
    assert_trains_one_step(model, small_images(8), batch_size=8)
    return model, before


def test_paper_optimizers(trained):
    model, _ = trained
    for optimizer in (model.g_optimizer, model.d_optimizer):
        assert isinstance(optimizer, keras.optimizers.Adam)
        assert float(optimizer.learning_rate) == pytest.approx(2e-4)
        assert optimizer.beta_1 == 0.5 and optimizer.beta_2 == 0.999
    # One optimizer trains G and E together: it holds slots for both networks' kernels only.
    shapes = {tuple(v.shape) for v in model.g_optimizer.variables}
    assert {(SMALL_LATENT, 16), (64, 16), (16, 64)} <= shapes  # G's and E's first layers
    assert (SMALL_LATENT + 64, 16) not in shapes  # D's first layer


def test_one_step_trains_every_network_generates_and_round_trips(trained, tmp_path):
    model, before = trained
    changed = [not np.array_equal(old, numpy(new))
               for old, new in zip(before, model.trainable_weights, strict=True)]
    assert all(changed)
    assert_generates(model, SMALL_SHAPE)
    restored = assert_keras_round_trip(model, str(tmp_path / "bigan.keras"))
    assert restored.encoder_kind == model.encoder_kind and restored.latent_dim == SMALL_LATENT
    images = small_images(3, seed=1)
    np.testing.assert_allclose(numpy(restored.encode(images)), numpy(model.encode(images)),
                               atol=1e-6)


def test_inference_methods(trained):
    model, _ = trained
    images = small_images(5, seed=2)
    codes = numpy(model.encode(images))
    assert codes.shape == (5, SMALL_LATENT) and np.all(np.isfinite(codes))
    np.testing.assert_array_equal(codes, numpy(model.encode(images)))  # deterministic
    # The mean of q(z | x), not a sample.
    np.testing.assert_array_equal(codes, numpy(model.encoder(images)[0]))
    reconstructions = numpy(model.reconstruct(images))
    assert reconstructions.shape == images.shape
    assert reconstructions.min() >= -1 and reconstructions.max() <= 1
    np.testing.assert_allclose(reconstructions, numpy(model.decode(codes)), atol=1e-6)
    np.testing.assert_allclose(numpy(model.decode(codes)), numpy(model(codes)), atol=1e-6)
    generated = [numpy(model.generate(4)) for _ in range(2)]
    assert generated[0].shape == (4,) + SMALL_SHAPE and np.abs(generated[0]).max() <= 1
    assert not np.allclose(generated[0], generated[1])  # fresh noise each call
    latent = model.sample_inputs(6, seed=3)
    assert latent.shape == (6, SMALL_LATENT) and np.abs(latent).max() <= 1
    np.testing.assert_array_equal(latent, model.sample_inputs(6, seed=3))
    assert not np.array_equal(latent, model.sample_inputs(6, seed=4))


def test_sample_grid_shows_each_input_beside_its_reconstruction(trained):
    model, _ = trained
    images = small_images(16, seed=4)
    grid, columns = model.sample_grid(images)
    assert grid.shape == (32,) + SMALL_SHAPE and columns == 8  # 4 pairs a row, 4 rows
    np.testing.assert_array_equal(grid[0::2], images)
    np.testing.assert_allclose(grid[1::2], numpy(model.reconstruct(images)), atol=1e-6)


def test_command_line_smoke_run(tmp_path):
    code = bigan.main(["--dataset", "shapes", "--image-size", "28", "--smoke", "--out",
                       str(tmp_path), "--verbose", "0"])
    assert code == 0
    checkpoint = tmp_path / "checkpoints" / "model.keras"
    assert checkpoint.exists() and (tmp_path / "samples" / "epoch_0001.png").exists()
    restored = keras.saving.load_model(checkpoint)
    assert restored.encoder_kind == "deterministic" and restored.latent_dim == 50
    # The `encode` subcommand writes the codes of a dataset.
    codes = tmp_path / "codes.npy"
    assert bigan.main(["encode", "--checkpoint", str(checkpoint), "--dataset", "shapes",
                       "--image-size", "28", "--limit", "8", "--output", str(codes)]) == 0
    assert np.load(codes).shape == (8, 50)


# --- The training step's values, the encoder's gradient and every update's direction -------
def uniform_prior(draw):
    """The model's z ~ U[−1, 1] from the replayed U[0, 1) draw."""
    return 2.0 * draw - 1.0


def deterministic_codes(weights, images, draws, step):
    return step_checks.encoded(weights, images)


def stochastic_codes(weights, images, draws, step):
    """μ(x) + σ(x)·ε with the step's ε: draws are z, ε of the D step, then z, ε of G's."""
    mean, log_sigma = step_checks.encoded(weights, images)
    return mean + np.exp(log_sigma) * draws[2 * step + 1]


@pytest.mark.parametrize("encoder", bigan.ENCODERS)
def test_step_matches_numpy_and_moves_every_network_the_right_way(encoder):
    batch, stochastic = 8, encoder == "stochastic"
    model = bigan.BiGAN(
        latent_dim=SMALL_LATENT, image_shape=SMALL_SHAPE, seed=3,
        generator=step_checks.linear_generator(SMALL_LATENT, SMALL_SHAPE),
        encoder=step_checks.linear_encoder(
            SMALL_SHAPE, SMALL_LATENT, heads=("mean", "log_sigma") if stochastic else ("codes",),
            scale=0.3, biases=[0.0, math.log(0.5)] if stochastic else None),
        discriminator=step_checks.linear_joint_discriminator(SMALL_SHAPE, SMALL_LATENT))
    prior = ("uniform", (batch, SMALL_LATENT))
    noise = [("normal", (batch, SMALL_LATENT))] if stochastic else []
    draws = [prior, *noise, prior, *noise]
    step_checks.assert_joint_step_matches_numpy(
        model, step_checks.real_batch(batch, SMALL_SHAPE),
        step_checks.cross_entropy_discriminator_loss, step_checks.bidirectional_generator_loss,
        draws, latents=lambda d: (uniform_prior(d[0]), uniform_prior(d[len(d) // 2])),
        codes=stochastic_codes if stochastic else deterministic_codes)
