"""Input pipeline speed and memory: a folder of JPEGs streamed, and the same folder in memory.

    python scripts/benchmark_data.py --count 20000 --write

Generates `--count` deterministic 256x256 JPEGs in a temporary folder (or reuses `--folder`),
then measures each path in a fresh process, so that each peak resident memory (VmHWM from
/proc/self/status) is its own:

- streaming: `data.open_folder_stream` + `data.training_inputs` (tf.data when TensorFlow is
  installed, else the PyDataset), one pass over every image, batch `--batch-size`;
- in memory: `data.load` of the first `--in-memory-count` images, then one pass of
  `data.batches`. Its load time and memory grow with the number of images, so they are also
  given per 1,000 images and extrapolated to `--count`.

Prints one JSON object; `--write` adds a row to the "Input pipeline" table of docs/RESULTS.md.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "docs", "RESULTS.md")
START, END = "<!-- input-pipeline:start -->", "<!-- input-pipeline:end -->"


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20000, help="JPEGs in the folder")
    parser.add_argument("--size", type=int, default=256, help="image side in pixels")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--in-memory-count", type=int, default=2000,
                        help="images loaded by the in-memory path (extrapolated to --count)")
    parser.add_argument("--folder", default=None, help="reuse (or fill) this folder")
    parser.add_argument("--write", action="store_true", help="add a row to docs/RESULTS.md")
    parser.add_argument("--measure", choices=("streaming", "in_memory"), default=None,
                        help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def peak_memory_mb():
    """This process's peak resident memory (VmHWM) in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def make_folder(folder, count, size):
    """Writes `count` deterministic JPEGs (smooth colour gradients plus noise) into `folder`."""
    from PIL import Image

    os.makedirs(folder, exist_ok=True)
    rows, columns = np.mgrid[0:size, 0:size].astype(np.float32) / size
    for index in range(count):
        path = os.path.join(folder, f"{index:06d}.jpg")
        if os.path.exists(path):
            continue
        rng = np.random.default_rng(index)
        weights = rng.uniform(0, 255, (3, 3))
        image = weights[:, 0] * rows[..., None] + weights[:, 1] * columns[..., None]
        image = image / 2 + rng.normal(0, 12, (size, size, 3)) + weights[:, 2] / 4
        Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).save(path, quality=90)


def consume(batches, count):
    """Reads `count` batches; returns the seconds taken after the first (warm-up) batch."""
    iterator = iter(batches)
    next(iterator)
    start = time.perf_counter()
    for _ in range(count - 1):
        next(iterator)
    return time.perf_counter() - start


def import_libraries():
    """Imports the data module (and TensorFlow, when installed); returns the peak RSS then."""
    from keras_gans import data

    if data.tensorflow_available():
        import tensorflow  # noqa: F401
    return peak_memory_mb()


def measure_streaming(args):
    from keras_gans import data

    baseline = import_libraries()

    stream = data.open_folder_stream(args.folder, image_size=args.size)
    inputs, _ = data.training_inputs(stream, args.batch_size, seed=0)
    steps = len(stream) // args.batch_size
    batches = (inputs.as_numpy_iterator() if hasattr(inputs, "as_numpy_iterator")
               else (inputs.batch_at(position) for position in range(steps)))
    seconds = consume(batches, steps)
    return dict(images=steps * args.batch_size,
                images_per_second=(steps - 1) * args.batch_size / seconds,
                peak_rss_mb=peak_memory_mb(), baseline_rss_mb=baseline)


def measure_in_memory(args):
    from keras_gans import data

    baseline = import_libraries()

    start = time.perf_counter()
    images = data.load(args.folder, image_size=args.size, limit=args.in_memory_count)
    load_seconds = time.perf_counter() - start
    steps = len(images) // args.batch_size
    seconds = consume(data.batches(images, args.batch_size).as_numpy_iterator(), steps)
    return dict(images=len(images), load_seconds=load_seconds,
                load_images_per_second=len(images) / load_seconds,
                batches_images_per_second=(steps - 1) * args.batch_size / seconds,
                peak_rss_mb=peak_memory_mb(), baseline_rss_mb=baseline)


