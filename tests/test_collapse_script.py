"""scripts/collapse.py and its PyTorch peer: the same DCGAN networks, runs that train, the table."""

import numpy as np
import pytest

from keras_gans import dcgan
from keras_gans import metrics

from conftest import require_module


@pytest.fixture
def peer(load_script):
    require_module("torch")
    return load_script("peers/torch_dcgan")


@pytest.mark.parametrize("image_size", [32, 64])
def test_peer_networks_have_the_library_layout(peer, image_size):
    def torch_count(network):
        return sum(parameter.numel() for parameter in network.parameters())

    def keras_count(network):
        return sum(int(np.prod(weight.shape)) for weight in network.trainable_weights)

    assert torch_count(peer.Generator(100, 1, image_size)) == keras_count(
        dcgan.build_generator(100, (image_size, image_size, 1)))
    assert torch_count(peer.Discriminator(1, image_size)) == keras_count(
        dcgan.build_discriminator((image_size, image_size, 1)))


def test_peer_trains_and_samples(peer):
    images = np.random.default_rng(0).uniform(-1, 1, (12, 32, 32, 1)).astype("float32")
    generator = peer.train(images, steps=2, batch_size=4, seed=0)
    samples = peer.sample(generator, 3, seed=1)
    assert samples.shape == (3, 32, 32, 1)
    assert np.all(np.abs(samples) <= 1.0)


def test_table_counts_collapsed_runs(load_script):
    collapse = load_script("collapse")
    reference = np.random.default_rng(0).uniform(-1, 1, (8, 64, 64, 1)).astype("float32")
    judged = collapse.judge(np.repeat(reference[:1], 8, axis=0), reference,
                            metrics.ClassifierFeatures())
    assert judged["collapsed"] and judged["diversity"] == 0.0
    assert judged["largest_class_share"] == 1.0
    rows = [dict(implementation=name, seed=seed, seconds=60.0, diversity=diversity,
                 collapsed=diversity < collapse.COLLAPSE_BELOW, largest_class_share=0.2)
            for name, seed, diversity in (("keras_gans", 0, 0.9), ("keras_gans", 1, 0.1),
                                          ("pytorch", 0, 0.8), ("pytorch", 1, 0.7))]
    args = collapse.parse_arguments(["--steps", "7", "--seeds", "0", "1"])
    text = collapse.table(rows, args)
    assert "| keras_gans | 1 of 2 | 0.9, 0.1 | 0.2, 0.2 | 1.0 |" in text
    assert "| pytorch | 0 of 2 | 0.8, 0.7 |" in text
