"""The engine's capabilities for later models: aux outputs, network losses, skipped steps,
nested inputs, step counting, EMA weights and the float16 refusal, on every backend."""

import keras
import numpy as np
import pytest
from keras import layers
from keras import ops

from keras_gans import engine
from keras_gans import gan
from keras_gans import wgan

LATENT_DIM = 4
IMAGE_SHAPE = (4, 4, 1)


def to_numpy(value):
    return keras.ops.convert_to_numpy(value)


def every_value(model):
    """Every variable of the model and its optimizers (seed generators included), as NumPy."""
    variables = list(model.variables) + list(model.optimizer.variables)
    return [to_numpy(v).copy() for v in variables]


class Steps(engine.GAN):
    """A model whose training step is `step(model, data)`, with one SGD optimizer per player."""

    loss_names = ("loss",)

    def __init__(self, players, step, learning_rate=0.1):
        super().__init__(seed=0)
        self.networks = list(players.values())
        self.player_names = list(players)
        self.step = step
        self.learning_rate = learning_rate
        for name, network in players.items():
            setattr(self, name, network)
        self.counter = keras.Variable(0, dtype="int32", trainable=False, name="counter")
        self.kept = None
        self.finish_init()

    def compile(self, **kwargs):
        self.compile_players(
            {f"{name}_optimizer": (keras.optimizers.SGD(self.learning_rate),
                                   getattr(self, name).trainable_variables)
             for name in self.player_names}, **kwargs)

    def gan_step(self, data):
        return self.track(loss=self.step(self, data))


def linear(units_in, name, **dense_kwargs):
    return keras.Sequential(
        [keras.Input((units_in,)), layers.Dense(1, use_bias=False, name=f"{name}_dense",
                                                kernel_initializer="ones", **dense_kwargs)],
        name=name)


def generator_and_critic():
    generator = keras.Sequential(
        [keras.Input((LATENT_DIM,)), layers.Dense(16), layers.BatchNormalization(),
         layers.Dropout(0.5), layers.Dense(int(np.prod(IMAGE_SHAPE)), activation="tanh"),
         layers.Reshape(IMAGE_SHAPE)], name="generator")
    critic = keras.Sequential(
        [keras.Input(IMAGE_SHAPE), layers.Flatten(), layers.Dense(1)], name="critic")
    return {"generator": generator, "critic": critic}


# --------------------------------------------------------------------------------------------
# Auxiliary outputs
# --------------------------------------------------------------------------------------------
def aux_step(model, latents):
    """A generator step returning its fakes, then a critic step on those very fakes."""

    def generator_loss():
        fakes = model.generator(latents, training=False)
        return -ops.mean(model.critic(fakes)), fakes

    g_loss, fakes = model.minimize(generator_loss, model.generator.trainable_variables,
                                   model.generator_optimizer)

    def critic_loss():
        return ops.mean(model.critic(fakes))

    d_loss = model.minimize(critic_loss, model.critic.trainable_variables,
                            model.critic_optimizer)
    model.kept.assign(fakes)
    return g_loss + d_loss


