"""DCGAN (Radford et al., 2015): the paper's architecture rules, sizes, one step, saving."""

import keras
import numpy as np
import pytest

from keras_gans import dcgan

import step_checks
from model_checks import assert_generates, assert_keras_round_trip, assert_trains_one_step
from model_checks import layer_types


def channels_of(network, layer_type):
    return [layer.filters for layer in network.layers if type(layer).__name__ == layer_type]


@pytest.mark.parametrize(
    "size, generator_widths, discriminator_widths, start",
    [(32, [128, 64, 1], [64, 128, 256], 4), (64, [256, 128, 64, 1], [64, 128, 256, 512], 4),
     (28, [64, 1], [64, 128], 7)],
)
def test_architecture_per_image_size(size, generator_widths, discriminator_widths, start):
    generator = dcgan.build_generator(100, (size, size, 1))
    assert channels_of(generator, "Conv2DTranspose") == generator_widths
    assert generator.layers[1].units == start * start * generator_widths[0] * 2
    assert generator.output_shape == (None, size, size, 1)
    discriminator = dcgan.build_discriminator((size, size, 1))
    assert channels_of(discriminator, "Conv2D") == discriminator_widths
    assert discriminator.output_shape == (None, 1)


def test_paper_rules():
    generator = dcgan.build_generator(100, (32, 32, 3))
    discriminator = dcgan.build_discriminator((32, 32, 3))
    types = layer_types(generator)
    # Batch norm after every hidden layer of G, none after its output layer.
    assert types.count("BatchNormalization") == 3
    assert types[-2:] == ["Conv2DTranspose", "Activation"]
    assert generator.layers[-1].activation.__name__ == "tanh"
    # No batch norm on D's input layer; batch norm on every later convolution.
    discriminator_types = layer_types(discriminator)
    assert discriminator_types[1:3] == ["Conv2D", "LeakyReLU"]
    assert discriminator_types.count("BatchNormalization") == 2
    for layer in generator.layers + discriminator.layers:
        if type(layer).__name__ == "BatchNormalization":
            assert layer.momentum == 0.9 and layer.epsilon == 1e-5
        if type(layer).__name__ in ("Conv2D", "Conv2DTranspose"):
            assert layer.strides == (2, 2) and layer.kernel_size == (4, 4)
    kernels = np.concatenate([keras.ops.convert_to_numpy(layer.kernel).ravel()
                              for layer in generator.layers if hasattr(layer, "kernel")])
    assert abs(kernels.std() - 0.02) < 0.002


def test_theano_kernel_size():
    generator = dcgan.build_generator(100, (32, 32, 1), kernel_size=5)
    assert all(layer.kernel_size == (5, 5) for layer in generator.layers
               if type(layer).__name__ == "Conv2DTranspose")


@pytest.mark.parametrize("image_shape", [(30, 30, 1), (32, 16, 1), (9, 9, 1)])
def test_unsupported_sizes_are_refused_with_a_fix(image_shape):
    with pytest.raises(ValueError, match="--image-size"):
        dcgan.DCGAN(image_shape=image_shape)


def test_trains_one_step_generates_and_round_trips(tmp_path):
    image_shape = (32, 32, 1)
    model = dcgan.DCGAN(image_shape=image_shape, seed=0)
    model.compile()
    images = np.random.default_rng(0).uniform(-1, 1, (8,) + image_shape).astype("float32")
    assert_trains_one_step(model, images, batch_size=8)
    assert_generates(model, image_shape)
    restored = assert_keras_round_trip(model, str(tmp_path / "dcgan.keras"))
    assert restored.kernel_size == 4


def test_step_matches_numpy_and_moves_the_right_way():
    shape = (8, 8, 1)
    model = dcgan.DCGAN(latent_dim=4, image_shape=shape,
                        generator=step_checks.linear_generator(4, shape),
                        discriminator=step_checks.linear_discriminator(shape), seed=3)
    step_checks.assert_step_matches_numpy(
        model, step_checks.real_batch(8, shape), step_checks.cross_entropy_discriminator_loss,
        step_checks.nonsaturating_generator_loss, draws=step_checks.gan_draws(8, 4))
