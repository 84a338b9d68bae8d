"""Sample-quality metrics: Fréchet distances (FID, FCD), KID, Inception Score, classifier checks.

The feature extractors (`ClassifierFeatures`, `InceptionFeatures`) run Keras models on any
backend and map NHWC images in [-1, 1] to NumPy (features, probabilities); `FeatureStatistics`
accumulates feature moments in float64 batch by batch; the distances use NumPy only (no SciPy).
"""

import os

import keras
import numpy as np

DEFAULT_CLASSIFIER_PATH = os.path.join(
    os.path.dirname(__file__), "assets", "mnist_classifier.keras"
)
GRAYSCALE_MODES = ("max", "luminance")
LUMINANCE_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype="float32")  # ITU-R BT.601


def _matrix(name, value):
    """`value` as a float64 2-D array; raises ValueError naming the argument otherwise."""
    array = np.asarray(value, dtype="float64")
    if array.ndim != 2:
        raise ValueError(f"`{name}` must be 2-D (count, d). Received: {name}.shape={array.shape}")
    return array


def _check_positive(name, value):
    if value < 1:
        raise ValueError(f"`{name}` must be at least 1. Received: {name}={value}")


class FeatureStatistics:
    """Streaming accumulator of feature vectors: their mean and covariance in float64.

    Batches are merged with Chan et al.'s parallel update (batch mean and centred sum of outer
    products), which stays accurate under a large common offset, so 10,000+ images never sit in
    memory at once. The first `keep` rows seen are also kept (as float32) for KID.

    Args:
        keep: number of feature rows to keep; 0 keeps none, None keeps all.

    Attributes:
        count: rows seen. mean: (d,). covariance: unbiased (n − 1), (d, d).
        features: the kept rows (kept, d), or None when none are kept.
    """

    def __init__(self, keep=0):
        if keep is not None and keep < 0:
            raise ValueError(f"`keep` must be >= 0 or None. Received: keep={keep}")
        self.keep, self.count, self._kept = keep, 0, []
        self._mean = self._centred_outer_sum = None

    def update(self, features):
        """Adds a batch of feature rows and returns self.

        Args:
            features: array-like (count, d).
        """
        batch = _matrix("features", features)
        if self._mean is not None and batch.shape[1] != self._mean.shape[0]:
            message = f"Feature dimension changed from {self._mean.shape[0]}. Received: "
            raise ValueError(f"{message}features.shape={batch.shape}")
        if len(batch) == 0:
            return self
        if self._mean is None:
            self._mean = np.zeros(batch.shape[1])
            self._centred_outer_sum = np.zeros((batch.shape[1],) * 2)
        room = len(batch) if self.keep is None else self.keep - sum(map(len, self._kept))
        if room > 0:
            self._kept.append(batch[:room].astype("float32"))
        batch_mean, total = batch.mean(axis=0), self.count + len(batch)
        delta = batch_mean - self._mean
        self._centred_outer_sum += (batch - batch_mean).T @ (batch - batch_mean)
        self._centred_outer_sum += np.outer(delta, delta) * (self.count * len(batch) / total)
        self._mean = self._mean + delta * (len(batch) / total)
        self.count = total
        return self

    @property
    def mean(self):
        if self.count == 0:
            raise ValueError("The mean needs at least one feature row. Received: count=0")
        return self._mean.copy()

    @property
    def covariance(self):
        if self.count < 2:
            raise ValueError(f"The covariance needs two or more rows. Received: count={self.count}")
        return self._centred_outer_sum / (self.count - 1)

    @property
    def features(self):
        return np.concatenate(self._kept) if self._kept else None

    @classmethod
    def from_features(cls, features, keep=None):
        """Returns the `FeatureStatistics` of an in-memory feature array.

        Args:
            features: array-like (count, d).
            keep: rows to keep (None keeps all of them).
        """
        return cls(keep=keep).update(features)


def _symmetric_sqrt(matrix):
    """Square root of a symmetric PSD matrix via `eigh` (negative eigenvalues clipped to 0)."""
    eigenvalues, eigenvectors = np.linalg.eigh((matrix + matrix.T) / 2.0)
    return (eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))) @ eigenvectors.T


