"""Evaluates a trained generator against real images: `python -m keras_gans.evaluate`.

    python -m keras_gans.evaluate --checkpoint runs/dcgan/checkpoints/model.keras \\
        --dataset mnist32 --data-dir ../shared/data/mnist
    python -m keras_gans.evaluate --checkpoint runs/dcgan/checkpoints/model.keras \\
        --dataset celeb_a --image-size 64 --channels 3 --features inception

Draws `--count` samples from the checkpoint and compares them with the real images of
`--split` (default "test", the held-out digits for the MNIST family) in a feature space:

- `classifier` (default for the MNIST family): the 128-d features of the library's small MNIST
  reference classifier; the Fréchet distance there is the FCD. Also reports how confidently the
  classifier recognises the samples and how the samples spread over the ten classes.
- `inception`: InceptionV3 pool features (FID, KID) and the inception score, with ImageNet
  weights from the Keras cache or `--inception-weights`.

Conditional models (whose `sample_inputs` returns `(latent, labels)`) also get the accuracy of
the classifier against the requested labels. Prints JSON, and writes it to `--output`.
"""

import json
import os
import sys

import keras
import numpy as np

import keras_gans
from keras_gans import data as gan_data
from keras_gans import metrics
from keras_gans import runs

FEATURES = ("classifier", "inception")


class EvaluationError(ValueError):
    """A setting of the evaluate command that cannot work; the message says how to fix it."""


def default_features(dataset):
    """The feature space that fits a dataset: the digit classifier for the MNIST family."""
    return "classifier" if str(dataset).startswith("mnist") else "inception"


def check_features(features, image_shape, flag="--features"):
    """Raises EvaluationError when the feature space cannot take images of `image_shape`.

    The digit classifier reads 28×28 or 32×32 images (1 or 3 channels); InceptionV3 resizes any
    image.
    """
    height, width, channels = tuple(image_shape)
    if features == "classifier" and ((height, width) not in ((28, 28), (32, 32))
                                     or channels not in (1, 3)):
        raise EvaluationError(
            f"The digit classifier's features take 28x28 or 32x32 images, not "
            f"{height}x{width}x{channels}: pass {flag} inception, or train at --image-size 32.")


def make_extractor(features, inception_weights="imagenet"):
    """A feature extractor by name ("classifier" or "inception")."""
    if features == "classifier":
        return metrics.ClassifierFeatures()
    if features == "inception":
        return metrics.InceptionFeatures(weights=inception_weights)
    raise ValueError(f"Unknown features {features!r}: choose one of {', '.join(FEATURES)}.")


def slice_inputs(inputs, start, stop):
    """Rows start:stop of model inputs that are an array or a tuple/list of arrays."""
    if isinstance(inputs, (tuple, list)):
        return type(inputs)(part[start:stop] for part in inputs)
    return inputs[start:stop]


def requested_labels(inputs):
    """The labels of conditional sample inputs `(latent, labels)`, or None."""
    if isinstance(inputs, (tuple, list)) and len(inputs) == 2:
        return np.asarray(inputs[1]).reshape(-1)
    return None


def generated_batches(model, inputs, count, batch_size=250):
    """Yields the samples of `model` for the first `count` rows of `inputs`, batch by batch."""
    for start in range(0, count, batch_size):
        batch = slice_inputs(inputs, start, min(start + batch_size, count))
        yield keras.ops.convert_to_numpy(model(batch, training=False))


def reference_statistics(extractor, images, batch_size=250):
    """Feature statistics (all rows kept, for KID) and class probabilities of real images."""
    return metrics.accumulate(extractor, metrics.image_batches(images, batch_size),
                              keep=len(images))


