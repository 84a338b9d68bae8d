"""AC-GAN's criteria (MODEL_SPECS §14): C, the reference classifier gives the requested class to
at least 90% of 1,000 samples (100 per class); the discriminator's class head is at least 95%
accurate on the 2,000 held-out real digits; U(a), FCD below the per-pixel Gaussian baseline's.

Baselines beside them: chance (10%) and the reference classifier's own accuracy on the
held-out digits. The task trains the paper's networks (B-DC32, batch 64) for 30 epochs of the
8,000 training digits at 32×32 (3,750 steps): about 13 minutes on a 2-core CPU with
TensorFlow when the machine is not shared (DCGAN's 20 epochs took 8.5 minutes there).
"""

import numpy as np

import cgan
import common

TASK = dict(dataset="mnist32", epochs=30, options=[])


def discriminator_accuracy(model, images, labels):
    """The fraction of real `images` whose class the discriminator's class head gets right."""
    return float(np.mean(common.in_batches(model.classify, images) == labels))


def evaluate(model, digits):
    """Conditional accuracy, the class head's accuracy on real digits, FCD and class shares."""
    images, labels = cgan.class_samples(model, cgan.PER_CLASS)
    scores = {
        "conditional_accuracy": cgan.conditional_accuracy(digits.classifier, images, labels),
        "discriminator_accuracy": discriminator_accuracy(model, digits.test_images,
                                                         digits.test_labels),
        "held_out_accuracy": cgan.conditional_accuracy(digits.classifier, digits.test_images,
                                                       digits.test_labels),
        "chance": 1.0 / model.num_classes,
    }
    scores.update(digits.unconditional_scores(
        cgan.class_samples(model, common.SAMPLES // model.num_classes)[0]))
    return {"scores": scores, "criteria": {
        "requested_class_at_least_90%": scores["conditional_accuracy"] >= 0.9,
        "discriminator_class_head_at_least_95%": scores["discriminator_accuracy"] >= 0.95,
        "fcd_below_baseline": scores["fcd"] < scores["baseline_fcd"]}}


def summary(row):
    """Conditional accuracy, the class head's accuracy and FCD with their baselines."""
    scores = row["scores"]
    return (f"requested class {scores['conditional_accuracy']:.1%}, D's class head on held-out "
            f"digits {scores['discriminator_accuracy']:.1%} (chance {scores['chance']:.0%}, "
            f"reference classifier {scores['held_out_accuracy']:.1%}); FCD {scores['fcd']:.2f} "
            f"(baseline {scores['baseline_fcd']:.1f})")
