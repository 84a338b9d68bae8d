"""InfoGAN's criteria (MODEL_SPECS §15): the codes it discovers without labels mean something.

1. Samples: 1,000 per value of the categorical code (noise and continuous codes random); the
   reference classifier's digit labels against the code, after the best one-to-one matching
   of code values to digits (`metrics.clustering_accuracy`): at least 80%.
2. Q on real digits: Q's categorical code of the 2,000 held-out digits, read through the
   matching found in 1 (code value → digit, fixed before Q sees a held-out label): at least
   80%. The accuracy after the best matching on the held-out labels themselves is printed
   beside it.
3. Continuous codes: with the noise and the categorical code fixed, c1 and c2 are each swept
   from −1 to 1 (11 values) for 100 fixed settings (10 per category); within each sweep the
   Spearman rank correlation between the code and the digit's slant (μ11/μ02 of the ink) and
   its ink area (the share of pixels above 0) is measured, and averaged over the settings.
   The largest |ρ| of the four (code, attribute) pairs must be at least 0.5.

Baselines beside every number: chance (10%), the same measures of an untrained InfoGAN of the
same configuration, and, for 3, the same sweep of a noise variable instead of a code.

Budget: a training step of the paper's networks at batch 128 takes about 0.6 CPU-seconds with
TensorFlow on this machine, so the authors' 5,000 updates would take about 50 minutes; the task
trains 25 epochs of the 8,000 digits with the paper's settings (1,575 updates at batch 128),
about 15 minutes of training on the 2-core machine when it is not shared.

An untrained generator also responds smoothly, and often monotonically, to each of its inputs,
so criterion 3 alone does not show that a code is meaningful: the noise-variable sweep of the
trained model is the control that shows the codes, and not every input, carry the attribute.
"""

import keras
import numpy as np

import common
from keras_gans import metrics

TASK = dict(dataset="mnist", epochs=25, options=[])
PER_CATEGORY = 1000
SWEEP_VALUES = 11
SWEEPS_PER_CATEGORY = 10


# ------------------------------------------------------------------------------------------
# Image measures and rank correlation
# ------------------------------------------------------------------------------------------
def ink(images):
    """Ink per pixel in [0, 1] (images in [-1, 1], background −1), shaped (count, H, W)."""
    return (np.asarray(images, "float64")[..., 0] + 1.0) / 2.0


def slant(images):
    """μ11/μ02 of each image's ink: the horizontal shift of the strokes per row down the
    image (the shear that deskewing removes); 0 for an upright digit."""
    weights = ink(images)
    rows, columns = np.mgrid[:weights.shape[1], :weights.shape[2]]
    total = weights.sum(axis=(1, 2)) + 1e-12
    mean_row = (weights * rows).sum(axis=(1, 2)) / total
    mean_column = (weights * columns).sum(axis=(1, 2)) / total
    row_offsets = rows[None] - mean_row[:, None, None]
    column_offsets = columns[None] - mean_column[:, None, None]
    mu11 = (weights * row_offsets * column_offsets).sum(axis=(1, 2))
    mu02 = (weights * row_offsets**2).sum(axis=(1, 2))
    return mu11 / (mu02 + 1e-12)


def ink_area(images):
    """The share of each image's pixels above 0 (stroke pixels)."""
    return (np.asarray(images)[..., 0] > 0).mean(axis=(1, 2))


def ranks(values):
    """Ranks 0 … n−1 of `values`, ties given their average rank."""
    values = np.asarray(values)
    order = np.argsort(values, kind="stable")
    positions = np.empty(len(values))
    positions[order] = np.arange(len(values))
    _, groups = np.unique(values, return_inverse=True)
    return (np.bincount(groups, positions) / np.bincount(groups))[groups]


def spearman(a, b):
    """Spearman's rank correlation ρ of two samples (0 when either is constant)."""
    a, b = ranks(a), ranks(b)
    a, b = a - a.mean(), b - b.mean()
    scale = np.sqrt((a**2).sum() * (b**2).sum())
    return float((a * b).sum() / scale) if scale > 0 else 0.0


# ------------------------------------------------------------------------------------------
# Generator inputs
# ------------------------------------------------------------------------------------------
def generator_inputs(model, noise, categories, continuous):
    """[z, one-hot c_cat, c_cont] as float32 NumPy."""
    one_hot = np.eye(model.categories)[categories]
    return np.concatenate([noise, one_hot, continuous], axis=1).astype("float32")


def generate(model, inputs):
    """The model's images (NumPy) for generator inputs."""
    return common.in_batches(lambda batch: model(batch, training=False), inputs)


def category_samples(model, per_category, seed=0):
    """`per_category` samples of every categorical value and that value, NumPy."""
    rng = np.random.default_rng(seed)
    categories = np.repeat(np.arange(model.categories), per_category)
    noise = rng.uniform(-1, 1, (len(categories), model.latent_dim))
    continuous = rng.uniform(-1, 1, (len(categories), model.continuous_codes))
    return generate(model, generator_inputs(model, noise, categories, continuous)), categories


