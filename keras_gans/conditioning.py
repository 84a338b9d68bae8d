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


def labelled_batch(data, model_name):
    """(images, labels) of a training batch; a ValueError with the fix for images alone."""
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise ValueError(f"{model_name} learns from (images, labels) batches: call "
                         "model.fit(images, labels, ...) or give a dataset of such pairs.")
    return data[0], data[1]


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
    `random_labels` (drawn from the model's seed generator), `real_data`, `fakes`,
    `call((latent, labels))`, `generate(count, labels=None)`, `sample_inputs` and
    `sample_grid`. The noise is N(0, `noise_stddev`²·I): 1 unless the model sets another
    (ClusterGAN's 0.1).
    """

    noise_stddev = 1.0

    def one_hot(self, labels):
        """Integer classes (batch,) as one-hot float vectors (batch, num_classes)."""
        return ops.one_hot(ops.cast(ops.reshape(labels, (-1,)), "int32"), self.num_classes)

    def random_labels(self, batch_size):
        """Classes drawn uniformly from the model's seed generator: int32 (batch_size,)."""
        draws = ops.floor(self.uniform((batch_size,)) * self.num_classes)
        return ops.cast(ops.minimum(draws, self.num_classes - 1), "int32")

    def real_data(self, data):
        """The real images of a training batch `(images, labels)` and their one-hot classes;
        a ValueError with the fix for images alone."""
        images, labels = labelled_batch(data, type(self).__name__)
        return images, self.one_hot(labels)

    def fakes(self, batch_size, training=True):
        """Fresh fakes of random classes for a training step: (images, one-hot classes)."""
        classes = self.one_hot(self.random_labels(batch_size))
        latent = self.normal((batch_size, self.latent_dim), stddev=self.noise_stddev)
        return self.generator([latent, classes], training=training), classes

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
        latent = self.normal((count, self.latent_dim), stddev=self.noise_stddev)
        return self((latent, labels), training=False)

    def sample_inputs(self, count, seed=0, labels=None):
        """Fixed (noise, labels) for sample grids: one full row per class with the same noise
        down each column (so at most `count` samples), or `count` samples of `labels`. The same
        seed gives the same noise."""
        rng = np.random.default_rng(seed)
        if labels is None:
            labels = class_rows(count, self.num_classes)
            columns = grid_columns(count, self.num_classes)
            count = len(labels)
            latent = rng.standard_normal((columns, self.latent_dim))[np.arange(count) % columns]
        else:
            latent = rng.standard_normal((count, self.latent_dim))
        latent = latent * self.noise_stddev
        return latent.astype("float32"), label_array(labels, count, self.num_classes)

    def sample_grid(self, inputs):
        """The samples of `inputs`, one row per class when the labels go class by class."""
        latent, labels = inputs
        images = self((latent, labels), training=False)
        rows = np.array_equal(labels, class_rows(len(labels), self.num_classes))
        return images, grid_columns(len(labels), self.num_classes) if rows else None


class ConditionalGANStep(ClassConditional):
    """The training step CGAN and AC-GAN share: one discriminator update on real
    (image, class) pairs against fakes of drawn classes, then one generator update on fresh
    fakes of fresh classes, judged by the updated discriminator.

    The model defines the two players' objectives:
    `discriminator_loss(real_images, real_classes, fake_images, fake_classes)` and
    `generator_loss(fake_images, fake_classes)`, classes one-hot, each returning the loss and a
    dict of further values to log (empty when there are none).
    """

    def gan_step(self, data):
        real_images, real_classes = self.real_data(data)
        batch_size = ops.shape(real_images)[0]

        def discriminator_objective():
            fake_images, fake_classes = self.fakes(batch_size)
            return self.discriminator_loss(real_images, real_classes,
                                           ops.stop_gradient(fake_images), fake_classes)

        d_loss, d_logs = self.minimize(discriminator_objective,
                                       self.discriminator.trainable_variables, self.d_optimizer)
        g_loss, g_logs = self.minimize(lambda: self.generator_loss(*self.fakes(batch_size)),
                                       self.generator.trainable_variables, self.g_optimizer)
        return self.track(d_loss=d_loss, g_loss=g_loss, **d_logs, **g_logs)
