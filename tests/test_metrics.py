"""Tests of keras_gans.metrics against closed forms and direct NumPy computations."""

import math

import keras
import numpy as np
import pytest

from keras_gans import metrics

from conftest import require_module

RNG = np.random.default_rng(1234)


def random_covariance(dimension, generator):
    """A random well-conditioned symmetric positive-definite matrix."""
    factor = generator.standard_normal((dimension, dimension))
    return factor @ factor.T / dimension + 0.5 * np.eye(dimension)


def commuting_covariances(dimension, generator):
    """Two SPD matrices sharing eigenvectors, with their eigenvalues."""
    basis, _ = np.linalg.qr(generator.standard_normal((dimension, dimension)))
    values_a = generator.uniform(0.5, 3.0, dimension)
    values_b = generator.uniform(0.5, 3.0, dimension)
    return (basis * values_a) @ basis.T, (basis * values_b) @ basis.T, values_a, values_b


def diagonal_closed_form(mean_a, variances_a, mean_b, variances_b):
    """Fréchet distance between Gaussians whose covariances commute (eigenvalues given)."""
    difference = np.asarray(mean_a) - np.asarray(mean_b)
    return float(
        difference @ difference
        + np.sum(variances_a + variances_b - 2.0 * np.sqrt(variances_a * variances_b))
    )


# ----------------------------------------------------------------------------------------------
# FeatureStatistics
# ----------------------------------------------------------------------------------------------
def test_streaming_statistics_equal_numpy_mean_and_covariance():
    rows = RNG.standard_normal((200, 6)) * [1.0, 2.0, 0.5, 3.0, 1.0, 0.1] + 4.0
    statistics = metrics.FeatureStatistics(keep=10)
    for start, stop in [(0, 7), (7, 8), (8, 8), (8, 120), (120, 200)]:
        assert statistics.update(rows[start:stop]) is statistics
    assert statistics.count == 200
    np.testing.assert_allclose(statistics.mean, rows.mean(axis=0), rtol=1e-10)
    np.testing.assert_allclose(statistics.covariance, np.cov(rows, rowvar=False), rtol=1e-10)
    assert statistics.features.shape == (10, 6)
    np.testing.assert_allclose(statistics.features, rows[:10], rtol=1e-6)


def test_streaming_statistics_stay_accurate_with_a_large_offset():
    rows = RNG.standard_normal((1000, 3)) + 1e6
    statistics = metrics.FeatureStatistics()
    for batch in np.array_split(rows, 9):
        statistics.update(batch)
    np.testing.assert_allclose(statistics.covariance, np.cov(rows, rowvar=False), rtol=1e-7)


def test_feature_statistics_keep_options():
    rows = RNG.standard_normal((30, 4))
    assert metrics.FeatureStatistics().update(rows).features is None
    assert metrics.FeatureStatistics.from_features(rows).features.shape == (30, 4)
    assert metrics.FeatureStatistics.from_features(rows, keep=50).features.shape == (30, 4)
    kept = metrics.FeatureStatistics(keep=12)
    for batch in np.array_split(rows, 5):
        kept.update(batch)
    np.testing.assert_allclose(kept.features, rows[:12], rtol=1e-6)


def test_feature_statistics_reject_bad_input():
    statistics = metrics.FeatureStatistics().update(np.ones((1, 3)))
    with pytest.raises(ValueError, match="Received: features.shape"):
        statistics.update(np.ones((2, 4)))
    with pytest.raises(ValueError, match="2-D"):
        statistics.update(np.ones(3))
    with pytest.raises(ValueError, match="count=1"):
        statistics.covariance
    with pytest.raises(ValueError, match="count=0"):
        metrics.FeatureStatistics().mean
    with pytest.raises(ValueError, match="keep=-1"):
        metrics.FeatureStatistics(keep=-1)


# ----------------------------------------------------------------------------------------------
# Fréchet distance
# ----------------------------------------------------------------------------------------------
def test_frechet_distance_of_a_set_to_itself_is_zero():
    rows = RNG.standard_normal((500, 16)) @ RNG.standard_normal((16, 16)) * 10.0
    statistics = metrics.FeatureStatistics.from_features(rows)
    scale = np.trace(statistics.covariance)
    distance = metrics.frechet_distance_between(statistics, statistics)
    assert 0.0 <= distance < 1e-6 * scale
    # A rank-deficient covariance (fewer rows than dimensions) still gives a clean zero.
    few = metrics.FeatureStatistics.from_features(rows[:5])
    assert 0.0 <= metrics.frechet_distance_between(few, few) < 1e-6 * scale