def sweeps(model, column, seed=1):
    """Images of `SWEEPS_PER_CATEGORY` settings per category, each with column `column` of the
    generator input swept over `SWEEP_VALUES` values from −1 to 1: (settings, values, H, W, C),
    and the values."""
    rng = np.random.default_rng(seed)
    categories = np.repeat(np.arange(model.categories), SWEEPS_PER_CATEGORY)
    noise = rng.uniform(-1, 1, (len(categories), model.latent_dim))
    continuous = rng.uniform(-1, 1, (len(categories), model.continuous_codes))
    inputs = np.repeat(generator_inputs(model, noise, categories, continuous), SWEEP_VALUES, 0)
    values = np.linspace(-1.0, 1.0, SWEEP_VALUES)
    inputs[:, column] = np.tile(values, len(categories))
    images = generate(model, inputs)
    return images.reshape((len(categories), SWEEP_VALUES) + images.shape[1:]), values


def mean_correlation(images, values, measure):
    """Spearman ρ between the swept values and `measure` of the images, averaged over the
    settings."""
    return float(np.mean([spearman(values, measure(row)) for row in images]))


# ------------------------------------------------------------------------------------------
# The criteria
# ------------------------------------------------------------------------------------------
def code_scores(model, digits):
    """Criteria 1 and 2: the samples' digits against the code, Q's code of real digits."""
    images, categories = category_samples(model, PER_CATEGORY)
    _, probabilities = digits.classifier(images)
    digit_labels = probabilities.argmax(axis=1)
    matching = metrics.best_matching(metrics.contingency_table(categories, digit_labels))
    predicted = common.in_batches(model.classify, digits.test_images)
    as_digits = np.array([matching.get(code, -1) for code in predicted])
    return {
        "code_matched_accuracy": metrics.clustering_accuracy(categories, digit_labels),
        "q_real_accuracy": float(np.mean(as_digits == digits.test_labels)),
        "q_real_best_matched_accuracy": metrics.clustering_accuracy(predicted,
                                                                    digits.test_labels),
    }


def correlation_scores(model):
    """Criterion 3: mean within-sweep ρ of c1 and c2 with slant and ink area, and the largest
    |ρ| of a noise variable swept the same way."""
    scores = {}
    first_code = model.latent_dim + model.categories
    for index in range(model.continuous_codes):
        images, values = sweeps(model, first_code + index)
        for name, measure in (("slant", slant), ("ink_area", ink_area)):
            scores[f"rho_c{index + 1}_{name}"] = mean_correlation(images, values, measure)
    images, values = sweeps(model, 0)
    scores["noise_best_abs_rho"] = max(abs(mean_correlation(images, values, measure))
                                       for measure in (slant, ink_area))
    scores["best_abs_rho"] = max(abs(value) for name, value in scores.items()
                                 if name.startswith("rho_"))
    return scores


def untrained_copy(model):
    """An InfoGAN of the same configuration with freshly initialized weights (seed 0)."""
    keras.utils.set_random_seed(0)
    return type(model).from_config(model.get_config())


def evaluate(model, digits):
    """The three criteria, with chance and an untrained model's scores as baselines."""
    scores = {"chance": 1.0 / model.categories}
    scores.update(code_scores(model, digits))
    scores.update(correlation_scores(model))
    untrained = untrained_copy(model)
    scores.update({f"untrained_{name}": value for name, value in
                   {**code_scores(untrained, digits), **correlation_scores(untrained)}.items()})
    return {"scores": scores, "criteria": {
        "sample_digits_match_the_code_at_least_80%": scores["code_matched_accuracy"] >= 0.8,
        "q_reads_real_digits_at_least_80%": scores["q_real_accuracy"] >= 0.8,
        "continuous_code_spearman_at_least_0.5": scores["best_abs_rho"] >= 0.5}}


def summary(row):
    """The three measures with their baselines."""
    scores = row["scores"]
    pairs = {name: value for name, value in scores.items() if name.startswith("rho_")}
    best = max(pairs, key=lambda name: abs(pairs[name]))
    code, attribute = best[len("rho_"):].split("_", 1)
    return (f"samples' digit = code {scores['code_matched_accuracy']:.1%} (untrained "
            f"{scores['untrained_code_matched_accuracy']:.1%}, chance {scores['chance']:.0%}); "
            f"Q on real digits {scores['q_real_accuracy']:.1%} (best matching "
            f"{scores['q_real_best_matched_accuracy']:.1%}; untrained "
            f"{scores['untrained_q_real_best_matched_accuracy']:.1%}); |ρ| {code}–"
            f"{attribute.replace('_', ' ')} {abs(pairs[best]):.2f} (a noise variable "
            f"{scores['noise_best_abs_rho']:.2f}, untrained "
            f"{scores['untrained_best_abs_rho']:.2f})")
