"""The anchors of the unconditional rows: PyTorch-GAN's models, trained by plain PyTorch.

    python scripts/peers/pytorch_gan.py began --images digits32.npy --steps 2000 \
        --samples samples.npy

Users who compare this library with an implementation compare it with PyTorch-GAN
(eriklindernoren/PyTorch-GAN), so each model here follows that repository's `implementations/`
script as published: its networks, initialisation, optimizer, loss and update order, with
only the crashes that stop it on current PyTorch fixed (noted per model). Training reads the
given images (N, H, W, C) in [-1, 1] in a seeded permutation per epoch, batch 64, and writes
`--count` generated images (NHWC, [-1, 1]) after the last step, for `scripts/results.py peer`
to score with the reference classifier. The layers are sized from the images' shape as the
scripts size them from `opt.img_size`. `--steps` counts generator steps, as a row's
`generator_steps` does: a model that updates its critic `critic_steps` times per generator
step (WGAN) trains `steps · critic_steps` iterations.

The MLP models (BGAN, WGAN, Softmax GAN) share PyTorch-GAN's fully connected networks:

- G: z → linear 128 → LeakyReLU 0.2 → [linear → BN1d (ε 0.8) → LeakyReLU 0.2] for 256, 512
  and 1024 → linear to the C·S·S pixels → tanh → C×S×S.
- D: the flattened image → linear 512 → LeakyReLU 0.2 → linear 256 → LeakyReLU 0.2 →
  linear 1 (→ sigmoid in BGAN only).
- None of the three applies `weights_init_normal`: every layer keeps PyTorch's default.

BEGAN (`implementations/began/began.py`):

- G: z (62) → linear 128·(S/4)² → 128×S/4×S/4 → BN → upsample ×2 → conv 3×3 128 → BN (ε 0.8,
  PyTorch-GAN passes 0.8 as BatchNorm's second argument, which is ε) → LeakyReLU 0.2 →
  upsample ×2 → conv 3×3 64 → BN (ε 0.8) → LeakyReLU 0.2 → conv 3×3 to the channels → tanh.
- D, an autoencoder: conv 3×3 s2 64 → ReLU → flatten → linear 32 → BN1d (ε 0.8) → ReLU →
  linear 64·(S/2)² → BN1d → ReLU → 64×S/2×S/2 → upsample ×2 → conv 3×3 to the channels.
- Convolutions N(0, 0.02), BatchNorm2d γ N(1, 0.02) and β 0; linear layers and BatchNorm1d
  keep PyTorch's defaults. Upsampling is nearest-neighbour.
- Adam 2e-4, β (0.5, 0.999) for both. Each step updates G first on L(G(z)) = mean|D(G(z)) −
  G(z)|, then D on L(x) − k·L(G(z)) with the same (detached) fakes, then
  k ← clip(k + 0.001·(0.75·L(x) − L(G(z))), 0, 1), from k = 0.
- Fixed: `M = (...).data[0]` on a 0-d tensor fails on current PyTorch; it is `.item()` here.

BGAN (`implementations/bgan/bgan.py`):

- G and D: the MLPs above, z of 100; D ends in a sigmoid, so it outputs probabilities.
- Adam 2e-4, β (0.5, 0.999) for both.
- Each step updates G first on the boundary-seeking loss 0.5·mean((log D(G(z)) −
  log(1 − D(G(z))))²), taken of the probabilities with no ε (the loss function's `y_true`
  argument is unused), then D on (BCE(D(x), 1) + BCE(D(G(z)), 0)) / 2 with the same fakes,
  detached (PyTorch's binary cross-entropy clamps its logs at −100).
- Fixed: the training loop iterates `mnist_loader`, a name the script never defines (its
  loader is `dataloader`), so it stops with a NameError before the first step; the peer reads
  its batches as every model here does.

EBGAN (`implementations/ebgan/ebgan.py`):

- G: BEGAN's generator without its first BatchNorm (the linear projection feeds the first
  upsampling directly); z of 62.
- D: BEGAN's autoencoder, which also returns its 32-unit embedding, the output of the first
  linear layer before its BatchNorm1d.
- Convolutions and BatchNorm2d as BEGAN (`weights_init_normal` on both networks).
- Adam 2e-4, β (0.5, 0.999) for both. Losses use the mean squared error (not the L1 of BEGAN).
- Each step updates G first on MSE(D(G(z)), G(z)) + 0.1·PT, where the target G(z) is detached
  (G gets its gradient through D's input only) and the pull-away term of the fakes'
  embeddings e is PT = (Σᵢⱼ cos(eᵢ, eⱼ) − B) / (B·(B − 1)): the mean cosine similarity of
  distinct pairs, not squared as in the paper. Then D on MSE(D(x), x) plus, only when
  m − MSE(D(G(z)), G(z)) > 0, that difference, with the same detached fakes and the margin
  m = max(1, batch / 64) applied to the batch-mean error.
- Nothing crashes on current PyTorch; nothing is changed.

WGAN (`implementations/wgan/wgan.py`):

- G and D: the MLPs above, z of 100; D ends in its linear unit.
- RMSprop 5e-5 for both, with PyTorch's other defaults (α 0.99, ε 1e-8, no momentum).
- Each iteration updates D on −mean D(x) + mean D(G(z)), with G(z) detached, then clamps
  every weight and bias of D to [−0.01, 0.01]; on iterations whose index divides by
  n_critic = 5 (the first, the sixth, ...) it then updates G on −mean D(G(z)), G run again on
  the same z, through the clipped D. The script's index restarts each epoch; here it runs over
  the whole run. The two agree when an epoch's batches divide by 5, as the rows' 8,000 digits
  in batches of 64 (125) do. `--steps` G steps take 5·steps iterations, the last four D only.
- Nothing crashes on current PyTorch; nothing is changed.

Softmax GAN (`implementations/softmax_gan/softmax_gan.py`):

- G and D: the MLPs above, z of 100; D ends in its linear unit and sizes its first layer
  as S² inputs (one channel), as the script does.
- Adam 2e-4, β (0.5, 0.999) for both.
- Each iteration runs one forward pass of the real batch and of G(z) (not detached), with the
  partition function Z = Σ exp(−D(x)) + Σ exp(−D(G(z))) over both batches, and the losses
  L_D = (1/B)·Σ D(x) + log(Z + 1e-8) and L_G = (1/(2B))·(Σ D(x) + Σ D(G(z))) + log(Z + 1e-8),
  the targets 1/B and 1/(2B) being the script's constants. The script zeroes both gradients,
  back-propagates L_D (which also writes L_D's gradient into G's parameters), steps D, then
  back-propagates L_G and steps G, so G's step follows the gradient of L_D + L_G.
- Fixed: on current PyTorch that second backward pass fails (D's weights, saved by the graph,
  were changed in place by D's step). Here L_G is back-propagated into G's parameters only
  before D steps, then D and G step in the script's order: the gradients are those of the
  graph the losses came from, so G's still follows L_D + L_G. (Old PyTorch did not detect the
  change and ran that backward pass through D's freshly updated weights.)
"""