def test_frechet_distance_diagonal_covariances_closed_form():
    mean_a, mean_b = np.array([0.0, 1.0, -2.0]), np.array([1.0, 1.0, 0.5])
    variances_a, variances_b = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    expected = diagonal_closed_form(mean_a, variances_a, mean_b, variances_b)
    # ‖Δμ‖² = 1 + 0 + 6.25; traces: (1 + 9 − 6) + (4 + 1 − 4) + (0.25 + 0.25 − 0.5) = 5.
    assert expected == pytest.approx(12.25)
    distance = metrics.frechet_distance(mean_a, np.diag(variances_a), mean_b, np.diag(variances_b))
    assert distance == pytest.approx(expected, rel=1e-12)
    assert isinstance(distance, float)


def test_frechet_distance_commuting_covariances_closed_form():
    covariance_a, covariance_b, values_a, values_b = commuting_covariances(8, RNG)
    mean_a, mean_b = RNG.standard_normal(8), RNG.standard_normal(8)
    expected = diagonal_closed_form(mean_a, values_a, mean_b, values_b)
    distance = metrics.frechet_distance(mean_a, covariance_a, mean_b, covariance_b)
    assert distance == pytest.approx(expected, rel=1e-9)


def test_frechet_distance_general_covariances_match_scipy_sqrtm():
    linalg = require_module("scipy.linalg")
    covariance_a, covariance_b = random_covariance(10, RNG), random_covariance(10, RNG)
    mean_a, mean_b = RNG.standard_normal(10), RNG.standard_normal(10)
    root = np.real(linalg.sqrtm(covariance_a @ covariance_b))
    difference = mean_a - mean_b
    expected = difference @ difference + np.trace(covariance_a + covariance_b - 2.0 * root)
    distance = metrics.frechet_distance(mean_a, covariance_a, mean_b, covariance_b)
    assert distance == pytest.approx(expected, rel=1e-8)


def test_frechet_distance_from_samples_approaches_the_closed_form():
    generator = np.random.default_rng(7)
    covariance_a, covariance_b, values_a, values_b = commuting_covariances(4, generator)
    mean_a, mean_b = np.zeros(4), np.array([1.0, -0.5, 0.0, 0.5])
    expected = diagonal_closed_form(mean_a, values_a, mean_b, values_b)
    samples_a = generator.multivariate_normal(mean_a, covariance_a, size=20_000)
    samples_b = generator.multivariate_normal(mean_b, covariance_b, size=20_000)
    estimate = metrics.frechet_distance_between(
        metrics.FeatureStatistics.from_features(samples_a, keep=0),
        metrics.FeatureStatistics.from_features(samples_b, keep=0),
    )
    # The estimate's sampling noise is about 0.04 here (its spread over 100 seeds).
    assert estimate == pytest.approx(expected, abs=0.2)


def test_frechet_distance_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="Received: mean_a.shape"):
        metrics.frechet_distance(np.zeros(3), np.eye(3), np.zeros(2), np.eye(2))
    with pytest.raises(ValueError, match="covariance_b.shape"):
        metrics.frechet_distance(np.zeros(3), np.eye(3), np.zeros(3), np.eye(2))


# ----------------------------------------------------------------------------------------------
# Kernel distance
# ----------------------------------------------------------------------------------------------
def direct_unbiased_mmd2(features_a, features_b):
    """Unbiased MMD² with k(x, y) = (x·y/d + 1)³, written as explicit sums over pairs."""
    size, dimension = features_a.shape

    def kernel(x, y):
        return (x @ y.T / dimension + 1.0) ** 3

    off_diagonal = ~np.eye(size, dtype=bool)
    within_a = kernel(features_a, features_a)[off_diagonal].sum() / (size * (size - 1))
    within_b = kernel(features_b, features_b)[off_diagonal].sum() / (size * (size - 1))
    across = kernel(features_a, features_b).sum() / (size * size)
    return within_a + within_b - 2.0 * across


def test_kernel_distance_matches_a_direct_computation():
    features_a = RNG.standard_normal((60, 5))
    features_b = RNG.standard_normal((60, 5)) * 1.5 + 0.3
    mean, error = metrics.kernel_distance(features_a, features_b, num_subsets=1, subset_size=60)
    assert mean == pytest.approx(direct_unbiased_mmd2(features_a, features_b), rel=1e-10)
    assert error == 0.0


