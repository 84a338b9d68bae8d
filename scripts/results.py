"""Quality results on real digits: trains a model, evaluates it, and writes docs/RESULTS.md.

    python scripts/results.py references          # the real-vs-real and baseline rows
    python scripts/results.py train dcgan         # train + evaluate one model, then render
    python scripts/results.py train gan --epochs 5 --backend jax
    python scripts/results.py evaluate dcgan      # evaluate the finished run again
    python scripts/results.py render              # rewrite docs/RESULTS.md from the JSON files

The task (MODEL_SPECS §0.2–0.3): train on the first 8,000 digits of the shared MNIST test set
(`--data-dir`, default ../shared/data/mnist) with the model's own command line and fixed
settings, draw 2,000 samples, and compare them with the 2,000 held-out digits in the feature
space of the reference classifier (FCD, KID), next to two references: 2,000 training digits
(real vs real) and 2,000 samples of a per-pixel Gaussian fitted to the training digits (the
baseline a generator must beat). Every number in the tables comes from a JSON file this script
wrote under docs/results/; sample grids go to docs/images/.
"""

import argparse
import glob
import json
import os
import platform
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MNIST_DIR = os.path.join(os.path.dirname(ROOT), "shared", "data", "mnist")
RESULTS_DIR = os.path.join(ROOT, "docs", "results")
IMAGES_DIR = os.path.join(ROOT, "docs", "images")
RESULTS_PAGE = os.path.join(ROOT, "docs", "RESULTS.md")
CRITERIA_DIR = os.path.join(ROOT, "scripts", "criteria")
SAMPLES = 2000

# The fixed settings of each model's task: offline dataset, epochs, and the fraction of
# samples the classifier must recognise with probability >= 0.9 (U(b): 60% for MLP models).
TASKS = {
    "gan": dict(dataset="mnist", epochs=100, confident_threshold=0.6),
    "dcgan": dict(dataset="mnist32", epochs=20, confident_threshold=0.8),
    "lsgan": dict(dataset="mnist32", epochs=20, confident_threshold=0.8),
    "wgan": dict(dataset="mnist", epochs=120, confident_threshold=0.8),
    "wgan_gp": dict(dataset="mnist", epochs=80, confident_threshold=0.8),
    "wgan_div": dict(dataset="mnist", epochs=40, confident_threshold=0.8),
    "bgan": dict(dataset="mnist", epochs=200, confident_threshold=0.6),
    "dragan": dict(dataset="mnist32", epochs=20, confident_threshold=0.8),
    "ebgan": dict(dataset="mnist32", epochs=20, confident_threshold=0.8),
    "began": dict(dataset="mnist32", epochs=16, confident_threshold=0.8),
    "relativistic_gan": dict(dataset="mnist32", epochs=20, confident_threshold=0.8),
    "softmax_gan": dict(dataset="mnist", epochs=500, confident_threshold=0.6),
}


# Image-to-image models: their offline task, epochs and command-line settings (MODEL_SPECS §24,
# §28 and §5: 32×32 digits, PatchGAN n_layers 2, generators with ngf 32, CycleGAN with
# resnet_6blocks). The batch sizes and step counts fit a CPU budget of about 20 minutes each.
TRANSLATION_TASKS = {
    "pix2pix": dict(dataset="mnist_edges", epochs=2,
                    options=["--batch-size", "16", "--filters", "32"]),
    "cyclegan": dict(dataset="mnist_color", epochs=8,
                     options=["--batch-size", "4", "--filters", "32", "--steps-per-epoch",
                              "250"]),
}
T_THRESHOLD = 0.9

# Models with a PyTorch-GAN peer in scripts/peers/pytorch_gan.py.
PEERS = ("began", "bgan", "ebgan", "softmax_gan", "wgan")
PEER_SCRIPT = os.path.join(ROOT, "scripts", "peers", "pytorch_gan.py")


def criteria_models():
    """The conditional and representation models with a criteria module (scripts/criteria/)."""
    return sorted(os.path.splitext(name)[0] for name in os.listdir(CRITERIA_DIR)
                  if name.endswith(".py") and name != "common.py")


