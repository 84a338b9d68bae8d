"""Tries the command line with bad input, as a user would, and records what each one says.

    python scripts/bad_inputs.py                       # prints the table
    python scripts/bad_inputs.py --write               # also writes it into docs/RESULTS.md
    python scripts/bad_inputs.py --small-disk /mnt/x   # adds a full-disk case on a small volume

Every case runs `python -m keras_gans.<model> ...` in a fresh process, on files the script makes
in a temporary folder (a finished run, a truncated checkpoint, a model with a Lambda layer, a
project folder, ...), and keeps its exit code and the lines it printed on standard error. Paths
are shown relative to that folder.
"""

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "docs", "RESULTS.md")
START, END = "<!-- bad-inputs:start -->", "<!-- bad-inputs:end -->"
SMALL = ["--dataset", "shapes", "--limit", "64", "--batch-size", "16", "--steps-per-epoch", "2",
         "--image-size", "16", "--latent-dim", "8", "--verbose", "0"]


def command(folder, model, *arguments):
    """Runs `python -m keras_gans.<model> arguments` in `folder`; returns (code, stderr)."""
    environment = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    environment.pop("TF_CPP_MIN_LOG_LEVEL", None)
    result = subprocess.run([sys.executable, "-m", f"keras_gans.{model}", *arguments],
                            cwd=folder, capture_output=True, text=True, env=environment)
    return result.returncode, result.stderr


