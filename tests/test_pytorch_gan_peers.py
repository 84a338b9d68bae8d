"""scripts/peers/pytorch_gan.py: PyTorch-GAN's models as the peers of the unconditional rows."""

import copy
import json

import numpy as np
import pytest

from conftest import require_module

torch = require_module("torch")


@pytest.fixture
def peers(load_script):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny networks: more threads only contend
    yield load_script("peers/pytorch_gan")
    torch.set_num_threads(threads)


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


def before_step(model):
    """Copies of the networks as they are before a step."""
    return copy.deepcopy(model.generator), copy.deepcopy(model.discriminator)


def step_with_latent(model, real, seed=0):
    """One `train_step` of `model` on `real`, and the latent batch it drew."""
    torch.manual_seed(seed)
    logs = model.train_step(real)
    torch.manual_seed(seed)
    return logs, torch.randn(len(real), model.latent_dim)


def one_step(model):
    """One step of `model` on six 8×8 digits: the real batch, the networks as they were before
    the step, its logs, the step's latent batch and the fakes made of it."""
    real = nchw(digits(6, size=8))
    generator, discriminator = before_step(model)
    logs, latent = step_with_latent(model, real)
    with torch.no_grad():
        fake = generator(latent)
    return real, generator, discriminator, logs, latent, fake


def nchw(images):
    """NHWC NumPy images as an NCHW tensor."""
    return torch.from_numpy(images.transpose(0, 3, 1, 2).copy())


def numpy_of(network, inputs):
    """The output of `network` for `inputs`, in float64 NumPy."""
    with torch.no_grad():
        return network(inputs).double().numpy()


def linear_parameters(*widths):
    """The weights and biases of a chain of linear layers of these widths."""
    return sum((inputs + 1) * outputs for inputs, outputs in zip(widths, widths[1:]))


@pytest.mark.parametrize("name", ["bgan", "wgan", "softmax_gan"])
def test_mlp_peers_have_pytorch_gans_networks_at_28(peers, name):
    model = peers.MODELS[name](channels=1, image_size=28)
    batch_norm = 2 * (256 + 512 + 1024)
    assert sum(p.numel() for p in model.generator.parameters()) == (
        linear_parameters(100, 128, 256, 512, 1024, 784) + batch_norm)
    assert [layer.eps for layer in model.generator.modules()
            if isinstance(layer, torch.nn.BatchNorm1d)] == [0.8, 0.8, 0.8]
    assert sum(p.numel() for p in model.discriminator.parameters()) == linear_parameters(
        784, 512, 256, 1)
    model.generator.eval()
    assert model.generator(torch.zeros(2, 100)).shape == (2, 1, 28, 28)
    scores = model.discriminator(torch.full((2, 1, 28, 28), 0.5))
    assert scores.shape == (2, 1)
    sigmoid = isinstance(list(model.discriminator.modules())[-1], torch.nn.Sigmoid)
    assert sigmoid == (name == "bgan")


def test_ebgan_peer_has_pytorch_gans_networks_at_32(peers):
    model = peers.EBGAN(channels=1, image_size=32)
    generator = {name: p.numel() for name, p in model.generator.named_parameters()}
    assert sum(generator.values()) == (
        (62 + 1) * 128 * 8 * 8 + (128 * 9 + 1) * 128 + 2 * 128 + (128 * 9 + 1) * 64 + 2 * 64
        + 64 * 9 + 1)  # no BatchNorm before the first upsampling, unlike BEGAN's
    assert [layer.eps for layer in model.generator.modules()
            if isinstance(layer, torch.nn.BatchNorm2d)] == [0.8, 0.8]
    assert sum(p.numel() for p in model.discriminator.parameters()) == (
        10 * 64 + linear_parameters(64 * 16 * 16, 32, 64 * 16 * 16) + 2 * 32 + 2 * 64 * 16 * 16
        + 64 * 9 + 1)
    reconstruction, embedding = model.discriminator.reconstruct_and_embed(torch.zeros(2, 1, 32, 32))
    assert reconstruction.shape == (2, 1, 32, 32) and embedding.shape == (2, 32)
    assert model.generator(torch.zeros(2, 62)).shape == (2, 1, 32, 32)


def test_bgan_peer_losses_match_the_formulas(peers):
    model = peers.BGAN(channels=1, image_size=8)
    real, generator, discriminator, logs, latent, fake = one_step(model)
    fake_scores, real_scores = numpy_of(discriminator, fake), numpy_of(discriminator, real)
    g_loss = 0.5 * np.mean((np.log(fake_scores) - np.log(1 - fake_scores)) ** 2)
    d_loss = (-np.mean(np.log(real_scores)) - np.mean(np.log(1 - fake_scores))) / 2
    assert logs["g_loss"] == pytest.approx(g_loss, rel=1e-5)
    assert logs["d_loss"] == pytest.approx(d_loss, rel=1e-5)