def criteria_module(model_name):
    """The module scripts/criteria/<model_name>.py (its TASK, evaluate and summary)."""
    import importlib.util

    if CRITERIA_DIR not in sys.path:
        sys.path.insert(0, CRITERIA_DIR)
    path = os.path.join(CRITERIA_DIR, f"{model_name}.py")
    spec = importlib.util.spec_from_file_location(f"criteria_{model_name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def task_of(model_name):
    """The fixed training settings of a model's row."""
    if model_name in TASKS:
        return TASKS[model_name]
    if model_name in TRANSLATION_TASKS:
        return TRANSLATION_TASKS[model_name]
    return criteria_module(model_name).TASK


def all_models():
    """Every model with a row task."""
    return sorted(TASKS) + sorted(TRANSLATION_TASKS) + criteria_models()


def parse_arguments(argv=None):
    from keras_gans.cli import parsing

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    references = commands.add_parser("references", help="real-vs-real and baseline rows")
    references.add_argument("--data-dir", default=MNIST_DIR)
    train = commands.add_parser("train", help="train and evaluate one model")
    train.add_argument("model", choices=all_models())
    train.add_argument("--epochs", type=parsing.integer(at_least=1), default=None,
                       help="default: the task's epochs")
    train.add_argument("--backend", default=os.environ.get("KERAS_BACKEND", "tensorflow"))
    train.add_argument("--data-dir", default=MNIST_DIR)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--resume", action="store_true",
                       help="continue the model's finished run up to --epochs")
    again = commands.add_parser("evaluate", help="evaluate the finished run of `train` again")
    again.add_argument("model", choices=all_models())
    again.add_argument("--data-dir", default=MNIST_DIR)
    peer = commands.add_parser(
        "peer", help="train PyTorch-GAN's version of a model and score it beside the model's row")
    peer.add_argument("model", choices=sorted(PEERS))
    peer.add_argument("--steps", type=parsing.integer(at_least=1), default=None,
                      help="default: the generator steps of the model's own row")
    peer.add_argument("--data-dir", default=MNIST_DIR)
    peer.add_argument("--seed", type=int, default=0)
    commands.add_parser("render", help="rewrite docs/RESULTS.md from docs/results/*.json")
    return parser.parse_args(argv)


def machine():
    return f"{platform.machine()} CPU, {os.cpu_count()} cores"


def write_json(name, content):
    os.makedirs(RESULTS_DIR, exist_ok=True)
    with open(os.path.join(RESULTS_DIR, f"{name}.json"), "w") as file:
        json.dump(content, file, indent=2)
        file.write("\n")


def held_out_reference(data_dir):
    """The classifier extractor and the statistics of the 2,000 held-out digits."""
    from keras_gans import data, evaluate

    extractor = evaluate.make_extractor("classifier")
    held_out = data.load("mnist", data_dir=data_dir, split="test")
    return extractor, evaluate.reference_statistics(extractor, held_out.images)


def with_criteria(results, confident_threshold):
    """Adds the U criteria of MODEL_SPECS §0.3, judged against the baseline's FCD."""
    baseline = read_json("references")["pixel_gaussian"]["fcd"]
    results["criteria"] = {
        "fcd_below_baseline": results["fcd"] < baseline,
        f"confident_at_least_{confident_threshold:.0%}": (
            results["confident_fraction"] >= confident_threshold),
        "every_class_5_to_15_percent": (
            results["smallest_class_share"] >= 0.05 and results["largest_class_share"] <= 0.15),
    }
    return results


def references(args):
    """Real-vs-real and per-pixel Gaussian baseline rows."""
    import numpy as np

    from keras_gans import data, evaluate, metrics

    extractor, reference = held_out_reference(args.data_dir)
    train = data.load("mnist", data_dir=args.data_dir, split="train")
    chosen = np.random.default_rng(0).choice(len(train), SAMPLES, replace=False)
    rows = {}
    for name, images in (
        ("real_vs_real", train.images[np.sort(chosen)]),
        ("pixel_gaussian", metrics.pixel_gaussian_baseline(train.images, SAMPLES, seed=0)),
    ):
        rows[name] = evaluate.compare(extractor, reference, metrics.image_batches(images, 250))
        rows[name].update(date=time.strftime("%Y-%m-%d"), machine=machine())
    rows["command"] = "python scripts/results.py references"
    write_json("references", rows)
    render()
    return 0


