"""scripts/benchmark.py on image-to-image models, through small stand-ins of their API.

The stand-ins have the constructor, sub-network attributes, `compile()` and `fit()` on
`(images_a, images_b)` that `keras_gans.pix2pix` and `keras_gans.cyclegan` provide, with one
convolution per network so that the FLOPs can be counted by hand.
"""

import sys
import types

import keras
import pytest
from keras import ops

from keras_gans import engine

from conftest import require_module

BACKEND = keras.backend.backend()
TINY = ["--backend", BACKEND, "--batch-size", "2", "--image-size", "16", "--steps", "2",
        "--warmup-steps", "1"]


def convolution(input_shapes, filters, kernel_size, strides, name, batch_norm=False):
    """One Conv2D (same padding) over the concatenation of the inputs, then batch norm."""
    inputs = [keras.Input(shape) for shape in input_shapes]
    x = inputs[0] if len(inputs) == 1 else keras.layers.Concatenate()(inputs)
    outputs = keras.layers.Conv2D(filters, kernel_size, strides=strides, padding="same",
                                  kernel_initializer="zeros")(x)
    if batch_norm:
        outputs = keras.layers.BatchNormalization()(outputs)
    return keras.Model(inputs, outputs, name=name)


def pairs_of(data):
    images_a, images_b = data
    return images_a, images_b


def squared_error(outputs, target):
    return ops.mean(ops.square(outputs - target))


class StandInPix2Pix(engine.GAN):
    """Generator: conv 3 k3; discriminator on concat(A, B): conv 1 k4 s2, batch norm."""

    loss_names = ("d_loss", "g_loss")

    def __init__(self, generator=None, discriminator=None, image_shape=None, target_shape=None,
                 discriminator_filters=1):
        super().__init__(seed=0)
        self.generator = convolution([image_shape], target_shape[-1], 3, 1, "generator")
        self.discriminator = convolution([image_shape, target_shape], discriminator_filters, 4,
                                         2, "discriminator", batch_norm=True)
        self.finish_init()

    def compile(self):
        self.compile_players({
            "d_optimizer": (keras.optimizers.Adam(), self.discriminator.trainable_variables),
            "g_optimizer": (keras.optimizers.Adam(), self.generator.trainable_variables)})

    def gan_step(self, data):
        images_a, images_b = pairs_of(data)

        def discriminator_loss():
            fakes = ops.stop_gradient(self.generator(images_a))
            return (squared_error(self.discriminator([images_a, images_b]), 1.0)
                    + squared_error(self.discriminator([images_a, fakes]), 0.0))

        def generator_loss():
            fakes = self.generator(images_a)
            return (squared_error(self.discriminator([images_a, fakes]), 1.0)
                    + ops.mean(ops.abs(fakes - images_b)))

        d_loss = self.minimize(discriminator_loss, self.discriminator.trainable_variables,
                               self.d_optimizer)
        g_loss = self.minimize(generator_loss, self.generator.trainable_variables,
                               self.g_optimizer)
        return self.track(d_loss=d_loss, g_loss=g_loss)


class StandInCycleGAN(engine.GAN):
    """Generators: conv 3 k3; discriminators: conv 1 k4 s2 on one image."""

    loss_names = ("g_loss",)

    def __init__(self, image_shape_a, image_shape_b):
        super().__init__(seed=0)
        self.generator_ab = convolution([image_shape_a], image_shape_b[-1], 3, 1, "g_ab")
        self.generator_ba = convolution([image_shape_b], image_shape_a[-1], 3, 1, "g_ba")
        self.discriminator_a = convolution([image_shape_a], 1, 4, 2, "d_a")
        self.discriminator_b = convolution([image_shape_b], 1, 4, 2, "d_b")
        self.finish_init()

    def compile(self):
        variables = (self.generator_ab.trainable_variables
                     + self.generator_ba.trainable_variables)
        self.compile_players({"g_optimizer": (keras.optimizers.Adam(), variables)})

    def gan_step(self, data):
        images_a, images_b = pairs_of(data)

        def generator_loss():
            cycled_a = self.generator_ba(self.generator_ab(images_a))
            return (ops.mean(ops.abs(cycled_a - images_a))
                    + squared_error(self.discriminator_a(self.generator_ba(images_b)), 1.0))

        variables = (self.generator_ab.trainable_variables
                     + self.generator_ba.trainable_variables)
        return self.track(g_loss=self.minimize(generator_loss, variables, self.g_optimizer))