def test_kernel_distance_subsets():
    features = RNG.standard_normal((400, 4))
    shifted = RNG.standard_normal((300, 4)) + 1.0
    same_mean, same_error = metrics.kernel_distance(features[:200], features[200:], 20, 100)
    assert math.isfinite(same_error) and same_error >= 0.0
    assert abs(same_mean) < 5.0 * same_error + 1e-3
    different = metrics.kernel_distance(features, shifted, num_subsets=20, subset_size=100)
    assert different[0] > 10.0 * abs(same_mean) and different[0] > 0.1
    repeated = metrics.kernel_distance(features, shifted, num_subsets=20, subset_size=100)
    assert repeated == different
    assert metrics.kernel_distance(features, shifted, 20, 100, seed=1) != different


def test_kernel_distance_rejects_bad_arguments():
    with pytest.raises(ValueError, match="features_b.shape"):
        metrics.kernel_distance(np.ones((5, 3)), np.ones((5, 2)))
    with pytest.raises(ValueError, match="subset_size=1"):
        metrics.kernel_distance(np.ones((1, 3)), np.ones((5, 3)))
    with pytest.raises(ValueError, match="num_subsets=0"):
        metrics.kernel_distance(np.ones((5, 3)), np.ones((5, 3)), num_subsets=0)


# ----------------------------------------------------------------------------------------------
# Classifier-output metrics
# ----------------------------------------------------------------------------------------------
def test_inception_score_of_balanced_confident_predictions_is_the_class_count():
    probabilities = np.eye(5)[np.arange(100) % 5]
    mean, std = metrics.inception_score(probabilities, splits=10)
    assert mean == pytest.approx(5.0, rel=1e-12)
    assert std == pytest.approx(0.0, abs=1e-12)


def test_inception_score_of_identical_rows_is_one():
    probabilities = np.tile([0.2, 0.5, 0.3], (40, 1))
    assert metrics.inception_score(probabilities, splits=4) == pytest.approx((1.0, 0.0))


def test_inception_score_matches_the_formula():
    logits = RNG.standard_normal((30, 4)) * 2.0
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    marginal = probabilities.mean(axis=0)
    expected = np.exp(np.mean(np.sum(probabilities * np.log(probabilities / marginal), axis=1)))
    assert metrics.inception_score(probabilities, splits=1)[0] == pytest.approx(expected)
    with pytest.raises(ValueError, match="splits=31"):
        metrics.inception_score(probabilities, splits=31)


def test_classifier_accuracy_histogram_and_confidence():
    probabilities = np.array(
        [[0.95, 0.05, 0.0], [0.1, 0.8, 0.1], [0.2, 0.3, 0.5], [0.05, 0.93, 0.02]]
    )
    assert metrics.classifier_accuracy(probabilities, [0, 1, 1, 1]) == pytest.approx(0.75)
    assert metrics.classifier_accuracy(np.log(probabilities + 1e-9), [0, 1, 2, 0]) == 0.75
    np.testing.assert_allclose(metrics.class_histogram(probabilities, 4), [0.25, 0.5, 0.25, 0.0])
    assert metrics.confident_fraction(probabilities) == pytest.approx(0.5)
    assert metrics.confident_fraction(probabilities, threshold=0.8) == pytest.approx(0.75)
    with pytest.raises(ValueError, match="requested_labels"):
        metrics.classifier_accuracy(probabilities, [0, 1])
    with pytest.raises(ValueError, match="num_classes=2"):
        metrics.class_histogram(probabilities, 2)


# ----------------------------------------------------------------------------------------------
# Grey 28×28 conversion
# ----------------------------------------------------------------------------------------------
def test_to_grayscale_28_crops_32_pixel_images_at_the_centre():
    images = RNG.uniform(-1, 1, (3, 32, 32, 1)).astype("float32")
    converted = metrics.to_grayscale_28(images)
    assert converted.shape == (3, 28, 28, 1) and converted.dtype == np.float32
    np.testing.assert_array_equal(converted, images[:, 2:30, 2:30])
    np.testing.assert_array_equal(metrics.to_grayscale_28(images[:, 2:30, 2:30]), converted)