def test_aux_output_of_a_generator_step_feeds_the_critic_step():
    model = Steps(generator_and_critic(), aux_step)
    model.kept = keras.Variable(np.zeros((4,) + IMAGE_SHAPE, "float32"), trainable=False,
                                name="kept")
    model.compile()
    initial = model.generator.get_weights()
    latents = np.random.default_rng(0).normal(size=(4, LATENT_DIM)).astype("float32")
    history = model.fit(latents, batch_size=4, epochs=1, shuffle=False, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    model.generator.set_weights(initial)
    np.testing.assert_allclose(to_numpy(model.kept), to_numpy(model.generator(latents)),
                               rtol=1e-5, atol=1e-6)


def test_plain_loss_comes_back_alone():
    model = Steps({"critic": linear(2, "critic")}, None)
    model.compile()
    loss = model.minimize(lambda: ops.sum(model.critic.trainable_variables[0]),
                          model.critic.trainable_variables, model.critic_optimizer)
    assert not isinstance(loss, tuple)
    assert float(to_numpy(loss)) == pytest.approx(2.0)


# --------------------------------------------------------------------------------------------
# Network losses
# --------------------------------------------------------------------------------------------
L2 = 0.25
ACTIVITY = 0.5
BATCHES = [np.array([[1.0, 2.0], [3.0, -1.0]], "float32"),
           np.array([[0.5, -2.0], [1.0, 1.0]], "float32")]


def regularized_step(model, data):
    """Each network called twice in its loss; the critic also inside input_gradients."""

    def loss(network):
        def value():
            outputs = [network(batch) for batch in BATCHES]
            penalty = model.input_gradients(lambda x: network(x), ops.ones((2, 2)))
            return sum(ops.mean(output) for output in outputs) + 0.0 * ops.sum(penalty)
        return value

    total = 0.0
    for name in ("weighted", "active"):
        network = getattr(model, name)
        total += model.minimize(loss(network), network.trainable_variables,
                                getattr(model, f"{name}_optimizer"))
    return total


def test_regularizers_and_added_losses_change_the_update_as_numpy_says():
    weighted = linear(2, "weighted", kernel_regularizer=keras.regularizers.L2(L2))
    active = keras.Sequential([keras.Input((2,)), linear(2, "inner"),
                               layers.ActivityRegularization(l2=ACTIVITY)], name="active")
    model = Steps({"weighted": weighted, "active": active}, regularized_step)
    model.compile()
    model.fit(np.zeros((1, 1), "float32"), batch_size=1, epochs=1, verbose=0)

    weights = np.ones(2)
    data_gradient = sum(batch.mean(axis=0) for batch in BATCHES)
    l2_gradient = 2 * L2 * weights
    # Keras divides an activity regularizer by the batch size.
    activity_gradient = sum(2 * ACTIVITY * (batch @ weights) @ batch / len(batch)
                            for batch in BATCHES)
    np.testing.assert_allclose(to_numpy(weighted.trainable_variables[0])[:, 0],
                               weights - 0.1 * (data_gradient + l2_gradient), rtol=1e-5)
    np.testing.assert_allclose(to_numpy(active.trainable_variables[0])[:, 0],
                               weights - 0.1 * (data_gradient + activity_gradient), rtol=1e-5)


# --------------------------------------------------------------------------------------------
# Skipped steps
# --------------------------------------------------------------------------------------------
def conditional_step(model, data):
    """A generator step (batch statistics, dropout, noise, a counter) only when data > 0."""

    def generator_loss():
        model.counter.assign_add(1)
        fakes = model.generator(model.normal((4, LATENT_DIM)), training=True)
        return -ops.mean(model.critic(fakes))

    return model.minimize(generator_loss, model.generator.trainable_variables,
                          model.generator_optimizer, enabled=data[0, 0] > 0)


@pytest.fixture(scope="module")
def conditional_model():
    model = Steps(generator_and_critic(), conditional_step)
    model.compile()
    return model


def test_disabled_step_changes_no_state_and_does_no_work(conditional_model):
    model = conditional_model
    before = every_value(model)
    model.fit(np.array([[-1.0]], "float32"), batch_size=1, epochs=1, verbose=0)
    after = every_value(model)
    assert int(to_numpy(model.optimizer.iterations)) == 1
    # The group's step count (first of the optimizer variables) is the only change.
    changed = [index for index, (a, b) in enumerate(zip(before, after, strict=True))
               if not np.array_equal(a, b)]
    assert changed == [len(model.variables)]
    assert int(to_numpy(model.counter)) == 0


def test_enabled_step_does_the_work(conditional_model):
    model = conditional_model
    seed_before = to_numpy(model.seed_generator.state).copy()
    model.fit(np.array([[1.0]], "float32"), batch_size=1, epochs=1, verbose=0)
    assert int(to_numpy(model.counter)) == 1
    assert int(to_numpy(model.generator_optimizer.iterations)) == 1
    assert not np.array_equal(seed_before, to_numpy(model.seed_generator.state))


def test_skipped_step_refuses_aux_outputs():
    model = Steps({"critic": linear(2, "critic")}, None)
    model.compile()
    with pytest.raises(ValueError, match="auxiliary outputs"):
        model.minimize(lambda: (ops.sum(model.critic.trainable_variables[0]), ops.ones(())),
                       model.critic.trainable_variables, model.critic_optimizer,
                       enabled=True)


# --------------------------------------------------------------------------------------------
# Nested inputs
# --------------------------------------------------------------------------------------------
def test_input_gradients_of_images_and_labels():
    model = Steps({"critic": linear(2, "critic")}, None)
    images = ops.convert_to_tensor(np.array([[1.0, 2.0], [3.0, 4.0]], "float32"))
    labels = ops.convert_to_tensor(np.array([1, 0], "int32"))

    def critic(inputs):
        images, labels = inputs["images"], inputs["labels"]
        return ops.sum(images * images, axis=1) * ops.cast(labels + 1, "float32")

    gradients = model.input_gradients(critic, {"images": images, "labels": labels})
    assert gradients["labels"] is None
    np.testing.assert_allclose(to_numpy(gradients["images"]),
                               [[4.0, 8.0], [6.0, 8.0]], rtol=1e-6)


def test_global_batch_is_the_batch_itself_without_replicas():
    batch = ops.convert_to_tensor(np.arange(6, dtype="float32").reshape(3, 2))
    assert engine.global_batch(batch) is batch


def test_split_real_batches_of_images_and_labels():
    model = Steps({"critic": linear(2, "critic")}, None)
    images, labels = ops.reshape(ops.arange(12), (6, 2)), ops.arange(6)
    parts = model.split_real_batches((images, labels), 3)
    assert [to_numpy(part[1]).tolist() for part in parts] == [[0, 1], [2, 3], [4, 5]]
    assert to_numpy(parts[2][0]).tolist() == [[8, 9], [10, 11]]


# --------------------------------------------------------------------------------------------
# Step counting and averaged weights
# --------------------------------------------------------------------------------------------
def test_iterations_count_training_steps_not_critic_updates():
    model = wgan.WGAN(image_shape=(28, 28, 1), latent_dim=8, n_critic=5, critic_warmup=False,
                      **wgan_networks())
    model.compile()
    images = np.random.default_rng(0).uniform(-1, 1, (10, 28, 28, 1)).astype("float32")
    model.fit(images, batch_size=10, epochs=1, verbose=0)
    assert int(to_numpy(model.optimizer.iterations)) == 1
    assert int(to_numpy(model.d_optimizer.iterations)) == 5


def wgan_networks():
    latent = keras.Input((8,))
    fake = layers.Reshape((28, 28, 1))(layers.Dense(784, activation="tanh")(latent))
    inputs = keras.Input((28, 28, 1))
    scores = layers.Dense(1)(layers.Flatten()(inputs))
    return dict(generator=keras.Model(latent, fake), discriminator=keras.Model(inputs, scores))


def test_fit_ends_with_the_averaged_weights_of_an_ema_optimizer():
    networks = generator_and_critic()
    model = gan.GAN(latent_dim=LATENT_DIM, image_shape=IMAGE_SHAPE,
                    generator=networks["generator"], discriminator=networks["critic"], seed=0)
    model.compile(g_optimizer=keras.optimizers.Adam(0.1, use_ema=True, ema_momentum=0.5))
    images = np.random.default_rng(0).uniform(-1, 1, (8,) + IMAGE_SHAPE).astype("float32")
    model.fit(images, batch_size=4, epochs=1, verbose=0)
    averages = model.g_optimizer._model_variables_moving_average
    assert len(averages) == len(model.generator.trainable_variables)
    for variable, average in zip(model.generator.trainable_variables, averages, strict=True):
        np.testing.assert_array_equal(to_numpy(variable), to_numpy(average))


# --------------------------------------------------------------------------------------------
# Dtype policies
# --------------------------------------------------------------------------------------------
def small_gan():
    networks = generator_and_critic()
    return gan.GAN(latent_dim=LATENT_DIM, image_shape=IMAGE_SHAPE,
                   generator=networks["generator"], discriminator=networks["critic"], seed=0)


@pytest.fixture
def policy():
    yield keras.mixed_precision.set_global_policy
    keras.mixed_precision.set_global_policy("float32")


def test_mixed_float16_is_refused(policy):
    policy("mixed_float16")
    model = small_gan()
    with pytest.raises(ValueError, match="mixed_float16.*mixed_bfloat16"):
        model.compile()


def test_mixed_bfloat16_trains(policy):
    policy("mixed_bfloat16")
    model = small_gan()
    model.compile()
    images = np.random.default_rng(0).uniform(-1, 1, (4,) + IMAGE_SHAPE).astype("float32")
    history = model.fit(images, batch_size=4, epochs=1, verbose=0)
    assert all(np.isfinite(values[0]) for values in history.history.values())