import argparse
import json
import time

import numpy as np
import torch
from torch import nn


def normal_initialization(module):
    """PyTorch-GAN's `weights_init_normal`: convolutions N(0, 0.02), BatchNorm2d γ N(1, 0.02)
    and β 0; every other layer keeps PyTorch's default."""
    if isinstance(module, nn.Conv2d):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.constant_(module.bias, 0.0)


def adam(network):
    """PyTorch-GAN's Adam: learning rate 2e-4, β (0.5, 0.999)."""
    return torch.optim.Adam(network.parameters(), 2e-4, betas=(0.5, 0.999))


class UpsamplingGenerator(nn.Module):
    """PyTorch-GAN's upsampling DCGAN generator: BEGAN's starts with a BatchNorm2d of the
    projection (`normalize_input`), EBGAN's does not."""

    def __init__(self, latent_dim, channels, image_size, normalize_input=True):
        super().__init__()
        self.start_size = image_size // 4
        self.project = nn.Linear(latent_dim, 128 * self.start_size ** 2)
        first = [nn.BatchNorm2d(128)] if normalize_input else []
        self.blocks = nn.Sequential(
            *first,
            nn.Upsample(scale_factor=2),
            nn.Conv2d(128, 128, 3, stride=1, padding=1),
            nn.BatchNorm2d(128, 0.8),
            nn.LeakyReLU(0.2),
            nn.Upsample(scale_factor=2),
            nn.Conv2d(128, 64, 3, stride=1, padding=1),
            nn.BatchNorm2d(64, 0.8),
            nn.LeakyReLU(0.2),
            nn.Conv2d(64, channels, 3, stride=1, padding=1),
            nn.Tanh(),
        )

    def forward(self, latent):
        start = self.project(latent).view(len(latent), 128, self.start_size, self.start_size)
        return self.blocks(start)


