"""SGAN's criterion (MODEL_SPECS §16): D's 10-class accuracy (argmax over the real classes) on
the 2,000 held-out digits is at least 90%, and at least 5 points above the same discriminator
trained only on the same 100 labelled digits.

The supervised baseline is trained here: `sgan.build_discriminator` with the model's widths,
Adam 2e-4, β = (0.5, 0.999), the cross-entropy of the labelled digits, batches of 64 drawn
with replacement from the model's own labelled pool, for as many steps as the model's
discriminator took. Beside them: chance (10%) and the reference classifier's accuracy (trained
on all 8,000 labelled digits).

The task trains 16 epochs of 125 steps (2,000 steps of 64 labelled + 64 unlabelled + 64 fake
images), about 15 minutes on this 2-core CPU when it is not shared (about 0.45 s of CPU time a
step with TensorFlow).
"""

import keras
import numpy as np

import common
from keras_gans import sgan

TASK = dict(dataset="mnist32", epochs=16, options=["--labeled", "100"])
MARGIN = 0.05


def held_out_accuracy(classify, digits):
    """The fraction of held-out digits that `classify` labels correctly."""
    predicted = common.in_batches(classify, digits.test_images)
    return float(np.mean(predicted == digits.test_labels))


def supervised_baseline(model, steps, batch_size=64, seed=0):
    """The SGAN discriminator trained only on `model`'s labelled pool: returns its classify
    function (argmax over the real classes)."""
    keras.utils.set_random_seed(seed)
    discriminator = sgan.build_discriminator(model.image_shape, model.num_classes,
                                             model.base_width)
    classifier = keras.Model(discriminator.input, discriminator.output[0])
    classifier.compile(optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                       loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    images = keras.ops.convert_to_numpy(model.labeled_images)
    labels = keras.ops.convert_to_numpy(model.labeled_labels).astype("int64")
    draws = np.random.default_rng(seed).integers(0, len(images), (steps, batch_size))
    for indices in draws:
        classifier.train_on_batch(images[indices], labels[indices])

    def classify(batch):
        logits = keras.ops.convert_to_numpy(classifier(batch, training=False))
        return logits[:, :-1].argmax(axis=1)

    return classify


def evaluate(model, digits):
    """The SGAN's held-out accuracy beside the supervised baseline's, chance and the
    reference classifier's."""
    steps = int(keras.ops.convert_to_numpy(model.d_optimizer.iterations))
    _, reference = digits.classifier(digits.test_images)
    scores = {
        "accuracy": held_out_accuracy(model.classify, digits),
        "supervised_accuracy": held_out_accuracy(supervised_baseline(model, steps), digits),
        "labeled": float(model.num_labeled),
        "baseline_steps": float(steps),
        "chance": 1.0 / model.num_classes,
        "reference_classifier_accuracy": float(np.mean(reference.argmax(axis=1)
                                                       == digits.test_labels)),
    }
    return {"scores": scores, "criteria": {
        "accuracy_at_least_90%": scores["accuracy"] >= 0.9,
        "5_points_above_supervised": (scores["accuracy"] - scores["supervised_accuracy"]
                                      >= MARGIN)}}


def summary(row):
    """Held-out accuracy with the supervised baseline, chance and the reference classifier."""
    scores = row["scores"]
    return (f"held-out accuracy {scores['accuracy']:.1%} with {scores['labeled']:.0f} labels "
            f"(same D supervised on them: {scores['supervised_accuracy']:.1%}; chance "
            f"{scores['chance']:.0%}; reference classifier, 8,000 labels: "
            f"{scores['reference_classifier_accuracy']:.1%})")