def frechet_distance(mean_a, covariance_a, mean_b, covariance_b):
    """Fréchet distance between N(mean_a, covariance_a) and N(mean_b, covariance_b).

    d² = ‖μa − μb‖² + Tr(Σa + Σb − 2 (Σa Σb)^½), where Tr((Σa Σb)^½) is the sum of the square
    roots of the eigenvalues of the symmetric PSD matrix Σa^½ Σb Σa^½ (the same spectrum).

    Args:
        mean_a, mean_b: mean vectors (d,).
        covariance_a, covariance_b: covariance matrices (d, d).

    Returns:
        The distance as a float, clipped at 0 from below (rounding can give tiny negatives).

    Reference:
        Heusel et al., "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash
        Equilibrium", 2017 (FID); Dowson & Landau, 1982.
    """
    mean_a, mean_b = np.asarray(mean_a, "float64"), np.asarray(mean_b, "float64")
    covariance_a = np.asarray(covariance_a, "float64")
    covariance_b = np.asarray(covariance_b, "float64")
    if mean_a.ndim != 1 or mean_b.shape != mean_a.shape or not (
        covariance_a.shape == covariance_b.shape == mean_a.shape * 2
    ):
        raise ValueError(
            "Means (d,) and covariances (d, d) must have matching dimensions. Received: "
            f"mean_a.shape={mean_a.shape}, mean_b.shape={mean_b.shape}, "
            f"covariance_a.shape={covariance_a.shape}, covariance_b.shape={covariance_b.shape}"
        )
    sqrt_a = _symmetric_sqrt(covariance_a)
    product = sqrt_a @ covariance_b @ sqrt_a
    eigenvalues = np.linalg.eigvalsh((product + product.T) / 2.0)
    trace_sqrt = np.sum(np.sqrt(np.clip(eigenvalues, 0.0, None)))
    difference = mean_a - mean_b
    value = difference @ difference + np.trace(covariance_a) + np.trace(covariance_b)
    return max(float(value - 2.0 * trace_sqrt), 0.0)


def frechet_distance_between(statistics_a, statistics_b):
    """Fréchet distance (a float) between the Gaussians fitted by two `FeatureStatistics`.

    FID on Inception features, FCD on classifier features.

    Args:
        statistics_a, statistics_b: `FeatureStatistics` of the same dimension.
    """
    return frechet_distance(
        statistics_a.mean, statistics_a.covariance, statistics_b.mean, statistics_b.covariance
    )


def _unbiased_mmd2(features_a, features_b):
    """Unbiased MMD² with the kernel (x·y / d + 1)³ between two sets of the same size."""
    size, dimension = features_a.shape
    kernel_aa = (features_a @ features_a.T / dimension + 1.0) ** 3
    kernel_bb = (features_b @ features_b.T / dimension + 1.0) ** 3
    kernel_ab = (features_a @ features_b.T / dimension + 1.0) ** 3
    off_diagonal = kernel_aa.sum() - np.trace(kernel_aa) + kernel_bb.sum() - np.trace(kernel_bb)
    return off_diagonal / (size * (size - 1)) - 2.0 * kernel_ab.mean()


def kernel_distance(features_a, features_b, num_subsets=100, subset_size=1000, seed=0):
    """Kernel Inception Distance: unbiased polynomial-kernel MMD² averaged over random subsets.

    Args:
        features_a, features_b: feature arrays (count, d) of the same d.
        num_subsets: number of random subsets.
        subset_size: rows per subset, capped at the size of the smaller set; subsets are drawn
            without replacement with `numpy.random.default_rng(seed)`.
        seed: seed of the subset draws.

    Returns:
        (mean, standard error = std / sqrt(num_subsets)) of the per-subset MMD².

    Reference:
        Bińkowski et al., "Demystifying MMD GANs", 2018.
    """
    features_a, features_b = _matrix("features_a", features_a), _matrix("features_b", features_b)
    if features_a.shape[1] != features_b.shape[1]:
        shapes = f"features_a.shape={features_a.shape}, features_b.shape={features_b.shape}"
        raise ValueError(f"Feature sets must have the same dimension. Received: {shapes}")
    _check_positive("num_subsets", num_subsets)
    size = min(subset_size, len(features_a), len(features_b))
    if size < 2:
        raise ValueError(f"Subsets need at least 2 rows. Received: subset_size={size}")
    generator = np.random.default_rng(seed)
    values = np.array([
        _unbiased_mmd2(
            features_a[generator.choice(len(features_a), size, replace=False)],
            features_b[generator.choice(len(features_b), size, replace=False)],
        )
        for _ in range(num_subsets)
    ])
    return float(values.mean()), float(values.std() / np.sqrt(num_subsets))