@pytest.fixture
def benchmark(load_script, monkeypatch):
    """The benchmark script, with the stand-ins installed as keras_gans.pix2pix and .cyclegan."""
    monkeypatch.setitem(sys.modules, "keras_gans.pix2pix",
                        types.SimpleNamespace(Pix2Pix=StandInPix2Pix))
    monkeypatch.setitem(sys.modules, "keras_gans.cyclegan",
                        types.SimpleNamespace(CycleGAN=StandInCycleGAN))
    return load_script("benchmark")


@pytest.mark.parametrize("input_flag", [[], ["--numpy-input"]], ids=["tf.data", "numpy"])
def test_pix2pix_trains_on_random_pairs_and_reports_hand_counted_flops(benchmark, input_flag):
    result = benchmark.run(benchmark.parse_arguments(["pix2pix"] + TINY + input_flag))
    assert result["image_shape"] == [16, 16, 3]
    generator_flops = 2 * 16 * 16 * (3 * 3 * 3) * 3
    discriminator_flops = 2 * 8 * 8 * (4 * 4 * 6) * 1
    assert result["forward_flops_per_image"] == {"generator": generator_flops,
                                                 "discriminator": discriminator_flops}
    assert result["step_flops"] == 3 * 2 * (generator_flops + 3 * discriminator_flops)
    step_seconds = result["step_time_ms"] / 1000
    assert result["tflops_per_second"] == pytest.approx(
        result["step_flops"] / step_seconds / 1e12, rel=0.01)
    assert result["images_per_second"] == pytest.approx(2 / step_seconds, rel=0.01)
    # Trainable parameters, as PyTorch counts them: batch norm's moving statistics are not.
    assert result["parameters"] == {"generator": 3 * 3 * 3 * 3 + 3,
                                    "discriminator": 4 * 4 * 6 + 1 + 2}
    assert result["reference_architecture"] is False
    assert result["uncounted_layers"] == []


def test_model_options_reach_the_model_class(benchmark):
    arguments = ["pix2pix"] + TINY + ["--numpy-input", "--model-option", "discriminator_filters=2"]
    result = benchmark.run(benchmark.parse_arguments(arguments))
    assert result["model_options"] == {"discriminator_filters": 2}
    assert result["forward_flops_per_image"]["discriminator"] == 2 * 8 * 8 * (4 * 4 * 6) * 2
    assert benchmark.model_options(["norm=batch", "dropout=0.5"]) == {"norm": "batch",
                                                                      "dropout": 0.5}
    with pytest.raises(benchmark.BenchmarkError, match="not NAME=VALUE"):
        benchmark.model_options(["filters"])


def test_cyclegan_counts_every_network_evaluation(benchmark):
    result = benchmark.run(benchmark.parse_arguments(["cyclegan"] + TINY))
    generator_flops = 2 * 16 * 16 * (3 * 3 * 3) * 3
    discriminator_flops = 2 * 8 * 8 * (4 * 4 * 3) * 1
    assert result["step_flops"] == 3 * 2 * 3 * (2 * generator_flops + 2 * discriminator_flops)
    assert set(result["parameters"]) == {"generator_ab", "generator_ba", "discriminator_a",
                                         "discriminator_b"}


def test_a_missing_model_module_is_named_in_one_sentence(load_script, monkeypatch, capsys):
    benchmark = load_script("benchmark")
    monkeypatch.setitem(sys.modules, "keras_gans.cyclegan", None)
    monkeypatch.setenv("KERAS_BACKEND", BACKEND)  # main() runs in this process
    assert benchmark.main(["cyclegan"] + TINY) == 2
    assert capsys.readouterr().err.startswith("keras_gans.cyclegan is not in this checkout: ")


def test_reference_parameter_counts_are_the_torch_peers(load_script):
    torch = require_module("torch")
    benchmark = load_script("benchmark")
    peer = load_script("peers/torch_image_to_image")

    def count(network):
        return sum(parameter.numel() for parameter in network.parameters())

    with torch.device("meta"):  # shapes only: nothing is allocated or initialized
        generator, discriminator = peer.unet_256(), peer.patch_discriminator(6, peer.nn.BatchNorm2d)
        resnet, patch = peer.resnet_9blocks(), peer.patch_discriminator(3, peer.instance_norm)
    assert benchmark.REFERENCE_PARAMETERS == {
        "pix2pix": {"generator": count(generator), "discriminator": count(discriminator)},
        "cyclegan": {"generator_ab": count(resnet), "generator_ba": count(resnet),
                     "discriminator_a": count(patch), "discriminator_b": count(patch)}}
