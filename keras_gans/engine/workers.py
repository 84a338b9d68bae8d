"""Several worker processes, on one host or many, training one model (`--strategy multiworker`).

The cluster comes from the environment: `TF_CONFIG` on TensorFlow (read by
`tf.distribute.MultiWorkerMirroredStrategy`), and on JAX the variables that
`keras.distribution.initialize` reads: `KERAS_DISTRIBUTION_JOB_ADDRESSES` (the first address is
the coordinator), `KERAS_DISTRIBUTION_NUM_PROCESSES` and `KERAS_DISTRIBUTION_PROCESS_ID`.
`python -m keras_gans.launch` sets both for workers on this machine.

Worker 0 is the chief: it alone writes checkpoints, sample grids, metrics and logs. Every worker
reads its own block of each global batch, and the noise is drawn for the whole global batch, so
N workers take the steps one process takes at the same global batch.
"""

import contextlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass

from keras_gans.engine.backend import BACKEND

# How long a worker waits for the others (or the coordinator) before it gives up.
DEFAULT_CONNECT_TIMEOUT = 120

_JAX_ADDRESSES = "KERAS_DISTRIBUTION_JOB_ADDRESSES"
_JAX_COUNT = "KERAS_DISTRIBUTION_NUM_PROCESSES"
_JAX_INDEX = "KERAS_DISTRIBUTION_PROCESS_ID"


class ClusterError(ValueError):
    """The cluster of workers is described wrongly, or cannot be reached."""


@dataclass(frozen=True)
class Cluster:
    """The workers of one training run and this process's place among them.

    Attributes:
        addresses: "host:port" of every worker, in worker order (the first is the chief, and
            on JAX the coordinator).
        index: this worker's position in `addresses`.
    """

    addresses: tuple
    index: int

    @property
    def count(self):
        """The number of workers."""
        return len(self.addresses)

    @property
    def is_chief(self):
        """Whether this worker is the chief (worker 0), the one that writes the run's files."""
        return self.index == 0


def cluster_from_environment(environ=None):
    """The cluster that this backend's variables describe, or None when they are not set.

    Raises:
        ClusterError: when the variables are set but malformed.
    """
    environ = os.environ if environ is None else environ
    if BACKEND == "jax":
        return _jax_cluster(environ)
    if BACKEND == "tensorflow":
        return _tensorflow_cluster(environ)
    return None


def _tensorflow_cluster(environ):
    """The cluster of `TF_CONFIG` ({"cluster": {"worker": [...]}, "task": {...}})."""
    text = environ.get("TF_CONFIG", "").strip()
    if not text:
        return None
    fix = ('set it to JSON such as {"cluster": {"worker": ["host0:port", "host1:port"]}, '
           '"task": {"type": "worker", "index": 0}}, or start the workers with '
           'python -m keras_gans.launch')
    try:
        config = json.loads(text)
    except json.JSONDecodeError as error:
        raise ClusterError(f"TF_CONFIG is not JSON ({error.msg}): {fix}.") from None
    cluster = config.get("cluster") if isinstance(config, dict) else None
    task = config.get("task") if isinstance(config, dict) else None
    if not isinstance(cluster, dict) or not isinstance(task, dict):
        raise ClusterError(f'TF_CONFIG needs both "cluster" and "task": {fix}.')
    addresses = list(cluster.get("chief", [])) + list(cluster.get("worker", []))
    if not addresses or not all(_is_address(address) for address in addresses):
        raise ClusterError(f'TF_CONFIG\'s "cluster" must list the workers as "host:port" '
                           f"strings: {fix}.")
    kind, index = task.get("type"), task.get("index", 0)
    if kind not in ("chief", "worker") or not isinstance(index, int):
        raise ClusterError(f'TF_CONFIG\'s "task" must be {{"type": "worker", "index": N}} '
                           f'(or "chief"): {fix}.')
    position = index if kind == "chief" else len(cluster.get("chief", [])) + index
    if not 0 <= index < len(cluster.get(kind, [])):
        raise ClusterError(f"TF_CONFIG's task index {index} is not one of its "
                           f"{len(cluster.get(kind, []))} {kind} addresses: give each worker "
                           "its own index from 0.")
    return Cluster(tuple(addresses), position)


