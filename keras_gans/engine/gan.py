"""The `GAN` base class: players, `minimize`, input gradients and the step under `fit()`."""

import contextlib

import keras
from keras import ops
from keras.src.backend.common.stateless_scope import StatelessScope
from keras.src.backend.common.stateless_scope import get_stateless_scope

from keras_gans.engine import workers
from keras_gans.engine.backend import BACKEND
from keras_gans.engine.optimizer_group import OptimizerGroup
from keras_gans.engine.replicas import replica_count, replica_noise


@keras.saving.register_keras_serializable(package="keras_gans")
class GAN(keras.Model):
    """Base class of every model of the library: several players, one optimizer each.

    Subclasses build their sub-networks in `__init__`, call `super().__init__` first, list the
    names of the values they log in `loss_names`, implement `gan_step(data)` and `call()`, and
    call `self.compile_players(...)` from their `compile()` with one optimizer per player.

    Args:
        seed: seed of the model's `SeedGenerator` (noise, interpolation weights, ...). `None`
            draws a random seed.
        **kwargs: passed to `keras.Model` (`name`, ...).

    Example:

    ```python
    class MyGAN(GAN):
        loss_names = ("d_loss", "g_loss")

        def gan_step(self, real_images):
            ...
            d_loss = self.minimize(discriminator_loss,
                                   self.discriminator.trainable_variables, self.d_optimizer)
            ...
            return self.track(d_loss=d_loss, g_loss=g_loss)
    ```
    """

    loss_names = ()
    # Real batches each training step consumes (n_critic for WGAN-style critics).
    real_batches_per_step = 1

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed, name="seed_generator")
        self.loss_trackers = [keras.metrics.Mean(name=name) for name in self.loss_names]
        self.player_optimizers = {}

    def finish_init(self):
        """Marks the model built once its sub-networks exist (call at the end of `__init__`).

        `fit()` would otherwise try to build the model by calling it on a data batch.
        """
        self.built = True

    # ----------------------------------------------------------------------------------------
    # Compilation: one optimizer per player
    # ----------------------------------------------------------------------------------------
    def compile_players(self, players, **kwargs):
        """Stores one optimizer per player and builds each on its player's variables.

        Args:
            players: dict mapping an attribute name (e.g. "d_optimizer") to a pair
                `(optimizer, variables)`; the optimizer becomes `self.<name>`.
            **kwargs: passed to `keras.Model.compile` (`jit_compile`, `run_eagerly`,
                `steps_per_execution`).
        """
        optimizers = {}
        for attribute, (optimizer, variables) in players.items():
            optimizer = keras.optimizers.get(optimizer)
            setattr(self, attribute, optimizer)
            optimizers[attribute] = optimizer
        self.player_optimizers = optimizers
        kwargs.setdefault("jit_compile", "auto")
        _refuse_float16(self)
        group = OptimizerGroup(optimizers.values())
        group.player_variables = [list(variables) for _, variables in players.values()]
        super().compile(optimizer=group, **kwargs)
        with self._scope():
            for attribute, (optimizer, variables) in players.items():
                if not optimizer.built:
                    optimizer.build(list(variables))
        self._compile_players_kwargs = dict(kwargs)

    def _scope(self):
        if BACKEND == "tensorflow" and self.distribute_strategy is not None:
            return self.distribute_strategy.scope()
        return contextlib.nullcontext()

    def get_compile_config(self):
        """Serializes every player optimizer so a reloaded model resumes training."""
        if not self.player_optimizers:
            return None
        config = {
            name: keras.saving.serialize_keras_object(optimizer)
            for name, optimizer in self.player_optimizers.items()
        }
        for key in ("jit_compile", "run_eagerly", "steps_per_execution"):
            if key in getattr(self, "_compile_players_kwargs", {}):
                config[key] = self._compile_players_kwargs[key]
        return config

    def compile_from_config(self, config):
        """Recreates and builds every player optimizer before the saved state loads."""
        config = dict(config)
        options = {
            key: config.pop(key)
            for key in ("jit_compile", "run_eagerly", "steps_per_execution")
            if key in config
        }
        optimizers = {
            name: keras.saving.deserialize_keras_object(value) for name, value in config.items()
        }
        self.compile(**optimizers, **options)

    # ----------------------------------------------------------------------------------------
    # Metrics
    # ----------------------------------------------------------------------------------------
    @property
    def metrics(self):
        return list(self.loss_trackers)

    def track(self, weights=None, **values):
        """Updates the loss trackers named by the keywords; returns the logs of `fit()`.

        `weights` optionally maps a name to a sample weight: a value of weight 0 (the loss of
        a skipped update) does not count in the epoch's mean.
        """
        weights = weights or {}
        for tracker in self.loss_trackers:
            if tracker.name in values:
                weight = weights.get(tracker.name)
                if weight is not None:
                    weight = ops.cast(weight, "float32")
                tracker.update_state(values[tracker.name], sample_weight=weight)
        return {tracker.name: tracker.result() for tracker in self.loss_trackers}

    # ----------------------------------------------------------------------------------------
    # Randomness
    # ----------------------------------------------------------------------------------------
    def normal(self, shape, mean=0.0, stddev=1.0):
        """Normal noise of a per-replica batch `shape` from the model's seed generator."""
        return replica_noise(
            lambda full_shape: keras.random.normal(
                full_shape, mean=mean, stddev=stddev, seed=self.seed_generator
            ),
            shape,
        )

    def uniform(self, shape, minval=0.0, maxval=1.0):
        """Uniform noise of a per-replica batch `shape` from the model's seed generator."""
        return replica_noise(
            lambda full_shape: keras.random.uniform(
                full_shape, minval=minval, maxval=maxval, seed=self.seed_generator
            ),
            shape,
        )

    # ----------------------------------------------------------------------------------------
    # Gradients: the backend-specific part
    # ----------------------------------------------------------------------------------------
    def minimize(self, loss_fn, variables, optimizer, enabled=None):
        """Applies one optimizer step to `variables` on the loss returned by `loss_fn()`.

        The loss is a per-replica batch mean; under `tf.distribute` it is divided by the number
        of replicas before differentiation so that the summed gradients are those of the global
        batch mean. The losses of the sub-networks holding any of `variables` (weight
        regularizers, activity regularizers, `add_loss`) are added to it: every call of such a
        network inside `loss_fn` contributes its `add_loss` terms, except the calls made inside
        `input_gradients`, and each weight regularizer counts once.

        Args:
            loss_fn: a function of no arguments returning a scalar loss, or a pair
                `(loss, aux)` where `aux` is any nested structure of tensors computed along
                the way (generated images, features) for use after this step.
            variables: the list of variables to update.
            optimizer: the optimizer that updates them.
            enabled: optional boolean scalar; when false the step is skipped, with no forward
                or backward pass and no change to any state (variables, optimizer slots and
                iteration count, batch statistics, seed generators). For schedules decided
                inside a compiled step, such as WGAN's extra critic iterations. A skipped step
                returns a zero loss; `loss_fn` may not return `aux` then.

        Returns:
            The loss minimized (not scaled by the replica count, network losses included), or
            `(loss, aux)` when `loss_fn` returns a pair, with gradients stopped on `aux`.
        """
        variables = list(variables)
        if enabled is not None:
            return self._minimize_if(loss_fn, variables, optimizer, enabled)
        returns_aux = []
        total_loss_fn = self._with_network_losses(loss_fn, variables, returns_aux)
        if BACKEND == "tensorflow":
            loss, aux, gradients = self._tensorflow_gradients(total_loss_fn, variables)
        elif BACKEND == "torch":
            loss, aux, gradients = self._torch_gradients(total_loss_fn, variables)
        elif BACKEND == "jax":
            loss, aux, gradients = self._jax_gradients(total_loss_fn, variables)
        else:
            raise ValueError(f"keras_gans does not support the backend {BACKEND!r}.")
        optimizer.apply(gradients, variables)
        if not returns_aux[0]:
            return loss
        return loss, keras.tree.map_structure(ops.stop_gradient, aux)

    def _with_network_losses(self, loss_fn, variables, returns_aux):
        """`loss_fn` as a function returning `(loss + network losses, aux)`.

        Appends to `returns_aux` whether `loss_fn` returned a pair.
        """
        networks = self._networks_holding(variables)

        def total_loss():
            with _losses_of_every_call(networks):
                result = loss_fn()
                returns_aux.append(isinstance(result, tuple) and len(result) == 2)
                loss, aux = result if returns_aux[-1] else (result, None)
                network_losses = [value for network in networks for value in network.losses]
            for value in network_losses:
                loss = loss + ops.cast(value, loss.dtype)
            return loss, aux

        return total_loss

    def _networks_holding(self, variables):
        """The model's direct sub-networks that hold any of `variables`."""
        identities = {id(variable) for variable in variables}
        return [
            layer for layer in self._flatten_layers(include_self=False, recursive=False)
            if any(id(variable) in identities for variable in layer.trainable_variables)
        ]

    def _minimize_if(self, loss_fn, variables, optimizer, enabled):
        """`minimize` run only where `enabled` is true, through a real conditional."""

        def step():
            return ops.cast(self._minimize_without_aux(loss_fn, variables, optimizer), "float32")

        if isinstance(enabled, bool):
            return step() if enabled else ops.zeros((), "float32")
        if BACKEND == "jax":
            return self._jax_step_if(step, enabled)
        if BACKEND == "torch":
            return step() if bool(enabled) else ops.zeros((), "float32")
        import tensorflow as tf

        if replica_count() > 1:
            # An optimizer update inside tf.cond cannot merge across replicas: compute the step
            # and keep the old values where it is disabled.
            return self._step_kept_if(step, variables + list(optimizer.variables), enabled)
        return tf.cond(enabled, step, lambda: tf.zeros((), "float32"))

    def _minimize_without_aux(self, loss_fn, variables, optimizer):
        result = self.minimize(loss_fn, variables, optimizer)
        if isinstance(result, tuple):
            raise ValueError(
                "minimize(enabled=...) cannot return auxiliary outputs, since a skipped step "
                "computes none: return only the loss from loss_fn, or drop `enabled`."
            )
        return result

    def _jax_step_if(self, step, enabled):
        """JAX: `step()` inside `lax.cond`, as a pure function of the whole training state."""
        import jax

        state = self._state_variables()
        outer_scope = get_stateless_scope()
        values = [_current_value(outer_scope, variable) for variable in state]

        def run(values):
            with StatelessScope(state_mapping=list(zip(state, values))) as scope:
                loss = step()
                new_values = [_current_value(scope, variable) for variable in state]
            return new_values, loss

        def skip(values):
            return list(values), ops.zeros((), "float32")

        new_values, loss = jax.lax.cond(enabled, run, skip, values)
        for variable, value in zip(state, new_values):
            variable.assign(value)
        return loss

    @staticmethod
    def _step_kept_if(step, state, enabled):
        """Runs `step()`, then keeps every changed value of `state` only where `enabled`."""
        before = [ops.copy(ops.convert_to_tensor(v.value)) for v in state]
        loss = step()
        for variable, old_value in zip(state, before):
            variable.assign(ops.where(enabled, variable.value, old_value))
        return ops.where(enabled, loss, ops.zeros_like(loss))

    def clip_variables(self, variables, limit):
        """Clips every variable to [−limit, limit] in place (WGAN's weight clipping)."""
        for variable in variables:
            variable.assign(ops.clip(variable.value, -limit, limit))

    def split_real_batches(self, data, count):
        """Splits a step's real data into `count` equal batches (one per critic iteration).

        `data` is a tensor or a nested structure of tensors with a common batch size, such as
        `(images, labels)`; each batch has the same structure. Models whose critic trains
        `count` times per generator step on fresh real batches set
        `real_batches_per_step = count`; the command line then feeds `count` batches per step.
        """
        batch_size = ops.shape(keras.tree.flatten(data)[0])[0] // count
        return [
            keras.tree.map_structure(
                lambda tensor, start=index * batch_size: tensor[start:start + batch_size], data)
            for index in range(count)
        ]

    def _tensorflow_gradients(self, loss_fn, variables):
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss, aux = loss_fn()
            scaled_loss = loss / replica_count()
        gradients = tape.gradient(scaled_loss, variables)
        gradients = [
            ops.zeros_like(v) if g is None else g for g, v in zip(gradients, variables)
        ]
        return loss, aux, gradients

    def _torch_gradients(self, loss_fn, variables):
        import torch

        loss, aux = loss_fn()
        gradients = torch.autograd.grad(
            loss, [v.value for v in variables], allow_unused=True
        )
        gradients = [
            torch.zeros_like(v.value) if g is None else g for g, v in zip(gradients, variables)
        ]
        return loss.detach(), aux, gradients

    def _jax_gradients(self, loss_fn, variables):
        import jax

        outer_scope = get_stateless_scope()
        others = [v for v in self._state_variables() if not _contains(variables, v)]

        def pure_loss(values):
            mapping = [(v, _current_value(outer_scope, v)) for v in others]
            mapping += list(zip(variables, values))
            with StatelessScope(state_mapping=mapping, collect_losses=True) as scope:
                loss, aux = loss_fn()
            # Non-trainable state the loss changed: batch statistics, seed generators.
            updates = [scope.get_current_value(v) for v in others]
            return loss, (updates, aux)

        values = [_current_value(outer_scope, v) for v in variables]
        (loss, (updates, aux)), gradients = jax.value_and_grad(pure_loss, has_aux=True)(values)
        for variable, value in zip(others, updates):
            if value is not None:
                variable.assign(value)
        return loss, aux, gradients

    def input_gradients(self, fn, inputs):
        """Gradient of `sum(fn(inputs))` with respect to `inputs`, itself differentiable.

        Gradient penalties (WGAN-GP, DRAGAN, R1, WGAN-div) call this inside a `minimize`
        loss so that the penalty's gradient reaches the discriminator's weights. `fn` should
        not change model state (call the critic without batch statistics or dropout); losses
        its networks add (`add_loss`, activity regularizers) are not added to the outer loss.

        Args:
            fn: a function mapping a batch of inputs to per-sample outputs.
            inputs: the batch at which to differentiate: a tensor, or a nested structure of
                tensors such as `(images, labels)`, which `fn` receives as is.

        Returns:
            The gradients in the structure of `inputs`; integer leaves (labels), which have
            no gradient, get `None`.
        """
        leaves = keras.tree.flatten(inputs)
        floating = [_is_floating(leaf) for leaf in leaves]
        float_leaves = [leaf for leaf, is_float in zip(leaves, floating) if is_float]

        def outputs_of(new_float_leaves):
            new_leaves = iter(new_float_leaves)
            rebuilt = [next(new_leaves) if is_float else leaf
                       for leaf, is_float in zip(leaves, floating)]
            return ops.sum(fn(keras.tree.pack_sequence_as(inputs, rebuilt)))

        with _losses_restored(self):
            gradients = iter(self._input_gradients(outputs_of, float_leaves))
        return keras.tree.pack_sequence_as(
            inputs, [next(gradients) if is_float else None for is_float in floating])

    def _input_gradients(self, total, inputs):
        """Gradients of the scalar `total(inputs)` with respect to the list `inputs`."""
        if BACKEND == "tensorflow":
            import tensorflow as tf

            with tf.GradientTape() as tape:
                tape.watch(inputs)
                outputs = total(inputs)
            return tape.gradient(outputs, inputs)
        if BACKEND == "torch":
            inputs = [x if x.requires_grad else x.detach().requires_grad_(True) for x in inputs]
            import torch

            return torch.autograd.grad(total(inputs), inputs, create_graph=True)
        import jax

        outer_scope = get_stateless_scope()
        if outer_scope is None:
            return jax.grad(total)(inputs)
        mapping = [(v, _current_value(outer_scope, v)) for v in self._state_variables()]

        def total_in_scope(x):
            with StatelessScope(state_mapping=mapping):
                return total(x)

        return jax.grad(total_in_scope)(inputs)

    def _state_variables(self):
        """Every variable the JAX trainer carries, in the trainer's order."""
        return (
            list(self.trainable_variables)
            + list(self.non_trainable_variables)
            + list(self.optimizer.variables if self.optimizer is not None else [])
            + list(self.metrics_variables)
        )

    # ----------------------------------------------------------------------------------------
    # The training step under fit()
    # ----------------------------------------------------------------------------------------
    def gan_step(self, data):
        """One training step on a batch (backend-agnostic); returns the logs dict."""
        raise NotImplementedError(f"{type(self).__name__} must implement gan_step(data).")

    if BACKEND == "jax":

        def train_step(self, state, data):
            """JAX: runs `gan_step` in a stateless scope over the trainer's state."""
            groups = (
                self.trainable_variables,
                self.non_trainable_variables,
                self.optimizer.variables,
                self.metrics_variables,
            )
            mapping = []
            for variables, values in zip(groups, state):
                mapping.extend(zip(variables, values))
            with StatelessScope(state_mapping=mapping) as scope:
                logs = self.gan_step(_unpack(data))
                self.optimizer.count_step()

            def read(variables, values):
                new_values = []
                for variable, value in zip(variables, values):
                    new_value = scope.get_current_value(variable)
                    new_values.append(value if new_value is None else new_value)
                return new_values

            new_state = tuple(read(v, values) for v, values in zip(groups, state))
            return logs, new_state

    else:

        def train_step(self, data):
            """TensorFlow and PyTorch: runs `gan_step` on the batch."""
            logs = self.gan_step(_unpack(data))
            self.optimizer.count_step()
            return workers.reducible_logs(logs) if BACKEND == "tensorflow" else logs

    if BACKEND == "tensorflow":

        def _maybe_symbolic_build(self, iterator=None, data_batch=None):
            """Keras builds a distributed model on a batch reduced over the replicas, which
            fails across workers (keras-team/keras#20585); there it builds on this worker's
            own first batch instead."""
            strategy = self._distribute_strategy
            if (iterator is not None and strategy is not None
                    and workers.is_multiworker_strategy(strategy)):
                for _, _, batches in iterator:
                    data_batch = workers.local_batch(strategy, next(batches))
                    break
                iterator = None
            return super()._maybe_symbolic_build(iterator=iterator, data_batch=data_batch)

    def fit(self, x=None, *args, **kwargs):
        """`keras.Model.fit`; `shuffle` defaults to False for data that Keras cannot shuffle.

        A `tf.data.Dataset` or `PyDataset` (such as `keras_gans.data.batches`) carries its own
        order, and Keras warns when `shuffle=True`, its default, is passed with one. Arrays are
        still shuffled by default.
        """
        if len(args) < 8 and "shuffle" not in kwargs and not _is_array_data(x):
            kwargs["shuffle"] = False
        _refuse_float16(self)
        return super().fit(x, *args, **kwargs)

    def test_step(self, *args):
        raise NotImplementedError(
            "GAN models have no evaluate(): use keras_gans.metrics or the Evaluate callback."
        )

    # ----------------------------------------------------------------------------------------
    # Serialization
    # ----------------------------------------------------------------------------------------
    # Constructor arguments that take prebuilt sub-networks: `get_config` serializes them and
    # `from_config` rebuilds them.
    network_arguments = ()
    # Constructor arguments that `get_config` saves from the attribute of the same name
    # (tuples as lists, as JSON keeps them).
    config_arguments = ()

    def get_config(self):
        config = {"seed": self.seed, "name": self.name}
        for name in self.network_arguments:
            config[name] = keras.saving.serialize_keras_object(getattr(self, name))
        for name in self.config_arguments:
            value = getattr(self, name)
            config[name] = list(value) if isinstance(value, tuple) else value
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for name in cls.network_arguments:
            if name in config:
                config[name] = keras.saving.deserialize_keras_object(config[name])
        return cls(**config)

    def _seed_states(self):
        """State variables of every seed generator of the model and its layers (e.g. Dropout)."""
        states = []
        for layer in self._flatten_layers(include_self=True):
            states.extend(generator.state for generator in layer._seed_generators)
        return states

    def save_own_variables(self, store):
        """Saves the model's own variables and every seed generator's state.

        Keras saves no seed-generator state; without it a resumed run would replay the noise
        of the run's first steps instead of continuing it.
        """
        super().save_own_variables(store)
        for index, state in enumerate(self._seed_states()):
            store[f"seed_state_{index}"] = state

    def load_own_variables(self, store):
        """Restores what `save_own_variables` saved."""
        own = {key: store[key] for key in store.keys() if not key.startswith("seed_state_")}
        super().load_own_variables(own)
        for index, state in enumerate(self._seed_states()):
            if f"seed_state_{index}" in store:
                state.assign(store[f"seed_state_{index}"])


