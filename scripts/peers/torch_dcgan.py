"""DCGAN trained by plain eager PyTorch: the reference beside `scripts/collapse.py`.

    python scripts/peers/torch_dcgan.py --images digits64.npy --steps 300 --seed 0 \
        --samples samples.npy

The networks of pytorch/examples' `dcgan` (Radford et al., 2015), laid out as
`keras_gans.dcgan` builds them for 64×64 images, so that the two differ only in the framework:

- G: z (100) → linear 4·4·512 (no bias) → 4×4×512 → BN → ReLU → [convT k4 s2 p1 (no bias) →
  BN → ReLU]
  with 256, 128, 64 channels → convT k4 s2 p1 to the image channels (with bias) → tanh.
- D: conv k4 s2 p1 64 → LeakyReLU 0.2 → [conv k4 s2 p1 (no bias) → BN → LeakyReLU 0.2] with
  128, 256, 512 channels → linear 1 (a logit).
- Batch norm with PyTorch's momentum 0.1 and ε 1e-5; weights N(0, 0.02), BN γ N(1, 0.02), β 0.
- BCE with logits, ½ on D's loss (as the library), Adam 2e-4 β (0.5, 0.999), D step on detached
  fakes then G step on fresh noise with the non-saturating loss; batches drawn by a seeded
  permutation per epoch.

Reads the training images from a NumPy file (N, H, W, C) in [-1, 1] and writes `--samples`
generated images (NHWC, [-1, 1]) after the last step.
"""

import argparse
import json
import time

import numpy as np
import torch
from torch import nn
from torch.nn import functional


class Generator(nn.Module):
    """DCGAN generator for 2ᵏ-pixel images, starting from 4×4."""

    def __init__(self, latent_dim, channels, image_size, base_width=64):
        super().__init__()
        stages = int(np.log2(image_size)) - 3  # transposed convolutions before the last
        width = base_width * 2 ** stages
        self.start_width = width
        self.project = nn.Linear(latent_dim, 4 * 4 * width, bias=False)
        self.project_norm = nn.BatchNorm2d(width)
        blocks = []
        for _ in range(stages):
            blocks += [nn.ConvTranspose2d(width, width // 2, 4, 2, 1, bias=False),
                       nn.BatchNorm2d(width // 2), nn.ReLU()]
            width //= 2
        blocks += [nn.ConvTranspose2d(width, channels, 4, 2, 1), nn.Tanh()]
        self.blocks = nn.Sequential(*blocks)

    def forward(self, latent):
        x = self.project(latent).view(len(latent), self.start_width, 4, 4)
        return self.blocks(torch.relu(self.project_norm(x)))


class Discriminator(nn.Module):
    """DCGAN discriminator: strided convolutions down to 4×4, then one logit."""

    def __init__(self, channels, image_size, base_width=64):
        super().__init__()
        stages = int(np.log2(image_size)) - 2
        layers = [nn.Conv2d(channels, base_width, 4, 2, 1), nn.LeakyReLU(0.2)]
        width = base_width
        for _ in range(stages - 1):
            layers += [nn.Conv2d(width, width * 2, 4, 2, 1, bias=False),
                       nn.BatchNorm2d(width * 2), nn.LeakyReLU(0.2)]
            width *= 2
        self.features = nn.Sequential(*layers)
        self.logit = nn.Linear(width * 4 * 4, 1)

    def forward(self, images):
        return self.logit(self.features(images).flatten(1))


def initialize(network):
    """N(0, 0.02) weights, BN γ ~ N(1, 0.02) and β = 0, zero biases (pytorch/examples)."""
    for module in network.modules():
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(module.weight, 0.0, 0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.normal_(module.weight, 1.0, 0.02)
            nn.init.zeros_(module.bias)


def train(images, steps, batch_size, seed, latent_dim=100):
    """Trains DCGAN for `steps` steps; returns the generator (in training mode)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    data = torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2)))
    channels, image_size = data.shape[1], data.shape[2]
    generator, discriminator = Generator(latent_dim, channels, image_size), Discriminator(
        channels, image_size)
    initialize(generator)
    initialize(discriminator)
    g_optimizer = torch.optim.Adam(generator.parameters(), 2e-4, betas=(0.5, 0.999))
    d_optimizer = torch.optim.Adam(discriminator.parameters(), 2e-4, betas=(0.5, 0.999))
    order, position = rng.permutation(len(data)), 0
    for _ in range(steps):
        if position + batch_size > len(order):
            order, position = rng.permutation(len(data)), 0
        real = data[order[position:position + batch_size]]
        position += batch_size
        fake = generator(torch.randn(batch_size, latent_dim)).detach()
        real_logits, fake_logits = discriminator(real), discriminator(fake)
        d_loss = 0.5 * (functional.binary_cross_entropy_with_logits(
            real_logits, torch.ones_like(real_logits))
            + functional.binary_cross_entropy_with_logits(fake_logits,
                                                          torch.zeros_like(fake_logits)))
        d_optimizer.zero_grad()
        d_loss.backward()
        d_optimizer.step()
        fake_logits = discriminator(generator(torch.randn(batch_size, latent_dim)))
        g_loss = functional.binary_cross_entropy_with_logits(fake_logits,
                                                             torch.ones_like(fake_logits))
        g_optimizer.zero_grad()
        g_loss.backward()
        g_optimizer.step()
    return generator


def sample(generator, count, seed, latent_dim=100):
    """`count` images (NHWC, [-1, 1]) from the generator, batch norm in inference mode."""
    generator.eval()
    with torch.no_grad():
        latent = torch.from_numpy(
            np.random.default_rng(seed).standard_normal((count, latent_dim)).astype("float32"))
        return generator(latent).numpy().transpose(0, 2, 3, 1)


def main(argv=None):
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", required=True, help="a .npy file of NHWC images in [-1, 1]")
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--samples", required=True, help="where to write the samples (.npy)")
    parser.add_argument("--count", type=int, default=256, help="samples to write")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    generator = train(np.load(args.images).astype("float32"), args.steps, args.batch_size,
                      args.seed)
    np.save(args.samples, sample(generator, args.count, args.seed + 1))
    print(json.dumps({"seconds": round(time.perf_counter() - start, 1), "steps": args.steps,
                      "torch": torch.__version__}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
