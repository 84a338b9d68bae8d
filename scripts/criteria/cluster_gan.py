"""ClusterGAN's criterion (MODEL_SPECS §20): the encoder's clusters, argmax E_c, on the 2,000
held-out digits against their labels, matched one-to-one to the classes (cluster purity): at
least 85% accuracy, with the NMI and ARI the authors also report.

Baseline beside it: k-means (k = 10) on the pixels of the same held-out digits, under the same
matching; the model should cluster better than it. Chance is the largest class's share.

Budget: about 15 minutes of training on this machine's two CPU cores when it is not shared
(about 0.3 s per generator step), where the authors train for 500,000 iterations on a GPU. TASK
trains 120 epochs of the 8,000 training digits, 25 generator steps each (5 critic batches of 64
per step): 3,000 generator steps. To fit, the networks are narrowed (32 and 64 channels instead
of 64 and 128, fc 256 instead of 1024) and both Adam learning rates raised from 1e-4 to 5e-4
(at 1e-4 the narrow networks reached 33% after 2,000 steps, at 5e-4 62%); the losses, their
weights (λ 10, β_n = β_c = 10), the weight decay, n_critic 5, Adam's β and the batch of 64 are
the paper's.
"""

import numpy as np

import common
from keras_gans import metrics

TASK = dict(dataset="mnist", epochs=120,
            options=["--filters", "32", "--hidden-units", "256", "--g-lr", "5e-4", "--d-lr",
                     "5e-4"])


def pixel_kmeans(images, clusters):
    """The k-means baseline: cluster ids of `images` from their raw pixels."""
    return metrics.kmeans(images.reshape(len(images), -1), clusters, seed=0)


def clustering_scores(predicted, labels, prefix=""):
    """Matched accuracy, NMI and ARI of cluster ids against labels."""
    return {f"{prefix}accuracy": metrics.clustering_accuracy(predicted, labels),
            f"{prefix}nmi": metrics.normalized_mutual_information(predicted, labels),
            f"{prefix}ari": metrics.adjusted_rand_index(predicted, labels)}


def evaluate(model, digits):
    """The encoder's clusters of the held-out digits, beside k-means on their pixels."""
    predicted = common.in_batches(model.cluster, digits.test_images).astype(np.int64)
    labels = digits.test_labels
    scores = clustering_scores(predicted, labels)
    scores.update(clustering_scores(pixel_kmeans(digits.test_images, model.clusters), labels,
                                    prefix="kmeans_"))
    shares = np.bincount(predicted, minlength=model.clusters) / len(predicted)
    scores.update(chance=float(np.bincount(labels).max() / len(labels)),
                  smallest_cluster_share=float(shares.min()),
                  largest_cluster_share=float(shares.max()))
    return {"scores": scores, "criteria": {
        "matched_accuracy_at_least_85%": scores["accuracy"] >= 0.85,
        "above_kmeans_on_pixels": scores["accuracy"] > scores["kmeans_accuracy"]}}


def summary(row):
    """Matched accuracy, NMI and ARI with the k-means baseline's."""
    scores = row["scores"]
    return (f"cluster accuracy {scores['accuracy']:.1%}, NMI {scores['nmi']:.3f}, ARI "
            f"{scores['ari']:.3f} (k-means on pixels {scores['kmeans_accuracy']:.1%}, "
            f"{scores['kmeans_nmi']:.3f}, {scores['kmeans_ari']:.3f}; chance "
            f"{scores['chance']:.0%})")