def _refuse_float16(model):
    """Raises when `model` or one of its layers computes in float16."""
    policies = [model.dtype_policy] + [
        layer.dtype_policy for layer in model._flatten_layers(include_self=False)]
    if any(policy.compute_dtype == "float16" for policy in policies):
        raise ValueError(
            "The float16 dtype policy (mixed_float16) needs loss scaling, which GAN.minimize "
            "does not do: use mixed_bfloat16 or float32 instead."
        )


def _unpack(data):
    """`fit(x)` passes `(x,)` or `x`; `fit(x, y)` passes `(x, y)`. Returns x or (x, y)."""
    if isinstance(data, (tuple, list)):
        data = tuple(d for d in data if d is not None)
        if len(data) == 1:
            return data[0]
    return data


def _is_array_data(x):
    """Whether `fit()` reads `x` as arrays (which it shuffles), not as a dataset or generator."""
    from keras.src.trainers.data_adapters import array_data_adapter

    return array_data_adapter.can_convert_arrays((x,))


def _contains(variables, variable):
    return any(variable is v for v in variables)


def _current_value(scope, variable):
    """The value of `variable` in the stateless `scope` (its own value outside any scope)."""
    value = scope.get_current_value(variable) if scope is not None else None
    return variable.value if value is None else value


def _is_floating(tensor):
    return "float" in keras.backend.standardize_dtype(tensor.dtype)