def inception_score(probabilities, splits=10):
    """Inception Score: exp(E_x KL(p(y|x) ‖ p(y))) within each of `splits` consecutive splits.

    Args:
        probabilities: class probabilities (count, classes), rows summing to 1.
        splits: number of (nearly) equal splits; p(y) is the mean within a split.

    Returns:
        (mean, std) of the per-split scores.

    Reference:
        Salimans et al., "Improved Techniques for Training GANs", 2016.
    """
    probabilities = _matrix("probabilities", probabilities)
    if not 1 <= splits <= len(probabilities):
        message = f"`splits` must be in [1, {len(probabilities)}]. Received: splits={splits}"
        raise ValueError(message)
    scores = []
    for part in np.array_split(probabilities, splits):
        positive = part > 0  # 0 · log 0 = 0
        marginal = np.where(positive, part.mean(axis=0, keepdims=True), 1.0)
        divergence = np.sum(part * (np.log(np.where(positive, part, 1.0)) - np.log(marginal)), 1)
        scores.append(np.exp(divergence.mean()))
    return float(np.mean(scores)), float(np.std(scores))


def _predicted_classes(logits_or_probabilities):
    return np.argmax(_matrix("logits_or_probabilities", logits_or_probabilities), axis=-1)


def classifier_accuracy(logits_or_probabilities, requested_labels):
    """Fraction (a float) of samples whose predicted class (argmax) is the requested one.

    Args:
        logits_or_probabilities: classifier outputs (count, classes).
        requested_labels: integer labels (count,), e.g. the conditioning of a conditional GAN.
    """
    predicted = _predicted_classes(logits_or_probabilities)
    labels = np.asarray(requested_labels).reshape(-1)
    if len(labels) != len(predicted) or len(labels) == 0:
        message = f"Need one requested label per prediction ({len(predicted)}). Received: "
        raise ValueError(f"{message}requested_labels of length {len(labels)}")
    return float(np.mean(predicted == labels))


def class_histogram(logits_or_probabilities, num_classes):
    """Fraction of samples predicted as each class: a float64 array (num_classes,) summing to 1.

    Args:
        logits_or_probabilities: classifier outputs (count, classes).
        num_classes: length of the histogram.
    """
    predicted = _predicted_classes(logits_or_probabilities)
    if len(predicted) == 0 or predicted.max() >= num_classes:
        message = "Predictions must be non-empty and below `num_classes`."
        raise ValueError(f"{message} Received: num_classes={num_classes}")
    return np.bincount(predicted, minlength=num_classes) / len(predicted)


def confident_fraction(probabilities, threshold=0.9):
    """Fraction (a float) of samples whose largest class probability is at least `threshold`.

    Args:
        probabilities: class probabilities (count, classes).
        threshold: the confidence level.
    """
    return float(np.mean(_matrix("probabilities", probabilities).max(axis=-1) >= threshold))


def to_grayscale_28(images, mode="max"):
    """Brings NHWC images in [-1, 1] to the input of the MNIST reference classifier.

    32×32 images are centre-cropped to 28×28 (28×28 pass unchanged); RGB becomes grey by the
    per-pixel maximum over channels (`mode="max"`, right for strokes on black) or by ITU-R
    BT.601 luminance (`mode="luminance"`); one channel passes unchanged.

    Args:
        images: array (count, 28 or 32, 28 or 32, 1 or 3) in [-1, 1].
        mode: "max" or "luminance".

    Returns:
        A float32 array (count, 28, 28, 1).
    """
    images = np.asarray(images, dtype="float32")
    if mode not in GRAYSCALE_MODES:
        raise ValueError(f"`mode` must be one of {GRAYSCALE_MODES}. Received: mode={mode!r}")
    if images.ndim != 4 or images.shape[1:3] not in ((28, 28), (32, 32)) or (
        images.shape[3] not in (1, 3)
    ):
        message = "Images must be NHWC, 28x28 or 32x32, with 1 or 3 channels."
        raise ValueError(f"{message} Received: images.shape={images.shape}")
    if images.shape[1] == 32:
        images = images[:, 2:30, 2:30, :]
    if images.shape[3] == 3 and mode == "max":
        images = images.max(axis=-1, keepdims=True)
    elif images.shape[3] == 3:
        images = (images @ LUMINANCE_WEIGHTS)[..., None]
    return np.ascontiguousarray(images, dtype="float32")