class BottleneckAutoencoder(nn.Module):
    """PyTorch-GAN's BEGAN and EBGAN discriminator: one strided convolution, a 32-unit fully
    connected bottleneck with batch normalization, one upsampling convolution back to the
    image."""

    def __init__(self, channels, image_size, bottleneck=32):
        super().__init__()
        self.half_size = image_size // 2
        features = 64 * self.half_size ** 2
        self.down = nn.Sequential(nn.Conv2d(channels, 64, 3, 2, 1), nn.ReLU())
        self.bottleneck = nn.Sequential(
            nn.Linear(features, bottleneck),
            nn.BatchNorm1d(bottleneck, 0.8),
            nn.ReLU(),
            nn.Linear(bottleneck, features),
            nn.BatchNorm1d(features),
            nn.ReLU(),
        )
        self.up = nn.Sequential(nn.Upsample(scale_factor=2), nn.Conv2d(64, channels, 3, 1, 1))

    def reconstruct_and_embed(self, images):
        """The reconstruction of `images` and their embedding (the first linear layer's
        output, before its batch normalization)."""
        embedding = self.bottleneck[0](self.down(images).flatten(1))
        codes = self.bottleneck[1:](embedding)
        reconstruction = self.up(codes.view(len(images), 64, self.half_size, self.half_size))
        return reconstruction, embedding

    def forward(self, images):
        return self.reconstruct_and_embed(images)[0]


class MultilayerGenerator(nn.Module):
    """PyTorch-GAN's fully connected generator: 128, 256, 512 and 1024 units, BatchNorm1d
    (ε 0.8) on all but the first, LeakyReLU 0.2, tanh pixels in the image's shape."""

    def __init__(self, latent_dim, image_shape):
        super().__init__()
        self.image_shape = tuple(image_shape)
        layers, width = [], latent_dim
        for index, units in enumerate((128, 256, 512, 1024)):
            layers.append(nn.Linear(width, units))
            if index > 0:
                layers.append(nn.BatchNorm1d(units, 0.8))
            layers.append(nn.LeakyReLU(0.2))
            width = units
        self.model = nn.Sequential(*layers, nn.Linear(width, int(np.prod(image_shape))),
                                   nn.Tanh())

    def forward(self, latent):
        return self.model(latent).view(len(latent), *self.image_shape)


class MultilayerDiscriminator(nn.Module):
    """PyTorch-GAN's fully connected discriminator of flattened images: 512 and 256 units,
    LeakyReLU 0.2, one output, with a sigmoid where `sigmoid` is set."""

    def __init__(self, input_features, sigmoid=False):
        super().__init__()
        self.model = nn.Sequential(
            nn.Linear(input_features, 512),
            nn.LeakyReLU(0.2),
            nn.Linear(512, 256),
            nn.LeakyReLU(0.2),
            nn.Linear(256, 1),
            *([nn.Sigmoid()] if sigmoid else []),
        )

    def forward(self, images):
        return self.model(images.flatten(1))


class Peer:
    """What `train()` and `sample()` need of a model: `generator`, `latent_dim`,
    `train_step(real_images)` returning its logs, and `critic_steps`, the iterations per
    generator step."""

    critic_steps = 1

    def sample(self, latent):
        """Images of `latent` (the caller sets evaluation mode)."""
        return self.generator(latent)