def test_to_grayscale_28_converts_rgb():
    images = np.zeros((1, 28, 28, 3), dtype="float32")
    images[0, 0, 0] = [-1.0, 0.5, 0.0]
    maximum = metrics.to_grayscale_28(images)
    luminance = metrics.to_grayscale_28(images, mode="luminance")
    assert maximum[0, 0, 0, 0] == pytest.approx(0.5)
    assert luminance[0, 0, 0, 0] == pytest.approx(-0.299 + 0.5 * 0.587, abs=1e-6)
    assert luminance.shape == maximum.shape == (1, 28, 28, 1)


def test_to_grayscale_28_rejects_bad_input():
    with pytest.raises(ValueError, match=r"images.shape=\(2, 64, 64, 1\)"):
        metrics.to_grayscale_28(np.zeros((2, 64, 64, 1)))
    with pytest.raises(ValueError, match="images.shape"):
        metrics.to_grayscale_28(np.zeros((2, 28, 28, 4)))
    with pytest.raises(ValueError, match="mode='mean'"):
        metrics.to_grayscale_28(np.zeros((2, 28, 28, 3)), mode="mean")


# ----------------------------------------------------------------------------------------------
# Feature extractors
# ----------------------------------------------------------------------------------------------
def tiny_classifier(feature_width=16):
    """A small functional classifier with the reference classifier's interface."""
    images = keras.Input((28, 28, 1))
    x = keras.layers.Flatten()(images)
    features = keras.layers.Dense(feature_width, activation="relu", name="features")(x)
    logits = keras.layers.Dense(10, name="logits")(features)
    return keras.Model(images, logits)


