"""CoGAN's criteria (MODEL_SPECS §19): the two images drawn from one z must correspond.

The task trains `python -m keras_gans.cogan` on `mnist_cogan` (domain 1 = train digits
0–3,999, domain 2 = the edge maps of train digits 4,000–7,999; no digit is seen in both forms)
with the authors' discriminators, batch 64 per domain and Adam 2e-4, and a generator narrowed to
`--filters 32` (256 → 128 → 64 → 32 shared channels instead of 1,024 → … → 128): a step costs
about 0.4 s of CPU time on this 2-core machine, where the paper's widths take about nine times
as long. 40 epochs of 62 steps (2,480 steps, half the authors' 5,000) fit a budget of about
15 minutes of training when the machine is not shared.

For 2,000 latent vectors (seed 0) the model draws pairs (x₁, x₂) = (g₁(z), g₂(z)):

- Pixel agreement, the paper's measure: both images are binarised at 0 and the edge map of x₁
  (the morphological gradient that built domain 2) is compared pixel by pixel with x₂; ≥ 0.90.
  Baselines: the same measure between x₁ and the x₂ of another z (independent draws), and
  between the edge maps of two different held-out digits (real images that do not correspond).
- Same digit: the reference classifier reads x₁. An edge map is not a digit the classifier was
  trained on (it names 55% of the real held-out edge maps correctly), so x₂, binarised, is read
  by an edge reader: a linear probe (`metrics.linear_probe`) on the reference classifier's
  128 features, fitted on the edge maps of the 8,000 training digits with their labels (the
  labels serve the judge only; the model never sees labels or pairs). Its accuracy on the real
  held-out edge maps is printed as its ceiling. The two readings must agree on ≥ 80% of the
  pairs; baselines: chance (10%) and the agreement for independent draws (x₁ of z, x₂ of
  another z).
- U(a): the FCD of the 2,000 x₁ against the held-out digits is below that of the per-pixel
  Gaussian baseline.
"""

import numpy as np

import common
from keras_gans import metrics
from keras_gans.data.digits import edge_map

TASK = dict(dataset="mnist_cogan", epochs=40,
            options=["--batch-size", "64", "--filters", "32"])
PIXEL_AGREEMENT_THRESHOLD = 0.9
SAME_DIGIT_THRESHOLD = 0.8
CHANCE = 0.1


def generate_pairs(model, latent, batch_size=500):
    """The model's (x₁, x₂) for each latent vector, as two NumPy arrays."""
    import keras

    pairs = [model.pairs_from(latent[start:start + batch_size])
             for start in range(0, len(latent), batch_size)]
    return tuple(np.concatenate([keras.ops.convert_to_numpy(pair[domain]) for pair in pairs])
                 for domain in range(2))


def binary(images):
    """Images binarised at 0, as booleans."""
    return np.asarray(images) > 0


def pixel_agreement(edges, images):
    """The fraction of pixels where the edge maps and the binarised images agree."""
    return float(np.mean(edges == binary(images)))


def edge_reader(digits):
    """The edge reader: a linear probe on the classifier's features of real edge maps; with
    its accuracy on the held-out edge maps."""
    features, _ = digits.classifier(edge_map(digits.train_images))
    probe = metrics.linear_probe(features, digits.train_labels)

    def read(images):
        return probe(digits.classifier(np.where(binary(images), 1.0, -1.0).astype("float32"))[0])

    accuracy = float(np.mean(read(edge_map(digits.test_images)) == digits.test_labels))
    return read, accuracy


def evaluate(model, digits):
    """Pixel agreement, same digit and U(a), each beside its baselines."""
    images_1, images_2 = generate_pairs(model, model.sample_inputs(common.SAMPLES, seed=0))
    edges_1 = binary(edge_map(images_1))
    real_edge_maps = edge_map(digits.test_images)
    read_edges, reader_accuracy = edge_reader(digits)
    _, probabilities = digits.classifier(images_1)
    labels_1, labels_2 = np.argmax(probabilities, axis=1), read_edges(images_2)
    scores = dict(
        pixel_agreement=pixel_agreement(edges_1, images_2),
        pixel_agreement_independent=pixel_agreement(edges_1, np.roll(images_2, 1, axis=0)),
        pixel_agreement_real_mismatched=pixel_agreement(
            binary(real_edge_maps), np.roll(real_edge_maps, 1, axis=0)),
        same_digit=float(np.mean(labels_1 == labels_2)),
        same_digit_independent=float(np.mean(labels_1 == np.roll(labels_2, 1))),
        same_digit_chance=CHANCE,
        edge_reader_accuracy=reader_accuracy,
        classifier_on_real_edges=metrics.class_preservation(
            digits.classifier, real_edge_maps, digits.test_labels),
    )
    scores.update(digits.unconditional_scores(images_1))
    criteria = {
        "pixel_agreement_at_least_90%": scores["pixel_agreement"] >= PIXEL_AGREEMENT_THRESHOLD,
        "same_digit_at_least_80%": scores["same_digit"] >= SAME_DIGIT_THRESHOLD,
        "fcd_below_baseline": scores["fcd"] < scores["baseline_fcd"],
    }
    return dict(scores=scores, criteria=criteria)


def summary(row):
    """Pixel agreement, same digit and FCD of domain 1, with their baselines."""
    scores = row["scores"]
    return (f"pixel agreement {scores['pixel_agreement']:.3f} (independent z "
            f"{scores['pixel_agreement_independent']:.3f}, mismatched real "
            f"{scores['pixel_agreement_real_mismatched']:.3f}); same digit "
            f"{scores['same_digit']:.1%} (independent z {scores['same_digit_independent']:.1%}, "
            f"chance {scores['same_digit_chance']:.0%}, edge reader on real edges "
            f"{scores['edge_reader_accuracy']:.1%}); domain-1 FCD {scores['fcd']:.2f} "
            f"(baseline {scores['baseline_fcd']:.2f})")
