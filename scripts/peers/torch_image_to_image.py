"""pix2pix and CycleGAN trained by plain eager PyTorch: the peer for `scripts/benchmark.py`.

    python scripts/peers/torch_image_to_image.py --model pix2pix --batch-size 16 --steps 10
    python scripts/peers/torch_image_to_image.py --model cyclegan --batch-size 1 --steps 10

A training loop in the style of PyTorch-GAN's scripts, around the networks of
junyanz/pytorch-CycleGAN-and-pix2pix exactly as MODEL_SPECS §24 and §28 give them:

- pix2pix: `unet_256` generator (batch norm, dropout 0.5 in the three 512 blocks next to the
  innermost one), 70×70 PatchGAN (`basic`, n_layers 3, batch norm) on concat(A, B),
  BCE-with-logits + 100·L1, Adam 2e-4 β (0.5, 0.999). One generator forward per step; D step
  on the detached fakes, then G step with D frozen (junyanz's order).
- CycleGAN: two `resnet_9blocks` generators (instance norm without affine, reflect padding), two
  70×70 PatchGANs (instance norm), LSGAN losses, cycle weight 10, identity weight 5, a 50-image
  pool per direction; G step (both generators, Ds frozen) then D step; one Adam over both
  generators, one over both discriminators.

Inputs are random images in [-1, 1], made once before timing. `--warmup` steps run untimed,
then `--steps` steps are timed one by one. Prints one JSON line: images/s (timed images over
timed seconds), mean and median step time, parameter counts, forward and step FLOPs counted
from the convolutions (2 per multiply-accumulate, training step = 3 × forward of every network
evaluation, as in `scripts/flops.py`), TFLOP/s at the mean step time, torch version, threads.
"""

import argparse
import json
import platform
import random
import statistics
import sys
import time

import torch
from torch import nn

# Generators


class UnetSkipConnectionBlock(nn.Module):
    """One level of the U-Net: down, the inner levels, up, and the skip by concatenation."""

    def __init__(self, outer_channels, inner_channels, input_channels=None, submodule=None,
                 outermost=False, innermost=False, use_dropout=False):
        super().__init__()
        self.outermost = outermost
        input_channels = input_channels or outer_channels
        down_conv = nn.Conv2d(input_channels, inner_channels, 4, 2, 1, bias=False)
        if outermost:
            up_conv = nn.ConvTranspose2d(inner_channels * 2, outer_channels, 4, 2, 1)
            down = [down_conv]
            up = [nn.ReLU(True), up_conv, nn.Tanh()]
            layers = down + [submodule] + up
        elif innermost:
            up_conv = nn.ConvTranspose2d(inner_channels, outer_channels, 4, 2, 1, bias=False)
            down = [nn.LeakyReLU(0.2, True), down_conv]
            up = [nn.ReLU(True), up_conv, nn.BatchNorm2d(outer_channels)]
            layers = down + up
        else:
            up_conv = nn.ConvTranspose2d(inner_channels * 2, outer_channels, 4, 2, 1, bias=False)
            down = [nn.LeakyReLU(0.2, True), down_conv, nn.BatchNorm2d(inner_channels)]
            up = [nn.ReLU(True), up_conv, nn.BatchNorm2d(outer_channels)]
            layers = down + [submodule] + up + ([nn.Dropout(0.5)] if use_dropout else [])
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        if self.outermost:
            return self.model(x)
        return torch.cat([x, self.model(x)], 1)


def unet_256(input_channels=3, output_channels=3, filters=64, downsamplings=8):
    """junyanz `unet_256`: 8 downsamplings of 256 px to a 1×1 bottleneck, batch norm, dropout."""
    block = UnetSkipConnectionBlock(filters * 8, filters * 8, innermost=True)
    for _ in range(downsamplings - 5):
        block = UnetSkipConnectionBlock(filters * 8, filters * 8, submodule=block,
                                        use_dropout=True)
    block = UnetSkipConnectionBlock(filters * 4, filters * 8, submodule=block)
    block = UnetSkipConnectionBlock(filters * 2, filters * 4, submodule=block)
    block = UnetSkipConnectionBlock(filters, filters * 2, submodule=block)
    return UnetSkipConnectionBlock(output_channels, filters, input_channels, submodule=block,
                                   outermost=True)


def instance_norm(channels):
    return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)