def _jax_cluster(environ):
    """The cluster of the `KERAS_DISTRIBUTION_*` variables."""
    addresses = environ.get(_JAX_ADDRESSES, "").strip()
    if not addresses:
        return None
    addresses = tuple(address.strip() for address in addresses.split(","))
    if not all(_is_address(address) for address in addresses):
        raise ClusterError(f"{_JAX_ADDRESSES} must be host:port addresses separated by commas "
                           f"(the first is the coordinator), not {environ[_JAX_ADDRESSES]!r}.")
    count = _environment_integer(environ, _JAX_COUNT, len(addresses) if len(addresses) > 1
                                 else None)
    index = _environment_integer(environ, _JAX_INDEX, None)
    if len(addresses) == 1:
        addresses = addresses * count
    if count != len(addresses):
        raise ClusterError(f"{_JAX_COUNT}={count} does not match the {len(addresses)} addresses "
                           f"of {_JAX_ADDRESSES}: give one address per process, or only the "
                           "coordinator's.")
    if not 0 <= index < count:
        raise ClusterError(f"{_JAX_INDEX}={index} is not a process of the {count}: give each "
                           f"process its own id from 0 to {count - 1}.")
    return Cluster(addresses, index)


def _environment_integer(environ, name, default):
    """The integer in the environment variable `name` (`default` when unset)."""
    text = environ.get(name, "").strip()
    if not text:
        if default is None:
            raise ClusterError(f"{_JAX_ADDRESSES} is set but {name} is not: set both "
                               f"{_JAX_COUNT} and {_JAX_INDEX} on every process.")
        return default
    if not text.isdigit():
        raise ClusterError(f"{name} must be a whole number, not {text!r}.")
    return int(text)


def _is_address(address):
    """Whether `address` looks like "host:port"."""
    host, _, port = str(address).rpartition(":")
    return bool(host) and port.isdigit()


def current_cluster(strategy):
    """The cluster of a run with `strategy` ("multiworker", or "auto" when the environment
    describes one), else None."""
    if strategy not in ("multiworker", "auto"):
        return None
    cluster = cluster_from_environment()
    if strategy == "auto" and (cluster is None or cluster.count == 1):
        return None
    return cluster


def is_chief(strategy):
    """Whether this process writes the run's files: always, unless it is a worker other than
    worker 0 of a multi-worker run."""
    cluster = current_cluster(strategy)
    return cluster is None or cluster.is_chief


def worker_shard(strategy):
    """`(index, count)` of this worker in a multi-worker run, else None."""
    cluster = current_cluster(strategy)
    return None if cluster is None else (cluster.index, cluster.count)


def multiworker_scope(connect_timeout=DEFAULT_CONNECT_TIMEOUT):
    """The context in which a multi-worker model is built and trained, after joining the
    cluster (within `connect_timeout` seconds)."""
    if BACKEND == "torch":
        raise ClusterError("--strategy multiworker runs on TensorFlow (tf.distribute) and JAX "
                           "(jax.distributed), not on torch: set KERAS_BACKEND=tensorflow or "
                           "jax.")
    cluster = cluster_from_environment()
    if cluster is None:
        variables = "TF_CONFIG" if BACKEND == "tensorflow" else (
            f"{_JAX_ADDRESSES}, {_JAX_COUNT} and {_JAX_INDEX}")
        raise ClusterError(f"--strategy multiworker on {BACKEND} reads the cluster from "
                           f"{variables}, which is not set: set it on every worker, or start "
                           "the workers with python -m keras_gans.launch.")
    if BACKEND == "tensorflow":
        return _tensorflow_scope(cluster, connect_timeout)
    return _jax_scope(cluster, connect_timeout)


def _tensorflow_scope(cluster, connect_timeout):
    """MultiWorkerMirroredStrategy's scope. Joining the cluster waits for every worker with no
    limit of TensorFlow's own, inside a call that Python cannot interrupt, so a watchdog
    process ends this one with one sentence when the workers do not all come in time."""
    import tensorflow as tf

    if not _TENSORFLOW_STRATEGY:  # collectives are set up once per process
        watchdog = _watchdog(connect_timeout, (
            f"error: worker {cluster.index} could not reach the other workers "
            f"({', '.join(cluster.addresses)}) within {connect_timeout:g} s: start every "
            "worker, with the same TF_CONFIG cluster, or raise --connect-timeout."))
        try:
            strategy = tf.distribute.MultiWorkerMirroredStrategy()
            # A first all-reduce returns once every worker has joined.
            strategy.reduce("SUM", strategy.run(lambda: tf.constant(1.0)), axis=None)
            _TENSORFLOW_STRATEGY.append(strategy)
        finally:
            watchdog.kill()
            watchdog.wait()
    return _TENSORFLOW_STRATEGY[0].scope()


