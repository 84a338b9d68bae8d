"""Runs one command as several workers on one machine, to try multi-worker training.

Each worker is a copy of the command given after `--`, started with the variables that tell it
where it sits in the cluster: `TF_CONFIG` (read by TensorFlow's MultiWorkerMirroredStrategy)
and `KERAS_DISTRIBUTION_JOB_ADDRESSES`, `KERAS_DISTRIBUTION_NUM_PROCESSES` and
`KERAS_DISTRIBUTION_PROCESS_ID` (read by `keras.distribution.initialize`; the first address is
the JAX coordinator). `KERAS_GANS_WORKER` holds the worker's index. Every address is
127.0.0.1 with a free port of its own. `PYTHONUNBUFFERED=1` is set unless already set, so that
Python workers' lines show as they are printed. Each line a worker prints is shown prefixed
with `[worker i] `:

    KERAS_BACKEND=tensorflow python -m keras_gans.launch --workers 2 -- \\
        python -m keras_gans.dcgan --dataset mnist --out runs/dcgan_two_workers

Every worker runs the same command. The training commands join the cluster these variables
describe (`--strategy auto` picks `multiworker` when they are set), worker 0 writes the run
into `--out`, and the others write nothing there.

If a worker fails, the others are stopped and the launcher exits with the failed worker's code
(128 + the signal for a worker killed by one). `--timeout S` stops every worker after S seconds
and exits 124. Ctrl-C stops every worker too.

The launcher is for trying things on one machine. On real hosts, start the command once per
host with `TF_CONFIG` set for that host, or with the `KERAS_DISTRIBUTION_*` variables instead.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

HOST = "127.0.0.1"
TIMEOUT_EXIT_CODE = 124
STOP_GRACE_SECONDS = 5.0
POLL_SECONDS = 0.05


class LaunchError(Exception):
    """A problem with the launcher's flags or ports, stated as one sentence."""


class Interrupted(Exception):
    """The launcher received SIGINT or SIGTERM; `signal_number` says which."""

    def __init__(self, signal_number):
        super().__init__(signal_number)
        self.signal_number = signal_number


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one sentence on standard error, with exit code 2."""

    def error(self, message):
        self.exit(2, f"error: {message.rstrip('.')}: see {self.prog} --help.\n")


def build_parser():
    """The launcher's own flags, those given before `--`."""
    parser = Parser(
        prog="python -m keras_gans.launch",
        description="Run a command as several workers on this machine, each with TF_CONFIG "
                    "and the KERAS_DISTRIBUTION_* variables set.",
        usage="%(prog)s [--workers N] [--port P] [--timeout S] -- COMMAND ...")
    parser.add_argument("--workers", type=int, default=2, metavar="N",
                        help="how many workers to start (default: 2)")
    parser.add_argument("--port", type=int, default=None, metavar="P",
                        help="use ports P, P+1, ... instead of free ones picked at random")
    parser.add_argument("--timeout", type=float, default=None, metavar="S",
                        help="stop every worker after this many seconds and exit 124")
    return parser


def parse_arguments(argv):
    """Splits `argv` at the first `--` into the launcher's flags and the worker command."""
    if "--" in argv:
        split = argv.index("--")
        own, command = argv[:split], argv[split + 1:]
    else:
        own, command = argv, []
    args = build_parser().parse_args(own)
    if not command:
        raise LaunchError("no worker command was given: put it after --, as in "
                          "python -m keras_gans.launch --workers 2 -- python -m keras_gans.dcgan")
    if args.workers < 1:
        raise LaunchError(f"--workers must be at least 1, not {args.workers}")
    if args.timeout is not None and args.timeout <= 0:
        raise LaunchError(f"--timeout must be a positive number of seconds, not {args.timeout:g}")
    if args.port is not None and not 1 <= args.port <= 65536 - args.workers:
        raise LaunchError(f"--port {args.port} with {args.workers} workers needs ports from "
                          f"{args.port} to {args.port + args.workers - 1}, outside 1-65535")
    return args, command


def free_ports(count):
    """`count` distinct TCP ports on 127.0.0.1 that were free a moment ago."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.bind((HOST, 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def port_is_free(port):
    """Whether a TCP port on 127.0.0.1 can be bound now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is no owner
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def given_ports(first_port, count):
    """The ports `first_port`, `first_port + 1`, ..., after checking that each one is free."""
    ports = list(range(first_port, first_port + count))
    taken = [port for port in ports if not port_is_free(port)]
    if taken:
        names = ", ".join(str(port) for port in taken)
        raise LaunchError(f"port {names} on {HOST} is taken: pick another --port, or leave it "
                          f"out to use free ports")
    return ports


def worker_environment(index, addresses, base=None):
    """The environment of worker `index`: `base` (the launcher's own by default) plus the
    variables that place it in the cluster of `addresses`."""
    environment = dict(os.environ if base is None else base)
    environment["TF_CONFIG"] = json.dumps({"cluster": {"worker": list(addresses)},
                                           "task": {"type": "worker", "index": index}})
    environment["KERAS_DISTRIBUTION_JOB_ADDRESSES"] = ",".join(addresses)
    environment["KERAS_DISTRIBUTION_NUM_PROCESSES"] = str(len(addresses))
    environment["KERAS_DISTRIBUTION_PROCESS_ID"] = str(index)
    environment["KERAS_GANS_WORKER"] = str(index)
    environment.setdefault("PYTHONUNBUFFERED", "1")
    return environment


