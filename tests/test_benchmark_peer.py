"""scripts/peers/torch_image_to_image.py: the eager PyTorch peer of the image-to-image benchmark."""

import json

import keras
import pytest

from conftest import require_module

torch = require_module("torch")


@pytest.fixture
def peer(load_script):
    return load_script("peers/torch_image_to_image")


def keras_patch_discriminator(image_size, channels, filters=64):
    """The 70×70 PatchGAN in Keras: k4 convs, strides 2, 2, 2, 1, 1, each padding 1."""
    inputs = keras.Input((image_size, image_size, channels))
    x = inputs
    for width, strides in ((filters, 2), (2 * filters, 2), (4 * filters, 2), (8 * filters, 1),
                           (1, 1)):
        x = keras.layers.ZeroPadding2D(1)(x)
        x = keras.layers.Conv2D(width, 4, strides=strides, kernel_initializer="zeros")(x)
    return keras.Model(inputs, x)


def test_torch_hooks_and_keras_layers_count_the_same_flops(peer, load_script):
    flops = load_script("flops")
    torch_discriminator = peer.patch_discriminator(6, peer.nn.BatchNorm2d)
    assert peer.forward_flops(torch_discriminator, (6, 64, 64), "cpu") == flops.forward_flops(
        keras_patch_discriminator(64, 6))

    inputs = keras.Input((8, 8, 4))
    upsampling = keras.Model(inputs, keras.layers.Conv2DTranspose(
        8, 3, 2, "same", kernel_initializer="zeros")(inputs))
    torch_upsampling = peer.nn.ConvTranspose2d(4, 8, 3, 2, 1, output_padding=1)
    assert peer.forward_flops(torch_upsampling, (4, 8, 8), "cpu") == flops.forward_flops(
        upsampling) == 2 * 8 * 8 * 3 * 3 * 4 * 8


def test_cyclegan_step_runs_and_reports_the_reference_networks(peer, capsys):
    threads = torch.get_num_threads()
    try:
        assert peer.main(["--model", "cyclegan", "--image-size", "32", "--steps", "1",
                          "--warmup", "0", "--threads", "1"]) == 0
    finally:
        torch.set_num_threads(threads)
    result = json.loads(capsys.readouterr().out)
    assert result["parameters"] == {"generator_ab": 11_378_179, "generator_ba": 11_378_179,
                                    "discriminator_a": 2_764_737, "discriminator_b": 2_764_737}
    forward = result["forward_flops_per_image"]
    assert result["step_flops"] == 3 * 3 * sum(forward.values())
    assert result["images_per_second"] > 0 and result["threads"] == 1
    assert all(loss == loss for loss in result["final_losses"].values())  # finite, not NaN


def test_image_pool_returns_stored_images_once_full(peer):
    pool = peer.ImagePool(size=2)
    first = torch.zeros((2, 1, 1, 1))
    assert torch.equal(pool.query(first), first)
    peer.random.seed(0)
    later = torch.ones((64, 1, 1, 1))
    returned = pool.query(later)
    swapped = int((returned == 0).sum())
    assert 0 < swapped <= 2  # each stored image can come back once before it is replaced


def test_pix2pix_image_size_must_suit_the_unet(peer):
    with pytest.raises(SystemExit):
        peer.parse_arguments(["--model", "pix2pix", "--image-size", "128"])
