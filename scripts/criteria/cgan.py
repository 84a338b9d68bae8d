"""CGAN's criterion (MODEL_SPECS §13, C): the reference classifier gives the requested class to
at least 90% of 1,000 samples (100 per class); FCD below the per-pixel Gaussian baseline's.

Baselines beside them: chance (10%) and the classifier's accuracy on the held-out digits.
"""

import numpy as np

import common

TASK = dict(dataset="mnist", epochs=100, options=[])
PER_CLASS = 100


def class_samples(model, per_class, seed=0):
    """`per_class` samples of every class (NumPy) and their requested classes."""
    labels = np.repeat(np.arange(model.num_classes), per_class).astype("int32")
    latent = np.random.default_rng(seed).standard_normal((len(labels), model.latent_dim))
    images = common.in_batches(lambda batch: model(batch, training=False),
                               (latent.astype("float32"), labels))
    return images, labels


def conditional_accuracy(classifier, images, labels):
    """The fraction of `images` the classifier gives their requested `labels`."""
    _, probabilities = classifier(images)
    return float(np.mean(probabilities.argmax(axis=1) == labels))


def evaluate(model, digits):
    """Conditional accuracy, FCD and class shares of the model's samples."""
    images, labels = class_samples(model, PER_CLASS)
    scores = {"conditional_accuracy": conditional_accuracy(digits.classifier, images, labels),
              "held_out_accuracy": conditional_accuracy(digits.classifier, digits.test_images,
                                                        digits.test_labels),
              "chance": 1.0 / model.num_classes}
    scores.update(digits.unconditional_scores(class_samples(model, common.SAMPLES // 10)[0]))
    return {"scores": scores, "criteria": {
        "requested_class_at_least_90%": scores["conditional_accuracy"] >= 0.9,
        "fcd_below_baseline": scores["fcd"] < scores["baseline_fcd"]}}


def summary(row):
    """Conditional accuracy and FCD with their baselines."""
    scores = row["scores"]
    return (f"requested class {scores['conditional_accuracy']:.1%} (chance "
            f"{scores['chance']:.0%}, real digits {scores['held_out_accuracy']:.1%}); FCD "
            f"{scores['fcd']:.2f} (baseline {scores['baseline_fcd']:.1f})")
