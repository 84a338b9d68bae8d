"""Trains a model on real digits (the first 8,000 of the shared MNIST test set) and keeps its grid.

    python scripts/train_real_digits.py dcgan --epochs 20
    python scripts/train_real_digits.py gan --epochs 30 --dataset mnist

Runs the model's own command line (`python -m keras_gans.<model>`) on
`--dataset mnist32` (or `--dataset`) with `--data-dir ../shared/data/mnist`, whose train split
is the first 8,000 digits (keras_gans.data). The run's outputs go to
`runs/real_digits/<model>/`; the last epoch's sample grid is copied to
`docs/images/<model>_real_digits.png` and a summary (wall time, final losses, command, machine)
to `docs/benchmarks/<model>_real_digits.json`.
"""

import argparse
import csv
import json
import os
import platform
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MNIST_DIR = os.path.join(os.path.dirname(ROOT), "shared", "data", "mnist")


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--dataset", default="mnist32")
    parser.add_argument("--data-dir", default=MNIST_DIR)
    parser.add_argument("--backend", default=os.environ.get("KERAS_BACKEND", "tensorflow"))
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_arguments(argv)
    out = os.path.join(ROOT, "runs", "real_digits", args.model)
    command = [sys.executable, "-m", f"keras_gans.{args.model}", "--dataset", args.dataset,
               "--data-dir", args.data_dir, "--epochs", str(args.epochs), "--seed",
               str(args.seed), "--out", out, "--overwrite", "--verbose", "2"]
    environment = dict(os.environ, KERAS_BACKEND=args.backend, TF_CPP_MIN_LOG_LEVEL="3")
    start = time.time()
    code = subprocess.call(command, cwd=ROOT, env=environment)
    seconds = time.time() - start
    if code:
        return code
    grid = os.path.join(out, "samples", f"epoch_{args.epochs:04d}.png")
    image = os.path.join(ROOT, "docs", "images", f"{args.model}_real_digits.png")
    os.makedirs(os.path.dirname(image), exist_ok=True)
    shutil.copyfile(grid, image)
    with open(os.path.join(out, "metrics.csv")) as file:
        last_epoch = list(csv.DictReader(file))[-1]
    summary = {
        "model": args.model,
        "dataset": f"{args.dataset}, first 8,000 digits of the MNIST test set",
        "epochs": args.epochs,
        "backend": args.backend,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores",
        "wall_seconds": round(seconds, 1),
        "final_losses": {k: round(float(v), 4) for k, v in last_epoch.items() if k != "epoch"},
        "sample_grid": os.path.relpath(image, ROOT),
        "date": time.strftime("%Y-%m-%d"),
        "command": f"python scripts/train_real_digits.py {args.model} --epochs {args.epochs}"
        + (f" --dataset {args.dataset}" if args.dataset != "mnist32" else ""),
    }
    path = os.path.join(ROOT, "docs", "benchmarks", f"{args.model}_real_digits.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as file:
        json.dump(summary, file, indent=2)
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
