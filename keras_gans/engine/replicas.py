"""Data-parallel replicas: replica counts, replica-scaled losses, global-batch noise and
statistics."""


from keras_gans.engine.backend import BACKEND


def replica_count():
    """Number of replicas the current training step runs on (1 outside `tf.distribute`)."""
    if BACKEND != "tensorflow":
        return 1
    import tensorflow as tf

    if tf.distribute.has_strategy() and not tf.distribute.in_cross_replica_context():
        return tf.distribute.get_strategy().num_replicas_in_sync
    return 1


def replica_sum_value(value):
    """Sums a per-replica scalar over replicas (identity outside `tf.distribute`).

    JAX and PyTorch data parallelism operate on globally sharded batches, so a batch mean is
    already the global mean there.
    """
    if replica_count() == 1:
        return value
    import tensorflow as tf

    return tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.SUM, value)


def replica_noise(sampler, shape):
    """Draws noise for this replica's slice of the global batch.

    Under `tf.distribute` every replica holds the same seed-generator state, so drawing
    `shape` directly would give every replica the same noise. Instead the noise of the whole
    global batch is drawn (identically on each replica) and each replica takes its own slice:
    the step then sees exactly the noise a single device would see at the same global batch.

    Args:
        sampler: `f(shape) -> tensor` drawing noise from the model's seed generator.
        shape: the per-replica shape, batch first.
    """
    count = replica_count()
    if count == 1:
        return sampler(shape)
    import tensorflow as tf

    batch, rest = shape[0], tuple(shape[1:])
    full = sampler((batch * count,) + rest)
    replica = tf.distribute.get_replica_context().replica_id_in_sync_group
    return tf.gather(tf.reshape(full, (count, batch) + rest), replica)


def global_batch(tensor):
    """A per-replica batch extended to the global batch: every replica's rows, in order.

    Batch statistics inside a loss (the relativistic average, the softmax partition, the
    pull-away term) must see the global batch for data-parallel training to optimize the
    single-device objective. Under `tf.distribute` this gathers the replicas' rows (the
    gradient of the global loss reaches each replica's own rows); JAX and PyTorch shard one
    global batch, so there it returns `tensor` itself. A loss computed on global batches is
    the same on every replica, and `minimize` still yields the gradient of the global
    objective.
    """
    count = replica_count()
    if count == 1:
        return tensor
    import tensorflow as tf

    # Each replica's rows placed in its own block and summed over replicas, with no gradient
    # through the collective; the replica's own block carries `count` times its gradient, so
    # that the engine's 1/count loss scaling and the sum of the replicas' gradients give the
    # gradient of the global loss, which every replica computes alike.
    context = tf.distribute.get_replica_context()
    block = tf.one_hot(context.replica_id_in_sync_group, count, dtype=tensor.dtype)
    placed = tf.reshape(block, (count,) + (1,) * len(tensor.shape)) * tensor[None]
    gathered = context.merge_call(_sum_over_replicas, args=(tf.stop_gradient(placed),))
    own_gradient = count * (placed - tf.stop_gradient(placed))
    return tf.reshape(tf.stop_gradient(gathered) + own_gradient,
                      tf.concat([[-1], tf.shape(tensor)[1:]], axis=0))


def _sum_over_replicas(strategy, value):
    """Cross-replica step of `global_batch`: the sum of every replica's `value`."""
    import tensorflow as tf

    return strategy.extended.reduce_to(tf.distribute.ReduceOp.SUM, value, destinations=value)


def replica_mean(value):
    """Mean of a per-replica batch statistic over all replicas of the global batch."""
    count = replica_count()
    if count == 1:
        return value
    return replica_sum_value(value) / count


def sync_training_state(model):
    """Writes the training state back into `model`'s variables, for a callback mid-epoch.

    During `fit()` the JAX backend keeps the variables in its own training state and syncs them
    into the model only at epoch ends; a batch callback that runs the model calls this first.
    TensorFlow and PyTorch update the variables in place, so it does nothing there.
    """
    if BACKEND == "jax" and getattr(model, "_jax_state", None) is not None:
        model.jax_state_sync()
