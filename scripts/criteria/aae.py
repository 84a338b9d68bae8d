"""Adversarial Autoencoder (MODEL_SPECS §17): reconstructions, codes and decoded prior samples.

The row's criteria, all on the 2,000 held-out digits:

1. reconstruction: the mean squared error (per pixel, [-1, 1] scale) of reconstruct(x) is at
   most that of x rebuilt from the first 10 principal components of the 8,000 train digits;
2. codes: every dimension of the held-out codes has |mean| < 0.15 and a standard deviation in
   [0.75, 1.25], as codes matched to the N(0, I) prior should;
3. samples: 2,000 decoded prior samples pass U(a) (FCD below the per-pixel Gaussian baseline's)
   and U(c) (every class 5–15% of the reference classifier's predictions).

Also measured, without a bar: a linear classifier on the learned codes beside one on the raw
pixels (`metrics.linear_probe_accuracy`), and the reference classifier's accuracy on the
reconstructions (class preservation).

The task trains the command line's defaults (two-phase schedule, deterministic encoder, N(0, I)
prior, latent size 10, batch 64, Adam 2e-4) for 240 epochs of the 8,000 train digits: 30,000
steps of each phase, the offline budget of MODEL_SPECS §0.3. An epoch took 3 s on this 2-core
CPU while other jobs shared it, so the task needs at most about 12 minutes of training there.
"""

import numpy as np

import common
from keras_gans import metrics

TASK = dict(dataset="mnist", epochs=240, options=[])

PCA_COMPONENTS = 10
CODE_MEAN_LIMIT = 0.15
CODE_STD_RANGE = (0.75, 1.25)


def evaluate(model, digits):
    """The scores and criteria of MODEL_SPECS §17 for a trained AAE."""
    train_codes = common.in_batches(model.encode, digits.train_images)
    test_codes = common.in_batches(model.encode, digits.test_images)
    reconstructions = common.in_batches(model.reconstruct, digits.test_images)
    samples = common.in_batches(model, model.sample_inputs(common.SAMPLES, seed=0))
    code_means, code_stds = test_codes.mean(axis=0), test_codes.std(axis=0)
    scores = {
        "reconstruction_mse": float(np.mean((reconstructions - digits.test_images) ** 2)),
        "pca_reconstruction_mse": metrics.pca_reconstruction_error(
            digits.train_images, digits.test_images, PCA_COMPONENTS),
        "largest_code_mean": float(np.abs(code_means).max()),
        "smallest_code_std": float(code_stds.min()),
        "largest_code_std": float(code_stds.max()),
        "linear_probe_codes": metrics.linear_probe_accuracy(
            train_codes, digits.train_labels, test_codes, digits.test_labels),
        "linear_probe_pixels": metrics.linear_probe_accuracy(
            digits.train_images, digits.train_labels, digits.test_images, digits.test_labels),
        "reconstructions_class_preserved": metrics.class_preservation(
            digits.classifier, reconstructions, digits.test_labels),
    }
    scores.update(digits.unconditional_scores(samples))
    criteria = {
        "reconstruction_at_most_pca_10": (
            scores["reconstruction_mse"] <= scores["pca_reconstruction_mse"]),
        "codes_match_the_prior": bool(
            scores["largest_code_mean"] < CODE_MEAN_LIMIT
            and CODE_STD_RANGE[0] <= scores["smallest_code_std"]
            and scores["largest_code_std"] <= CODE_STD_RANGE[1]),
    }
    criteria.update(common.unconditional_criteria(scores))
    return dict(scores=scores, criteria=criteria)


def summary(row):
    """The measured numbers beside their baselines, in one markdown cell."""
    scores = row["scores"]
    return (
        f"MSE {scores['reconstruction_mse']:.3f} (PCA-10 {scores['pca_reconstruction_mse']:.3f}); "
        f"codes max abs mean {scores['largest_code_mean']:.2f} (bar {CODE_MEAN_LIMIT}), std "
        f"{scores['smallest_code_std']:.2f}–{scores['largest_code_std']:.2f}; FCD "
        f"{scores['fcd']:.2f} (baseline {scores['baseline_fcd']:.1f}), classes "
        f"{scores['smallest_class_share']:.1%}–{scores['largest_class_share']:.1%}; linear probe "
        f"codes {scores['linear_probe_codes']:.1%}, pixels {scores['linear_probe_pixels']:.1%}")
