"""Translation scores: per-image L1, the best constant image, stroke saturation, and the
criteria of pix2pix and CycleGAN computed on models whose answers are known."""

import numpy as np
import pytest

from keras_gans import evaluate, metrics


def test_mean_absolute_errors_per_image():
    images = np.zeros((2, 2, 2, 1), "float32")
    targets = np.array([np.full((2, 2, 1), 0.5), np.full((2, 2, 1), -1.0)], "float32")
    np.testing.assert_allclose(metrics.mean_absolute_errors(images, targets), [0.5, 1.0])
    with pytest.raises(ValueError, match="same shape"):
        metrics.mean_absolute_errors(images, targets[:1])


def test_best_constant_image_is_the_per_pixel_median():
    images = np.array([[[[0.0]]], [[[1.0]]], [[[-1.0]]], [[[0.9]]], [[[0.8]]]], "float32")
    assert metrics.best_constant_image(images).item() == pytest.approx(0.8)


def test_stroke_saturation():
    red, white, black = [1.0, -1.0, -1.0], [1.0, 1.0, 1.0], [-1.0, -1.0, -1.0]
    half_red = [1.0, 0.0, 0.0]  # [0, 1] values (1, 0.5, 0.5): saturation 0.5
    images = np.array([[[red, black]], [[white, black]], [[black, black]], [[half_red, red]]],
                      "float32")
    np.testing.assert_allclose(metrics.stroke_saturation(images), [1.0, 0.0, 0.0, 0.75])


class _Classifier:
    """Predicts the class written in the first pixel (as ClassifierFeatures returns)."""

    def __call__(self, images):
        classes = np.rint(images[:, 0, 0, 0]).astype(int)
        return None, np.eye(10, dtype="float32")[classes]


class _Swap:
    """Paired: returns the targets it was given at construction. Two-way: negates."""

    def __init__(self, outputs=None):
        self.outputs = outputs

    def translate(self, images, to=None):
        if self.outputs is not None:
            return self.outputs[:len(images)]
        return images if to is None else -images


def test_paired_scores_against_known_answers():
    labels = np.arange(4)
    targets = np.zeros((4, 2, 2, 1), "float32") + labels[:, None, None, None]
    images = targets + 0.25
    scores = evaluate.paired_translation_scores(_Swap(targets), images, targets, labels,
                                                _Classifier(), train_targets=targets)
    assert scores["class_preserved"] == 1.0 and scores["l1"] == 0.0
    assert scores["l1_input"] == pytest.approx(0.25)
    assert scores["l1_best_constant_image"] == pytest.approx(1.0)  # median 1.5: |0..3 − 1.5|


def test_unpaired_scores_against_known_answers():
    images = np.zeros((2, 2, 2, 3), "float32") + np.array([0.0, 1.0])[:, None, None, None]
    scores = evaluate.unpaired_translation_scores(_Swap(), images, [0, 1], images, [0, 0],
                                                  _Classifier())
    assert scores["cycle_l1_a"] == 0.0 and scores["cycle_l1_b"] == 0.0
    assert scores["class_preserved_a_to_b"] == 0.5  # −a: 0 stays class 0, 1 becomes −1 (class 9)
    assert scores["class_preserved_b_to_a"] == 0.5
    assert "saturated_a_to_b" in scores