def train(args):
    """Trains `args.model` on its task with its command line, evaluates it, renders the page."""
    task = task_of(args.model)
    epochs = task["epochs"] if args.epochs is None else args.epochs
    command = [sys.executable, "-m", f"keras_gans.{args.model}", "--dataset", task["dataset"],
               "--data-dir", args.data_dir, "--epochs", str(epochs), "--seed", str(args.seed),
               "--out", run_folder(args.model), "--verbose", "2",
               "--resume" if args.resume else "--overwrite"]
    if not args.resume:
        command += task.get("options", [])
    environment = dict(os.environ, KERAS_BACKEND=args.backend, TF_CPP_MIN_LOG_LEVEL="3")
    code = subprocess.call(command, cwd=ROOT, env=environment)
    if code:
        return code
    os.environ["KERAS_BACKEND"] = args.backend  # keras is first imported below
    return evaluate_any(args.model, args.data_dir)


def peer(args):
    """Trains the PyTorch-GAN peer of `args.model` on the model's task data for as many steps
    as the model's row (or `--steps`), scores 2,000 of its samples as a row is scored, and
    writes the peer row beside the model's."""
    import tempfile

    import numpy as np

    from keras_gans import callbacks, data, evaluate, metrics

    task = task_of(args.model)
    steps = read_json(args.model)["generator_steps"] if args.steps is None else args.steps
    digits = data.load(task["dataset"], data_dir=args.data_dir, split="train")
    with tempfile.TemporaryDirectory() as folder:
        images, samples = os.path.join(folder, "digits.npy"), os.path.join(folder, "samples.npy")
        np.save(images, digits.images)
        command = [sys.executable, PEER_SCRIPT, args.model, "--images", images, "--steps",
                   str(steps), "--seed", str(args.seed), "--samples", samples,
                   "--count", str(SAMPLES)]
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
        if result.returncode:
            print(result.stdout[-3000:] + result.stderr[-3000:], file=sys.stderr)
            return result.returncode
        generated = np.load(samples)
    log = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    extractor, reference = held_out_reference(args.data_dir)
    row = evaluate.compare(extractor, reference, metrics.image_batches(generated, 250))
    row = with_criteria(row, TASKS[args.model]["confident_threshold"])
    grid = os.path.join(IMAGES_DIR, f"peer_{args.model}_{task['dataset']}.png")
    callbacks.save_image_grid(generated[:64], grid)
    row.update(
        model=args.model, kind="peer", peer="PyTorch-GAN", backend=f"torch {log[-1]['torch']}",
        dataset=task["dataset"], training_images=len(digits), batch_size=64,
        generator_steps=steps, wall_seconds=round(seconds, 1), machine=machine(),
        date=time.strftime("%Y-%m-%d"), last_logs=log[-1]["last"],
        grid=os.path.relpath(grid, os.path.dirname(RESULTS_PAGE)),
        command=f"python scripts/results.py peer {args.model} --steps {steps}",
    )
    write_json(f"peer_{args.model}", row)
    print(json.dumps(row, indent=2))
    render()
    return 0


def evaluate_any(model_name, data_dir):
    """Evaluates a finished run with its family's criteria."""
    if model_name in TRANSLATION_TASKS:
        return evaluate_translation_run(model_name, data_dir)
    if model_name in criteria_models():
        return evaluate_criteria_run(model_name, data_dir)
    return evaluate_run(model_name, data_dir)


def run_folder(model_name):
    return os.path.join(ROOT, "runs", "results", model_name)


def training_seconds(out):
    """Training wall time of a finished run, summed over its resumed segments.

    Runs from before the checkpoint kept the time count: from the start (config.json) to the
    last checkpoint.
    """
    with open(os.path.join(out, "checkpoints", "state.json")) as file:
        state = json.load(file)
    if "training_seconds" in state:
        return state["training_seconds"]
    with open(os.path.join(out, "config.json")) as file:
        started = time.mktime(time.strptime(json.load(file)["started"], "%Y-%m-%d %H:%M:%S"))
    return os.path.getmtime(os.path.join(out, "checkpoints", "state.json")) - started