def _softmax(logits):
    logits = np.asarray(logits, dtype="float64")
    exponentials = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return exponentials / exponentials.sum(axis=-1, keepdims=True)


def _predict_in_batches(model, images, batch_size, prepare):
    """Runs a two-output `model` on `prepare(batch)` batch by batch; returns both outputs."""
    _check_positive("batch_size", batch_size)
    outputs = [model.predict_on_batch(prepare(x)) for x in image_batches(images, batch_size)]
    return [np.concatenate([np.asarray(output[i]) for output in outputs]) for i in (0, 1)]


class ClassifierFeatures:
    """Features and class probabilities of the small MNIST reference classifier.

    Its 128-d penultimate layer is the feature space of the Fréchet classifier distance (FCD).

    Args:
        model_or_path: a functional `keras.Model` taking (28, 28, 1) images in [-1, 1], with a
            layer named "features" and logits as output, or the path of a `.keras` file of one;
            None reads `DEFAULT_CLASSIFIER_PATH`.
        grayscale_mode: how `to_grayscale_28` turns RGB grey ("max" or "luminance").

    `dimension` is the feature dimension (128 for the reference classifier).
    """

    name = "classifier"

    def __init__(self, model_or_path=None, grayscale_mode="max"):
        classifier = self._load(DEFAULT_CLASSIFIER_PATH if model_or_path is None else model_or_path)
        try:
            features = classifier.get_layer("features").output
        except ValueError as error:
            raise ValueError(
                f"The classifier needs a layer named 'features'. Received: model={classifier.name}"
            ) from error
        self.grayscale_mode = grayscale_mode
        self.model = keras.Model(classifier.input, [features, classifier.output])
        self.dimension = int(features.shape[-1])

    @staticmethod
    def _load(model_or_path):
        if isinstance(model_or_path, keras.Model):
            return model_or_path
        if not os.path.exists(model_or_path):
            raise FileNotFoundError(
                f"The MNIST reference classifier {model_or_path} does not exist: train it with "
                "`python scripts/train_reference_classifier.py` or pass a model or path."
            )
        return keras.saving.load_model(model_or_path, compile=False)

    def __call__(self, images, batch_size=500):
        """Features and probabilities of NHWC images in [-1, 1] (see `to_grayscale_28`).

        Args:
            images: array (count, 28 or 32, 28 or 32, 1 or 3).
            batch_size: images per forward pass.

        Returns:
            (features (count, dimension), probabilities (count, 10)), both float32.
        """
        images = to_grayscale_28(images, self.grayscale_mode)
        features, logits = _predict_in_batches(self.model, images, batch_size, lambda x: x)
        return features.astype("float32"), _softmax(logits).astype("float32")


