"""ClusterGAN (Mukherjee et al., 2019): the authors' networks, the latent space, one step,
inference, saving, the command line, and the training step against NumPy."""

import keras
import numpy as np
import pytest

from keras_gans import cluster_gan

import step_checks
from model_checks import assert_generates, assert_keras_round_trip, assert_trains_one_step
from model_checks import layer_types

IMAGE_SHAPE = (28, 28, 1)
SMALL_SHAPE = (8, 8, 1)
SMALL_NETWORKS = dict(filters=4, hidden_units=16)


def of_type(network, name):
    return [layer for layer in network.layers if type(layer).__name__ == name]


def images(count, shape=SMALL_SHAPE, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (count,) + shape).astype("float32")


def as_numpy(tensor):
    return keras.ops.convert_to_numpy(tensor)


# --- The authors' MNIST networks ------------------------------------------------------------
@pytest.mark.skipif(keras.backend.backend() == "jax", reason="architecture: one backend is enough")
def test_networks_follow_the_authors_mnist_code():
    generator = cluster_gan.build_generator()
    assert generator.input_shape == [(None, 30), (None, 10)]  # [z_n, one-hot z_c]
    assert generator.output_shape == (None,) + IMAGE_SHAPE
    assert [layer.units for layer in of_type(generator, "Dense")] == [1024, 7 * 7 * 128]
    transposed = of_type(generator, "Conv2DTranspose")
    assert [(layer.filters, layer.output.shape[1]) for layer in transposed] == [(64, 14), (1, 28)]
    assert all(layer.kernel_size == (4, 4) and layer.strides == (2, 2) for layer in transposed)
    norms = of_type(generator, "BatchNormalization")
    assert len(norms) == 3 and all(not norm.scale and norm.epsilon == 1e-3 for norm in norms)
    assert generator.layers[-1].activation.__name__ == "tanh"

    critic = cluster_gan.build_critic()
    convolutions = of_type(critic, "Conv2D")
    assert [(layer.filters, layer.output.shape[1]) for layer in convolutions] == [(64, 14),
                                                                                  (128, 7)]
    assert all(layer.kernel_size == (4, 4) and layer.strides == (2, 2) for layer in convolutions)
    assert [layer.units for layer in of_type(critic, "Dense")] == [1024, 1]
    assert len(of_type(critic, "LeakyReLU")) == 3
    assert all(layer.negative_slope == pytest.approx(0.2) for layer in of_type(critic, "LeakyReLU"))
    assert critic.layers[-1].activation.__name__ == "linear"
    assert not {"BatchNormalization", "GroupNormalization"} & set(layer_types(critic))

    encoder = cluster_gan.build_encoder()
    assert [layer.units for layer in of_type(encoder, "Dense")] == [1024, 40]
    assert [output.shape for output in encoder.outputs] == [(None, 30), (None, 10)]
    assert layer_types(encoder)[:7] == layer_types(critic)[:7]  # the critic's trunk

    # N(0, 0.02) weights; L2 weight decay 2.5e-5·Σw²/2 on every kernel of G and E, none in D.
    assert np.std(as_numpy(transposed[0].kernel)) == pytest.approx(0.02, rel=0.05)
    for network, decay in ((generator, 2.5e-5), (encoder, 2.5e-5), (critic, None)):
        for layer in of_type(network, "Dense") + of_type(network, "Conv2D") + of_type(
                network, "Conv2DTranspose"):
            regularizer = layer.kernel_regularizer
            assert (regularizer and regularizer.l2 * 2) == (decay and pytest.approx(decay))


def test_sizes_and_settings_that_cannot_work_are_refused():
    assert cluster_gan.build_generator(image_shape=(16, 16, 3), **SMALL_NETWORKS).output_shape == (
        None, 16, 16, 3)
    with pytest.raises(ValueError, match="--image-size 28"):
        cluster_gan.ClusterGAN(image_shape=(30, 30, 1))
    with pytest.raises(ValueError, match="clusters"):
        cluster_gan.ClusterGAN(clusters=1)
    with pytest.raises(ValueError, match="noise_stddev"):
        cluster_gan.ClusterGAN(noise_stddev=0.0)
    normalized_critic = keras.Sequential([keras.Input(SMALL_SHAPE), keras.layers.Flatten(),
                                          keras.layers.BatchNormalization(),
                                          keras.layers.Dense(1)], name="critic")
    with pytest.raises(ValueError, match="batch normalization"):
        cluster_gan.ClusterGAN(image_shape=SMALL_SHAPE, discriminator=normalized_critic)


