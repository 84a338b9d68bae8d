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
    """CGAN's scores and criteria (conditional accuracy, FCD, class shares), and the accuracy
    of the discriminator's class head on the held-out digits."""
    result = cgan.evaluate(model, digits)
    accuracy = discriminator_accuracy(model, digits.test_images, digits.test_labels)
    result["scores"]["discriminator_accuracy"] = accuracy
    result["criteria"]["discriminator_class_head_at_least_95%"] = accuracy >= 0.95
    return result


def summary(row):
    """Conditional accuracy, the class head's accuracy and FCD with their baselines."""
    scores = row["scores"]
    return (f"requested class {scores['conditional_accuracy']:.1%}, D's class head on held-out "
            f"digits {scores['discriminator_accuracy']:.1%} (chance {scores['chance']:.0%}, "
            f"reference classifier {scores['held_out_accuracy']:.1%}); FCD {scores['fcd']:.2f} "
            f"(baseline {scores['baseline_fcd']:.1f})")
