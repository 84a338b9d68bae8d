"""Tests of keras_gans.layers against NumPy references, on whichever backend KERAS_BACKEND names."""

import keras
import numpy as np
import pytest
from keras.src.backend.common.stateless_scope import StatelessScope

from keras_gans.layers import (
    AdaIN,
    InstanceNormalization,
    ReflectionPadding2D,
    SpectralNormalization,
)

to_numpy = keras.ops.convert_to_numpy


@pytest.fixture(autouse=True)
def seed():
    keras.utils.set_random_seed(0)


def random_array(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def assert_config_round_trip(layer):
    """Rebuilding `layer` from its config gives a layer with the same config."""
    config = layer.get_config()
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == config


# ----------------------------------------------------------------------------------------------
# InstanceNormalization
# ----------------------------------------------------------------------------------------------
def numpy_instance_normalize(images, epsilon=1e-5):
    mean = images.mean(axis=(1, 2), keepdims=True)
    variance = images.var(axis=(1, 2), keepdims=True)
    return (images - mean) / np.sqrt(variance + epsilon)


def test_instance_normalization_matches_numpy():
    images = 3.0 * random_array(2, 5, 6, 3) + 1.0
    outputs = to_numpy(InstanceNormalization()(images))
    np.testing.assert_allclose(outputs, numpy_instance_normalize(images), atol=1e-5)
    np.testing.assert_allclose(outputs.mean(axis=(1, 2)), 0.0, atol=1e-5)
    np.testing.assert_allclose(outputs.std(axis=(1, 2)), 1.0, atol=1e-3)


def test_instance_normalization_affine_weights():
    layer = InstanceNormalization(affine=True)
    images = random_array(2, 4, 4, 3)
    layer.build(images.shape)
    np.testing.assert_array_equal(to_numpy(layer.gamma), np.ones(3))
    np.testing.assert_array_equal(to_numpy(layer.beta), np.zeros(3))
    gamma, beta = np.array([1.0, 2.0, -0.5]), np.array([0.0, 0.5, 3.0])
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    expected = numpy_instance_normalize(images) * gamma + beta
    np.testing.assert_allclose(to_numpy(layer(images)), expected, atol=1e-5)
    assert len(layer.trainable_weights) == 2
    assert not InstanceNormalization().trainable_weights


def test_instance_normalization_shapes_and_config():
    inputs = keras.Input((None, None, 3))
    assert InstanceNormalization(affine=True)(inputs).shape == (None, None, None, 3)
    assert_config_round_trip(InstanceNormalization(epsilon=1e-3, affine=True))


def test_instance_normalization_bad_arguments():
    with pytest.raises(ValueError, match="Received: epsilon=0"):
        InstanceNormalization(epsilon=0)
    with pytest.raises(ValueError, match="channel"):
        InstanceNormalization(affine=True)(keras.Input((4, 4, None)))


# ----------------------------------------------------------------------------------------------
# ReflectionPadding2D
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("padding, pads", [(1, (1, 1)), ((2, 3), (2, 3)), ((0, 1), (0, 1))])
def test_reflection_padding_matches_numpy(padding, pads):
    images = random_array(2, 4, 5, 3)
    outputs = to_numpy(ReflectionPadding2D(padding)(images))
    pad_height, pad_width = pads
    widths = [(0, 0), (pad_height, pad_height), (pad_width, pad_width), (0, 0)]
    np.testing.assert_array_equal(outputs, np.pad(images, widths, mode="reflect"))


def test_reflection_padding_shapes_and_config():
    layer = ReflectionPadding2D((1, 2))
    assert layer.compute_output_shape((None, None, 7, 3)) == (None, None, 11, 3)
    assert layer(keras.Input((5, None, 3))).shape == (None, 7, None, 3)
    assert_config_round_trip(layer)


@pytest.mark.parametrize("padding", [-1, (1, 2, 3), (1, -2), 1.5, "1", None])
def test_reflection_padding_bad_arguments(padding):
    with pytest.raises(ValueError, match="Received: padding="):
        ReflectionPadding2D(padding)


def test_reflection_padding_larger_than_image():
    with pytest.raises(ValueError, match="less than"):
        ReflectionPadding2D(3)(random_array(1, 3, 8, 1))


# ----------------------------------------------------------------------------------------------
# AdaIN
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("form", ["scale_shift", "modulation"])
def test_adain_matches_numpy(form):
    content = 2.0 * random_array(2, 4, 5, 3) - 1.0
    style = random_array(2, 6, seed=1)
    scale, shift = style[:, None, None, :3], style[:, None, None, 3:]
    if form == "modulation":
        scale = 1.0 + scale
    expected = numpy_instance_normalize(content) * scale + shift
    outputs = to_numpy(AdaIN(form=form)([content, style]))
    np.testing.assert_allclose(outputs, expected, atol=1e-5)


def test_adain_modulation_with_zero_style_is_instance_norm():
    content = random_array(2, 4, 4, 3)
    outputs = AdaIN(form="modulation")([content, np.zeros((2, 6), "float32")])
    np.testing.assert_allclose(to_numpy(outputs), numpy_instance_normalize(content), atol=1e-5)


def test_adain_shapes_and_config():
    outputs = AdaIN()([keras.Input((None, None, 8)), keras.Input((16,))])
    assert outputs.shape == (None, None, None, 8)
    assert_config_round_trip(AdaIN(form="modulation", epsilon=1e-6))


def test_adain_bad_arguments():
    with pytest.raises(ValueError, match="Received: form='adaptive'"):
        AdaIN(form="adaptive")
    with pytest.raises(ValueError, match="Received: epsilon=-1"):
        AdaIN(epsilon=-1)
    with pytest.raises(ValueError, match="2 \\* channels"):
        AdaIN()([random_array(2, 4, 4, 3), random_array(2, 3)])


# ----------------------------------------------------------------------------------------------
# SpectralNormalization
# ----------------------------------------------------------------------------------------------
def numpy_normalize(vector):
    return vector / max(np.linalg.norm(vector), 1e-12)


def numpy_weight_matrix(kernel, output_axis):
    """The kernel as a matrix with one row per output channel, as the layer reshapes it."""
    return np.moveaxis(kernel, output_axis, 0).reshape(kernel.shape[output_axis], -1)


def numpy_conv(images, kernel):
    """Stride-1 "valid" cross-correlation with a (kh, kw, in, out) kernel."""
    kernel_height, kernel_width = kernel.shape[:2]
    height = images.shape[1] - kernel_height + 1
    width = images.shape[2] - kernel_width + 1
    outputs = 0.0
    for row in range(kernel_height):
        for column in range(kernel_width):
            patch = images[:, row : row + height, column : column + width]
            outputs = outputs + patch @ kernel[row, column]
    return outputs


def numpy_conv_transpose(images, kernel):
    """Stride-1 "valid" transposed convolution with a (kh, kw, out, in) kernel."""
    kernel_height, kernel_width, channels = kernel.shape[:3]
    batch, height, width = images.shape[:3]
    outputs = np.zeros((batch, height + kernel_height - 1, width + kernel_width - 1, channels))
    for row in range(kernel_height):
        for column in range(kernel_width):
            outputs[:, row : row + height, column : column + width] += (
                images @ kernel[row, column].T
            )
    return outputs


# (layer factory, input, output axis of the kernel, NumPy forward pass given kernel and bias)
SPECTRAL_CASES = {
    "dense": (
        lambda: keras.layers.Dense(4, activation="tanh", bias_initializer="random_normal"),
        random_array(3, 5),
        1,
        lambda inputs, kernel, bias: np.tanh(inputs @ kernel + bias),
    ),
    "conv2d": (
        lambda: keras.layers.Conv2D(4, 3, bias_initializer="random_normal"),
        random_array(2, 6, 5, 3),
        3,
        lambda inputs, kernel, bias: numpy_conv(inputs, kernel) + bias,
    ),
    "conv2d_transpose": (
        lambda: keras.layers.Conv2DTranspose(4, 3, bias_initializer="random_normal"),
        random_array(2, 4, 5, 3),
        2,
        lambda inputs, kernel, bias: numpy_conv_transpose(inputs, kernel) + bias,
    ),
    "embedding": (
        lambda: keras.layers.Embedding(7, 4),
        np.array([[0, 3, 6], [2, 2, 5]]),
        0,
        lambda inputs, kernel, bias: kernel[inputs],
    ),
}


def build_spectral(case, **kwargs):
    """Returns (layer, inputs, output axis, NumPy forward pass) for a SPECTRAL_CASES entry."""
    make_layer, inputs, output_axis, forward = SPECTRAL_CASES[case]
    layer = SpectralNormalization(make_layer(), **kwargs)
    layer.build(inputs.shape)
    return layer, inputs, output_axis, forward


def weights_of(layer):
    """(raw kernel, bias or 0, u) of a built SpectralNormalization layer, as NumPy arrays."""
    kernel = to_numpy(layer._kernel())
    bias = to_numpy(layer.layer.bias) if getattr(layer.layer, "use_bias", False) else 0.0
    return kernel, bias, to_numpy(layer.u)


@pytest.mark.parametrize("case", sorted(SPECTRAL_CASES))
def test_spectral_normalization_one_training_step_matches_numpy(case):
    layer, inputs, output_axis, forward = build_spectral(case)
    kernel, bias, u = weights_of(layer)
    np.testing.assert_allclose(np.linalg.norm(u), 1.0, rtol=1e-5)
    matrix = numpy_weight_matrix(kernel, output_axis)
    v = numpy_normalize(matrix.T @ u)
    new_u = numpy_normalize(matrix @ v)
    sigma = new_u @ matrix @ v

    outputs = to_numpy(layer(inputs, training=True))
    np.testing.assert_allclose(to_numpy(layer.u), new_u, atol=1e-5)
    np.testing.assert_allclose(outputs, forward(inputs, kernel / sigma, bias), atol=1e-4)


@pytest.mark.parametrize("case", sorted(SPECTRAL_CASES))
def test_spectral_normalization_inference_keeps_u(case):
    layer, inputs, output_axis, forward = build_spectral(case)
    kernel, bias, u = weights_of(layer)
    matrix = numpy_weight_matrix(kernel, output_axis)
    v = numpy_normalize(matrix.T @ u)
    sigma = u @ matrix @ v

    for training in (False, None):
        outputs = to_numpy(layer(inputs, training=training))
        np.testing.assert_array_equal(to_numpy(layer.u), u)
        np.testing.assert_allclose(outputs, forward(inputs, kernel / sigma, bias), atol=1e-4)


@pytest.mark.parametrize("case", sorted(SPECTRAL_CASES))
def test_spectral_normalization_inference_uses_the_last_training_sigma(case):
    layer, inputs, _, _ = build_spectral(case)
    training_outputs = to_numpy(layer(inputs, training=True))
    np.testing.assert_allclose(np.linalg.norm(to_numpy(layer.v)), 1.0, rtol=1e-5)
    np.testing.assert_allclose(to_numpy(layer(inputs, training=False)), training_outputs,
                               atol=1e-6)


@pytest.mark.parametrize("case", sorted(SPECTRAL_CASES))
def test_spectral_normalization_converges_to_unit_spectral_norm(case):
    layer, inputs, output_axis, forward = build_spectral(case, power_iterations=50)
    for _ in range(4):
        layer(inputs, training=True)
    kernel, bias, _ = weights_of(layer)
    largest_singular_value = np.linalg.svd(numpy_weight_matrix(kernel, output_axis))[1][0]

    normalized = numpy_weight_matrix(to_numpy(layer.normalized_kernel()), output_axis)
    np.testing.assert_allclose(np.linalg.svd(normalized)[1][0], 1.0, rtol=1e-4)
    expected = forward(inputs, kernel / largest_singular_value, bias)
    np.testing.assert_allclose(to_numpy(layer(inputs)), expected, atol=1e-4)


@pytest.mark.parametrize(
    "wrapped, input_shape",
    [
        (keras.layers.Conv2D(8, 4, strides=2, padding="same"), (2, 9, 8, 3)),
        (keras.layers.Conv2DTranspose(8, 4, strides=2, padding="same"), (2, 5, 4, 3)),
        (keras.layers.Dense(6), (2, 3, 5)),
        (keras.layers.Embedding(10, 6), (2, 3)),
    ],
)
def test_spectral_normalization_output_shapes(wrapped, input_shape):
    layer = SpectralNormalization(wrapped)
    inputs = np.ones(input_shape, "int32" if len(input_shape) == 2 else "float32")
    outputs = layer(inputs, training=True)
    assert tuple(outputs.shape) == tuple(wrapped(inputs).shape)
    assert tuple(layer.compute_output_shape(input_shape)) == tuple(outputs.shape)
    assert [weight.name for weight in layer.non_trainable_weights] == ["u", "v"]


def test_spectral_normalization_gradient_reaches_raw_kernel():
    inputs = keras.Input((5,))
    layer = SpectralNormalization(keras.layers.Dense(3))
    model = keras.Model(inputs, layer(inputs))
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    kernel, _, u = weights_of(layer)
    model.fit(random_array(8, 5), random_array(8, 3, seed=1), epochs=1, verbose=0)
    new_kernel, _, new_u = weights_of(layer)
    assert np.all(np.isfinite(new_kernel))
    assert not np.allclose(new_kernel, kernel)
    assert not np.allclose(new_u, u)  # fit() trains, so it runs a power iteration
    assert [weight.name for weight in model.trainable_weights] == ["kernel", "bias"]


def test_spectral_normalization_update_is_captured_by_stateless_scope():
    """The engine's JAX path reads u from a state mapping and collects its update."""
    layer, inputs, output_axis, _ = build_spectral("dense")
    kernel, _, u = weights_of(layer)
    mapped_u = np.full(u.shape, 0.5, "float32")  # a unit vector that differs from u
    with StatelessScope(state_mapping=[(layer.u, mapped_u)]) as scope:
        layer(inputs, training=True)
    new_u = to_numpy(scope.get_current_value(layer.u))
    matrix = numpy_weight_matrix(kernel, output_axis)
    np.testing.assert_allclose(new_u, numpy_normalize(matrix @ (matrix.T @ mapped_u)), atol=1e-5)
    np.testing.assert_array_equal(to_numpy(layer.u), u)


def test_spectral_normalization_config_round_trip():
    layer = SpectralNormalization(keras.layers.Conv2D(4, 3), power_iterations=3, epsilon=1e-8)
    clone = SpectralNormalization.from_config(layer.get_config())
    assert isinstance(clone.layer, keras.layers.Conv2D)
    assert clone.layer.get_config() == layer.layer.get_config()
    assert (clone.power_iterations, clone.epsilon) == (3, 1e-8)


def test_spectral_normalization_save_and_load(tmp_path):
    images = keras.Input((6, 6, 2))
    features = SpectralNormalization(keras.layers.Conv2D(4, 3, strides=2))(images)
    features = keras.layers.Flatten()(features)
    logits = SpectralNormalization(keras.layers.Dense(1), power_iterations=2)(features)
    model = keras.Model(images, logits)
    batch = random_array(3, 6, 6, 2)
    model(batch, training=True)  # moves u away from its initial value
    training_outputs = to_numpy(model(batch, training=True))

    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(to_numpy(loaded(batch)), to_numpy(model(batch)))
    np.testing.assert_allclose(to_numpy(loaded(batch)), training_outputs, atol=1e-6)
    for original, restored in zip(model.layers[1:], loaded.layers[1:], strict=True):
        if isinstance(original, SpectralNormalization):
            assert restored.power_iterations == original.power_iterations
            np.testing.assert_array_equal(to_numpy(restored.u), to_numpy(original.u))
            np.testing.assert_array_equal(to_numpy(restored.v), to_numpy(original.v))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"layer": keras.layers.LayerNormalization()}, "Received: layer="),
        ({"layer": keras.layers.Conv1D(4, 3)}, "Received: layer="),
        ({"layer": "dense"}, "Received: layer=dense"),
        ({"power_iterations": 0}, "Received: power_iterations=0"),
        ({"power_iterations": 1.5}, "Received: power_iterations=1.5"),
        ({"epsilon": 0.0}, "Received: epsilon=0.0"),
    ],
)
def test_spectral_normalization_bad_arguments(kwargs, message):
    kwargs = {"layer": keras.layers.Dense(2), **kwargs}
    with pytest.raises(ValueError, match=message):
        SpectralNormalization(**kwargs)


def test_check_no_batch_normalization_names_the_layer_and_the_fix():
    from keras_gans.layers import check_no_batch_normalization

    images = keras.Input((8, 8, 1))
    plain = keras.Model(images, keras.layers.Conv2D(2, 3)(images), name="critic")
    check_no_batch_normalization(plain, "WGAN-GP", "use critic_norm='layer'")
    normalized = keras.Model(
        images, keras.layers.BatchNormalization(name="bn")(keras.layers.Conv2D(2, 3)(images)),
        name="critic")
    with pytest.raises(ValueError, match=r"WGAN-GP.*critic.*use critic_norm='layer'.*'bn'"):
        check_no_batch_normalization(normalized, "WGAN-GP", "use critic_norm='layer'")
