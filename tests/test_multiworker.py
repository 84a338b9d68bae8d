"""Several workers on this machine (`--strategy multiworker`, started by keras_gans.launch):
the same weights as one process, the chief alone writing the run, a killed worker's run
resumed to the weights of an uninterrupted one, and one sentence for each misconfiguration.

The workers are separate processes on 127.0.0.1: TensorFlow's MultiWorkerMirroredStrategy
from TF_CONFIG, and jax.distributed with a loopback coordinator and CPU collectives. Every
launch is bounded by the launcher's --timeout.
"""

import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

import keras_gans
from keras_gans.engine import BACKEND

ROOT = pathlib.Path(__file__).resolve().parents[1]
distributed = pytest.mark.skipif(BACKEND == "torch",
                                 reason="multi-worker training runs on TensorFlow and JAX")
TRAIN = ["-m", "keras_gans.gan", "--dataset", "shapes", "--image-size", "16",
         "--batch-size", "16", "--verbose", "0"]


def environment():
    """This process's environment with the repository importable by the workers."""
    variables = dict(os.environ)
    variables["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), str(ROOT / "tests"), variables.get("PYTHONPATH", "")])
    return variables


def launch_command(worker_command, timeout=240):
    """keras_gans.launch running `worker_command` (a shell line) as 2 workers, each in its own
    folder w0, w1 of the current directory."""
    return [sys.executable, "-m", "keras_gans.launch", "--workers", "2", "--timeout",
            str(timeout), "--", "sh", "-c", f"cd w$KERAS_GANS_WORKER && exec {worker_command}"]


def train_line(*flags):
    """The shell line that trains the tiny GAN with `flags`."""
    return " ".join([sys.executable, *TRAIN, *flags])


def launch(folder, worker_command, timeout=240):
    """Runs 2 workers in `folder`/w0 and `folder`/w1; returns the finished process."""
    for index in range(2):
        (folder / f"w{index}").mkdir(exist_ok=True)
    return subprocess.run(launch_command(worker_command, timeout), cwd=folder,
                          env=environment(), capture_output=True, text=True,
                          timeout=timeout + 30)


def weights(run_folder):
    """The weights of the last checkpoint of the run in `run_folder`."""
    model = keras_gans.load_gan(str(run_folder / "checkpoints" / "model.keras"))
    return model.get_weights()


@distributed
def test_two_workers_take_the_steps_of_one_process(tmp_path):
    single = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "multiworker_check.py"),
         str(tmp_path / "single.npz")],
        env=environment(), capture_output=True, text=True, timeout=300)
    assert single.returncode == 0, single.stdout + single.stderr[-3000:]
    two = subprocess.run(
        [sys.executable, "-m", "keras_gans.launch", "--workers", "2", "--timeout", "240", "--",
         sys.executable, str(ROOT / "tests" / "multiworker_check.py"),
         str(tmp_path / "two.npz")],
        env=environment(), capture_output=True, text=True, timeout=300)
    assert two.returncode == 0, two.stdout[-3000:] + two.stderr[-3000:]
    assert "multiworker: trained" in two.stdout
    one_process, two_workers = np.load(tmp_path / "single.npz"), np.load(tmp_path / "two.npz")
    assert sorted(one_process.files) == sorted(two_workers.files)
    trained = [name for name in one_process.files if name.startswith("trained/")]
    assert len(trained) == 32  # 2 models × 2 data sources × 8 weights
    for name in trained:
        np.testing.assert_allclose(two_workers[name], one_process[name], atol=1e-5, err_msg=name)
    for model_name in ("gan", "relativistic_gan"):
        moved = max(float(np.abs(one_process[name] - one_process[name.replace("trained/",
                                                                              "initial/")]).max())
                    for name in trained if name.startswith(f"trained/{model_name}/"))
        assert moved > 1e-4, f"{model_name} did not train"


@distributed
def test_only_the_chief_writes_the_run(tmp_path):
    result = launch(tmp_path, train_line("--smoke", "--strategy", "multiworker", "--out", "run"))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    run = tmp_path / "w0" / "run"
    for name in ("run.json", "config.json", "metrics.csv", "checkpoints/model.keras",
                 "checkpoints/state.json", "samples/epoch_0001.png"):
        assert (run / name).exists(), name
    assert list((tmp_path / "w1").iterdir()) == [], "worker 1 wrote into its --out"
    assert "[worker 1] Finished gan as worker 1" in result.stdout


def worker_process(launcher, index):
    """The pid of worker `index` among the launcher's children."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            status = pathlib.Path(f"/proc/{pid}/status").read_text()
            variables = pathlib.Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        parent = int(status.split("PPid:")[1].split()[0])
        if parent == launcher.pid and f"KERAS_GANS_WORKER={index}".encode() in variables:
            return int(pid)
    return None


def finished_epochs(run_folder):
    """The epochs the run's last checkpoint holds (0 before the first)."""
    try:
        return json.loads((run_folder / "checkpoints" / "state.json").read_text())["epoch"]
    except (OSError, ValueError, KeyError):
        return 0


