"""scripts/flops.py: forward FLOPs counted from a model's layers, against hand-computed values."""

import keras
import pytest


@pytest.fixture
def flops(load_script):
    return load_script("flops")


# Counting needs no random weights; zeros keep JAX from compiling an initializer per shape.
ZEROS = {"kernel_initializer": "zeros"}


def tiny_network():
    """8×8×3 → strided conv → padded valid conv → transposed conv → dense.

    Multiply-accumulates per image, by hand:
      Conv2D 4, k3 s2 same:    output 4×4, 4·4 · 3·3·3 · 4 = 1,728
      ZeroPadding 1 + Conv2D 6, k4 valid on 6×6: output 3×3, 3·3 · 4·4·4 · 6 = 3,456
      Conv2DTranspose 2, k4 s2 same: input 3×3, 3·3 · 4·4 · 6 · 2 = 1,728
      Flatten 6·6·2 = 72 → Dense 10: 72 · 10 = 720
    Total 7,632 MACs = 15,264 FLOPs.
    """
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, strides=2, padding="same", name="strided",
                            **ZEROS)(inputs)
    x = keras.layers.LeakyReLU(0.2)(x)
    x = keras.layers.ZeroPadding2D(1)(x)
    x = keras.layers.Conv2D(6, 4, padding="valid", use_bias=False, name="valid",
                            **ZEROS)(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Conv2DTranspose(2, 4, strides=2, padding="same", name="transposed",
                                     **ZEROS)(x)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(10, name="dense", **ZEROS)(x)
    return keras.Model(inputs, outputs, name="tiny")


def test_forward_flops_of_each_layer_match_hand_computed_values(flops):
    counts = dict(flops.layer_flops(tiny_network()))
    assert counts == {"strided": 2 * 1728, "valid": 2 * 3456, "transposed": 2 * 1728,
                      "dense": 2 * 720}
    assert flops.forward_flops(tiny_network()) == 15264


def test_nested_model_and_shared_layer_count_once_per_call(flops):
    network = tiny_network()
    shared = keras.layers.Dense(3, name="shared", **ZEROS)
    first, second = keras.Input((8, 8, 3)), keras.Input((8, 8, 3))
    scores = [shared(network(first)), shared(network(second))]
    combined = keras.Model([first, second], scores)
    assert flops.forward_flops(combined) == 2 * (15264 + 2 * 10 * 3)


def test_uncounted_layers_with_a_kernel_are_named(flops):
    class Scale(keras.layers.Layer):
        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1],), initializer="ones")

        def call(self, inputs):
            return inputs * self.kernel

    inputs = keras.Input((4,))
    model = keras.Model(inputs, Scale(name="scale")(keras.layers.Dense(4, **ZEROS)(inputs)))
    assert flops.uncounted_layers(model) == ["scale"]
    assert flops.forward_flops(model) == 2 * 16


def test_training_step_flops_and_tflops_per_second(flops):
    network = tiny_network()
    step = flops.training_step_flops([(network, 1), (network, 2)], batch_size=4)
    assert step == 3 * 4 * 3 * 15264
    assert flops.tflops_per_second(2e12, 0.5) == pytest.approx(4.0)
    with pytest.raises(ValueError, match="step time"):
        flops.tflops_per_second(1.0, 0.0)


def test_unknown_image_size_is_refused(flops):
    inputs = keras.Input((None, None, 3))
    model = keras.Model(inputs, keras.layers.Conv2D(2, 3, **ZEROS)(inputs))
    with pytest.raises(ValueError, match="fixed image size"):
        flops.forward_flops(model)