def test_ebgan_peer_losses_match_the_formulas(peers):
    model = peers.EBGAN(channels=1, image_size=8)
    real, generator, discriminator, logs, latent, fake = one_step(model)
    with torch.no_grad():
        reconstruction = discriminator(fake)
        # The embedding is the first linear layer's output, before its BatchNorm1d.
        embedding = discriminator.bottleneck[0](discriminator.down(fake).flatten(1))
    fake_numpy, embedding = fake.double().numpy(), embedding.double().numpy()
    unit = embedding / np.linalg.norm(embedding, axis=1, keepdims=True)
    similarity = unit @ unit.T
    pullaway = similarity[~np.eye(6, dtype=bool)].mean()
    g_loss = np.mean((reconstruction.double().numpy() - fake_numpy) ** 2) + 0.1 * pullaway
    real_loss = np.mean((numpy_of(discriminator, real) - real.double().numpy()) ** 2)
    fake_loss = np.mean((numpy_of(discriminator, fake) - fake_numpy) ** 2)
    assert fake_loss < 1  # the margin term is active
    assert logs["pullaway"] == pytest.approx(pullaway, rel=1e-4, abs=1e-6)
    assert logs["g_loss"] == pytest.approx(g_loss, rel=1e-5)
    assert logs["d_loss"] == pytest.approx(real_loss + 1 - fake_loss, rel=1e-5)


def test_ebgan_peer_drops_the_margin_term_beyond_the_margin(peers):
    model = peers.EBGAN(channels=1, image_size=8)
    with torch.no_grad():  # a D far from the identity: every reconstruction error exceeds 1
        model.discriminator.up[1].bias.fill_(5.0)
    logs = model.train_step(nchw(digits(6, size=8)))
    assert logs["fake_loss"] > 1 and logs["d_loss"] == pytest.approx(logs["real_loss"])


def test_wgan_peer_losses_follow_the_clipped_critic(peers):
    model = peers.WGAN(channels=1, image_size=8)
    real, generator, discriminator, logs, latent, fake = one_step(model)
    d_loss = -numpy_of(discriminator, real).mean() + numpy_of(discriminator, fake).mean()
    g_loss = -numpy_of(model.discriminator, fake).mean()  # D after its step and clipping
    assert logs["d_loss"] == pytest.approx(d_loss, rel=1e-5)
    assert logs["g_loss"] == pytest.approx(g_loss, rel=1e-5)
    for parameter in model.discriminator.parameters():
        assert parameter.abs().max() <= 0.01
    assert max(p.abs().max() for p in discriminator.parameters()) > 0.01


def test_wgan_peer_steps_g_once_per_five_d_steps_from_the_first(peers):
    model = peers.WGAN(channels=1, image_size=8)
    order = []
    for label, optimizer in (("D", model.d_optimizer), ("G", model.g_optimizer)):
        optimizer.register_step_post_hook(lambda *args, label=label: order.append(label))
    real = nchw(digits(6, size=8))
    for _ in range(10):
        model.train_step(real)
    assert "".join(order) == "DG" + "D" * 5 + "G" + "D" * 4
    trained, _ = peers.train("wgan", digits(64, size=8), steps=3, batch_size=8, seed=0)
    assert trained.iterations == 15 and trained.g_optimizer.state_dict()["state"][0]["step"] == 3


def test_softmax_gan_peer_losses_and_gradients_match_the_script(peers):
    model = peers.SoftmaxGAN(channels=1, image_size=8)
    real, generator, discriminator, logs, latent, fake = one_step(model)
    real_scores, fake_scores = numpy_of(discriminator, real), numpy_of(discriminator, fake)
    partition = np.exp(-real_scores).sum() + np.exp(-fake_scores).sum()
    d_loss = real_scores.sum() / 6 + np.log(partition + 1e-8)
    g_loss = (real_scores.sum() + fake_scores.sum()) / 12 + np.log(partition + 1e-8)
    assert logs["d_loss"] == pytest.approx(d_loss, rel=1e-5)
    assert logs["g_loss"] == pytest.approx(g_loss, rel=1e-5)
    # The script's gradients: D's of L_D alone, G's of L_D + L_G (L_D's backward reaches G).
    d_loss, g_loss = peers.SoftmaxGAN.losses(discriminator(real), discriminator(generator(latent)))
    d_gradients = torch.autograd.grad(d_loss, list(discriminator.parameters()), retain_graph=True)
    g_gradients = torch.autograd.grad(d_loss + g_loss, list(generator.parameters()))
    for parameter, gradient in zip(model.discriminator.parameters(), d_gradients):
        torch.testing.assert_close(parameter.grad, gradient)
    for parameter, gradient in zip(model.generator.parameters(), g_gradients):
        torch.testing.assert_close(parameter.grad, gradient)


@pytest.mark.parametrize("name", ["bgan", "ebgan", "wgan", "softmax_gan"])
def test_each_new_peer_trains_two_generator_steps(peers, name, capsys):
    model, logs = peers.train(name, digits(48), steps=2, batch_size=8, seed=0, log_every=1)
    assert logs and all(np.isfinite(list(logs.values())))
    assert [json.loads(line)["step"] for line in capsys.readouterr().out.splitlines()] == [1, 2]
    images = peers.sample(model, 5, seed=1)
    assert images.shape == (5, 16, 16, 1) and np.abs(images).max() <= 1.0


def test_peer_script_refuses_zero_steps_before_reading_images(peers, tmp_path, capsys):
    with pytest.raises(SystemExit):
        peers.main(["bgan", "--images", str(tmp_path / "absent.npy"), "--steps", "0",
                    "--samples", str(tmp_path / "samples.npy")])
    assert "at least 1" in capsys.readouterr().err