def compare(extractor, reference, sample_batches_iterable, kid_subsets=100, kid_subset_size=1000,
            labels=None):
    """Distances and scores of generated samples against precomputed real statistics.

    Args:
        extractor: the feature extractor (`metrics.ClassifierFeatures`, ...).
        reference: `(FeatureStatistics, probabilities)` of the real images, all rows kept.
        sample_batches_iterable: batches of generated images in [-1, 1].
        kid_subsets, kid_subset_size: the KID subsets.
        labels: requested labels of conditional samples, or None.

    Returns:
        A dict of floats: "fcd" or "fid", "kid", "kid_se", and extractor-specific scores.
    """
    real_statistics, _ = reference
    statistics, probabilities = metrics.accumulate(
        extractor, sample_batches_iterable, keep=real_statistics.count)
    distance = "fcd" if extractor.name == "classifier" else "fid"
    kid, kid_se = metrics.kernel_distance(statistics.features, real_statistics.features,
                                          num_subsets=kid_subsets, subset_size=kid_subset_size)
    results = {
        distance: metrics.frechet_distance_between(statistics, real_statistics),
        "kid": kid,
        "kid_se": kid_se,
        "samples": statistics.count,
        "reference_images": real_statistics.count,
    }
    if extractor.name == "classifier":
        histogram = metrics.class_histogram(probabilities, probabilities.shape[1])
        results.update(
            confident_fraction=metrics.confident_fraction(probabilities, 0.9),
            smallest_class_share=float(histogram.min()),
            largest_class_share=float(histogram.max()),
            class_shares=[round(float(share), 4) for share in histogram],
        )
        if labels is not None:
            results["class_accuracy"] = metrics.classifier_accuracy(probabilities, labels)
    else:
        results["inception_score"], results["inception_score_std"] = metrics.inception_score(
            probabilities)
    return {key: float(value) if isinstance(value, (np.floating, float)) else value
            for key, value in results.items()}