class BEGAN(Peer):
    """BEGAN as PyTorch-GAN trains it: G step, then D step, then the k update."""

    latent_dim = 62
    gamma = 0.75
    k_rate = 0.001

    def __init__(self, channels, image_size):
        self.generator = UpsamplingGenerator(self.latent_dim, channels, image_size)
        self.discriminator = BottleneckAutoencoder(channels, image_size)
        for network in (self.generator, self.discriminator):
            network.apply(normal_initialization)
        self.g_optimizer = adam(self.generator)
        self.d_optimizer = adam(self.discriminator)
        self.k = 0.0

    def reconstruction_loss(self, images):
        """L(v) = mean |D(v) − v|."""
        return torch.mean(torch.abs(self.discriminator(images) - images))

    def train_step(self, real_images):
        """One step; returns the logged values."""
        latent = torch.randn(len(real_images), self.latent_dim)
        fake_images = self.generator(latent)
        self.g_optimizer.zero_grad()
        g_loss = self.reconstruction_loss(fake_images)
        g_loss.backward()
        self.g_optimizer.step()

        self.d_optimizer.zero_grad()
        real_loss = self.reconstruction_loss(real_images)
        fake_loss = self.reconstruction_loss(fake_images.detach())
        d_loss = real_loss - self.k * fake_loss
        d_loss.backward()
        self.d_optimizer.step()

        balance = (self.gamma * real_loss - fake_loss).item()
        self.k = min(max(self.k + self.k_rate * balance, 0.0), 1.0)
        return dict(d_loss=d_loss.item(), g_loss=g_loss.item(), real_loss=real_loss.item(),
                    fake_loss=fake_loss.item(), k=self.k,
                    convergence=real_loss.item() + abs(balance))


def boundary_seeking_loss(probabilities):
    """BGAN's generator loss: 0.5 · mean((log p − log(1 − p))²), of probabilities, no ε."""
    return 0.5 * torch.mean((torch.log(probabilities) - torch.log(1 - probabilities)) ** 2)


class BGAN(Peer):
    """BGAN as PyTorch-GAN trains it: G step on the boundary-seeking loss, then D step on
    the halved binary cross-entropy with the same fakes."""

    latent_dim = 100

    def __init__(self, channels, image_size):
        self.generator = MultilayerGenerator(self.latent_dim, (channels, image_size, image_size))
        self.discriminator = MultilayerDiscriminator(channels * image_size ** 2, sigmoid=True)
        self.g_optimizer = adam(self.generator)
        self.d_optimizer = adam(self.discriminator)

    def train_step(self, real_images):
        """One step; returns the logged values."""
        latent = torch.randn(len(real_images), self.latent_dim)
        fake_images = self.generator(latent)
        self.g_optimizer.zero_grad()
        g_loss = boundary_seeking_loss(self.discriminator(fake_images))
        g_loss.backward()
        self.g_optimizer.step()

        self.d_optimizer.zero_grad()
        real_scores = self.discriminator(real_images)
        fake_scores = self.discriminator(fake_images.detach())
        real_loss = nn.functional.binary_cross_entropy(real_scores, torch.ones_like(real_scores))
        fake_loss = nn.functional.binary_cross_entropy(fake_scores, torch.zeros_like(fake_scores))
        d_loss = (real_loss + fake_loss) / 2
        d_loss.backward()
        self.d_optimizer.step()
        return dict(d_loss=d_loss.item(), g_loss=g_loss.item(), real_loss=real_loss.item(),
                    fake_loss=fake_loss.item())


def pullaway_term(embeddings):
    """EBGAN's pull-away term as PyTorch-GAN computes it: the mean cosine similarity (not
    squared) of the distinct pairs of a batch's embeddings."""
    unit = embeddings / torch.sqrt(torch.sum(embeddings ** 2, -1, keepdim=True))
    count = len(embeddings)
    return (torch.sum(unit @ unit.T) - count) / (count * (count - 1))