def _keep_losses():
    """Replaces `Layer._clear_losses` while the losses of several calls accumulate."""


# Networks inside `_losses_of_every_call`, by id, with how many open contexts hold each: the
# replica threads of `tf.distribute` interleave at collectives inside a loss.
_ACCUMULATING = {}


@contextlib.contextmanager
def _losses_of_every_call(networks):
    """Makes each of `networks` keep the `add_loss` terms of all its calls in the context.

    Keras clears a layer's losses at each outermost call, so a discriminator called on real
    and then on generated images would keep only the second call's terms. The networks start
    and end the context with no losses.
    """
    for network in networks:
        if _ACCUMULATING.get(id(network), 0) == 0:
            network._clear_losses()
            object.__setattr__(network, "_clear_losses", _keep_losses)
        _ACCUMULATING[id(network)] = _ACCUMULATING.get(id(network), 0) + 1
    try:
        yield
    finally:
        for network in networks:
            _ACCUMULATING[id(network)] -= 1
            if _ACCUMULATING[id(network)] == 0:
                del _ACCUMULATING[id(network)]
                object.__delattr__(network, "_clear_losses")
                network._clear_losses()


@contextlib.contextmanager
def _losses_restored(model):
    """Restores the `add_loss` terms of every layer of `model` as they were on entry."""
    scope = get_stateless_scope()
    scope_losses = list(scope.losses) if scope is not None else None
    saved = [(layer, list(layer._losses), set(layer._loss_ids))
             for layer in model._flatten_layers(include_self=False)]
    try:
        yield
    finally:
        for layer, layer_losses, loss_ids in saved:
            layer._losses[:] = layer_losses
            layer._loss_ids.clear()
            layer._loss_ids.update(loss_ids)
        if scope is not None:
            scope.losses[:] = scope_losses
