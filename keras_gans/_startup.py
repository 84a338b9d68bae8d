"""A quiet start: TensorFlow's start-up notices are hidden, every other message still shows.

TensorFlow writes several lines to the standard error stream when it is imported and when it
first looks for devices (oneDNN, CUDA driver and CPU-feature notices), before any of the
library's output, `--help` included. Its C++ logging ignores `TF_CPP_MIN_LOG_LEVEL` at that
point, so Keras is imported here with the standard error stream captured; afterwards the
captured lines are written out again, except those known start-up notices.
"""

import os
import sys
import tempfile

STARTUP_NOTICES = (
    "All log messages before absl::InitializeLog() is called",
    "oneDNN custom operations are on",
    "Could not find cuda drivers on your machine",
    "This TensorFlow binary is optimized to use available CPU instructions",
    "To enable the following instructions:",
    "failed call to cuInit",
    "Attempting to register factory for plugin",
    "TF-TRT Warning: Could not find TensorRT",
)


def is_startup_notice(line):
    """Whether a line of standard error is one of TensorFlow's start-up notices."""
    return any(notice in line for notice in STARTUP_NOTICES)


def without_startup_notices(text):
    """`text` without the lines that are TensorFlow start-up notices."""
    return "".join(line for line in text.splitlines(keepends=True)
                   if not is_startup_notice(line))


def import_keras_quietly():
    """Imports Keras (and its backend's devices) with TensorFlow's start-up notices hidden.

    Does nothing when Keras is already imported, when `KERAS_GANS_STARTUP_LOG=1` asks for the
    full log, or when the standard error stream cannot be captured.
    """
    if "keras" in sys.modules or os.environ.get("KERAS_GANS_STARTUP_LOG") == "1":
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")  # later informational lines
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        return
    captured = tempfile.TemporaryFile()
    os.dup2(captured.fileno(), 2)
    try:
        import keras  # noqa: F401

        from keras_gans import engine

        engine.list_physical_devices()  # the device notices, while they are hidden
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        captured.seek(0)
        text = captured.read().decode(errors="replace")
        captured.close()
        sys.stderr.write(without_startup_notices(text))
        sys.stderr.flush()