class ResnetBlock(nn.Module):
    """x + [reflect-pad 1 → conv 3 → IN → ReLU → reflect-pad 1 → conv 3 → IN](x)."""

    def __init__(self, channels):
        super().__init__()
        self.block = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), instance_norm(channels),
            nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), instance_norm(channels))

    def forward(self, x):
        return x + self.block(x)


def resnet_9blocks(input_channels=3, output_channels=3, filters=64, blocks=9):
    """junyanz `resnet_9blocks`: c7 → two stride-2 convs → 9 residual blocks → two up-convs → c7."""
    layers = [nn.ReflectionPad2d(3), nn.Conv2d(input_channels, filters, 7),
              instance_norm(filters), nn.ReLU(True)]
    for multiplier in (1, 2):
        channels = filters * multiplier
        layers += [nn.Conv2d(channels, channels * 2, 3, 2, 1), instance_norm(channels * 2),
                   nn.ReLU(True)]
    layers += [ResnetBlock(filters * 4) for _ in range(blocks)]
    for multiplier in (4, 2):
        channels = filters * multiplier
        layers += [nn.ConvTranspose2d(channels, channels // 2, 3, 2, 1, output_padding=1),
                   instance_norm(channels // 2), nn.ReLU(True)]
    layers += [nn.ReflectionPad2d(3), nn.Conv2d(filters, output_channels, 7), nn.Tanh()]
    return nn.Sequential(*layers)


# Discriminator


def patch_discriminator(input_channels, normalization, filters=64, n_layers=3):
    """junyanz `basic` NLayerDiscriminator: the 70×70 PatchGAN (256 px → 30×30 logits)."""
    use_bias = normalization is instance_norm
    layers = [nn.Conv2d(input_channels, filters, 4, 2, 1), nn.LeakyReLU(0.2, True)]
    multiplier = 1
    for n in range(1, n_layers + 1):
        previous, multiplier = multiplier, min(2 ** n, 8)
        stride = 2 if n < n_layers else 1
        layers += [nn.Conv2d(filters * previous, filters * multiplier, 4, stride, 1,
                             bias=use_bias),
                   normalization(filters * multiplier), nn.LeakyReLU(0.2, True)]
    layers += [nn.Conv2d(filters * multiplier, 1, 4, 1, 1)]
    return nn.Sequential(*layers)


def initialize_weights(network):
    """junyanz `init_weights(type="normal", gain=0.02)`."""
    for module in network.modules():
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(module.weight, 0.0, 0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.normal_(module.weight, 1.0, 0.02)
            nn.init.zeros_(module.bias)
    return network


# Image pool


class ImagePool:
    """junyanz ImagePool: once full, each image is swapped with a stored one with p = 0.5."""

    def __init__(self, size=50):
        self.size = size
        self.images = []

    def query(self, images):
        returned = []
        for image in images:
            image = image.unsqueeze(0)
            if len(self.images) < self.size:
                self.images.append(image)
                returned.append(image)
            elif random.uniform(0, 1) > 0.5:
                index = random.randint(0, self.size - 1)
                returned.append(self.images[index].clone())
                self.images[index] = image
            else:
                returned.append(image)
        return torch.cat(returned, 0)


def set_requires_grad(networks, requires_grad):
    for network in networks:
        for parameter in network.parameters():
            parameter.requires_grad = requires_grad


def adam(parameters):
    return torch.optim.Adam(parameters, lr=2e-4, betas=(0.5, 0.999))


# Training steps


class Pix2Pix:
    """The networks, optimizers and one training step of pix2pix."""

    def __init__(self, device):
        self.generator = initialize_weights(unet_256()).to(device)
        self.discriminator = initialize_weights(patch_discriminator(6, nn.BatchNorm2d)).to(device)
        self.optimizer_G = adam(self.generator.parameters())
        self.optimizer_D = adam(self.discriminator.parameters())
        self.criterion_GAN = nn.BCEWithLogitsLoss()
        self.criterion_pixelwise = nn.L1Loss()
        self.lambda_pixel = 100.0

    def networks(self):
        return {"generator": self.generator, "discriminator": self.discriminator}

    def network_evaluations(self):
        """Forward passes per image in one step: D on real and fake, then on fake again."""
        return {"generator": 1, "discriminator": 3}

    def train_step(self, real_A, real_B):
        fake_B = self.generator(real_A)

        # Train Discriminator
        set_requires_grad([self.discriminator], True)
        self.optimizer_D.zero_grad()
        pred_real = self.discriminator(torch.cat((real_A, real_B), 1))
        pred_fake = self.discriminator(torch.cat((real_A, fake_B.detach()), 1))
        loss_real = self.criterion_GAN(pred_real, torch.ones_like(pred_real))
        loss_fake = self.criterion_GAN(pred_fake, torch.zeros_like(pred_fake))
        loss_D = 0.5 * (loss_real + loss_fake)
        loss_D.backward()
        self.optimizer_D.step()

        # Train Generator
        set_requires_grad([self.discriminator], False)
        self.optimizer_G.zero_grad()
        pred_fake = self.discriminator(torch.cat((real_A, fake_B), 1))
        loss_GAN = self.criterion_GAN(pred_fake, torch.ones_like(pred_fake))
        loss_pixel = self.criterion_pixelwise(fake_B, real_B)
        loss_G = loss_GAN + self.lambda_pixel * loss_pixel
        loss_G.backward()
        self.optimizer_G.step()
        return loss_D.item(), loss_G.item()


class CycleGAN:
    """The networks, optimizers, image pools and one training step of CycleGAN."""

    def __init__(self, device):
        self.G_AB = initialize_weights(resnet_9blocks()).to(device)
        self.G_BA = initialize_weights(resnet_9blocks()).to(device)
        self.D_A = initialize_weights(patch_discriminator(3, instance_norm)).to(device)
        self.D_B = initialize_weights(patch_discriminator(3, instance_norm)).to(device)
        self.optimizer_G = adam(list(self.G_AB.parameters()) + list(self.G_BA.parameters()))
        self.optimizer_D = adam(list(self.D_A.parameters()) + list(self.D_B.parameters()))
        self.criterion_GAN = nn.MSELoss()
        self.criterion_cycle = nn.L1Loss()
        self.criterion_identity = nn.L1Loss()
        # junyanz: λ_A = λ_B = 10, identity λ_idt · λ = 0.5 · 10 = 5 in each direction.
        self.lambda_cycle, self.lambda_identity = 10.0, 5.0
        self.fake_A_pool, self.fake_B_pool = ImagePool(50), ImagePool(50)

    def networks(self):
        return {"generator_ab": self.G_AB, "generator_ba": self.G_BA,
                "discriminator_a": self.D_A, "discriminator_b": self.D_B}

    def network_evaluations(self):
        """Each G thrice (translate, cycle, identity), each D once in the G step, twice in D's."""
        return {"generator_ab": 3, "generator_ba": 3, "discriminator_a": 3, "discriminator_b": 3}

    def train_step(self, real_A, real_B):
        # Train Generators
        set_requires_grad([self.D_A, self.D_B], False)
        self.optimizer_G.zero_grad()
        loss_id_A = self.criterion_identity(self.G_BA(real_A), real_A)
        loss_id_B = self.criterion_identity(self.G_AB(real_B), real_B)
        loss_identity = loss_id_A + loss_id_B
        fake_B = self.G_AB(real_A)
        fake_A = self.G_BA(real_B)
        pred_fake_B, pred_fake_A = self.D_B(fake_B), self.D_A(fake_A)
        loss_GAN_AB = self.criterion_GAN(pred_fake_B, torch.ones_like(pred_fake_B))
        loss_GAN_BA = self.criterion_GAN(pred_fake_A, torch.ones_like(pred_fake_A))
        loss_GAN = loss_GAN_AB + loss_GAN_BA
        loss_cycle_A = self.criterion_cycle(self.G_BA(fake_B), real_A)
        loss_cycle_B = self.criterion_cycle(self.G_AB(fake_A), real_B)
        loss_cycle = loss_cycle_A + loss_cycle_B
        loss_G = loss_GAN + self.lambda_cycle * loss_cycle + self.lambda_identity * loss_identity
        loss_G.backward()
        self.optimizer_G.step()

        # Train Discriminators A and B
        set_requires_grad([self.D_A, self.D_B], True)
        self.optimizer_D.zero_grad()
        loss_D_A = self.discriminator_loss(self.D_A, real_A, self.fake_A_pool.query(fake_A))
        loss_D_B = self.discriminator_loss(self.D_B, real_B, self.fake_B_pool.query(fake_B))
        (loss_D_A + loss_D_B).backward()
        self.optimizer_D.step()
        return (loss_D_A + loss_D_B).item(), loss_G.item()

    def discriminator_loss(self, discriminator, real, fake):
        pred_real, pred_fake = discriminator(real), discriminator(fake.detach())
        loss_real = self.criterion_GAN(pred_real, torch.ones_like(pred_real))
        loss_fake = self.criterion_GAN(pred_fake, torch.zeros_like(pred_fake))
        return 0.5 * (loss_real + loss_fake)


# Measurement


def forward_flops(network, input_shape, device):
    """FLOPs of one forward pass of one image: 2 per multiply-accumulate of the convolutions."""
    macs = []

    def count(module, inputs, output):
        if isinstance(module, nn.ConvTranspose2d):
            pixels = inputs[0].shape[2] * inputs[0].shape[3]
        else:
            pixels = output.shape[2] * output.shape[3]
        kernel = module.weight.shape[2] * module.weight.shape[3]
        per_pixel = module.in_channels // module.groups * module.out_channels
        macs.append(pixels * kernel * per_pixel)

    hooks = [module.register_forward_hook(count) for module in network.modules()
             if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d))]
    was_training = network.training
    network.eval()
    with torch.no_grad():
        network(torch.zeros((1,) + input_shape, device=device))
    network.train(was_training)
    for hook in hooks:
        hook.remove()
    return 2 * sum(macs)


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=("pix2pix", "cyclegan"), required=True)
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--image-size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=10, help="timed steps")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps before timing")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch.set_num_threads (default: torch's own choice)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    multiple = 256 if args.model == "pix2pix" else 4
    if args.image_size % multiple:
        parser.error(f"--image-size must be a multiple of {multiple} for {args.model}'s "
                     f"generator. Received: {args.image_size}")
    if args.steps < 1 or args.warmup < 0 or args.batch_size < 1:
        parser.error("--steps and --batch-size must be positive and --warmup not negative.")
    return args


