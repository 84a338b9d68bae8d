"""The GAN engine: one backend-agnostic training step under `fit()` on TensorFlow, JAX and PyTorch.

A GAN trains several players (generator, discriminator, encoder, ...) each with its own
optimizer, so its `train_step` cannot be Keras' default one. Model modules subclass `GAN` and
write one method, `gan_step(data)`, using only `keras.ops`, `keras.random` and the helpers here:

- `self.minimize(loss_fn, variables, optimizer)` computes the gradients of `loss_fn()` (plus
  the losses of the networks it updates) with respect to `variables` and applies them with
  `optimizer`; `loss_fn` may also return `(loss, aux)` to hand tensors on to the next step,
  and `enabled=` skips the whole update at no cost;
- `self.input_gradients(fn, inputs)` differentiates `sum(fn(inputs))` with respect to `inputs`
  (a tensor or a structure such as `(images, labels)`), for gradient penalties, in a way the
  outer `minimize` can differentiate again;
- `global_batch(tensor)` extends a batch statistic's input to the global batch under
  `tf.distribute`;
- `self.seed_generator` is the model's tracked random state;
- `self.track(name=value, ...)` records the losses shown by the progress bar and the History.

This package is the only place in the library with backend-specific code:

- `gan`: the `GAN` base class;
- `optimizer_group`: `OptimizerGroup`, the player optimizers as one optimizer for `fit()`;
- `replicas`: replica counts, replica-scaled losses, global-batch noise and statistics;
- `backend`: the active backend, distribution strategies, `inference`, precision policies;
- `workers`: multi-worker runs (the cluster from the environment, the chief, per-worker
  batches, TensorFlow's and JAX's set-up).
"""

import importlib

from keras_gans.engine.backend import (
    BACKEND,
    STRATEGIES,
    backend,
    distribution_scope,
    inference,
    list_physical_devices,
    set_mixed_precision,
)

# The training-step parts are imported when first used, so that the light start-up hooks above
# (`list_physical_devices`, run by `keras_gans` at import) do not load the whole of Keras.
_LAZY = {
    "GAN": "gan",
    "OptimizerGroup": "optimizer_group",
    "global_batch": "replicas",
    "replica_count": "replicas",
    "replica_mean": "replicas",
    "replica_noise": "replicas",
    "replica_sum_value": "replicas",
    "sync_training_state": "replicas",
    "ClusterError": "workers",
    "cluster_from_environment": "workers",
    "distribute_worker_batches": "workers",
    "is_chief": "workers",
    "worker_shard": "workers",
}

__all__ = [
    "BACKEND", "STRATEGIES", "GAN", "OptimizerGroup", "backend", "distribution_scope",
    "global_batch", "inference", "list_physical_devices", "replica_count", "replica_mean",
    "replica_noise", "replica_sum_value", "set_mixed_precision", "sync_training_state",
    "ClusterError", "cluster_from_environment", "distribute_worker_batches", "is_chief",
    "worker_shard",
]


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
