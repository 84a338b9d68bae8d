"""The private Keras APIs the engine relies on, pinned: a Keras upgrade that changes one fails
here, by name, before it breaks training. setup.cfg bounds Keras to the tested minor version."""

import inspect

import keras
import numpy as np
from keras import layers

from keras_gans import engine


def small_network():
    return keras.Sequential([keras.Input((2,)), layers.Dense(1), layers.Dropout(0.5),
                             layers.ActivityRegularization(l2=1.0)])


def test_keras_is_the_pinned_minor_version():
    major, minor = (int(part) for part in keras.__version__.split(".")[:2])
    assert (major, minor) == (3, 15), "update setup.cfg's Keras bound and rerun this file"


def test_stateless_scope_maps_values_collects_updates_and_losses():
    from keras.src.backend.common.stateless_scope import StatelessScope
    from keras.src.backend.common.stateless_scope import get_stateless_scope

    assert "collect_losses" in inspect.signature(StatelessScope).parameters
    variable = keras.Variable(1.0)
    network = small_network()
    with StatelessScope(state_mapping=[(variable, 2.0)], collect_losses=True) as scope:
        assert get_stateless_scope() is scope
        variable.assign(variable.value * 3.0)
        network(np.ones((2, 2), "float32"))
        assert len(scope.losses) == 1 and len(network.losses) == 1
    assert float(keras.ops.convert_to_numpy(scope.get_current_value(variable))) == 6.0
    assert float(keras.ops.convert_to_numpy(variable)) == 1.0
    assert get_stateless_scope() is None


def test_layer_loss_bookkeeping():
    network = small_network()
    network(np.ones((2, 2), "float32"))
    inner = network.layers[-1]
    assert len(inner._losses) == 1 and isinstance(inner._loss_ids, set)
    network(np.ones((2, 2), "float32"))  # an outermost call clears the previous call's losses
    assert len(network.losses) == 1
    network._clear_losses()
    assert network.losses == [] and inner._losses == []


def test_layer_walks_and_seed_generators():
    network = small_network()
    children = list(network._flatten_layers(include_self=False, recursive=False))
    assert [type(child).__name__ for child in children][-3:] == [
        "Dense", "Dropout", "ActivityRegularization"]
    dropout = children[-2]
    assert len(dropout._seed_generators) == 1
    assert dropout._seed_generators[0].state is not None


def test_optimizer_internals():
    optimizer = keras.optimizers.RMSprop(momentum=0.5, centered=True)
    variable = keras.Variable(np.ones(2, "float32"))
    optimizer.build([variable])
    assert optimizer._iterations is optimizer.iterations
    index = optimizer._get_variable_index(variable)
    for slots in (optimizer._velocities, optimizer._momentums, optimizer._average_gradients):
        assert slots[index].shape == variable.shape
    assert "var_list" in inspect.signature(optimizer.finalize_variable_values).parameters
    averaged = keras.optimizers.Adam(use_ema=True)
    averaged.build([variable])
    assert len(averaged._model_variables_moving_average) == 1


def test_array_data_adapter_check():
    from keras.src.trainers.data_adapters import array_data_adapter

    assert array_data_adapter.can_convert_arrays((np.zeros((2, 2)),))


def test_trainer_hooks_the_engine_overrides():
    # fit() ends with optimizer.finalize_variable_values(...), which OptimizerGroup forwards.
    source = inspect.getsource(keras.Model.fit)
    assert "finalize_variable_values" in source
    if engine.BACKEND == "jax":
        from keras.src.backend.jax.trainer import JAXTrainer

        assert hasattr(JAXTrainer, "jax_state_sync")
        # The trainer's state is (trainable, non-trainable, optimizer, metrics variables).
        assert "metrics_variables" in inspect.getsource(JAXTrainer.train_step)


def test_tensorflow_trainer_builds_distributed_models_in_maybe_symbolic_build():
    """The engine replaces this step for multi-worker strategies (keras-team/keras#20585)."""
    if keras.backend.backend() != "tensorflow":
        return
    from keras.src.backend.tensorflow.trainer import TensorFlowTrainer

    parameters = inspect.signature(TensorFlowTrainer._maybe_symbolic_build).parameters
    assert list(parameters) == ["self", "iterator", "data_batch"]
    assert "_distribute_strategy" in inspect.getsource(TensorFlowTrainer._maybe_symbolic_build)