class InceptionFeatures:
    """InceptionV3 pool features (2048-d) and ImageNet class probabilities, as FID tooling uses.

    Args:
        weights: "imagenet" (Keras' download, cached in ~/.keras/models) or the path of a local
            weights file of `keras.applications.InceptionV3` with its 1000-class top. Random
            weights (None) are refused: they make FID meaningless.
    """

    name = "inception"
    dimension = 2048

    def __init__(self, weights="imagenet"):
        base = self._build(weights)
        outputs = [base.get_layer("avg_pool").output, base.get_layer("predictions").output]
        self.model = keras.Model(base.input, outputs)
        self.dimension = int(outputs[0].shape[-1])

    @staticmethod
    def _build(weights):
        if weights is None:
            raise ValueError(
                "InceptionV3 needs pretrained weights, as random weights give meaningless "
                "distances. Received: weights=None"
            )
        if weights != "imagenet" and not os.path.exists(weights):
            raise FileNotFoundError(
                f"The InceptionV3 weights file {weights} does not exist: give the path of "
                "inception_v3_weights_tf_dim_ordering_tf_kernels.h5 (weights= in Python, "
                "--inception-weights on the command line), or 'imagenet'."
            )
        try:
            return keras.applications.InceptionV3(include_top=True, weights=weights)
        except Exception as error:
            if weights != "imagenet":
                raise RuntimeError(
                    f"Could not load InceptionV3 weights from {weights} "
                    f"({type(error).__name__}, see above): pass the weights of "
                    "keras.applications.InceptionV3 with its 1000-class top."
                ) from error
            raise RuntimeError(
                "InceptionV3 ImageNet weights are not in the Keras cache and could not be "
                "downloaded: give the path of inception_v3_weights_tf_dim_ordering_tf_kernels.h5 "
                "(weights= in Python, --inception-weights on the command line), or run once "
                "with a network."
            ) from error

    def __call__(self, images, batch_size=50):
        """Features and probabilities of NHWC images in [-1, 1].

        Grey images are replicated to 3 channels and all are resized bilinearly to 299×299;
        InceptionV3 takes inputs in [-1, 1], so the images are fed without rescaling.

        Args:
            images: array (count, height, width, 1 or 3) in [-1, 1].
            batch_size: images per forward pass.

        Returns:
            (features (count, 2048), probabilities (count, 1000)), both float32.
        """
        images = np.asarray(images, dtype="float32")
        if images.ndim != 4 or images.shape[-1] not in (1, 3):
            raise ValueError(f"Images must be NHWC with 1 or 3 channels. Received: {images.shape}")
        features, probabilities = _predict_in_batches(self.model, images, batch_size, _to_299)
        return features.astype("float32"), probabilities.astype("float32")


def _to_299(batch):
    if batch.shape[-1] == 1:
        batch = np.repeat(batch, 3, axis=-1)
    if batch.shape[1:3] != (299, 299):
        resized = keras.ops.image.resize(batch, (299, 299), interpolation="bilinear")
        batch = keras.ops.convert_to_numpy(resized)
    return batch


def accumulate(extractor, batches, keep=0):
    """Runs a feature extractor over batches of images and accumulates the statistics.

    Args:
        extractor: a callable `images -> (features, probabilities)`, e.g. `ClassifierFeatures`.
        batches: an iterable of NHWC image arrays in [-1, 1].
        keep: feature rows to keep in the statistics (for `kernel_distance`).

    Returns:
        (`FeatureStatistics`, probabilities (count, classes) float32).
    """
    statistics, probabilities = FeatureStatistics(keep=keep), []
    for batch in batches:
        features, batch_probabilities = extractor(batch)
        statistics.update(features)
        probabilities.append(np.asarray(batch_probabilities, dtype="float32"))
    if not probabilities:
        raise ValueError("`batches` yielded no images. Received: an empty iterable")
    return statistics, np.concatenate(probabilities)


def image_batches(images, batch_size):
    """Yields consecutive slices of `batch_size` images (the last may be smaller).

    Args:
        images: an in-memory array (count, ...).
        batch_size: images per slice.
    """
    _check_positive("batch_size", batch_size)
    for start in range(0, len(images), batch_size):
        yield images[start : start + batch_size]


def generated_batches(generate_fn, count, batch_size):
    """Yields `count` generated images, `batch_size` at a time, as NumPy arrays.

    Args:
        generate_fn: `n -> n images` (a tensor of any backend, or an array).
        count: total number of images.
        batch_size: images per call.
    """
    _check_positive("batch_size", batch_size)
    produced = 0
    while produced < count:
        wanted = min(batch_size, count - produced)
        batch = keras.ops.convert_to_numpy(generate_fn(wanted))
        if len(batch) != wanted:
            raise ValueError(f"generate_fn must return {wanted} images. Received: {len(batch)}")
        produced += wanted
        yield batch


def pixel_gaussian_baseline(images, count, seed=0):
    """Samples of the trivial baseline: an independent Gaussian per pixel fitted to `images`.

    Args:
        images: the data, an array (n, ...) in [-1, 1].
        count: number of samples.
        seed: seed of `numpy.random.default_rng`.

    Returns:
        A float32 array (count, ...) clipped to [-1, 1].
    """
    images = np.asarray(images, dtype="float64")
    mean, std = images.mean(axis=0), images.std(axis=0)
    noise = np.random.default_rng(seed).standard_normal((count,) + mean.shape)
    return np.clip(mean + std * noise, -1.0, 1.0).astype("float32")


