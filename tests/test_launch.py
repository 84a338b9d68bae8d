"""The multi-worker launcher: each worker's cluster variables, prefixed output, and stopping.

The workers are small Python programs, not models: these tests need no ML framework in the
children and take a few seconds in all.
"""

import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time

import pytest

from keras_gans import launch

LAUNCH_FILE = pathlib.Path(launch.__file__)
REPORT_ENVIRONMENT = """
import json, os
print(json.dumps({name: os.environ.get(name) for name in (
    "TF_CONFIG", "KERAS_DISTRIBUTION_JOB_ADDRESSES", "KERAS_DISTRIBUTION_NUM_PROCESSES",
    "KERAS_DISTRIBUTION_PROCESS_ID", "KERAS_GANS_WORKER")}))
"""


def worker(code):
    """A worker command: this Python running `code`."""
    return [sys.executable, "-c", code]


def sleeper(pid_folder, first_worker_code=None):
    """A worker command that writes its pid to `pid_folder`, says so (without flushing: the
    launcher makes Python's output unbuffered) and sleeps 600 s; worker 0 runs
    `first_worker_code` instead, when given."""
    code = f"""
import os, time
index = os.environ["KERAS_GANS_WORKER"]
if index == "0" and {first_worker_code!r}:
    exec({first_worker_code!r})
with open(os.path.join({str(pid_folder)!r}, index + ".pid"), "w") as file:
    file.write(str(os.getpid()))
print("sleeping")
time.sleep(600)
"""
    return worker(code)


def lines_by_worker(output):
    """The lines each worker printed, keyed by the index in their `[worker i] ` prefix."""
    lines = {}
    for line in output.splitlines():
        assert line.startswith("[worker "), line
        index, text = line[len("[worker "):].split("] ", 1)
        lines.setdefault(int(index), []).append(text)
    return lines


def assert_gone(pid_folder):
    """Every worker that wrote a pid file has ended."""
    pid_files = sorted(pathlib.Path(pid_folder).glob("*.pid"))
    assert pid_files, "no worker got as far as writing its pid"
    for pid_file in pid_files:
        with pytest.raises(ProcessLookupError):
            os.kill(int(pid_file.read_text()), 0)


def wait_for_files(folder, count, seconds=60):
    """Waits until `folder` holds `count` pid files."""
    deadline = time.monotonic() + seconds
    while len(list(pathlib.Path(folder).glob("*.pid"))) < count:
        assert time.monotonic() < deadline, "the workers did not start"
        time.sleep(0.05)