def segment_configs(out):
    """The settings of each segment of the run, in order (config_resume_*.json after resumes)."""
    from keras_gans import runs

    return runs.segment_configs(out)


def latest_config(out):
    """The settings of the run's last segment."""
    return segment_configs(out)[-1]


def run_command(model_name, configs):
    """The `results.py train` commands that made the run: one per segment, joined by "; "."""
    commands = []
    for index, config in enumerate(configs):
        resume = " --resume" if index else ""
        commands.append(f"python scripts/results.py train {model_name} --epochs "
                        f"{config['epochs']}{resume} --backend {config['backend']}")
    return "; ".join(commands)


def evaluate_run(model_name, data_dir):
    """Evaluates the final checkpoint of the model's finished run; records its row and grid."""
    import keras_gans
    from keras_gans import evaluate

    out = run_folder(model_name)
    configs = segment_configs(out)
    extractor, reference = held_out_reference(data_dir)
    model = keras_gans.load_model(os.path.join(out, "checkpoints", "model.keras"))
    results = evaluate.evaluate_model(model, extractor, reference, count=SAMPLES, seed=0)
    results = with_criteria(results, TASKS[model_name]["confident_threshold"])
    return record_row(model_name, model, results, out, configs, f"{model_name}_mnist.png")


def record_row(model_name, model, results, out, configs, grid_name, **extra):
    """Adds the run's settings, training and grid to `results`; writes the row and the page."""
    import keras

    config = configs[-1]
    grid = os.path.join(IMAGES_DIR, grid_name)
    os.makedirs(IMAGES_DIR, exist_ok=True)
    shutil.copyfile(os.path.join(out, "samples", f"epoch_{config['epochs']:04d}.png"), grid)
    optimizers = model.player_optimizers  # they count only applied steps
    generator_optimizer = optimizers.get("g_optimizer") or max(
        optimizers.values(),
        key=lambda optimizer: int(keras.ops.convert_to_numpy(optimizer.iterations)))
    results.update(
        model=model_name, backend=config["backend"], dataset=config["dataset"],
        training_images=config["training_images"], batch_size=config["batch_size"],
        epochs=config["epochs"],
        generator_steps=int(keras.ops.convert_to_numpy(generator_optimizer.iterations)),
        wall_seconds=round(training_seconds(out), 1), machine=machine(),
        date=time.strftime("%Y-%m-%d"), grid=os.path.relpath(grid, os.path.dirname(RESULTS_PAGE)),
        command=run_command(model_name, configs), **extra,
    )
    write_json(model_name, results)
    print(json.dumps(results, indent=2))
    render()
    return 0


def translation_scores(model_name, model, dataset, data_dir, batch_size):
    """The criteria of MODEL_SPECS for a translation model, on the held-out digits."""
    from keras_gans import data, evaluate, metrics

    classifier = metrics.ClassifierFeatures()
    if model_name == "pix2pix":
        held_out = data.held_out_pairs(dataset, SAMPLES, kind="paired", data_dir=data_dir)
        train_targets = data.open_stream(dataset, "paired", data_dir=data_dir, load_size=0,
                                         flip=False).examples(SAMPLES)[1]
        scores = evaluate.paired_translation_scores(
            model, held_out.images_a, held_out.images_b, held_out.labels_a, classifier,
            train_targets, batch_size=batch_size)
        criteria = {
            f"class_preserved_at_least_{T_THRESHOLD:.0%}": scores["class_preserved"] >= T_THRESHOLD,
            "l1_below_best_constant_image": scores["l1"] < scores["l1_best_constant_image"],
            "l1_below_input": scores["l1"] < scores["l1_input"],
        }
    else:
        held_out = data.held_out_pairs(dataset, SAMPLES, kind="unpaired", data_dir=data_dir)
        scores = evaluate.unpaired_translation_scores(
            model, held_out.images_a, held_out.labels_a, held_out.images_b, held_out.labels_b,
            classifier, batch_size=batch_size)
        criteria = {
            "class_preserved_a_to_b_at_least_90%": scores["class_preserved_a_to_b"] >= T_THRESHOLD,
            "class_preserved_b_to_a_at_least_90%": scores["class_preserved_b_to_a"] >= T_THRESHOLD,
            "a_to_b_saturated_at_least_90%": scores["saturated_a_to_b"] >= T_THRESHOLD,
            "b_to_a_unsaturated_at_least_90%": scores["unsaturated_b_to_a"] >= T_THRESHOLD,
            "cycle_l1_below_0.1": max(scores["cycle_l1_a"], scores["cycle_l1_b"]) < 0.1,
        }
    scores["criteria"] = criteria
    return scores