def start_worker(command, environment):
    """Starts one worker in a process group of its own, its output merged into one pipe."""
    return subprocess.Popen(command, env=environment, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=(os.name == "posix"))


def relay_output(index, pipe, lock):
    """Copies a worker's lines to standard output, each prefixed with `[worker index] `."""
    prefix = f"[worker {index}] "
    with pipe:
        for raw_line in iter(pipe.readline, b""):
            line = raw_line.decode("utf-8", errors="replace").rstrip("\r\n")
            with lock:
                sys.stdout.write(prefix + line + "\n")
                sys.stdout.flush()


def start_relay(index, process, lock):
    """A daemon thread that relays the output of one worker."""
    thread = threading.Thread(target=relay_output, args=(index, process.stdout, lock),
                              name=f"worker-{index}-output", daemon=True)
    thread.start()
    return thread


def exit_code(returncode):
    """A process's exit status as a shell reports it: 128 + the signal for a killed one."""
    return 128 - returncode if returncode < 0 else returncode


def signal_worker(process, signal_number):
    """Sends a signal to a worker's process group, so that what the worker started gets it too
    (off POSIX, to the worker alone). The group may outlive the worker itself."""
    try:
        if os.name == "posix":
            os.killpg(process.pid, signal_number)
        elif process.poll() is None and signal_number == signal.SIGTERM:
            process.terminate()
        elif process.poll() is None:
            process.kill()
    except (ProcessLookupError, PermissionError):
        pass


def stop_workers(processes, grace_seconds=None):
    """Sends SIGTERM to every running worker, then SIGKILL to those still running after
    `grace_seconds` (`STOP_GRACE_SECONDS` by default), and waits for them all."""
    grace_seconds = STOP_GRACE_SECONDS if grace_seconds is None else grace_seconds
    for process in processes:
        signal_worker(process, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    while any(process.poll() is None for process in processes) and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
    for process in processes:
        signal_worker(process, getattr(signal, "SIGKILL", signal.SIGTERM))
        process.wait()


def wait_for_workers(processes, deadline=None):
    """Waits until every worker has exited 0, one has failed, or `deadline` has passed.

    Returns the index of the first worker seen to fail, or None when all exited 0; raises
    TimeoutError at the deadline.
    """
    while True:
        returncodes = [process.poll() for process in processes]
        for index, returncode in enumerate(returncodes):
            if returncode not in (None, 0):
                return index
        if all(returncode == 0 for returncode in returncodes):
            return None
        if deadline is not None and time.monotonic() >= deadline:
            raise TimeoutError
        time.sleep(POLL_SECONDS)


def raise_interrupted(signal_number, frame):
    """A signal handler that turns SIGINT and SIGTERM into `Interrupted`."""
    raise Interrupted(signal_number)


def catch_stop_signals():
    """Makes SIGINT and SIGTERM raise `Interrupted`; returns the handlers to put back.

    Off the main thread, where Python cannot set handlers, nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous = {}
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        previous[signal_number] = signal.signal(signal_number, raise_interrupted)
    return previous


def restore_signals(previous):
    """Puts back the handlers that `catch_stop_signals` replaced."""
    for signal_number, handler in previous.items():
        signal.signal(signal_number, handler)


def run_workers(command, ports, timeout=None):
    """Starts one worker per port, relays their output and waits until they are done.

    Returns the launcher's exit code and the sentence to report (None when all exited 0).
    Every worker has exited and its output has been relayed by the time this returns.
    """
    addresses = [f"{HOST}:{port}" for port in ports]
    lock = threading.Lock()
    deadline = None if timeout is None else time.monotonic() + timeout
    processes, relays = [], []
    previous_handlers = catch_stop_signals()
    try:
        for index in range(len(addresses)):
            processes.append(start_worker(command, worker_environment(index, addresses)))
            relays.append(start_relay(index, processes[-1], lock))
        failed = wait_for_workers(processes, deadline)
        if failed is None:
            return 0, None
        code = exit_code(processes[failed].returncode)
        return code, f"worker {failed} exited with code {code}, so the others were stopped"
    except TimeoutError:
        return TIMEOUT_EXIT_CODE, f"the run reached --timeout {timeout:g} s, so it was stopped"
    except Interrupted as interrupt:
        name = signal.Signals(interrupt.signal_number).name
        return 128 + interrupt.signal_number, f"the launcher got {name}, so it was stopped"
    finally:
        try:
            stop_workers(processes)
        finally:
            restore_signals(previous_handlers)
            stop_workers(processes, grace_seconds=0)
        for relay in relays:
            relay.join(timeout=STOP_GRACE_SECONDS)


def report(sentence):
    """Writes one sentence of the launcher's own to standard error."""
    sys.stdout.flush()
    print(sentence[0].upper() + sentence[1:] + ".", file=sys.stderr, flush=True)


def main(argv=None):
    """Runs the command line `python -m keras_gans.launch`; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args, command = parse_arguments(argv)
        ports = (free_ports(args.workers) if args.port is None
                 else given_ports(args.port, args.workers))
    except SystemExit as exit:  # --help, or a flag argparse refused (its sentence is out)
        return exit.code
    except LaunchError as error:
        print(f"error: {error}.", file=sys.stderr)
        return 2
    try:
        code, sentence = run_workers(command, ports, args.timeout)
    except OSError as error:  # the command could not be started
        print(f"error: could not start {command[0]}: {error.strerror or error}.",
              file=sys.stderr)
        return 127 if isinstance(error, FileNotFoundError) else 126
    if sentence:
        report(sentence)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