def test_classifier_features_shapes_and_probabilities(tmp_path):
    classifier = tiny_classifier()
    extractor = metrics.ClassifierFeatures(classifier)
    assert extractor.name == "classifier" and extractor.dimension == 16
    images = RNG.uniform(-1, 1, (7, 32, 32, 3)).astype("float32")
    features, probabilities = extractor(images, batch_size=3)
    assert features.shape == (7, 16) and probabilities.shape == (7, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    logits = keras.ops.convert_to_numpy(classifier(metrics.to_grayscale_28(images)))
    np.testing.assert_array_equal(np.argmax(probabilities, 1), np.argmax(logits, 1))
    path = str(tmp_path / "classifier.keras")
    classifier.save(path)
    reloaded_features, _ = metrics.ClassifierFeatures(path)(images)
    np.testing.assert_allclose(reloaded_features, features, rtol=1e-5, atol=1e-6)


def test_classifier_features_missing_default_file(monkeypatch, tmp_path):
    monkeypatch.setattr(metrics, "DEFAULT_CLASSIFIER_PATH", str(tmp_path / "missing.keras"))
    with pytest.raises(FileNotFoundError, match="scripts/train_reference_classifier.py"):
        metrics.ClassifierFeatures()


def test_classifier_features_needs_a_features_layer():
    images = keras.Input((28, 28, 1))
    model = keras.Model(images, keras.layers.Dense(10)(keras.layers.Flatten()(images)))
    with pytest.raises(ValueError, match="'features'"):
        metrics.ClassifierFeatures(model)


def test_inception_features_refuse_random_weights():
    with pytest.raises(ValueError, match="weights=None"):
        metrics.InceptionFeatures(weights=None)


def test_inception_features_missing_weights_file():
    with pytest.raises(FileNotFoundError) as raised:
        metrics.InceptionFeatures(weights="/missing/file.h5")
    message = str(raised.value)
    assert "/missing/file.h5" in message and "weights=" in message
    assert "\n" not in message and message.count(". ") == 0


def test_inception_features_without_cache_or_network(monkeypatch):
    def failed_download(**kwargs):
        raise Exception(
            "URL fetch failure on https://storage.googleapis.com/tensorflow/keras-applications/"
            "inception_v3/inception_v3_weights_tf_dim_ordering_tf_kernels.h5: None -- "
            "[Errno -3] Temporary failure in name resolution"
        )

    monkeypatch.setattr(keras.applications, "InceptionV3", failed_download)
    with pytest.raises(RuntimeError, match="not in the Keras cache.*weights=") as raised:
        metrics.InceptionFeatures()
    assert "\n" not in str(raised.value)


def tiny_inception(**kwargs):
    """Stands in for InceptionV3: a 299×299×3 model with `avg_pool` and `predictions` layers."""
    assert kwargs == {"include_top": True, "weights": "imagenet"}
    images = keras.Input((299, 299, 3))
    pooled = keras.layers.GlobalAveragePooling2D(name="avg_pool")(images)
    predictions = keras.layers.Dense(5, activation="softmax", name="predictions")(pooled)
    return keras.Model(images, predictions)


def test_inception_features_feed_resized_images_in_minus_one_one(monkeypatch):
    monkeypatch.setattr(keras.applications, "InceptionV3", tiny_inception)
    extractor = metrics.InceptionFeatures()
    assert extractor.name == "inception" and extractor.dimension == 3
    levels = np.array([-1.0, -0.25, 0.5, 1.0], dtype="float32")
    images = np.ones((4, 16, 16, 1), dtype="float32") * levels[:, None, None, None]
    features, probabilities = extractor(images, batch_size=3)
    # Constant grey images: bilinear resizing and channel replication keep every value.
    np.testing.assert_allclose(features, np.repeat(levels[:, None], 3, axis=1), atol=1e-5)
    assert probabilities.shape == (4, 5)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


# ----------------------------------------------------------------------------------------------
# Streaming helpers and the pixel baseline
# ----------------------------------------------------------------------------------------------
def flatten_extractor(images):
    """A tiny extractor: flattened pixels as features, a softmax over the first 3 as classes."""
    features = np.asarray(images, dtype="float32").reshape(len(images), -1)
    exponentials = np.exp(features[:, :3])
    return features, exponentials / exponentials.sum(axis=1, keepdims=True)


def test_accumulate_over_image_batches():
    images = RNG.uniform(-1, 1, (23, 2, 2, 1)).astype("float32")
    assert [len(batch) for batch in metrics.image_batches(images, 10)] == [10, 10, 3]
    statistics, probabilities = metrics.accumulate(
        flatten_extractor, metrics.image_batches(images, 10), keep=5
    )
    rows = images.reshape(23, 4).astype("float64")
    assert statistics.count == 23 and statistics.features.shape == (5, 4)
    np.testing.assert_allclose(statistics.mean, rows.mean(axis=0), rtol=1e-10)
    np.testing.assert_allclose(statistics.covariance, np.cov(rows, rowvar=False), rtol=1e-10)
    np.testing.assert_allclose(probabilities, flatten_extractor(images)[1], rtol=1e-6)
    assert probabilities.dtype == np.float32
    with pytest.raises(ValueError, match="no images"):
        metrics.accumulate(flatten_extractor, [])


def test_accumulate_over_generated_batches():
    calls = []

    def generate(count):
        calls.append(count)
        return keras.ops.ones((count, 3, 3, 1)) * (len(calls) / 10.0)

    statistics, probabilities = metrics.accumulate(
        flatten_extractor, metrics.generated_batches(generate, count=10, batch_size=4)
    )
    assert calls == [4, 4, 2]
    assert statistics.count == 10 and probabilities.shape == (10, 3)
    assert statistics.mean[0] == pytest.approx((4 * 0.1 + 4 * 0.2 + 2 * 0.3) / 10)
    with pytest.raises(ValueError, match="Received: 3"):
        list(metrics.generated_batches(lambda count: np.zeros((3, 2)), count=5, batch_size=4))


def test_pixel_gaussian_baseline():
    images = np.clip(RNG.normal(0.2, 0.3, (500, 4, 4, 1)), -1, 1).astype("float32")
    images[:, 0, 0, 0] = -0.5  # a constant pixel
    samples = metrics.pixel_gaussian_baseline(images, 2000, seed=3)
    assert samples.shape == (2000, 4, 4, 1) and samples.dtype == np.float32
    assert samples.min() >= -1.0 and samples.max() <= 1.0
    np.testing.assert_allclose(samples.mean(axis=0), images.mean(axis=0), atol=0.03)
    assert np.all(samples[:, 0, 0, 0] == -0.5)
    np.testing.assert_array_equal(samples, metrics.pixel_gaussian_baseline(images, 2000, seed=3))


def test_sample_diversity_is_relative_pairwise_distance():
    rng = np.random.default_rng(0)
    reference = rng.uniform(-1, 1, (6, 4, 4, 1))
    brute = np.mean([np.linalg.norm(a - b) for i, a in enumerate(reference)
                     for j, b in enumerate(reference) if i != j])
    assert metrics.mean_pairwise_distance(reference) == pytest.approx(brute, rel=1e-9)
    assert metrics.sample_diversity(reference, reference) == pytest.approx(1.0)
    collapsed = np.repeat(reference[:1], 5, axis=0) + 1e-4 * rng.standard_normal((5, 4, 4, 1))
    assert metrics.sample_diversity(collapsed, reference) < 0.01
    with pytest.raises(ValueError, match="at least 2"):
        metrics.mean_pairwise_distance(reference[:1])


# --- Representations and clusters -----------------------------------------------------------
def test_clustering_accuracy_uses_the_best_one_to_one_matching():
    # Clusters 0→class 1 (2 right), 1→class 0 (2 right), 2→class 2 (1 right): 5 of 6.
    assert metrics.clustering_accuracy([0, 0, 1, 1, 2, 2], [1, 1, 0, 0, 2, 1]) == 5 / 6
    # Two clusters cannot both take class 0: the greedy choice would be wrong here.
    assert metrics.best_matching(np.array([[3, 2], [4, 0]])) == {0: 1, 1: 0}
    assert metrics.clustering_accuracy([0, 0, 0, 1, 1, 1], [0, 0, 0, 0, 1, 1]) == 5 / 6


def test_mutual_information_and_rand_index_against_hand_values():
    assert metrics.normalized_mutual_information([1, 1, 0, 0], [0, 0, 1, 1]) == pytest.approx(1.0)
    assert metrics.normalized_mutual_information([0, 1, 0, 1], [0, 0, 1, 1]) == pytest.approx(0.0)
    # C refines Y: I = H(Y) = ln 2, H(C) = 1.5 ln 2, NMI = √(ln 2 / 1.5 ln 2).
    assert metrics.normalized_mutual_information([0, 0, 1, 2], [0, 0, 1, 1]) == pytest.approx(
        np.sqrt(1 / 1.5))
    assert metrics.adjusted_rand_index([1, 1, 0, 0], [0, 0, 1, 1]) == pytest.approx(1.0)
    # Pairs: index 1, rows 1, columns 2, total 6: (1 − 2/6) / (1.5 − 2/6) = 4/7.
    assert metrics.adjusted_rand_index([0, 0, 1, 2], [0, 0, 1, 1]) == pytest.approx(4 / 7)


def test_linear_probe_nearest_neighbour_pca_and_kmeans():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 300)
    centres = np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0]])
    points = centres[labels] + rng.normal(0, 0.5, (300, 2))
    assert metrics.linear_probe_accuracy(points[:200], labels[:200], points[200:],
                                         labels[200:]) > 0.95
    assert metrics.nearest_neighbour_accuracy(points[:200], labels[:200], points[200:],
                                              labels[200:]) > 0.95
    noise_only = rng.normal(0, 1, (300, 2))
    assert metrics.linear_probe_accuracy(noise_only[:200], labels[:200], noise_only[200:],
                                         labels[200:]) < 0.6
    assert metrics.clustering_accuracy(metrics.kmeans(points, 3, seed=0), labels) > 0.95
    line = np.outer(rng.normal(size=50), [1.0, 2.0, -1.0]) + 0.3
    assert metrics.pca_reconstruction_error(line[:40], line[40:], 1) < 1e-20
    assert metrics.pca_reconstruction_error(line[:40], line[40:] + [0, 0, 1], 1) > 0.1
    with pytest.raises(ValueError, match="one entry per example"):
        metrics.linear_probe_accuracy(points, labels[:10], points, labels)


