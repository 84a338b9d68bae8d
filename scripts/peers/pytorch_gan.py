"""The anchors of the unconditional rows: PyTorch-GAN's models, trained by plain PyTorch.

    python scripts/peers/pytorch_gan.py began --images digits32.npy --steps 2000 \
        --samples samples.npy

Users who compare this library with an implementation compare it with PyTorch-GAN
(eriklindernoren/PyTorch-GAN), so each model here follows that repository's `implementations/`
script as published: its networks, initialisation, optimizer, loss and update order, with
only the crashes that stop it on current PyTorch fixed (noted per model). Training reads the
given images (N, H, W, C) in [-1, 1] in a seeded permutation per epoch, batch 64, and writes
`--count` generated images (NHWC, [-1, 1]) after the last step, for `scripts/results.py peer`
to score with the reference classifier.

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


class UpsamplingGenerator(nn.Module):
    """PyTorch-GAN's upsampling DCGAN generator (BEGAN, EBGAN and others)."""

    def __init__(self, latent_dim, channels, image_size):
        super().__init__()
        self.start_size = image_size // 4
        self.project = nn.Linear(latent_dim, 128 * self.start_size ** 2)
        self.blocks = nn.Sequential(
            nn.BatchNorm2d(128),
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
    """PyTorch-GAN's BEGAN discriminator: one strided convolution, a 32-unit fully connected
    bottleneck with batch normalization, one upsampling convolution back to the image."""

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

    def forward(self, images):
        codes = self.bottleneck(self.down(images).flatten(1))
        return self.up(codes.view(len(images), 64, self.half_size, self.half_size))


class BEGAN:
    """BEGAN as PyTorch-GAN trains it: G step, then D step, then the k update."""

    latent_dim = 62
    gamma = 0.75
    k_rate = 0.001

    def __init__(self, channels, image_size):
        self.generator = UpsamplingGenerator(self.latent_dim, channels, image_size)
        self.discriminator = BottleneckAutoencoder(channels, image_size)
        for network in (self.generator, self.discriminator):
            network.apply(normal_initialization)
        self.g_optimizer = torch.optim.Adam(self.generator.parameters(), 2e-4, betas=(0.5, 0.999))
        self.d_optimizer = torch.optim.Adam(self.discriminator.parameters(), 2e-4,
                                            betas=(0.5, 0.999))
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

    def sample(self, latent):
        """Images of `latent` in evaluation mode."""
        return self.generator(latent)


MODELS = {"began": BEGAN}


def batches(images, batch_size, rng):
    """Endless batches (NCHW tensors) of a seeded permutation per epoch, as a shuffling
    DataLoader without a last partial batch."""
    while True:
        order = rng.permutation(len(images))
        for first in range(0, len(order) - batch_size + 1, batch_size):
            batch = images[order[first:first + batch_size]]
            yield torch.from_numpy(np.ascontiguousarray(batch.transpose(0, 3, 1, 2)))


def train(model_name, images, steps, batch_size, seed, log_every=100):
    """Trains the peer of `model_name` for `steps` steps; returns it and its last logs."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = MODELS[model_name](images.shape[-1], images.shape[1])
    logs = {}
    for step, real_images in zip(range(1, steps + 1), batches(images, batch_size, rng)):
        logs = model.train_step(real_images)
        if step % log_every == 0 or step == steps:
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
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--samples", required=True, help="where to write the samples (.npy)")
    parser.add_argument("--count", type=int, default=2000, help="samples to write")
    args = parser.parse_args(argv)
    images = np.load(args.images).astype("float32")
    started = time.perf_counter()
    model, logs = train(args.model, images, args.steps, args.batch_size, args.seed)
    np.save(args.samples, sample(model, args.count, args.seed + 1))
    print(json.dumps(dict(model=args.model, steps=args.steps, seconds=round(
        time.perf_counter() - started, 1), torch=torch.__version__, last=logs)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