def make_files(folder):
    """The runs, checkpoints and folders the cases need."""
    assert command(folder, "gan", *SMALL, "--out", "run", "--epochs", "1")[0] == 0
    assert command(folder, "dcgan", "--dataset", "shapes", "--smoke", "--out", "dcgan_run",
                   "--verbose", "0")[0] == 0
    checkpoint = os.path.join(folder, "run", "checkpoints", "model.keras")
    with open(checkpoint, "rb") as file:
        content = file.read()
    with open(os.path.join(folder, "truncated.keras"), "wb") as file:
        file.write(content[: len(content) // 2])
    code = ("import keras; from keras_gans import gan; g = keras.Sequential([keras.Input((8,)), "
            "keras.layers.Dense(256), keras.layers.Lambda(lambda x: 2 * x), "
            "keras.layers.Reshape((16, 16, 1))], name='generator'); "
            "m = gan.GAN(latent_dim=8, image_shape=(16, 16, 1), generator=g); m.compile(); "
            "m.save('unsafe.keras')")
    subprocess.run([sys.executable, "-c", code], cwd=folder, check=True, capture_output=True,
                   env=dict(os.environ, PYTHONPATH=ROOT))
    project = os.path.join(folder, "myproject")
    os.makedirs(os.path.join(project, "src"))
    for name, text in (("config.json", "{}"), ("setup.py", "print('mine')"),
                       ("src/model.py", "x = 1")):
        with open(os.path.join(project, name), "w") as file:
            file.write(text)
    shutil.copytree(os.path.join(folder, "run"), os.path.join(folder, "run_with_notes"))
    with open(os.path.join(folder, "run_with_notes", "notes.txt"), "w") as file:
        file.write("mine")
    from PIL import Image

    os.makedirs(os.path.join(folder, "gray"))
    for index in range(16):
        Image.new("L", (16, 16), color=index * 10).save(os.path.join(folder, "gray",
                                                                     f"{index}.png"))
    with open(os.path.join(folder, "file.txt"), "w") as file:
        file.write("mine")


CLASSIFIER = os.path.join(ROOT, "keras_gans", "assets", "mnist_classifier.keras")
CASES = [
    ("`--overwrite` with a typo in `--dataset`",
     ["gan", "--out", "run", "--overwrite", "--dataset", "shapse"]),
    ("`--overwrite` on a project folder holding a `config.json`",
     ["gan", *SMALL, "--out", "myproject", "--overwrite"]),
    ("`--overwrite` on a run folder that also holds the user's `notes.txt`",
     ["gan", *SMALL, "--out", "run_with_notes", "--overwrite"]),
    ("`--out` below a file", ["gan", *SMALL, "--out", "file.txt/run"]),
    ("`--resume` with another `--batch-size`",
     ["gan", "--resume", "--out", "run", "--epochs", "2", "--batch-size", "8"]),
    ("`--resume` with another `--image-size`",
     ["gan", "--resume", "--out", "run", "--epochs", "2", "--image-size", "28"]),
    ("`--resume` with another `--channels`",
     ["gan", "--resume", "--out", "run", "--epochs", "2", "--channels", "3"]),
    ("`gan --resume` on a DCGAN run", ["gan", "--resume", "--out", "dcgan_run", "--epochs", "2"]),
    ("`--resume` of a run that has finished its epochs", ["gan", "--resume", "--out", "run"]),
    ("`--steps-per-epoch -1`", ["gan", "--steps-per-epoch", "-1"]),
    ("`--steps-per-epoch 0`", ["gan", "--steps-per-epoch", "0"]),
    ("`--sample-every -1`", ["gan", "--sample-every", "-1"]),
    ("`--latent-dim 0`", ["gan", "--latent-dim", "0"]),
    ("a negative learning rate", ["gan", "--g-lr", "-0.001"]),
    ("`--beta-1 1` (WGAN-GP)", ["wgan_gp", "--beta-1", "1"]),
    ("an unknown flag", ["gan", "--learning-rate", "0.1"]),
    ("huge learning rates (a NaN loss)",
     ["gan", *SMALL, "--out", "nan_run", "--g-lr", "1e30", "--d-lr", "1e30", "--epochs", "2"]),
    ("a truncated `.keras` file", ["gan", "sample", "--checkpoint", "truncated.keras"]),
    ("a run folder as `--checkpoint`", ["gan", "sample", "--checkpoint", "run"]),
    ("a `.keras` file that is not a GAN", ["gan", "sample", "--checkpoint", CLASSIFIER]),
    ("a `.keras` file with a Lambda layer (safe mode)",
     ["gan", "sample", "--checkpoint", "unsafe.keras"]),
    ("`sample --count 0`",
     ["gan", "sample", "--checkpoint", "run/checkpoints/model.keras", "--count", "0"]),
    ("`evaluate --count 0`", ["evaluate", "--checkpoint", "dcgan_run/checkpoints/model.keras",
                              "--dataset", "shapes", "--count", "0"]),
    ("`evaluate --count 1`", ["evaluate", "--checkpoint", "dcgan_run/checkpoints/model.keras",
                              "--dataset", "shapes", "--count", "1"]),
    ("classifier features on 16x16 samples (`evaluate`)",
     ["evaluate", "--checkpoint", "run/checkpoints/model.keras", "--dataset", "shapes",
      "--features", "classifier"]),
    ("classifier features on 64x64 images (training)",
     ["gan", "--dataset", "shapes", "--image-size", "64", "--eval-every", "1",
      "--eval-features", "classifier", "--out", "big"]),
    ("`--channels 3` on `shapes` (converted, with a note)",
     ["gan", *SMALL, "--channels", "3", "--out", "rgb", "--epochs", "1"]),
    ("`--channels 3` on a folder of grayscale images",
     ["gan", "--dataset", "gray", "--channels", "3", "--batch-size", "8", "--out", "gray_run"]),
]


def full_disk_case(small_disk):
    """A run on a volume with room for one checkpoint only (`--small-disk`)."""
    out = os.path.join(small_disk, "run")
    return ("a full disk while saving a checkpoint",
            ["gan", *SMALL, "--out", out, "--epochs", "3"])


def shown(text, folder):
    """Standard error without the temporary folder's path and the library's root."""
    text = text.replace(folder + os.sep, "").replace(folder, ".")
    return text.replace(ROOT + os.sep, "")


def row(folder, description, arguments):
    model, rest = arguments[0], arguments[1:]
    code, err = command(folder, model, *rest)
    lines = [line for line in shown(err, folder).splitlines() if line.strip()]
    if "Traceback (most recent call last)" in err:
        lines = ["(a traceback)"] + lines[-1:]
    message = " ".join(lines) or "(nothing)"
    typed = " ".join(["python -m keras_gans." + model] + rest)
    typed = shown(typed, folder).replace(" ".join(SMALL), "…")
    return (f"| {description} | `{typed}` | {code} | "
            f"{message.replace('|', '/')} |")


def volume(small_disk):
    """How the --small-disk volume is described under the table."""
    if not small_disk:
        return ""
    return f" (DIR on a {shutil.disk_usage(small_disk).total / 2**20:.0f} MiB volume)"


def table(small_disk=None):
    cases = list(CASES) + ([full_disk_case(small_disk)] if small_disk else [])
    with tempfile.TemporaryDirectory() as folder:
        folder = os.path.realpath(folder)
        make_files(folder)
        rows = [row(folder, description, arguments) for description, arguments in cases]
    if small_disk:
        rows = [line.replace(os.path.realpath(small_disk), "DIR") for line in rows]
    header = ["| input | command (… : small shapes settings) | exit | what it prints on standard "
              "error |", "|---|---|---|---|"]
    note = (f"Measured {time.strftime('%Y-%m-%d')} on an {platform.machine()} CPU with "
            f"{os.cpu_count()} cores, Keras backend {os.environ.get('KERAS_BACKEND', 'tensorflow')}"
            f", by `python scripts/bad_inputs.py --write"
            f"{' --small-disk DIR' if small_disk else ''}`"
            f"{volume(small_disk)}.")
    return "\n".join([note, ""] + header + rows)


def write(text):
    with open(RESULTS) as file:
        page = file.read()
    block = f"{START}\n{text}\n{END}"
    if START in page:
        page = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, page,
                      flags=re.DOTALL)
    else:
        page = page.rstrip() + "\n\n## Bad input\n\n" + block + "\n"
    with open(RESULTS, "w") as file:
        file.write(page)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write the table into RESULTS.md")
    parser.add_argument("--small-disk", default=None,
                        help="a folder on a volume with room for one checkpoint of the small GAN "
                        "(about 13 MB), for the full-disk case")
    args = parser.parse_args(argv)
    text = table(args.small_disk)
    print(text)
    if args.write:
        write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