def synchronize(device):
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()


def measure(args):
    """Builds the model, runs warm-up and timed steps, and returns the result dictionary."""
    if args.threads:
        torch.set_num_threads(args.threads)
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    model = (Pix2Pix if args.model == "pix2pix" else CycleGAN)(device)
    image_shape = (3, args.image_size, args.image_size)
    batches = [torch.rand((2, args.batch_size) + image_shape, device=device) * 2 - 1
               for _ in range(2)]
    forward = {name: forward_flops(network, network_input(name, image_shape), device)
               for name, network in model.networks().items()}
    evaluations = model.network_evaluations()
    step_flops = 3 * args.batch_size * sum(forward[name] * evaluations[name] for name in forward)

    for step in range(args.warmup):
        model.train_step(*batches[step % 2])
    synchronize(device)
    durations = []
    for step in range(args.steps):
        start = time.perf_counter()
        loss_D, loss_G = model.train_step(*batches[step % 2])
        synchronize(device)
        durations.append(time.perf_counter() - start)
    mean = sum(durations) / len(durations)
    return {
        "peer": "torch eager",
        "model": args.model,
        "device": str(device) if device.type != "cpu" else f"cpu: {platform.machine()}",
        "batch_size": args.batch_size,
        "image_size": args.image_size,
        "warmup_steps": args.warmup,
        "timed_steps": args.steps,
        "images_per_second": round(args.steps * args.batch_size / sum(durations), 2),
        "step_time_mean_s": round(mean, 4),
        "step_time_median_s": round(statistics.median(durations), 4),
        "step_time_min_s": round(min(durations), 4),
        "parameters": {name: sum(p.numel() for p in network.parameters())
                       for name, network in model.networks().items()},
        "forward_flops_per_image": forward,
        "step_flops": step_flops,
        "tflops_per_second": float(f"{step_flops / mean / 1e12:.4g}"),
        "final_losses": {"discriminator": round(loss_D, 4), "generator": round(loss_G, 4)},
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }


def network_input(name, image_shape):
    """pix2pix's discriminator sees concat(A, B); every other network one image."""
    if name == "discriminator":
        return (2 * image_shape[0],) + image_shape[1:]
    return image_shape


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    result = measure(parse_arguments(argv))
    result["command"] = " ".join(["python", "scripts/peers/torch_image_to_image.py"] + argv)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
