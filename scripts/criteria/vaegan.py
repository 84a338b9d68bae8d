"""VAE-GAN's criteria (MODEL_SPECS §21): held-out reconstructions keep their class (T: the
reference classifier gives at least 90% of them the digit's label) and prior samples pass U(a)
(FCD below the per-pixel Gaussian baseline's) and U(c) (every class 5–15% of the samples).

Beside them, as scores with their baselines: the classifier's accuracy on the held-out digits
themselves and on their reconstructions by a PCA with as many components as the code has
dimensions; the per-pixel mean squared reconstruction error, beside that PCA's; and a linear
classifier (ridge regression on one-hot labels) fitted on the codes μ of the 8,000 training
digits, beside the same classifier on their raw pixels.

The task is the offline configuration at a quarter of the paper's widths (`--width-divisor 4`:
encoder {16, 32}, decoder from 8×8×64 through {32, 8}, discriminator {8 | 32, 64}, so that layer
l is 8×8×64) with the paper's loss weights, gate, optimizer and batch: 30 epochs of the 8,000
digits at batch 64 (3,750 steps), about 14 minutes of training on this 2-core CPU when it is
not shared.
"""

import numpy as np

import common
from keras_gans import metrics

TASK = dict(dataset="mnist32", epochs=30, options=["--width-divisor", "4"])


def reconstructions(model, images):
    """The model's reconstructions Dec(μ(x)) of `images` (NumPy)."""
    return common.in_batches(model.reconstruct, images)


def evaluate(model, digits):
    """Class preservation and error of the reconstructions, linear probes, prior samples."""
    rebuilt = reconstructions(model, digits.test_images)
    pca_rebuilt = metrics.pca_reconstructions(digits.train_images, digits.test_images,
                                              model.latent_dim).astype("float32")
    train_codes = common.in_batches(model.encode, digits.train_images)
    test_codes = common.in_batches(model.encode, digits.test_images)
    scores = {
        "class_kept": metrics.class_preservation(digits.classifier, rebuilt, digits.test_labels),
        "held_out_accuracy": metrics.class_preservation(
            digits.classifier, digits.test_images, digits.test_labels),
        "pca_class_kept": metrics.class_preservation(
            digits.classifier, np.clip(pca_rebuilt, -1, 1), digits.test_labels),
        "reconstruction_error": float(np.mean((rebuilt - digits.test_images) ** 2)),
        "pca_reconstruction_error": metrics.pca_reconstruction_error(
            digits.train_images, digits.test_images, model.latent_dim),
        "code_probe_accuracy": metrics.linear_probe_accuracy(
            train_codes, digits.train_labels, test_codes, digits.test_labels),
        "pixel_probe_accuracy": metrics.linear_probe_accuracy(
            digits.train_images, digits.train_labels, digits.test_images, digits.test_labels),
        "components": float(model.latent_dim),
    }
    prior_samples = common.in_batches(
        lambda codes: model(codes, training=False), model.sample_inputs(common.SAMPLES, seed=0))
    scores.update(digits.unconditional_scores(prior_samples))
    criteria = {"reconstructions_keep_class_at_least_90%": scores["class_kept"] >= 0.9}
    criteria.update(common.unconditional_criteria(scores))
    return {"scores": scores, "criteria": criteria}


def summary(row):
    """Class kept, reconstruction error, linear probes and the prior samples' FCD and classes,
    each with its baseline."""
    scores = row["scores"]
    components = int(scores["components"])
    return (f"reconstructions keep the class {scores['class_kept']:.1%} (real digits "
            f"{scores['held_out_accuracy']:.1%}, PCA-{components} "
            f"{scores['pca_class_kept']:.1%}); pixel MSE {scores['reconstruction_error']:.3f} "
            f"(PCA-{components} {scores['pca_reconstruction_error']:.3f}); linear probe on codes "
            f"{scores['code_probe_accuracy']:.1%} (pixels {scores['pixel_probe_accuracy']:.1%}); "
            f"prior samples FCD {scores['fcd']:.2f} (baseline {scores['baseline_fcd']:.1f}), "
            f"classes {scores['smallest_class_share']:.1%}–{scores['largest_class_share']:.1%}")