@pytest.fixture
def pid_folder(tmp_path):
    """A folder for the sleepers' pid files; any sleeper still running at the end is killed,
    so that a launcher that failed to stop them leaves nothing behind."""
    yield tmp_path
    for pid_file in tmp_path.glob("*.pid"):
        try:
            os.kill(int(pid_file.read_text()), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass


def start_launcher(argv, grace_seconds=launch.STOP_GRACE_SECONDS):
    """Starts the launcher in a Python of its own (its module loaded from its file, so that
    the Python starts in a moment), with `grace_seconds` between SIGTERM and SIGKILL."""
    program = ("import importlib.util, sys\n"
               f"spec = importlib.util.spec_from_file_location('launch', {str(LAUNCH_FILE)!r})\n"
               "module = importlib.util.module_from_spec(spec)\n"
               "spec.loader.exec_module(module)\n"
               f"module.STOP_GRACE_SECONDS = {grace_seconds!r}\n"
               "sys.exit(module.main(sys.argv[1:]))\n")
    environment = {name: value for name, value in os.environ.items()
                   if name != "PYTHONUNBUFFERED"}  # the launcher must set it for its workers
    return subprocess.Popen([sys.executable, "-c", program, *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=environment)


def finish(launcher, seconds=20):
    """Waits up to `seconds` for the launcher; returns its output and how long it took.
    A launcher still running then is killed, and the test fails."""
    started = time.monotonic()
    try:
        out, err = launcher.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        launcher.kill()
        launcher.communicate()
        pytest.fail(f"the launcher was still running after {seconds} s")
    return out, err, time.monotonic() - started


def test_each_worker_gets_its_own_place_in_the_cluster(capsys):
    code = launch.main(["--workers", "2", "--", *worker(REPORT_ENVIRONMENT)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    lines = lines_by_worker(captured.out)
    assert sorted(lines) == [0, 1]
    seen = {index: json.loads(texts[0]) for index, texts in lines.items()}
    addresses = json.loads(seen[0]["TF_CONFIG"])["cluster"]["worker"]
    assert len(addresses) == 2 and len(set(addresses)) == 2
    assert all(address.startswith("127.0.0.1:") for address in addresses)
    for index, variables in seen.items():
        assert json.loads(variables["TF_CONFIG"]) == {
            "cluster": {"worker": addresses}, "task": {"type": "worker", "index": index}}
        assert variables["KERAS_DISTRIBUTION_JOB_ADDRESSES"] == ",".join(addresses)
        assert variables["KERAS_DISTRIBUTION_NUM_PROCESSES"] == "2"
        assert variables["KERAS_DISTRIBUTION_PROCESS_ID"] == str(index)
        assert variables["KERAS_GANS_WORKER"] == str(index)


def test_given_port_is_used_and_a_taken_one_is_named(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert launch.main(["--workers", "1", "--port", str(port), "--", *worker("pass")]) == 2
        assert f"port {port} " in capsys.readouterr().err
    assert launch.main(["--workers", "1", "--port", str(port), "--",
                        *worker(REPORT_ENVIRONMENT)]) == 0
    variables = json.loads(lines_by_worker(capsys.readouterr().out)[0][0])
    assert variables["KERAS_DISTRIBUTION_JOB_ADDRESSES"] == f"127.0.0.1:{port}"


def test_a_failing_worker_stops_the_others_and_gives_its_code(pid_folder):
    fail_once_the_others_sleep = (
        "import pathlib, time\n"
        f"while len(list(pathlib.Path({str(pid_folder)!r}).glob('*.pid'))) < 2:\n"
        "    time.sleep(0.05)\n"
        "time.sleep(0.2); print('failing'); raise SystemExit(3)")
    launcher = start_launcher(
        ["--workers", "3", "--", *sleeper(pid_folder, fail_once_the_others_sleep)])
    out, err, seconds = finish(launcher)
    assert launcher.returncode == 3, err
    assert seconds < 20
    assert_gone(pid_folder)
    lines = lines_by_worker(out)
    assert lines[0] == ["failing"] and lines[1] == lines[2] == ["sleeping"]
    assert err == "Worker 0 exited with code 3, so the others were stopped.\n"


def test_a_worker_killed_by_a_signal_gives_128_plus_the_signal(pid_folder):
    launcher = start_launcher(["--workers", "2", "--", *sleeper(
        pid_folder, "import os, signal; os.kill(os.getpid(), signal.SIGKILL)")])
    out, err, seconds = finish(launcher)
    assert launcher.returncode == 128 + signal.SIGKILL, err
    assert err == f"Worker 0 exited with code {128 + signal.SIGKILL}, so the others were stopped.\n"


def test_timeout_stops_a_hanging_run_even_a_worker_that_ignores_sigterm(pid_folder):
    launcher = start_launcher(["--workers", "2", "--timeout", "3", "--", *sleeper(
        pid_folder, "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN)")],
        grace_seconds=1.0)
    out, err, seconds = finish(launcher)
    assert launcher.returncode == 124, err
    assert seconds < 20
    assert_gone(pid_folder)
    assert err == "The run reached --timeout 3 s, so it was stopped.\n"


def test_interrupting_the_launcher_stops_every_worker(pid_folder):
    launcher = start_launcher(["--workers", "2", "--", *sleeper(pid_folder)])
    try:
        wait_for_files(pid_folder, 2)
    finally:
        launcher.send_signal(signal.SIGINT)
    out, err, seconds = finish(launcher)
    assert launcher.returncode == 128 + signal.SIGINT, err
    assert_gone(pid_folder)
    assert err == "The launcher got SIGINT, so it was stopped.\n"


@pytest.mark.parametrize("argv", [
    ["--workers", "2"],
    ["--workers", "2", "--"],
    ["--workers", "0", "--", sys.executable, "-c", "pass"],
    ["--workers", "two", "--", sys.executable, "-c", "pass"],
])
def test_a_wrong_command_line_is_one_sentence_and_exit_code_2(argv, capsys):
    assert launch.main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ") and captured.err.endswith(".\n")
    assert captured.err.count("\n") == 1, captured.err
