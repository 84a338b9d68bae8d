"""scripts/peers/pytorch_gan.py: PyTorch-GAN's models as the peers of the unconditional rows."""

import numpy as np
import pytest

from conftest import require_module

torch = require_module("torch")


@pytest.fixture
def peers(load_script):
    return load_script("peers/pytorch_gan")


def digits(count=32, size=16):
    return np.random.default_rng(0).uniform(-1, 1, (count, size, size, 1)).astype("float32")


def test_began_peer_has_pytorch_gans_networks(peers):
    model = peers.BEGAN(channels=1, image_size=32)
    batch_norms = [layer for layer in model.generator.modules()
                   if isinstance(layer, torch.nn.BatchNorm2d)]
    assert [layer.eps for layer in batch_norms] == [1e-5, 0.8, 0.8]  # BatchNorm2d(n, 0.8)
    bottleneck = [layer for layer in model.discriminator.modules()
                  if isinstance(layer, torch.nn.Linear)]
    assert [(layer.in_features, layer.out_features) for layer in bottleneck] == [
        (64 * 16 * 16, 32), (32, 64 * 16 * 16)]
    assert model.generator(torch.zeros(2, 62)).shape == (2, 1, 32, 32)
    assert model.discriminator(torch.zeros(2, 1, 32, 32)).shape == (2, 1, 32, 32)


def test_began_peer_trains_g_first_and_keeps_k_in_range(peers):
    model, logs = peers.train("began", digits(), steps=4, batch_size=8, seed=0, log_every=2)
    assert set(logs) == {"d_loss", "g_loss", "real_loss", "fake_loss", "k", "convergence"}
    assert 0.0 <= logs["k"] <= 1.0 and all(np.isfinite(list(logs.values())))
    images = peers.sample(model, 5, seed=1)
    assert images.shape == (5, 16, 16, 1) and np.abs(images).max() <= 1.0
    again, _ = peers.train("began", digits(), steps=4, batch_size=8, seed=0, log_every=2)
    np.testing.assert_array_equal(peers.sample(again, 5, seed=1), images)


def test_began_peer_k_follows_the_balance_of_the_two_losses(peers):
    model = peers.BEGAN(channels=1, image_size=16)
    real = torch.from_numpy(digits(8).transpose(0, 3, 1, 2))
    model.k = 0.5
    logs = model.train_step(real)
    balance = 0.75 * logs["real_loss"] - logs["fake_loss"]
    assert logs["k"] == pytest.approx(0.5 + 0.001 * balance, abs=1e-7)
    assert logs["d_loss"] == pytest.approx(logs["real_loss"] - 0.5 * logs["fake_loss"], rel=1e-5)
    assert logs["convergence"] == pytest.approx(logs["real_loss"] + abs(balance), rel=1e-5)