@distributed
def test_a_killed_worker_resumes_to_the_uninterrupted_weights(tmp_path):
    # All workers name the same folder: the chief writes the run, and every worker resumes
    # from its checkpoint.
    uninterrupted, interrupted = tmp_path / "uninterrupted", tmp_path / "interrupted"
    uninterrupted.mkdir()
    interrupted.mkdir()

    def flags(folder):
        return ["--strategy", "multiworker", "--epochs", "3", "--steps-per-epoch", "40",
                "--sample-every", "0", "--out", str(folder / "run")]

    result = launch(uninterrupted, train_line(*flags(uninterrupted)))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    for index in range(2):
        (interrupted / f"w{index}").mkdir()
    launcher = subprocess.Popen(launch_command(train_line(*flags(interrupted))),
                                cwd=interrupted, env=environment(), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 240
    while finished_epochs(interrupted / "run") < 1 and time.monotonic() < deadline:
        assert launcher.poll() is None, launcher.stdout.read()[-3000:]
        time.sleep(0.05)
    assert finished_epochs(interrupted / "run") == 1, "no checkpoint after epoch 1"
    os.kill(worker_process(launcher, 1), signal.SIGKILL)  # in the middle of epoch 2
    output = launcher.communicate(timeout=120)[0]
    assert launcher.returncode != 0, output[-3000:]
    assert finished_epochs(interrupted / "run") == 1, "epoch 2 finished before the kill"

    result = launch(interrupted, train_line("--resume", "--epochs", "3", "--out",
                                            str(interrupted / "run")))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert finished_epochs(interrupted / "run") == 3
    for expected, actual in zip(weights(uninterrupted / "run"), weights(interrupted / "run"),
                                strict=True):
        np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


def error_line(result):
    """The one `error:` line of a command's stderr."""
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr[-3000:]
    return lines[0]


def run_worker(tmp_path, variables, *flags, timeout=120):
    """One worker of a cluster that `variables` describe, in `tmp_path`."""
    return subprocess.run([sys.executable, *TRAIN, "--smoke", "--out", "run", *flags],
                          cwd=tmp_path, env={**environment(), **variables},
                          capture_output=True, text=True, timeout=timeout)


def free_ports(count):
    """`count` TCP ports of 127.0.0.1 that nothing listens on now."""
    sockets = [socket.socket() for _ in range(count)]
    for each in sockets:
        each.bind(("127.0.0.1", 0))
    ports = [each.getsockname()[1] for each in sockets]
    for each in sockets:
        each.close()
    return ports


def cluster_variables(index=0):
    """The variables of a 2-worker cluster of which only this worker runs."""
    addresses = [f"127.0.0.1:{port}" for port in free_ports(2)]
    return {
        "TF_CONFIG": json.dumps({"cluster": {"worker": addresses},
                                 "task": {"type": "worker", "index": index}}),
        "KERAS_DISTRIBUTION_JOB_ADDRESSES": addresses[0],
        "KERAS_DISTRIBUTION_NUM_PROCESSES": "2",
        "KERAS_DISTRIBUTION_PROCESS_ID": str(index),
    }


MALFORMED = {
    "tensorflow": ({"TF_CONFIG": "{cluster: nothing"}, "TF_CONFIG is not JSON"),
    "jax": ({"KERAS_DISTRIBUTION_JOB_ADDRESSES": "127.0.0.1:1",
             "KERAS_DISTRIBUTION_NUM_PROCESSES": "2",
             "KERAS_DISTRIBUTION_PROCESS_ID": "5"},
            "KERAS_DISTRIBUTION_PROCESS_ID=5 is not a process of the 2"),
}


@distributed
def test_a_malformed_cluster_is_one_sentence(tmp_path):
    variables, expected = MALFORMED[BACKEND]
    result = run_worker(tmp_path, variables, "--strategy", "multiworker")
    assert result.returncode == 2
    assert expected in error_line(result)
    assert not (tmp_path / "run").exists()


@distributed
def test_unreachable_workers_stop_after_the_connect_timeout(tmp_path):
    started = time.monotonic()
    result = run_worker(tmp_path, cluster_variables(index=1), "--strategy", "multiworker",
                        "--connect-timeout", "3")
    # Joining cannot be interrupted from Python: a watchdog prints the sentence and kills it.
    assert result.returncode == -9, result.stderr[-3000:]
    line = error_line(result)
    assert "within 3 s" in line and "--connect-timeout" in line
    assert time.monotonic() - started < 90
    assert not (tmp_path / "run").exists()


@distributed
def test_a_global_batch_that_does_not_split_over_the_workers_is_refused(tmp_path):
    result = run_worker(tmp_path, cluster_variables(), "--strategy", "multiworker",
                        "--batch-size", "7")
    assert result.returncode == 2
    assert "--batch-size 7 cannot be split evenly over 2 workers" in error_line(result)
    assert not (tmp_path / "run").exists()


@distributed
def test_auto_strategy_joins_the_cluster_of_the_environment(monkeypatch):
    from keras_gans.engine import workers

    for name, value in cluster_variables(index=1).items():
        monkeypatch.setenv(name, value)
    assert workers.current_cluster("auto").count == 2
    assert not workers.is_chief("auto")
    assert workers.worker_shard("multiworker") == (1, 2)
    assert workers.worker_shard("none") is None and workers.is_chief("none")


@pytest.mark.skipif(BACKEND != "torch", reason="the torch backend's refusal")
def test_multiworker_on_torch_is_one_sentence(tmp_path):
    result = run_worker(tmp_path, cluster_variables(), "--strategy", "multiworker")
    assert result.returncode == 2
    assert "not on torch" in error_line(result)
    assert not (tmp_path / "run").exists()