# ------------------------------------------------------------------------------------------
# Image-to-image translation (pix2pix, CycleGAN, ...)
# ------------------------------------------------------------------------------------------
def mean_pairwise_distance(images):
    """The mean Euclidean distance between every two different images of a batch."""
    flat = np.asarray(images, "float64").reshape(len(images), -1)
    if len(flat) < 2:
        raise ValueError(f"Pairwise distances need at least 2 images. Received: {len(flat)}")
    norms = np.sum(flat**2, axis=1)
    squared = np.maximum(norms[:, None] + norms[None, :] - 2.0 * flat @ flat.T, 0.0)
    count = len(flat)
    return float(np.sqrt(squared)[~np.eye(count, dtype=bool)].mean())


def sample_diversity(samples, reference):
    """How varied generated samples are, relative to real images: the mean pairwise distance
    of `samples` divided by that of `reference`.

    About 1 for samples as varied as the data; near 0 for a generator that repeats one image
    (mode collapse).
    """
    return mean_pairwise_distance(samples) / mean_pairwise_distance(reference)


def mean_absolute_errors(images, targets):
    """Per-image mean |images − targets| (NumPy), for L1 and cycle-consistency scores."""
    images, targets = np.asarray(images, "float32"), np.asarray(targets, "float32")
    if images.shape != targets.shape:
        raise ValueError("`images` and `targets` must have the same shape. Received: "
                         f"{images.shape} and {targets.shape}")
    return np.abs(images - targets).reshape(len(images), -1).mean(axis=1)


def best_constant_image(images):
    """The one image closest in mean L1 to every image of a set: its per-pixel median.

    The baseline a paired translation model must beat: a "model" that ignores its input and
    always outputs this image.
    """
    return np.median(np.asarray(images, "float32"), axis=0)


def stroke_saturation(images):
    """Per-image mean HSV saturation of the stroke pixels of RGB images in [-1, 1].

    Stroke pixels are those whose grey value (the maximum over channels) is above 0 (MODEL_SPECS
    §0.3's hue checks); saturation is (max − min) / max over channels, on [0, 1] values. An
    image without stroke pixels has saturation 0.
    """
    images = (np.asarray(images, "float32") + 1.0) / 2.0
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"`images` must be NHWC RGB. Received: shape={images.shape}")
    brightest, darkest = images.max(axis=-1), images.min(axis=-1)
    stroke = brightest > 0.5
    saturation = np.where(stroke, (brightest - darkest) / np.maximum(brightest, 1e-6), 0.0)
    counts = stroke.reshape(len(images), -1).sum(axis=1)
    totals = saturation.reshape(len(images), -1).sum(axis=1)
    return np.where(counts > 0, totals / np.maximum(counts, 1), 0.0).astype("float32")


def class_preservation(classifier, images, labels):
    """The fraction of `images` that `classifier` (a ClassifierFeatures) gives their `labels`:
    MODEL_SPECS' criterion T for translated or reconstructed digits."""
    _, probabilities = classifier(images)
    return classifier_accuracy(probabilities, labels)


# ------------------------------------------------------------------------------------------
# Representations and clusters (InfoGAN, ClusterGAN, AAE, BiGAN, VAE-GAN, ...)
# ------------------------------------------------------------------------------------------
def _labels(name, values):
    values = np.asarray(values).reshape(-1)
    if len(values) == 0 or not np.issubdtype(values.dtype, np.integer) or values.min() < 0:
        raise ValueError(f"`{name}` must be non-negative integer ids. Received: {values[:5]}...")
    return values


def _same_length(**arrays):
    lengths = {name: len(array) for name, array in arrays.items()}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"The arrays must have one entry per example. Received lengths {lengths}")


def contingency_table(predicted, labels):
    """Counts (clusters, classes): how many examples of each class each cluster holds."""
    predicted, labels = _labels("predicted", predicted), _labels("labels", labels)
    _same_length(predicted=predicted, labels=labels)
    table = np.zeros((predicted.max() + 1, labels.max() + 1), np.int64)
    np.add.at(table, (predicted, labels), 1)
    return table