def test_linear_probe_predicts_what_its_accuracy_counts():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 3, 300)
    points = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]])[labels] + rng.normal(0, 1, (300, 2))
    predict = metrics.linear_probe(points[:200], labels[:200])
    predicted = predict(points[200:])
    assert predicted.shape == (100,) and set(predicted) <= {0, 1, 2}
    assert np.mean(predicted == labels[200:]) == metrics.linear_probe_accuracy(
        points[:200], labels[:200], points[200:], labels[200:])
    np.testing.assert_array_equal(predict(np.array([[4.0, 0.0], [0.0, 4.0]])), [1, 2])


def test_pca_reconstructions_keep_the_image_shape():
    rng = np.random.default_rng(0)
    # Images on a line through the mean: one component rebuilds them exactly.
    direction = rng.normal(size=(4, 4, 1))
    images = rng.normal(size=(30, 1, 1, 1)) * direction + 0.2
    rebuilt = metrics.pca_reconstructions(images[:20], images[20:], 1)
    assert rebuilt.shape == (10, 4, 4, 1)
    np.testing.assert_allclose(rebuilt, images[20:], atol=1e-9)
    # Other images lose what lies off the line.
    off_line = images[20:] + rng.normal(size=(10, 4, 4, 1))
    assert np.abs(metrics.pca_reconstructions(images[:20], off_line, 1) - off_line).max() > 0.1
