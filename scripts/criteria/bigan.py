"""BiGAN / ALI criteria (MODEL_SPECS §18): is the encoder's code a good feature of the digit?

- 1-nearest-neighbour classification of the 2,000 held-out digits in E-space, the 8,000
  encoded train digits as references (BiGAN's feature-learning test): at least 85%, and above
  the same test with the model's encoder re-initialised (same architecture and seed, no
  training): the encoder the run started from, since the command line draws the weights with
  the same seed. 1-NN on raw pixels is printed beside them.
- Reported: R's accuracy on the reconstructions G(E(x)) of the held-out digits (does the
  round trip keep the class?), their mean squared error per pixel beside that of a PCA with as
  many components as the latent size, and a linear classifier on the codes against one on raw
  pixels.

The task trains the default deterministic encoder on the 8,000 train digits: 60 epochs (7,500
generator steps at batch 64), about 12 minutes of training on 2 CPU cores with TensorFlow when
the machine is not shared.
"""

import keras
import numpy as np

import common
from keras_gans import metrics

TASK = dict(dataset="mnist", epochs=60, options=[])


def untrained_encoder(model):
    """The model's encoder architecture with fresh weights, drawn with the model's seed."""
    keras.utils.set_random_seed(model.seed or 0)
    return keras.models.clone_model(model.encoder)


def codes_of(encoder):
    """A function of images giving `encoder`'s codes (the mean, for a stochastic encoder)."""
    def encode(images):
        codes = encoder(images, training=False)
        return codes[0] if isinstance(codes, (list, tuple)) else codes
    return encode


def nearest_neighbour(encode, digits):
    """1-NN accuracy on the held-out digits in the space of `encode`."""
    return metrics.nearest_neighbour_accuracy(
        common.in_batches(encode, digits.train_images), digits.train_labels,
        common.in_batches(encode, digits.test_images), digits.test_labels)


def evaluate(model, digits):
    """The scores and criteria of a trained BiGAN on the shared digits."""
    train_codes = common.in_batches(model.encode, digits.train_images)
    test_codes = common.in_batches(model.encode, digits.test_images)
    reconstructions = common.in_batches(model.reconstruct, digits.test_images)
    flat_train = digits.train_images.reshape(len(digits.train_images), -1)
    flat_test = digits.test_images.reshape(len(digits.test_images), -1)
    scores = {
        "nearest_neighbour_accuracy": metrics.nearest_neighbour_accuracy(
            train_codes, digits.train_labels, test_codes, digits.test_labels),
        "random_encoder_nearest_neighbour_accuracy": nearest_neighbour(
            codes_of(untrained_encoder(model)), digits),
        "pixel_nearest_neighbour_accuracy": metrics.nearest_neighbour_accuracy(
            flat_train, digits.train_labels, flat_test, digits.test_labels),
        "reconstruction_class_preservation": metrics.class_preservation(
            digits.classifier, reconstructions, digits.test_labels),
        "reconstruction_error": float(np.mean((reconstructions - digits.test_images) ** 2)),
        "pca_reconstruction_error": metrics.pca_reconstruction_error(
            digits.train_images, digits.test_images, model.latent_dim),
        "pca_components": float(model.latent_dim),
        "linear_probe_codes": metrics.linear_probe_accuracy(
            train_codes, digits.train_labels, test_codes, digits.test_labels),
        "linear_probe_pixels": metrics.linear_probe_accuracy(
            flat_train, digits.train_labels, flat_test, digits.test_labels),
    }
    accuracy = scores["nearest_neighbour_accuracy"]
    criteria = {
        "nearest_neighbour_at_least_85%": accuracy >= 0.85,
        "nearest_neighbour_above_random_encoder":
            accuracy > scores["random_encoder_nearest_neighbour_accuracy"],
    }
    return dict(scores=scores, criteria=criteria)


def summary(row):
    """The measured numbers and their baselines, in one markdown cell."""
    s = row["scores"]
    return (f"1-NN in E-space {s['nearest_neighbour_accuracy']:.1%} (untrained E "
            f"{s['random_encoder_nearest_neighbour_accuracy']:.1%}, pixels "
            f"{s['pixel_nearest_neighbour_accuracy']:.1%}); R on G(E(x)) "
            f"{s['reconstruction_class_preservation']:.1%}; MSE of G(E(x)) "
            f"{s['reconstruction_error']:.3f} (PCA-{s['pca_components']:.0f} "
            f"{s['pca_reconstruction_error']:.3f}); "
            f"linear probe codes {s['linear_probe_codes']:.1%} (pixels "
            f"{s['linear_probe_pixels']:.1%})")