class EBGAN(Peer):
    """EBGAN as PyTorch-GAN trains it: G step on the reconstruction error plus the pull-away
    term, then D step on the real error plus the fakes' margin hinge."""

    latent_dim = 62
    pullaway_weight = 0.1

    def __init__(self, channels, image_size):
        self.generator = UpsamplingGenerator(self.latent_dim, channels, image_size,
                                             normalize_input=False)
        self.discriminator = BottleneckAutoencoder(channels, image_size)
        for network in (self.generator, self.discriminator):
            network.apply(normal_initialization)
        self.g_optimizer = adam(self.generator)
        self.d_optimizer = adam(self.discriminator)

    def train_step(self, real_images):
        """One step; returns the logged values."""
        mse = nn.functional.mse_loss
        latent = torch.randn(len(real_images), self.latent_dim)
        fake_images = self.generator(latent)
        self.g_optimizer.zero_grad()
        reconstruction, embeddings = self.discriminator.reconstruct_and_embed(fake_images)
        pullaway = pullaway_term(embeddings)
        g_loss = mse(reconstruction, fake_images.detach()) + self.pullaway_weight * pullaway
        g_loss.backward()
        self.g_optimizer.step()

        self.d_optimizer.zero_grad()
        fake_images = fake_images.detach()
        real_loss = mse(self.discriminator(real_images), real_images)
        fake_loss = mse(self.discriminator(fake_images), fake_images)
        margin = max(1, len(real_images) / 64.0)
        d_loss = real_loss
        if margin - fake_loss.item() > 0:
            d_loss = real_loss + (margin - fake_loss)
        d_loss.backward()
        self.d_optimizer.step()
        return dict(d_loss=d_loss.item(), g_loss=g_loss.item(), real_loss=real_loss.item(),
                    fake_loss=fake_loss.item(), pullaway=pullaway.item())


class WGAN(Peer):
    """WGAN as PyTorch-GAN trains it: a clipped D step every iteration, a G step on every
    `critic_steps`-th, starting with the first."""

    latent_dim = 100
    critic_steps = 5
    clip_value = 0.01

    def __init__(self, channels, image_size):
        self.generator = MultilayerGenerator(self.latent_dim, (channels, image_size, image_size))
        self.discriminator = MultilayerDiscriminator(channels * image_size ** 2)
        self.g_optimizer = torch.optim.RMSprop(self.generator.parameters(), lr=5e-5)
        self.d_optimizer = torch.optim.RMSprop(self.discriminator.parameters(), lr=5e-5)
        self.iterations = 0
        self.g_loss = None

    def clip_discriminator(self):
        """Clamps every weight and bias of D to [−clip, clip]."""
        with torch.no_grad():
            for parameter in self.discriminator.parameters():
                parameter.clamp_(-self.clip_value, self.clip_value)

    def train_step(self, real_images):
        """One iteration (D step, clipping, and G step where due); returns the logged values,
        with the loss of the latest G step."""
        self.d_optimizer.zero_grad()
        latent = torch.randn(len(real_images), self.latent_dim)
        fake_images = self.generator(latent).detach()
        d_loss = (-torch.mean(self.discriminator(real_images))
                  + torch.mean(self.discriminator(fake_images)))
        d_loss.backward()
        self.d_optimizer.step()
        self.clip_discriminator()

        if self.iterations % self.critic_steps == 0:
            self.g_optimizer.zero_grad()
            g_loss = -torch.mean(self.discriminator(self.generator(latent)))
            g_loss.backward()
            self.g_optimizer.step()
            self.g_loss = g_loss.item()
        self.iterations += 1
        return dict(d_loss=d_loss.item(), g_loss=self.g_loss)