# --- One step, inference and saving of a small model ---------------------------------------
@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A small ClusterGAN (8×8 images) after one training step, and its restored copy."""
    keras.utils.set_random_seed(0)
    model = cluster_gan.ClusterGAN(latent_dim=3, clusters=4, image_shape=SMALL_SHAPE, n_critic=2,
                                   seed=0, **SMALL_NETWORKS)
    model.compile()
    encoder_before = step_checks.weights_of(model.encoder)
    assert_trains_one_step(model, images(16), batch_size=16)
    # The G+E step updates the encoder too.
    for before, after in zip(encoder_before, step_checks.weights_of(model.encoder)):
        assert not np.allclose(before, after)
    path = tmp_path_factory.mktemp("cluster_gan") / "cluster_gan.keras"
    return model, assert_keras_round_trip(model, str(path))


def test_trains_one_step_generates_and_round_trips(trained):
    model, restored = trained
    assert_generates(model, SMALL_SHAPE)
    assert (restored.latent_dim, restored.clusters, restored.n_critic) == (3, 4, 2)
    assert restored.real_batches_per_step == 2 and restored.noise_stddev == 0.1
    np.testing.assert_array_equal(as_numpy(restored.cluster(images(6))),
                                  as_numpy(model.cluster(images(6))))
    assert model.n_critic == 2 and int(as_numpy(model.d_optimizer.iterations)) == 2
    assert int(as_numpy(model.g_optimizer.iterations)) == 1


def test_cluster_and_encode(trained):
    model, _ = trained
    batch = images(6, seed=3)
    cluster_ids = as_numpy(model.cluster(batch))
    assert cluster_ids.shape == (6,) and cluster_ids.dtype == np.int32
    assert cluster_ids.min() >= 0 and cluster_ids.max() < 4
    np.testing.assert_array_equal(as_numpy(model.cluster(batch)), cluster_ids)
    codes = as_numpy(model.encode(batch))
    assert codes.shape == (6, 3 + 4)  # [z_n estimate, cluster probabilities]
    noise, probabilities = codes[:, :3], codes[:, 3:]
    np.testing.assert_allclose(noise, as_numpy(model.encoder(batch)[0]), rtol=1e-5)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(probabilities.argmax(axis=1), cluster_ids)
    logits = as_numpy(model.encoder(batch)[1])
    np.testing.assert_allclose(probabilities, np.exp(step_checks.log_softmax(logits)), rtol=1e-4)


def test_generate_draws_the_requested_clusters(trained):
    model, _ = trained
    state = as_numpy(model.seed_generator.state).copy()
    cluster_ids = np.array([0, 1, 2, 3, 2], "int32")
    samples = as_numpy(model.generate(5, clusters=cluster_ids))
    assert samples.shape == (5,) + SMALL_SHAPE and np.abs(samples).max() <= 1.0
    (draw,) = step_checks.replay(state, [("normal", (5, 3))])  # z_n ~ N(0, 0.1²)
    noise = (0.1 * draw).astype("float32")
    np.testing.assert_allclose(samples, as_numpy(model((noise, cluster_ids))), atol=1e-5)
    assert as_numpy(model.generate(3, clusters=1)).shape == (3,) + SMALL_SHAPE
    assert as_numpy(model.generate(3)).shape == (3,) + SMALL_SHAPE
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        model.generate(2, clusters=4)


def test_sample_grid_has_one_row_per_cluster_and_one_z_n_per_column(trained):
    model, _ = trained
    noise, cluster_ids = model.sample_inputs(9, seed=4)
    np.testing.assert_array_equal(noise, model.sample_inputs(9, seed=4)[0])
    assert cluster_ids.tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    np.testing.assert_array_equal(noise[0::2], np.repeat(noise[:1], 4, axis=0))
    np.testing.assert_array_equal(noise[1::2], np.repeat(noise[1:2], 4, axis=0))
    assert np.std(noise) == pytest.approx(0.1, rel=0.5)  # z_n ~ N(0, 0.1²)
    grid, columns = model.sample_grid((noise, cluster_ids))
    assert columns == 2
    np.testing.assert_allclose(as_numpy(grid), as_numpy(model((noise, cluster_ids))), atol=1e-5)


def test_paper_optimizer_defaults():
    model = cluster_gan.ClusterGAN(image_shape=SMALL_SHAPE, **SMALL_NETWORKS)
    model.compile()
    assert (model.latent_dim, model.clusters, model.n_critic) == (30, 10, 5)
    assert (model.gp_weight, model.noise_weight, model.cluster_weight) == (10.0, 10.0, 10.0)
    assert model.weight_decay == 2.5e-5 and model.noise_stddev == 0.1
    for optimizer in (model.g_optimizer, model.d_optimizer):
        assert isinstance(optimizer, keras.optimizers.Adam)
        assert float(optimizer.learning_rate) == pytest.approx(1e-4)
        assert optimizer.beta_1 == 0.5 and optimizer.beta_2 == 0.9


def test_command_line_smoke_run(tmp_path):
    code = cluster_gan.main(["--dataset", "shapes", "--image-size", "28", "--smoke", "--filters",
                             "4", "--hidden-units", "16", "--clusters", "3", "--n-critic", "1",
                             "--out", str(tmp_path), "--verbose", "0"])
    assert code == 0
    assert (tmp_path / "checkpoints" / "model.keras").exists()
    checkpoint = str(tmp_path / "checkpoints" / "model.keras")
    restored = keras.saving.load_model(checkpoint)
    assert (restored.clusters, restored.hidden_units, restored.n_critic) == (3, 16, 1)
    # The cluster and sample subcommands.
    output = str(tmp_path / "clusters.npy")
    assert cluster_gan.main(["cluster", "--checkpoint", checkpoint, "--dataset", "shapes",
                             "--image-size", "28", "--limit", "20", "--output", output]) == 0
    cluster_ids = np.load(output)
    assert cluster_ids.shape == (20,) and 0 <= cluster_ids.min() <= cluster_ids.max() < 3
    assert cluster_gan.main(["sample", "--checkpoint", checkpoint, "--label", "2", "--count", "4",
                             "--output", str(tmp_path / "cluster_2.png")]) == 0


# --- The training step against NumPy ------------------------------------------------------
LATENT_DIM, CLUSTERS, BATCH = 3, 4, 8
WEIGHT_DECAY = 0.01  # large, so that a decay left out of the step shows


def draws_of_one_step():
    """A critic step draws z_c, z_n and α; the G+E step draws z_c and z_n."""
    latent = [("uniform", (BATCH,)), ("normal", (BATCH, LATENT_DIM))]
    return latent + [("uniform", (BATCH, 1, 1, 1))] + latent


def latent_of(uniform_draw, normal_draw):
    """(z_n = 0.1·N(0, 1), one-hot z_c, what the linear generator sees: [z_n, z_c])."""
    cluster_ids = step_checks.drawn_classes(uniform_draw, CLUSTERS)
    noise = 0.1 * normal_draw
    return noise, np.eye(CLUSTERS)[cluster_ids], step_checks.with_classes(noise, cluster_ids,
                                                                           CLUSTERS)


def linear_model(generator=None, weight_decay=0.0):
    generator = generator or step_checks.conditional_generator(LATENT_DIM, CLUSTERS, SMALL_SHAPE)
    encoder = step_checks.linear_split_encoder(SMALL_SHAPE, (LATENT_DIM, CLUSTERS))
    if weight_decay:
        step_checks.with_weight_decay(generator, weight_decay)
        step_checks.with_weight_decay(encoder, weight_decay)
    return cluster_gan.ClusterGAN(
        latent_dim=LATENT_DIM, clusters=CLUSTERS, image_shape=SMALL_SHAPE, n_critic=1,
        generator=generator, discriminator=step_checks.linear_discriminator(SMALL_SHAPE),
        encoder=encoder, seed=4)


def generator_encoder_loss(g_weights, e_weights, d_weights, noise, one_hot, latent,
                           weight_decay=0.0):
    """−E[D(G(z))] + 10·MSE(E_n(G(z)), z_n) + 10·CE(E_c(G(z)), z_c) + decay, in NumPy."""
    fakes = step_checks.generated(g_weights, latent, SMALL_SHAPE)
    noise_estimate, logits = step_checks.split_encoded(e_weights, fakes, (LATENT_DIM, CLUSTERS))
    adversarial = -step_checks.scores(d_weights, fakes).mean()
    noise_loss = np.mean((noise_estimate - noise) ** 2)
    cluster_loss = -np.mean(np.sum(one_hot * step_checks.log_softmax(logits), axis=1))
    decay = weight_decay / 2 * (np.sum(g_weights[0] ** 2) + np.sum(e_weights[0] ** 2))
    return adversarial + 10.0 * noise_loss + 10.0 * cluster_loss + decay


def test_gradient_penalty_reaches_the_critic():
    fake_image = np.full(SMALL_SHAPE, 0.3, "float32")
    constant = step_checks.constant_generator(LATENT_DIM, fake_image)
    latent, classes = keras.Input((LATENT_DIM,)), keras.Input((CLUSTERS,))
    model = linear_model(keras.Model([latent, classes], constant(latent), name="generator"))
    step_checks.assert_penalty_reaches_the_critic(
        model, step_checks.real_batch(BATCH, SMALL_SHAPE), fake_image,
        lambda w, b, real, fake: (fake.mean(axis=0) - real.mean(axis=0), 0.0),
        lambda w: 2.0 * (np.linalg.norm(w) - 1.0) * w / np.linalg.norm(w), weight=10.0)


def test_step_matches_numpy_and_every_term_reaches_generator_and_encoder():
    model = linear_model(weight_decay=WEIGHT_DECAY)
    real = step_checks.real_batch(BATCH, SMALL_SHAPE)
    encoder_before = step_checks.weights_of(model.encoder)
    step = step_checks.OneStep(model, real, draws_of_one_step())
    encoder_after = step_checks.weights_of(model.encoder)
    d_before, d_after = step.discriminator_before, step.discriminator_after
    g_before = step.generator_before

    # The critic: E[D(G(z))] − E[D(x)] + 10·(‖w‖ − 1)², with ‖w‖ = 0.5; reals up, fakes down.
    critic_fakes = step_checks.generated(g_before, latent_of(*step.draws[:2])[2], SMALL_SHAPE)
    real_scores = step_checks.scores(d_before, real)
    fake_scores = step_checks.scores(d_before, critic_fakes)
    np.testing.assert_allclose(step.logs["d_loss"],
                               fake_scores.mean() - real_scores.mean() + 10.0 * 0.25, rtol=1e-4)
    assert step_checks.scores(d_after, real).mean() > real_scores.mean()
    assert step_checks.scores(d_after, critic_fakes).mean() < fake_scores.mean()

    # G and E: the logged terms at fresh z, through the updated critic.
    noise, one_hot, latent = latent_of(*step.draws[3:])
    fakes = step_checks.generated(g_before, latent, SMALL_SHAPE)
    noise_estimate, logits = step_checks.split_encoded(encoder_before, fakes,
                                                       (LATENT_DIM, CLUSTERS))
    np.testing.assert_allclose(step.logs["noise_loss"], np.mean((noise_estimate - noise) ** 2),
                               rtol=1e-4)
    np.testing.assert_allclose(
        step.logs["cluster_loss"],
        -np.mean(np.sum(one_hot * step_checks.log_softmax(logits), axis=1)), rtol=1e-4)

    def loss(weights):
        return generator_encoder_loss(weights[:2], weights[2:], d_after, noise, one_hot, latent,
                                      WEIGHT_DECAY)

    np.testing.assert_allclose(step.logs["g_loss"], loss(g_before + encoder_before), rtol=1e-4)
    # One SGD step of G and E together on the whole loss, weight decay included.
    step_checks.assert_sgd_step(g_before + encoder_before, step.generator_after + encoder_after,
                                loss)