def run_child(args, measure):
    command = [sys.executable, os.path.abspath(__file__), "--measure", measure,
               "--folder", args.folder, "--size", str(args.size), "--batch-size",
               str(args.batch_size), "--in-memory-count", str(args.in_memory_count)]
    environment = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="3")
    output = subprocess.run(command, check=True, capture_output=True, text=True,
                            env=environment).stdout
    return json.loads(output.strip().splitlines()[-1])


def machine():
    return f"cpu: {platform.processor() or platform.machine()}, {os.cpu_count()} cores"


def growth_per_image(measured):
    """Peak memory above the libraries' own, per image held (MB)."""
    return (measured["peak_rss_mb"] - measured["baseline_rss_mb"]) / measured["images"]


def write_row(result, command):
    streaming, in_memory = result["streaming"], result["in_memory"]
    per_thousand = growth_per_image(in_memory) * 1000
    row = (f"| {result['count']:,} JPEGs {result['size']}×{result['size']} | "
           f"{machine()} | {result['backend']} | streaming: {streaming['images_per_second']:,.0f}"
           f" img/s, peak RSS {streaming['peak_rss_mb']:,.0f} MB | in memory "
           f"({in_memory['images']:,} images loaded): load "
           f"{in_memory['load_images_per_second']:,.0f} img/s, then "
           f"{in_memory['batches_images_per_second']:,.0f} img/s, peak RSS "
           f"{in_memory['peak_rss_mb']:,.0f} MB (+{per_thousand:,.0f} MB per 1,000 images over "
           f"the libraries' {in_memory['baseline_rss_mb']:,.0f} MB: ≈"
           f"{result['in_memory_extrapolated_mb']:,.0f} MB for {result['count']:,}) | "
           f"{time.strftime('%Y-%m-%d')} | `{command}` |")
    with open(RESULTS) as file:
        text = file.read()
    if START not in text:
        text = text.rstrip("\n") + (
            "\n\n## Input pipeline\n\nThe input pipeline alone, measured by "
            "`scripts/benchmark_data.py`: images per second delivered by one pass over a folder "
            "of generated JPEGs, and each path's peak resident memory (VmHWM), each in a fresh "
            "process. The in-memory path decodes every image into one float32 array before "
            "training, so its memory grows with the folder; the streaming path decodes per "
            "batch.\n\n" + START + "\n| data | device | backend | streaming | in memory | date "
            "| command |\n|---|---|---|---|---|---|---|\n" + END + "\n")
    text = text.replace(END, row + "\n" + END)
    with open(RESULTS, "w") as file:
        file.write(text)


def main(argv=None):
    args = parse_arguments(argv)
    if args.measure:
        measure = measure_streaming if args.measure == "streaming" else measure_in_memory
        print(json.dumps(measure(args)))
        return 0
    with tempfile.TemporaryDirectory() as temporary:
        args.folder = args.folder or os.path.join(temporary, "jpegs")
        start = time.perf_counter()
        make_folder(args.folder, args.count, args.size)
        generated = time.perf_counter() - start
        args.in_memory_count = min(args.in_memory_count, args.count)
        result = dict(count=args.count, size=args.size, batch_size=args.batch_size,
                      backend=os.environ.get("KERAS_BACKEND", "tensorflow"),
                      generate_seconds=generated, streaming=run_child(args, "streaming"),
                      in_memory=run_child(args, "in_memory"))
    in_memory = result["in_memory"]
    result["in_memory_extrapolated_mb"] = (in_memory["baseline_rss_mb"]
                                           + growth_per_image(in_memory) * args.count)
    print(json.dumps(result, indent=2))
    if args.write:
        command = "python scripts/benchmark_data.py " + " ".join(argv or sys.argv[1:])
        write_row(result, command)
    return 0


if __name__ == "__main__":
    sys.exit(main())