class SoftmaxGAN(Peer):
    """Softmax GAN as PyTorch-GAN trains it: both losses from one forward pass and one
    partition function, D stepped before G."""

    latent_dim = 100

    def __init__(self, channels, image_size):
        self.generator = MultilayerGenerator(self.latent_dim, (channels, image_size, image_size))
        self.discriminator = MultilayerDiscriminator(image_size ** 2)
        self.g_optimizer = adam(self.generator)
        self.d_optimizer = adam(self.discriminator)

    @staticmethod
    def losses(real_scores, fake_scores):
        """L_D and L_G of the scores of one real and one fake batch."""
        count = len(real_scores)
        g_target, d_target = 1 / (count * 2), 1 / count
        partition = torch.sum(torch.exp(-real_scores)) + torch.sum(torch.exp(-fake_scores))
        d_loss = d_target * torch.sum(real_scores) + torch.log(partition + 1e-8)
        g_loss = (g_target * (torch.sum(real_scores) + torch.sum(fake_scores))
                  + torch.log(partition + 1e-8))
        return d_loss, g_loss

    def train_step(self, real_images):
        """One step; returns the logged values."""
        self.g_optimizer.zero_grad()
        self.d_optimizer.zero_grad()
        latent = torch.randn(len(real_images), self.latent_dim)
        fake_images = self.generator(latent)
        d_loss, g_loss = self.losses(self.discriminator(real_images),
                                     self.discriminator(fake_images))
        d_loss.backward(retain_graph=True)
        g_loss.backward(inputs=list(self.generator.parameters()))
        self.d_optimizer.step()
        self.g_optimizer.step()
        return dict(d_loss=d_loss.item(), g_loss=g_loss.item())


MODELS = {"began": BEGAN, "bgan": BGAN, "ebgan": EBGAN, "wgan": WGAN,
          "softmax_gan": SoftmaxGAN}


def batches(images, batch_size, rng):
    """Endless batches (NCHW tensors) of a seeded permutation per epoch, as a shuffling
    DataLoader without a last partial batch."""
    while True:
        order = rng.permutation(len(images))
        for first in range(0, len(order) - batch_size + 1, batch_size):
            batch = images[order[first:first + batch_size]]
            yield torch.from_numpy(np.ascontiguousarray(batch.transpose(0, 3, 1, 2)))


def train(model_name, images, steps, batch_size, seed, log_every=100):
    """Trains the peer of `model_name` for `steps` generator steps (`steps · critic_steps`
    iterations); returns it and its last logs."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = MODELS[model_name](images.shape[-1], images.shape[1])
    iterations = steps * model.critic_steps
    logs = {}
    for iteration, real_images in zip(range(iterations), batches(images, batch_size, rng)):
        logs = model.train_step(real_images)
        step, remainder = divmod(iteration + 1, model.critic_steps)
        if remainder == 0 and (step % log_every == 0 or step == steps):
            print(json.dumps(dict(step=step, **{k: round(v, 5) for k, v in logs.items()})),
                  flush=True)
    return model, logs


@torch.no_grad()
def sample(model, count, seed, batch_size=500):
    """`count` images (NHWC, [-1, 1]) of fresh noise, from the generator in evaluation mode."""
    model.generator.eval()
    generator = torch.Generator().manual_seed(seed)
    images = [model.sample(torch.randn(min(batch_size, count - first), model.latent_dim,
                                       generator=generator))
              for first in range(0, count, batch_size)]
    return torch.cat(images).numpy().transpose(0, 2, 3, 1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", choices=sorted(MODELS))
    parser.add_argument("--images", required=True, help="a .npy file of NHWC images in [-1, 1]")
    parser.add_argument("--steps", type=int, required=True, help="generator steps")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--samples", required=True, help="where to write the samples (.npy)")
    parser.add_argument("--count", type=int, default=2000, help="samples to write")
    args = parser.parse_args(argv)
    if min(args.steps, args.batch_size, args.count) < 1:
        parser.error("--steps, --batch-size and --count must be at least 1.")
    images = np.load(args.images).astype("float32")
    started = time.perf_counter()
    model, logs = train(args.model, images, args.steps, args.batch_size, args.seed)
    np.save(args.samples, sample(model, args.count, args.seed + 1))
    print(json.dumps(dict(model=args.model, steps=args.steps, seconds=round(
        time.perf_counter() - started, 1), torch=torch.__version__, last=logs)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
