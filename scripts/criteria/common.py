"""What every criteria module of scripts/criteria/ is given: the digits and the classifier.

A criteria module `scripts/criteria/<model>.py` measures one conditional or representation
model against its own success line of MODEL_SPECS (§13–21). It defines

- `TASK`: the training command's settings, `dict(dataset=..., epochs=..., options=[...])`;
- `evaluate(model, digits)`: returns `dict(scores={name: float}, criteria={name: bool})`,
  each score measured on the held-out digits with its baseline among the scores;
- `summary(row)`: one short markdown cell with the measured numbers and their baselines;

and `python scripts/results.py train <model>` trains, evaluates and writes the row.
"""

import dataclasses

import numpy as np

from keras_gans import data, evaluate, metrics

SAMPLES = 2000


@dataclasses.dataclass
class Digits:
    """The shared MNIST split (MODEL_SPECS §0.2) at a task's image size, and the classifier.

    Attributes:
        train_images, train_labels: the 8,000 training digits, [-1, 1], NHWC.
        test_images, test_labels: the 2,000 held-out digits.
        classifier: the reference classifier, `features, probabilities = classifier(images)`.
        data_dir: the folder of the MNIST files.
    """

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    classifier: metrics.ClassifierFeatures
    data_dir: str

    @classmethod
    def load(cls, data_dir, dataset="mnist"):
        """The digits of `dataset` ("mnist" 28×28 or "mnist32" 32×32)."""
        train = data.load(dataset, data_dir=data_dir, split="train")
        test = data.load(dataset, data_dir=data_dir, split="test")
        return cls(train.images, train.labels, test.images, test.labels,
                   metrics.ClassifierFeatures(), data_dir)

    def unconditional_scores(self, images):
        """FCD of `images` against the held-out digits, beside the per-pixel Gaussian
        baseline's, and the smallest and largest class shares: MODEL_SPECS' U(a) and U(c)."""
        extractor = evaluate.make_extractor("classifier")
        reference = evaluate.reference_statistics(extractor, self.test_images)
        baseline = metrics.pixel_gaussian_baseline(self.train_images, SAMPLES, seed=0)
        scores = {}
        for name, batch in (("", images), ("baseline_", baseline)):
            result = evaluate.compare(extractor, reference, metrics.image_batches(batch, 250))
            scores[f"{name}fcd"] = result["fcd"]
            if not name:
                scores["smallest_class_share"] = result["smallest_class_share"]
                scores["largest_class_share"] = result["largest_class_share"]
        return scores


def unconditional_criteria(scores):
    """U(a) (FCD below the baseline's) and U(c) (every class 5–15%) from
    `Digits.unconditional_scores`."""
    return {
        "fcd_below_baseline": scores["fcd"] < scores["baseline_fcd"],
        "every_class_5_to_15_percent": (scores["smallest_class_share"] >= 0.05
                                        and scores["largest_class_share"] <= 0.15),
    }


def in_batches(function, inputs, batch_size=500):
    """`function` applied batch by batch to `inputs` (an array, or a tuple of arrays cut
    alike), the NumPy outputs concatenated."""
    import keras

    def cut(start):
        if isinstance(inputs, tuple):
            return tuple(part[start:start + batch_size] for part in inputs)
        return inputs[start:start + batch_size]

    count = len(inputs[0]) if isinstance(inputs, tuple) else len(inputs)
    outputs = [keras.ops.convert_to_numpy(function(cut(start)))
               for start in range(0, count, batch_size)]
    return np.concatenate(outputs)