def _watchdog(seconds, message):
    """A process that, unless killed within `seconds`, prints `message` on stderr and kills
    this process (exit status 137, or -9 as `subprocess` reports it)."""
    code = ("import os, signal, sys, time\n"
            "time.sleep(float(sys.argv[1]))\n"
            "if os.getppid() == int(sys.argv[3]):\n"
            "    sys.stderr.write(sys.argv[2] + '\\n')\n"
            "    sys.stderr.flush()\n"
            "    os.kill(int(sys.argv[3]), signal.SIGKILL)\n")
    return subprocess.Popen([sys.executable, "-c", code, str(seconds), message,
                             str(os.getpid())])


_TENSORFLOW_STRATEGY = []


_JAX_JOINED = []


def _jax_scope(cluster, connect_timeout):
    """`jax.distributed` joined once per process (within `connect_timeout` seconds), then
    Keras' data parallelism over every process's devices; each process feeds its own
    batches."""
    import jax
    import keras

    if not _JAX_JOINED:
        # jax.distributed aborts the process when its own limit passes, so the watchdog
        # speaks first; the same holds for the coordinator waiting for the other processes.
        watchdog = _watchdog(connect_timeout, (
            f"error: process {cluster.index} could not join the coordinator at "
            f"{cluster.addresses[0]} with the other {cluster.count - 1} process(es) within "
            f"{connect_timeout:g} s: start every process with the same coordinator address, "
            "or raise --connect-timeout."))
        try:
            jax.distributed.initialize(
                coordinator_address=cluster.addresses[0], num_processes=cluster.count,
                process_id=cluster.index, initialization_timeout=int(connect_timeout) + 60)
        finally:
            watchdog.kill()
            watchdog.wait()
        _JAX_JOINED.append(cluster)
    return _keras_distribution(keras.distribution.DataParallel(
        devices=keras.distribution.list_devices(), auto_shard_dataset=False))


@contextlib.contextmanager
def _keras_distribution(distribution):
    """Sets Keras' global distribution for the duration of the context."""
    import keras

    previous = keras.distribution.distribution()
    keras.distribution.set_distribution(distribution)
    try:
        yield
    finally:
        keras.distribution.set_distribution(previous)


def is_multiworker_strategy(strategy):
    """Whether a `tf.distribute` strategy spans several workers."""
    import tensorflow as tf

    return (isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
            and strategy.num_replicas_in_sync > len(strategy.extended.worker_devices))


def distribute_worker_batches(dataset, global_batch_size):
    """A worker's own `tf.data` batches (its block of each global batch) as the distributed
    dataset `fit()` takes under MultiWorkerMirroredStrategy; returns `dataset` unchanged
    outside one."""
    if BACKEND != "tensorflow":
        return dataset
    import tensorflow as tf

    if not tf.distribute.has_strategy() or not is_multiworker_strategy(
            tf.distribute.get_strategy()):
        return dataset
    strategy = tf.distribute.get_strategy()

    def replica_batches(context):
        per_replica = context.get_per_replica_batch_size(global_batch_size)
        return dataset.rebatch(per_replica)

    options = tf.distribute.InputOptions(experimental_fetch_to_device=False)
    return strategy.distribute_datasets_from_function(replica_batches, options)


def reducible_logs(logs):
    """A training step's logs in the shape Keras reduces over workers: (1,) instead of scalars
    under MultiWorkerMirroredStrategy, whose mean over axis 0 Keras takes (keras-team/keras
    #20585); the logs themselves elsewhere."""
    import tensorflow as tf

    if not tf.distribute.has_strategy() or not is_multiworker_strategy(
            tf.distribute.get_strategy()):
        return logs
    return {name: tf.reshape(value, (1,)) for name, value in logs.items()}


def local_batch(strategy, batch):
    """This worker's first replica's part of a distributed batch."""
    import tensorflow as tf

    def local(value):
        if isinstance(value, tf.distribute.DistributedValues):
            return strategy.experimental_local_results(value)[0]
        return value

    return tf.nest.map_structure(local, batch)