def best_matching(table):
    """The one-to-one matching of rows (clusters) to columns (classes) with the largest total
    count: a dict {row: column}. Exact, by dynamic programming over the sets of used columns
    (fine for up to about 16 columns); rows beyond the column count stay unmatched."""
    table = np.asarray(table)
    rows, columns = table.shape
    if columns > 20:
        raise ValueError(f"best_matching handles at most 20 classes. Received: {columns}")
    best = {0: (0, ())}  # used-column mask -> (total, chosen columns for rows 0..k-1)
    for row in range(rows):
        following = {}
        for mask, (total, chosen) in best.items():
            options = [(total, chosen + (None,), mask)]  # leave this row unmatched
            options += [(total + int(table[row, column]), chosen + (column,), mask | 1 << column)
                        for column in range(columns) if not mask & 1 << column]
            for new_total, new_chosen, new_mask in options:
                if new_mask not in following or following[new_mask][0] < new_total:
                    following[new_mask] = (new_total, new_chosen)
        best = following
    _, chosen = max(best.values(), key=lambda entry: entry[0])
    return {row: column for row, column in enumerate(chosen) if column is not None}


def clustering_accuracy(predicted, labels):
    """Accuracy of cluster ids against class labels after the best one-to-one matching of
    clusters to classes (the "unsupervised accuracy" of InfoGAN and ClusterGAN; unmatched
    clusters count as wrong)."""
    table = contingency_table(predicted, labels)
    matching = best_matching(table)
    return float(sum(table[row, column] for row, column in matching.items()) / table.sum())


def normalized_mutual_information(predicted, labels):
    """NMI between cluster ids and labels: I(C; Y) / √(H(C)·H(Y)) (0 when either is constant)."""
    joint = contingency_table(predicted, labels) / len(np.asarray(labels).reshape(-1))
    cluster_share, class_share = joint.sum(axis=1), joint.sum(axis=0)
    nonzero = joint > 0
    mutual = np.sum(joint[nonzero] * np.log(
        joint[nonzero] / np.outer(cluster_share, class_share)[nonzero]))

    def entropy(share):
        share = share[share > 0]
        return -np.sum(share * np.log(share))

    normalizer = np.sqrt(entropy(cluster_share) * entropy(class_share))
    return float(mutual / normalizer) if normalizer > 0 else 0.0


def adjusted_rand_index(predicted, labels):
    """The adjusted Rand index (Hubert and Arabie) of cluster ids against labels: 1 for the
    same partition, about 0 for a random one."""
    table = contingency_table(predicted, labels).astype("float64")

    def pairs(counts):
        return np.sum(counts * (counts - 1) / 2.0)

    total = pairs(np.array([table.sum()]))
    index = pairs(table)
    rows, columns = pairs(table.sum(axis=1)), pairs(table.sum(axis=0))
    expected = rows * columns / total
    maximum = (rows + columns) / 2.0
    return float((index - expected) / (maximum - expected)) if maximum != expected else 1.0


def _flat(name, features):
    features = np.asarray(features, "float64")
    if features.ndim < 2 or len(features) == 0:
        raise ValueError(f"`{name}` must be a non-empty batch. Received shape {features.shape}")
    return features.reshape(len(features), -1)


def linear_probe(train_features, train_labels, l2=1e-3, classes=None):
    """A linear classifier fitted on `train_features`: ridge regression onto one-hot labels
    (standardized features, a bias, penalty `l2` per example), predicting the largest output.
    Deterministic and closed-form, so codes and pixels compare fairly.

    Args:
        train_features, train_labels: the labelled examples.
        l2: the ridge penalty per example.
        classes: the number of classes (default: the largest training label + 1).

    Returns:
        A function mapping a batch of features to their predicted labels.
    """
    train = _flat("train_features", train_features)
    train_labels = _labels("train_labels", train_labels)
    _same_length(train_features=train, train_labels=train_labels)
    mean, std = train.mean(axis=0), train.std(axis=0) + 1e-8
    design = np.concatenate([(train - mean) / std, np.ones((len(train), 1))], axis=1)
    targets = np.eye(classes or train_labels.max() + 1)[train_labels]
    gram = design.T @ design + l2 * len(train) * np.eye(design.shape[1])
    weights = np.linalg.solve(gram, design.T @ targets)

    def predict(features):
        features = (_flat("features", features) - mean) / std
        scores = np.concatenate([features, np.ones((len(features), 1))], axis=1) @ weights
        return np.argmax(scores, axis=1)

    return predict


