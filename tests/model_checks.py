"""Checks every model must pass, shared by the tests/test_<model>.py files."""

import json

import keras
import numpy as np


def assert_trains_one_step(model, batch, batch_size):
    """One fit() step: every logged loss finite and every player optimizer stepped once."""
    history = model.fit(batch, batch_size=batch_size, epochs=1, verbose=0, shuffle=False)
    assert set(history.history) == set(model.loss_names)
    for name, values in history.history.items():
        assert np.isfinite(values[-1]), f"{name} is {values[-1]}"
    for optimizer in model.player_optimizers.values():
        assert int(keras.ops.convert_to_numpy(optimizer.iterations)) >= 1
    return history


def assert_generates(model, image_shape, count=4, value_range=(-1.0, 1.0)):
    """Samples have the requested shape, are finite and stay in the image range."""
    images = keras.ops.convert_to_numpy(model(model.sample_inputs(count, seed=1)))
    assert images.shape == (count,) + tuple(image_shape)
    assert np.all(np.isfinite(images))
    assert images.min() >= value_range[0] and images.max() <= value_range[1]
    return images


def assert_keras_round_trip(model, path):
    """A .keras file restores the class, the config, the samples and every optimizer slot."""
    model.save(path)
    restored = keras.saving.load_model(path)
    assert type(restored) is type(model)
    assert as_json(restored.get_config()) == as_json(model.get_config())
    inputs = model.sample_inputs(3, seed=2)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(inputs)),
                               keras.ops.convert_to_numpy(restored(inputs)), atol=1e-6)
    for name, optimizer in model.player_optimizers.items():
        loaded = getattr(restored, name)
        for saved, reloaded in zip(optimizer.variables, loaded.variables, strict=True):
            np.testing.assert_array_equal(keras.ops.convert_to_numpy(saved),
                                          keras.ops.convert_to_numpy(reloaded))
    return restored


def as_json(config):
    """A config as JSON text (tuples and lists compare equal)."""
    return json.dumps(config, sort_keys=True, default=str)


def layer_types(network):
    """The class names of a functional network's layers, in order."""
    return [type(layer).__name__ for layer in network.layers]
