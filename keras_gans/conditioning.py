"""Class conditioning shared by the conditional models (CGAN, AC-GAN, ...).

A conditional generator takes a noise vector and a class; `ClassConditional` gives such a model
its inference (`generate(count, labels=...)`), its fixed sample inputs and its sample grids laid
out as the papers show them: one row per class, the same noise down each column.
"""

import numpy as np
from keras import ops

from keras_gans import engine


def class_rows(count, num_classes):
    """Labels int32 for a grid of one full row per class (0, 0, ..., 1, 1, ...): as many
    columns as `count` allows, so at most `count` labels (`count` when below `num_classes`)."""
    columns = grid_columns(count, num_classes)
    total = columns * num_classes if count >= num_classes else count
    return (np.arange(total) // columns).astype("int32")


def grid_columns(count, num_classes):
    """Columns of a class-per-row grid of at most `count` samples."""
    return max(1, count // num_classes)


def label_array(labels, count, num_classes):
    """`labels` (one class, or one per sample) as an int32 array (count,); a ValueError with
    the fix when a class is outside [0, num_classes)."""
    labels = np.broadcast_to(np.asarray(labels), (count,)).astype("int64")
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(f"Classes must lie in [0, {num_classes}). Received labels from "
                         f"{labels.min()} to {labels.max()}: pass classes of this model.")
    return labels.astype("int32")


class ClassConditional:
    """Mixin of a `engine.GAN` whose `generator` maps [noise, one-hot class] to images.

    The model defines `latent_dim`, `num_classes` and `generator`; the mixin adds `one_hot`,
    `random_labels` (drawn from the model's seed generator), `call((latent, labels))`,
    `generate(count, labels=None)`, `sample_inputs` and `sample_grid`.
    """

    def one_hot(self, labels):
        """Integer classes (batch,) as one-hot float vectors (batch, num_classes)."""
        return ops.one_hot(ops.cast(ops.reshape(labels, (-1,)), "int32"), self.num_classes)

    def random_labels(self, batch_size):
        """Classes drawn uniformly from the model's seed generator: int32 (batch_size,)."""
        draws = ops.floor(self.uniform((batch_size,)) * self.num_classes)
        return ops.cast(ops.minimum(draws, self.num_classes - 1), "int32")

    def call(self, inputs, training=False):
        """Generates images from `(latent, labels)`: noise (batch, latent_dim) and integer
        classes (batch,)."""
        latent, labels = inputs
        return self.generator([latent, self.one_hot(labels)], training=training)

    @engine.inference
    def generate(self, count, labels=None):
        """Draws `count` images; `labels` is one class, one class per image, or None for
        classes drawn at random."""
        if labels is None:
            labels = self.random_labels(count)
        else:
            labels = label_array(labels, count, self.num_classes)
        return self((self.normal((count, self.latent_dim)), labels), training=False)

    def sample_inputs(self, count, seed=0, labels=None):
        """Fixed (noise, labels) for sample grids: one full row per class (so at most `count`
        samples), or `count` samples of `labels`. The same seed gives the same noise."""
        if labels is None:
            labels = class_rows(count, self.num_classes)
            count = len(labels)
        latent = np.random.default_rng(seed).standard_normal((count, self.latent_dim))
        return latent.astype("float32"), label_array(labels, count, self.num_classes)

    def sample_grid(self, inputs):
        """The samples of `inputs`, one row per class when the labels go class by class."""
        latent, labels = inputs
        images = self((latent, labels), training=False)
        rows = np.array_equal(labels, class_rows(len(labels), self.num_classes))
        return images, grid_columns(len(labels), self.num_classes) if rows else None