def default_kid_subset_size(sample_count, reference_count):
    """KID subsets of 1,000 images (Bińkowski et al., 2018), or half the smaller set.

    Subsets smaller than the sets differ from each other, so their standard error means
    something.
    """
    return max(2, min(1000, sample_count // 2, reference_count // 2))


def evaluate_model(model, extractor, reference, count=2000, batch_size=250, seed=0, **options):
    """Samples `count` images from `model` and compares them with `reference` (see `compare`)."""
    inputs = model.sample_inputs(count, seed=seed)
    return compare(extractor, reference, generated_batches(model, inputs, count, batch_size),
                   labels=requested_labels(inputs), **options)


def translate_in_batches(translate, images, batch_size=50):
    """`translate(batch)` over `images` in batches (NumPy in, NumPy out)."""
    return np.concatenate([keras.ops.convert_to_numpy(translate(images[start:start + batch_size]))
                           for start in range(0, len(images), batch_size)])


def paired_translation_scores(model, images, targets, labels, classifier, train_targets,
                              batch_size=50):
    """pix2pix's criteria on held-out pairs (MODEL_SPECS §24): class preservation T and the
    mean L1 to the targets, beside the L1 of the best constant image and of the input itself.

    Args:
        model: a paired translation model (`translate(images)`), translating as it does by
            default (pix2pix: with dropout and batch statistics, as the paper does).
        images, targets, labels: held-out inputs A, targets B and their digit labels.
        classifier: a `metrics.ClassifierFeatures`.
        train_targets: training targets, for the best-constant-image baseline.
        batch_size: images per translation call.
    """
    outputs = translate_in_batches(model.translate, images, batch_size)
    constant = metrics.best_constant_image(train_targets)
    inputs_as_targets = np.broadcast_to(images, targets.shape) if images.shape[-1] == 1 else images
    return dict(
        class_preserved=metrics.class_preservation(classifier, outputs, labels),
        l1=float(metrics.mean_absolute_errors(outputs, targets).mean()),
        l1_best_constant_image=float(metrics.mean_absolute_errors(
            np.broadcast_to(constant, targets.shape), targets).mean()),
        l1_input=float(metrics.mean_absolute_errors(inputs_as_targets, targets).mean()),
        count=len(images),
    )


def unpaired_translation_scores(model, images_a, labels_a, images_b, labels_b, classifier,
                                batch_size=50):
    """CycleGAN's criteria on held-out images of both domains (MODEL_SPECS §28 and §5): class
    preservation T both ways, the colour check for grey A ↔ coloured B, and the cycle L1.

    Args:
        model: a two-way translation model (`translate(images, to="A" | "B")`).
        images_a, labels_a, images_b, labels_b: held-out images of each domain and their
            digit labels.
        classifier: a `metrics.ClassifierFeatures`.
        batch_size: images per translation call.
    """
    def translate(images, to):
        return translate_in_batches(lambda batch: model.translate(batch, to=to), images,
                                    batch_size)

    fake_b, fake_a = translate(images_a, "B"), translate(images_b, "A")
    cycle_a, cycle_b = translate(fake_b, "A"), translate(fake_a, "B")
    scores = dict(
        class_preserved_a_to_b=metrics.class_preservation(classifier, fake_b, labels_a),
        class_preserved_b_to_a=metrics.class_preservation(classifier, fake_a, labels_b),
        cycle_l1_a=float(metrics.mean_absolute_errors(cycle_a, images_a).mean()),
        cycle_l1_b=float(metrics.mean_absolute_errors(cycle_b, images_b).mean()),
        count_a=len(images_a), count_b=len(images_b),
    )
    if fake_b.shape[-1] == 3 and fake_a.shape[-1] == 3:
        scores.update(
            saturated_a_to_b=float(np.mean(metrics.stroke_saturation(fake_b) >= 0.5)),
            unsaturated_b_to_a=float(np.mean(metrics.stroke_saturation(fake_a) <= 0.1)),
        )
    return scores


def build_parser():
    """The flags of `python -m keras_gans.evaluate`."""
    from keras_gans import cli

    parser = cli.Parser(
        prog="python -m keras_gans.evaluate",
        description="Measure a trained generator against real images (FCD/FID, KID, ...).",
    )
    parser.add_argument("--checkpoint", required=True, help="a .keras file saved by training")
    parser.add_argument("--dataset", required=True, help="the real images (as for training)")
    parser.add_argument("--data-dir", default=None, help="folder of the dataset's files")
    parser.add_argument("--split", default="test", help="the real split to compare with")
    parser.add_argument("--image-size", type=cli.integer(at_least=1), default=None,
                        help="resize the real images to this size (square)")
    parser.add_argument("--channels", type=int, choices=(1, 3), default=None,
                        help="channels of the real images")
    parser.add_argument("--count", type=cli.integer(at_least=2), default=2000,
                        help="generated samples (a distance needs at least 2)")
    parser.add_argument("--limit", type=cli.integer(at_least=2), default=None,
                        help="real images used (default all)")
    parser.add_argument("--features", choices=FEATURES, default=None,
                        help="feature space (default: classifier for mnist*, else inception)")
    parser.add_argument("--inception-weights", default="imagenet",
                        help="InceptionV3 weights: 'imagenet' (Keras cache) or a local file")
    parser.add_argument("--seed", type=cli.integer(at_least=0), default=0,
                        help="seed of the samples' noise")
    parser.add_argument("--output", default=None, help="JSON file to write")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --output")
    return parser


def run(args):
    """Evaluates as the parsed `args` say; returns the results dict."""
    if args.output and os.path.exists(args.output) and not args.overwrite:
        raise EvaluationError(f"{args.output} already exists: pass --overwrite to replace it, "
                              "or choose another --output.")
    if args.output:
        runs.check_writable(os.path.dirname(os.path.abspath(args.output)), flag="--output")
    model = keras_gans.load_gan(args.checkpoint, flag="--checkpoint")
    real = gan_data.load(args.dataset, data_dir=args.data_dir, split=args.split,
                         image_size=args.image_size, channels=args.channels, limit=args.limit)
    if len(real) < 2:
        raise EvaluationError(f"The {args.split} split of {args.dataset} has {len(real)} image: "
                              "a distance needs at least 2, so pass a larger --limit or split.")
    features = args.features or default_features(args.dataset)
    for image_shape in (getattr(model, "image_shape", None), real.image_shape):
        if image_shape is not None:
            check_features(features, image_shape)
    try:
        extractor = make_extractor(features, args.inception_weights)
    except (FileNotFoundError, RuntimeError) as error:  # weights missing: the message says how
        raise EvaluationError(str(error)) from error
    reference = reference_statistics(extractor, real.images)
    results = evaluate_model(model, extractor, reference, count=args.count, seed=args.seed,
                             kid_subset_size=default_kid_subset_size(args.count, len(real)))
    results.update(checkpoint=args.checkpoint, dataset=args.dataset, split=args.split,
                   features=extractor.name, backend=keras.backend.backend())
    return results


def main(argv=None):
    """Command line: `python -m keras_gans.evaluate --help`; returns an exit code."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit:  # --help, or a flag refused when parsed (its sentence is out)
        return exit.code
    try:
        results = run(args)
    except (EvaluationError, gan_data.DataError, keras_gans.CheckpointError,
            runs.RunFolderError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    text = json.dumps(results, indent=2)
    print(text)
    if args.output:
        with open(args.output, "w") as file:
            file.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