def evaluate_translation_run(model_name, data_dir):
    """Evaluates the final checkpoint of a translation model's run; records its row and grid."""
    import keras_gans

    out = run_folder(model_name)
    configs = segment_configs(out)
    config = configs[-1]
    model = keras_gans.load_model(os.path.join(out, "checkpoints", "model.keras"))
    results = translation_scores(model_name, model, config["dataset"], data_dir,
                                 config["batch_size"])
    return record_row(model_name, model, results, out, configs,
                      f"{model_name}_{config['dataset']}.png", kind="translation")


def evaluate_criteria_run(model_name, data_dir):
    """Evaluates a conditional or representation model's run with its criteria module."""
    import keras_gans

    sys.path.insert(0, CRITERIA_DIR)
    import common

    out = run_folder(model_name)
    configs = segment_configs(out)
    dataset = configs[-1]["dataset"]
    model = keras_gans.load_model(os.path.join(out, "checkpoints", "model.keras"))
    digits = common.Digits.load(data_dir, "mnist32" if dataset == "mnist32" else "mnist")
    results = criteria_module(model_name).evaluate(model, digits)
    return record_row(model_name, model, results, out, configs, f"{model_name}_{dataset}.png",
                      kind="criteria")


def rows_of_kind(kind):
    """The rows of the JSON files whose "kind" is `kind`."""
    rows = []
    for path in sorted(glob.glob(os.path.join(RESULTS_DIR, "*.json"))):
        row = read_json(os.path.splitext(os.path.basename(path))[0])
        if row.get("kind") == kind:
            rows.append(row)
    return rows


def criteria_table():
    """The conditional and representation models: each with its own criterion and baseline."""
    lines = ["| row | backend | data | batch | epochs (steps) | wall time | measured (baselines) "
             "| criteria met | grid |", "|---|---|---|---|---|---|---|---|---|"]
    for row in rows_of_kind("criteria"):
        summary = criteria_module(row["model"]).summary(row)
        lines.append(
            f"| **{row['model']}** | {row['backend']} | {row['dataset']}, "
            f"{row['training_images']:,} | {row['batch_size']} | {row['epochs']} "
            f"({row['generator_steps']:,}) | {row['wall_seconds'] / 60:.1f} min | {summary} | "
            f"{criteria_cell(row)} | [grid]({row['grid']}) |")
    return "\n".join(lines)


def translation_rows():
    """The rows of the translation models' JSON files."""
    return rows_of_kind("translation")


def criteria_cell(row):
    met = sum(row["criteria"].values())
    failed = [key for key, value in row["criteria"].items() if not value]
    return f"{met}/{len(row['criteria'])}" + (f" (not: {', '.join(failed)})" if failed else "")


