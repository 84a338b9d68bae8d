"""Traces BEGAN's equilibrium on real digits: k_t, L(x), L(G(z)) and sample spread, step by step.

    python scripts/began_trace.py --steps 750
    python scripts/began_trace.py --steps 750 --architecture paper
    python scripts/began_trace.py --steps 600 --discriminator paper
    python scripts/began_trace.py --paper --steps 700 --lambda-k 0.01
    python scripts/began_trace.py --paper --steps 700 --lambda-k 0.01 --linear-output
    python scripts/began_trace.py --paper --steps 600 --gamma 0.7
    python scripts/began_trace.py --paper --steps 600 --skip

Trains BEGAN with `fit()` on the first 8,000 digits (`mnist32`, seed 0) and prints,
every `--every` steps and at the last: k_t; L(x) on 64 training digits and L(G(z)) on 64 fixed
latent vectors, both measured by the current discriminator; and the mean and the
between-sample standard deviation (per pixel, averaged over pixels) of those 64 samples. A
between-sample standard deviation near 0 means the generator has collapsed to one image.
`--grid PATH` writes those 64 samples after the last step.
`--linear-output` drops the generator's final tanh, as carpedm20/BEGAN-tensorflow does. The
learning-rate halving of the command line is not used, so the trace shows the controller alone.

Settings are the library's defaults (compact networks, γ 0.75, Adam 2e-4, batch 64, the
generator updated first) unless `--paper` asks for the paper's (its networks, γ 0.5, Adam 1e-4,
batch 16, the discriminator updated first); each flag then changes one of them.
"""

import argparse
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MNIST_DIR = os.path.join(os.path.dirname(ROOT), "shared", "data", "mnist")
TRAINING_IMAGES = 8000
PROBE_COUNT = 64
LIBRARY = dict(architecture="compact", gamma=0.75, learning_rate=2e-4, batch_size=64,
               update_order="generator-first")
PAPER = dict(architecture="paper", gamma=0.5, learning_rate=1e-4, batch_size=16,
             update_order="discriminator-first")


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1500, help="training steps")
    parser.add_argument("--every", type=int, default=50, help="print every this many steps")
    parser.add_argument("--paper", action="store_true", help="start from the paper's settings")
    parser.add_argument("--architecture", choices=("compact", "paper"), help="the networks")
    parser.add_argument("--generator", choices=("compact", "paper"),
                        help="the generator alone (default: --architecture's)")
    parser.add_argument("--discriminator", choices=("compact", "paper"),
                        help="the discriminator alone (default: --architecture's)")
    parser.add_argument("--update-order", choices=("generator-first", "discriminator-first"))
    parser.add_argument("--learning-rate", type=float, help="Adam's rate for both players")
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--gamma", type=float, help="γ (paper: 0.3-0.7)")
    parser.add_argument("--lambda-k", type=float, default=0.001, help="λ_k, the gain of k_t")
    parser.add_argument("--skip", action="store_true", help="the paper's skip connections")
    parser.add_argument("--linear-output", action="store_true",
                        help="a generator without the final tanh")
    parser.add_argument("--grid", help="write the 64 traced samples of the last step to this PNG")
    parser.add_argument("--dataset", default="mnist32", help="the images to train on")
    parser.add_argument("--data-dir", default=MNIST_DIR, help="folder of the MNIST files")
    args = parser.parse_args(argv)
    if args.steps < 1 or args.every < 1:
        parser.error("--steps and --every must be at least 1.")
    for name, value in (PAPER if args.paper else LIBRARY).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.generator = args.generator or args.architecture
    args.discriminator = args.discriminator or args.architecture
    if args.skip and "compact" in (args.generator, args.discriminator):
        parser.error("--skip is for the paper's networks; add --architecture paper.")
    if args.linear_output and args.generator != "paper":
        parser.error("--linear-output is for the paper's generator; add --generator paper.")
    return args


def build_model(args, image_shape):
    """BEGAN with the traced settings (paper defaults otherwise)."""
    import keras

    from keras_gans import began

    build_generator, _ = began.ARCHITECTURES[args.generator]
    _, build_discriminator = began.ARCHITECTURES[args.discriminator]
    options = dict(skip=True) if args.skip else {}
    discriminator = build_discriminator(image_shape, **options)
    if args.linear_output:
        latent = keras.Input((64,), name="latent")
        generator = keras.Model(latent, began.decode(latent, image_shape, 64, args.skip),
                                name="generator")
    else:
        generator = build_generator(64, image_shape, **options)
    model = began.BEGAN(image_shape=image_shape, gamma=args.gamma, lambda_k=args.lambda_k,
                        skip=args.skip, architecture=args.architecture,
                        generator_first=args.update_order == "generator-first",
                        generator=generator, discriminator=discriminator, seed=0)
    model.compile(g_optimizer=keras.optimizers.Adam(args.learning_rate, beta_1=0.5),
                  d_optimizer=keras.optimizers.Adam(args.learning_rate, beta_1=0.5))
    return model


def samples(model, latent):
    """The generator's images for `latent`, in inference mode, as a NumPy array."""
    from keras import ops

    return ops.convert_to_numpy(model.generator(latent, training=False))


def trace_line(step, model, images, latent):
    """One line of the trace at `step`."""
    import numpy as np
    from keras import ops

    def reconstruction_loss(batch):
        reconstructions = ops.convert_to_numpy(model.discriminator(batch, training=False))
        return float(np.mean(np.abs(batch - reconstructions)))

    fakes = samples(model, latent)
    chosen = np.random.default_rng(step).choice(len(images), PROBE_COUNT)
    return (f"step {step:5d} k {float(model.k.value):.4f} "
            f"L(x) {reconstruction_loss(images[chosen]):.3f} "
            f"L(G) {reconstruction_loss(fakes):.3f} mean {fakes.mean():+.3f} "
            f"between-std {fakes.std(axis=0).mean():.3f}")


def trace(args):
    """Trains for `args.steps` steps and prints the trace; returns the model."""
    import keras

    from keras_gans import data
    from keras_gans import engine

    keras.utils.set_random_seed(0)
    images = data.load(args.dataset, data_dir=args.data_dir, split="train",
                       limit=TRAINING_IMAGES).images
    model = build_model(args, images.shape[1:])
    latent = model.sample_inputs(PROBE_COUNT)

    class Trace(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.step = 0

        def on_train_batch_end(self, batch, logs=None):
            self.step += 1
            if self.step in (1, args.steps) or self.step % args.every == 0:
                engine.sync_training_state(model)
                print(trace_line(self.step, model, images, latent), flush=True)
            if self.step == args.steps:
                self.model.stop_training = True

    networks = (f"{args.architecture} networks" if args.generator == args.discriminator else
                f"{args.generator} generator, {args.discriminator} discriminator")
    print(f"settings: {networks}, gamma {args.gamma}, lambda_k "
          f"{args.lambda_k}, Adam {args.learning_rate}, batch {args.batch_size}, "
          f"{args.update_order}", flush=True)
    steps_per_epoch = min(len(images) // args.batch_size, args.steps)
    epochs = -(-args.steps // steps_per_epoch)
    model.fit(images, batch_size=args.batch_size, epochs=epochs, steps_per_epoch=steps_per_epoch,
              callbacks=[Trace()], verbose=0)
    if args.grid:
        from keras_gans import callbacks

        callbacks.save_image_grid(samples(model, latent), args.grid)
    return model


def main(argv=None):
    trace(parse_arguments(argv))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