def linear_probe_accuracy(train_features, train_labels, test_features, test_labels,
                          l2=1e-3):
    """Held-out accuracy of a `linear_probe` fitted on `train_features`."""
    train_labels = _labels("train_labels", train_labels)
    test, test_labels = _flat("test_features", test_features), _labels(
        "test_labels", test_labels)
    _same_length(test_features=test, test_labels=test_labels)
    predict = linear_probe(train_features, train_labels, l2,
                           classes=max(train_labels.max(), test_labels.max()) + 1)
    return float(np.mean(predict(test) == test_labels))


def nearest_neighbour_accuracy(reference_features, reference_labels, query_features,
                               query_labels, batch_size=500):
    """Accuracy of 1-nearest-neighbour classification (Euclidean) of the queries by the
    labelled references (BiGAN's feature-learning test)."""
    reference = _flat("reference_features", reference_features)
    query = _flat("query_features", query_features)
    reference_labels = _labels("reference_labels", reference_labels)
    query_labels = _labels("query_labels", query_labels)
    _same_length(reference_features=reference, reference_labels=reference_labels)
    _same_length(query_features=query, query_labels=query_labels)
    norms = np.sum(reference**2, axis=1)
    predicted = []
    for start in range(0, len(query), batch_size):
        batch = query[start:start + batch_size]
        distances = norms[None, :] - 2.0 * batch @ reference.T  # + |q|², constant per row
        predicted.append(reference_labels[np.argmin(distances, axis=1)])
    return float(np.mean(np.concatenate(predicted) == query_labels))


def pca_reconstructions(train_images, test_images, components):
    """The test images rebuilt from the first `components` principal components of the train
    images (a linear autoencoder with a code of that size), in the test images' shape."""
    train, test = _flat("train_images", train_images), _flat("test_images", test_images)
    if not 0 < components <= min(train.shape):
        raise ValueError(f"`components` must be in [1, {min(train.shape)}]. Received: "
                         f"{components}")
    mean = train.mean(axis=0)
    _, _, directions = np.linalg.svd(train - mean, full_matrices=False)
    basis = directions[:components]
    rebuilt = (test - mean) @ basis.T @ basis + mean
    return rebuilt.reshape(np.shape(test_images))


def pca_reconstruction_error(train_images, test_images, components):
    """Mean squared error per pixel of the test images rebuilt from the first `components`
    principal components of the train images (the baseline of an autoencoder's error)."""
    rebuilt = pca_reconstructions(train_images, test_images, components)
    return float(np.mean((rebuilt - np.asarray(test_images, rebuilt.dtype)) ** 2))


def kmeans(features, k, seed=0, iterations=100):
    """k-means (Lloyd's algorithm, k-means++ start from `seed`): cluster ids (n,) int64."""
    points = _flat("features", features)
    if not 0 < k <= len(points):
        raise ValueError(f"`k` must be in [1, {len(points)}]. Received: {k}")
    rng = np.random.default_rng(seed)
    centres = [points[rng.integers(len(points))]]
    for _ in range(1, k):
        distances = np.min([np.sum((points - centre) ** 2, axis=1) for centre in centres], axis=0)
        centres.append(points[rng.choice(len(points), p=distances / distances.sum())])
    centres = np.array(centres)
    assigned = None
    for _ in range(iterations):
        distances = (np.sum(points**2, axis=1)[:, None] - 2.0 * points @ centres.T
                     + np.sum(centres**2, axis=1)[None, :])
        new_assigned = np.argmin(distances, axis=1)
        if assigned is not None and np.array_equal(new_assigned, assigned):
            break
        assigned = new_assigned
        for cluster in range(k):
            members = points[assigned == cluster]
            if len(members):
                centres[cluster] = members.mean(axis=0)
    return assigned.astype(np.int64)