def translation_table():
    """The markdown table of the image-to-image rows, with their baselines beside them."""
    lines = ["| row | backend | data | batch | epochs (G steps) | wall time | class preserved "
             "(T) | L1 or cycle L1 | baselines | colour check | criteria met | grid |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in translation_rows():
        common = (f"| **{row['model']}** | {row['backend']} | {row['dataset']}, "
                  f"{row['training_images']:,} | {row['batch_size']} | {row['epochs']} "
                  f"({row['generator_steps']:,}) | {row['wall_seconds'] / 60:.1f} min | ")
        if "class_preserved" in row:
            lines.append(
                common + f"{row['class_preserved']:.1%} | L1(G(A), B) {row['l1']:.3f} | best "
                f"constant image {row['l1_best_constant_image']:.3f}, L1(A, B) "
                f"{row['l1_input']:.3f} | – | {criteria_cell(row)} | [grid]({row['grid']}) |")
        else:
            lines.append(
                common + f"A→B {row['class_preserved_a_to_b']:.1%}, B→A "
                f"{row['class_preserved_b_to_a']:.1%} | A→B→A {row['cycle_l1_a']:.3f}, B→A→B "
                f"{row['cycle_l1_b']:.3f} | cycle bar 0.1 | A→B saturated "
                f"{row['saturated_a_to_b']:.1%}, B→A grey {row['unsaturated_b_to_a']:.1%} | "
                f"{criteria_cell(row)} | [grid]({row['grid']}) |")
    return "\n".join(lines)


def translation_summary(row):
    """A translation row in a few words, for the README's model table."""
    if "class_preserved" in row:
        return f"class kept {row['class_preserved']:.1%}, L1 {row['l1']:.3f}"
    return (f"class kept {min(row['class_preserved_a_to_b'], row['class_preserved_b_to_a']):.1%}"
            f" both ways, cycle L1 {max(row['cycle_l1_a'], row['cycle_l1_b']):.3f}")


def read_json(name):
    with open(os.path.join(RESULTS_DIR, f"{name}.json")) as file:
        return json.load(file)


def quality_table():
    """The markdown table of every model row, under the two reference rows."""
    lines = [
        "| row | backend | data | epochs (G steps) | wall time | FCD ↓ | KID ↓ | "
        "confident ≥ 0.9 | class shares | criteria met | samples |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    if os.path.exists(os.path.join(RESULTS_DIR, "references.json")):
        refs = read_json("references")
        for name, label in (("real_vs_real", "real digits vs held-out (reference)"),
                            ("pixel_gaussian", "per-pixel Gaussian (baseline)")):
            row = refs[name]
            lines.append(
                f"| {label} | – | 2,000 digits | – | – | {row['fcd']:.2f} | "
                f"{kid(row)} | {row['confident_fraction']:.1%} | {shares(row)} | – | – |")
    for path in sorted(glob.glob(os.path.join(RESULTS_DIR, "*.json"))):
        name = os.path.splitext(os.path.basename(path))[0]
        if name == "references":
            continue
        row = read_json(name)
        if row.get("kind") in ("translation", "criteria", "peer"):
            continue
        lines.append(quality_row(row, f"**{row['model']}**", f"{row['epochs']} "))
        if os.path.exists(os.path.join(RESULTS_DIR, f"peer_{name}.json")):
            peer_row = read_json(f"peer_{name}")
            lines.append(quality_row(peer_row, f"↳ {peer_row['peer']}'s {name} (peer)", ""))
    return "\n".join(lines)


def quality_row(row, label, epochs):
    """One line of the quality table."""
    met = sum(row["criteria"].values())
    failed = [key for key, value in row["criteria"].items() if not value]
    return (f"| {label} | {row['backend']} | {row['dataset']}, "
            f"{row['training_images']:,} | {epochs}({row['generator_steps']:,}) | "
            f"{row['wall_seconds'] / 60:.1f} min | {row['fcd']:.2f} | "
            f"{kid(row)} | {row['confident_fraction']:.1%} | {shares(row)} | "
            f"{met}/{len(row['criteria'])}"
            + (f" (not: {', '.join(failed)})" if failed else "")
            + f" | [grid]({row['grid']}) |")


def commands_list():
    """The markdown list of the commands that made each model row (one per resumed segment)."""
    lines = ["Commands that made the rows (runs in several segments list one command per "
             "segment; a resumed run continues exactly where its checkpoint stopped):", ""]
    for path in sorted(glob.glob(os.path.join(RESULTS_DIR, "*.json"))):
        name = os.path.splitext(os.path.basename(path))[0]
        if name != "references":
            lines.append(f"- **{name}**: `{read_json(name)['command']}`")
    return "\n".join(lines)


def kid(row):
    return f"{row['kid']:.3g} ± {row['kid_se']:.1g}"


def shares(row):
    return f"{row['smallest_class_share']:.1%}–{row['largest_class_share']:.1%}"


def speed_table():
    """The markdown table of every benchmark JSON under docs/benchmarks/."""
    lines = ["| model | backend | device | batch | input | images/s | step (ms) | peak memory | "
             "date | command |", "|---|---|---|---|---|---|---|---|---|---|"]
    for path in sorted(glob.glob(os.path.join(ROOT, "docs", "benchmarks", "*.json"))):
        with open(path) as file:
            row = json.load(file)
        if "images_per_second" not in row or "step_flops" in row:
            continue  # image-to-image rows are in translation_speed_table
        lines.append(
            f"| {row['model']} {'×'.join(map(str, row['image_shape']))} | {row['backend']} | "
            f"{row['device']} | {row['batch_size']} | {row['input']} | "
            f"{row['images_per_second']:,.0f} | {row['step_time_ms']:.0f} | "
            f"{row['peak_memory_mb']:,.0f} MB ({row['peak_memory_kind']}) | {row['date']} | "
            f"`{row['command']}` |")
    return "\n".join(lines)


def translation_speed_table():
    """The image-to-image benchmark rows, this library's beside the PyTorch peer's, with the
    model TFLOP/s achieved (FLOPs counted from the layers by scripts/flops.py)."""
    lines = ["| model | implementation | device | batch | image | images/s | step (s) | "
             "model TFLOP/s | date | command |", "|---|---|---|---|---|---|---|---|---|---|"]
    paths = sorted(glob.glob(os.path.join(ROOT, "docs", "benchmarks", "*.json")))
    for path in paths:
        with open(path) as file:
            row = json.load(file)
        if "step_flops" not in row:
            continue
        if "peer" in row:
            implementation, step = f"PyTorch {row['torch']}, eager (peer)", row["step_time_mean_s"]
            size = row["image_size"]
        else:
            implementation = f"keras_gans, Keras {row['keras']} on {row['backend']}"
            step, size = row["step_time_ms"] / 1000, row["image_shape"][0]
        lines.append(
            f"| {row['model']} | {implementation} | {row['device']} | {row['batch_size']} | "
            f"{size}×{size} | {row['images_per_second']:,.2f} | {step:.2f} | "
            f"{row['tflops_per_second']:.3f} | {row.get('date', '–')} | `{row['command']}` |")
    return "\n".join(lines)


# The README's model table: module -> (model, paper, networks).
MODELS = {
    "gan": ("GAN", "Goodfellow et al., 2014", "MLP (B-MLP)"),
    "dcgan": ("DCGAN", "Radford et al., 2015", "strided convolutions, batch norm"),
    "lsgan": ("LSGAN", "Mao et al., 2016", "DCGAN, least-squares loss"),
    "wgan": ("WGAN", "Arjovsky et al., 2017", "B-DC28 (WGAN form), weight clipping"),
    "wgan_gp": ("WGAN-GP", "Gulrajani et al., 2017", "B-DC28, gradient penalty"),
    "wgan_div": ("WGAN-div", "Wu et al., 2018", "B-DC28, Wasserstein divergence"),
    "bgan": ("BGAN", "Hjelm et al., 2017", "MLP, boundary-seeking loss"),
    "dragan": ("DRAGAN", "Kodali et al., 2017",
               "DCGAN with layer norm in D, local gradient penalty"),
    "ebgan": ("EBGAN", "Zhao et al., 2016", "autoencoder D, pull-away term"),
    "began": ("BEGAN", "Berthelot et al., 2017",
              "compact autoencoder D (PyTorch-GAN's networks), equilibrium control"),
    "relativistic_gan": ("Relativistic GAN", "Jolicoeur-Martineau, 2018",
                         "DCGAN, relativistic loss"),
    "softmax_gan": ("Softmax GAN", "Lin, 2017", "MLP, softmax loss"),
    "pix2pix": ("pix2pix", "Isola et al., 2017", "U-Net, PatchGAN, L1"),
    "cyclegan": ("CycleGAN", "Zhu et al., 2017", "ResNet generators, PatchGANs, cycle L1, "
                 "image pools"),
    "cgan": ("Conditional GAN", "Mirza and Osindero, 2014", "MLP, one-hot label concatenated"),
    "acgan": ("AC-GAN", "Odena et al., 2016", "B-DC32, source and class heads"),
    "infogan": ("InfoGAN", "Chen et al., 2016", "DC28, Q head, mutual information"),
    "sgan": ("Semi-supervised GAN", "Odena, 2016", "B-DC32, (N+1)-way discriminator"),
    "aae": ("Adversarial Autoencoder", "Makhzani et al., 2015", "MLP autoencoder, code D"),
    "bigan": ("BiGAN / ALI", "Donahue et al., 2016; Dumoulin et al., 2016",
              "MLP G and E, joint (x, z) D"),
    "cogan": ("CoGAN", "Liu and Tuzel, 2016", "weight-shared G and D pairs"),
    "cluster_gan": ("ClusterGAN", "Mukherjee et al., 2018", "DC28, encoder, WGAN-GP"),
    "vaegan": ("VAE-GAN", "Larsen et al., 2015", "conv VAE, learned similarity in D"),
}


def registered_models():
    """The model names of `keras_gans.MODELS`, read from the package without importing it."""
    import ast

    with open(os.path.join(ROOT, "keras_gans", "__init__.py")) as file:
        tree = ast.parse(file.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "MODELS":
            return [key.value for key in node.value.keys]
    return []


def models_table():
    """The README's table: one row per registered model, with its measured FCD and grid."""
    lines = ["| model | module | paper | networks | training | FCD ↓ | confident ≥ 0.9 | "
             "class shares | samples |", "|---|---|---|---|---|---|---|---|---|"]
    if os.path.exists(os.path.join(RESULTS_DIR, "references.json")):
        refs = read_json("references")
        for name, label in (("real_vs_real", "*real digits*"),
                            ("pixel_gaussian", "*per-pixel Gaussian baseline*")):
            row = refs[name]
            lines.append(f"| {label} | | | | | {row['fcd']:.2f} | "
                         f"{row['confident_fraction']:.1%} | {shares(row)} | |")
    for module, (model, paper, networks) in MODELS.items():
        if module not in registered_models():
            continue
        path = os.path.join(RESULTS_DIR, f"{module}.json")
        if not os.path.exists(path):
            lines.append(f"| {model} | `{module}` | {paper} | {networks} | – | – | – | – | |")
            continue
        row = read_json(module)
        if row.get("kind") == "criteria":
            lines.append(f"| {model} | `{module}` | {paper} | {networks} | {row['epochs']} ep, "
                         f"{row['generator_steps']:,} steps | "
                         f"{criteria_module(module).summary(row)} | – | – | "
                         f"[grid](docs/{row['grid']}) |")
            continue
        if row.get("kind") == "translation":
            lines.append(f"| {model} | `{module}` | {paper} | {networks} | {row['epochs']} ep, "
                         f"{row['generator_steps']:,} G steps | translation: "
                         f"{translation_summary(row)} | – | – | [grid](docs/{row['grid']}) |")
            continue
        lines.append(
            f"| {model} | `{module}` | {paper} | {networks} | "
            f"{row['epochs']} ep, {row['generator_steps']:,} G steps | {row['fcd']:.2f} | "
            f"{row['confident_fraction']:.1%} | {shares(row)} | "
            f"[grid](docs/{row['grid']}) |")
    return "\n".join(lines)


def replace_between_markers(path, tables):
    """Replaces each `<!-- name:start -->...<!-- name:end -->` block of a file."""
    with open(path) as file:
        page = file.read()
    for marker, table in tables:
        start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
        before, rest = page.split(start)
        _, after = rest.split(end)
        page = f"{before}{start}\n{table}\n{end}{after}"
    with open(path, "w") as file:
        file.write(page)


def render():
    """Rewrites the generated tables of docs/RESULTS.md and of the README."""
    replace_between_markers(RESULTS_PAGE, (("quality", quality_table()),
                                           ("translation", translation_table()),
                                           ("criteria", criteria_table()),
                                           ("commands", commands_list()),
                                           ("speed", speed_table()),
                                           ("translation-speed", translation_speed_table())))
    replace_between_markers(os.path.join(ROOT, "README.md"), (("models", models_table()),))
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    sys.path.insert(0, ROOT)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    args = parse_arguments(argv)
    if args.command == "references":
        return references(args)
    if args.command == "train":
        return train(args)
    if args.command == "evaluate":
        return evaluate_any(args.model, args.data_dir)
    if args.command == "peer":
        return peer(args)
    return render()


if __name__ == "__main__":
    raise SystemExit(main())
