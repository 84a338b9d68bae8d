"""The run folder of the command line: what marks it, what it may hold, and how it is replaced.

A run folder (`--out`) is marked by `run.json`, which names the library, the model and the
folder's format version. The command line deletes or resumes only a marked folder, and deletes
one only when every entry in it is something a run writes (`RUN_ENTRIES`): a folder that also
holds the user's own files is never deleted.

Nothing here touches the disk until `RunFolder.start()`, which the command line calls once the
data, the flags and the model have all been checked. A new run that fails before its first
checkpoint leaves the disk as it found it: the folder it created is removed, and a run it was
replacing (`--overwrite`) is put back. The replaced run is deleted only after the new run's
first checkpoint is written.
"""

import json
import os
import re
import shutil

RUN_FILE = "run.json"
LIBRARY = "keras_gans"
FORMAT_VERSION = 1
FIRST_CONFIG = "config.json"
RESUMED_CONFIG = re.compile(r"^config_resume_(\d+)\.json$")
# What a run writes, as paths relative to the run folder ("/" separated).
RUN_ENTRIES = [re.compile(pattern) for pattern in (
    r"run\.json",
    r"config\.json",
    r"config_resume_\d+\.json",
    r"metrics\.csv",
    r"samples(/epoch_\d+\.png)?",
    r"checkpoints(/(model\.keras|best\.keras|state\.json|partial\.keras|state\.json\.partial))?",
    r"logs(/.*)?",
)]
# Settings that may differ between the segments of a resumed run: how long it trains, what it
# measures and writes on the way, and where and how it runs. Every other setting is the run's.
CHANGEABLE_ON_RESUME = ("epochs", "sample_every", "eval_every", "eval_count", "eval_features",
                        "inception_weights", "verbose", "data_dir", "strategy", "connect_timeout",
                        "jit_compile", "out", "resume", "overwrite")


class RunFolderError(ValueError):
    """A `--out` folder that cannot be used as asked; the message says how to fix it."""


def read_marker(folder):
    """The contents of the folder's `run.json`, or None when the folder holds no marked run."""
    path = os.path.join(folder, RUN_FILE)
    try:
        with open(path) as file:
            marker = json.load(file)
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict) or marker.get("library") != LIBRARY:
        return None
    return marker


def write_marker(folder, model_name):
    """Writes `run.json`, which marks `folder` as a run of `model_name`."""
    marker = {"library": LIBRARY, "model": model_name, "format": FORMAT_VERSION}
    with open(os.path.join(folder, RUN_FILE), "w") as file:
        json.dump(marker, file, indent=2)


def is_run_entry(relative_path):
    """Whether a path inside a run folder ("samples/epoch_0001.png") is one a run writes."""
    return any(pattern.fullmatch(relative_path) for pattern in RUN_ENTRIES)


def unexpected_entry(folder):
    """The first entry of `folder` that no run writes (a relative path), or None."""
    for root, folders, files in os.walk(folder):
        folders.sort()
        for name in sorted(folders) + sorted(files):
            relative = os.path.relpath(os.path.join(root, name), folder).replace(os.sep, "/")
            if not is_run_entry(relative):
                return relative
    return None


def segment_configs(folder):
    """The settings of each segment of the run, in order (`config_resume_*.json` after resumes)."""
    resumed = [(int(match.group(1)), name) for name in os.listdir(folder)
               if (match := RESUMED_CONFIG.match(name))]
    names = [FIRST_CONFIG] + [name for _, name in sorted(resumed)]
    configs = []
    for name in names:
        with open(os.path.join(folder, name)) as file:
            configs.append(json.load(file))
    return configs


def _describe(value):
    if isinstance(value, bool):
        return "on" if value else "off"
    return "not set" if value is None else str(value)


def _same(given, saved):
    if isinstance(given, (list, tuple)) or isinstance(saved, (list, tuple)):
        return list(given or []) == list(saved or [])
    return given == saved


def resumed_settings(saved, given, flags):
    """The settings of a resumed segment: the run's own, with the changeable ones given again.

    Args:
        saved: the settings of the run's last segment (its config file).
        given: the settings given on this command line (flag destination -> value).
        flags: flag destination -> the flag as typed ("batch_size" -> "--batch-size").

    Returns:
        A dict of settings for every destination in `flags` that the run recorded.

    Raises:
        RunFolderError: a setting given again differs from the run's.
    """
    settings = {dest: saved[dest] for dest in flags if dest in saved}
    for dest, value in given.items():
        if dest in CHANGEABLE_ON_RESUME or dest not in saved:
            settings[dest] = value
        elif not _same(value, saved[dest]):
            raise RunFolderError(
                f"{flags[dest]} {_describe(value)} differs from the run's "
                f"{_describe(saved[dest])}: drop the flag to continue the run as it was "
                "configured (only --epochs, --sample-every and the --eval-* flags may change), "
                "or start a new run in another --out."
            )
    return settings


def _nearest_existing(path):
    while not os.path.exists(path):
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return path


def check_writable(folder, flag="--out"):
    """Raises RunFolderError unless `folder` exists as a writable folder or can be created."""
    existing = _nearest_existing(folder)
    if not os.path.isdir(existing):
        raise RunFolderError(f"{flag} {folder} cannot be created because {existing} is a file: "
                             f"choose another {flag}.")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise RunFolderError(f"{flag} {folder} is not writable ({existing} does not allow "
                             f"writing): choose another {flag}.")


class RunFolder:
    """The `--out` folder of one training command, checked before anything is written.

    Args:
        path: the folder.
        model_name: the model the command trains.
        resume: continue the run in `path`.
        overwrite: replace the run in `path`.

    Raises:
        RunFolderError: `path` cannot be used as asked (it holds other files, another model's
            run, no checkpoint to resume, ...).
    """

    def __init__(self, path, model_name, resume=False, overwrite=False):
        self.path = os.path.abspath(os.path.expanduser(path))
        self.shown = path
        self.model_name = model_name
        self.resume = resume
        self.replaces_run = False
        self.created = False
        self.set_aside = None
        if resume and overwrite:
            raise RunFolderError("--resume and --overwrite contradict each other: pass only one.")
        if not os.path.basename(self.path):
            raise RunFolderError(f"--out {path} is the root of the file system: choose a folder "
                                 "for the run.")
        if os.path.exists(self.path) and not os.path.isdir(self.path):
            raise RunFolderError(f"--out {path} is a file, not a folder: choose another --out.")
        if resume:
            self._check_resumable()
        elif os.path.isdir(self.path) and os.listdir(self.path):
            self._check_replaceable(overwrite)
        check_writable(os.path.dirname(self.path) if self.replaces_run else self.path)

    @property
    def checkpoints(self):
        """The folder of the run's checkpoints."""
        return os.path.join(self.path, "checkpoints")

    def _check_resumable(self):
        marker = read_marker(self.path)
        if marker is None:
            raise RunFolderError(f"There is no run to resume in {self.shown} (it has no "
                                 f"{RUN_FILE}): check --out, or start a new run without --resume.")
        if marker.get("model") != self.model_name:
            raise RunFolderError(
                f"{self.shown} holds a {marker.get('model')} run, not a {self.model_name} run: "
                f"continue it with python -m keras_gans.{marker.get('model')} --resume, or "
                "choose another --out.")

    def _check_replaceable(self, overwrite):
        marker = read_marker(self.path)
        stray = unexpected_entry(self.path)
        if marker is None:
            found = stray or sorted(os.listdir(self.path))[0]
            raise RunFolderError(
                f"The output folder {self.shown} is not empty and holds no keras_gans run (it "
                f"has no {RUN_FILE}; found {found}): choose another --out, or an empty folder.")
        if not overwrite and not self.has_checkpoint():
            raise RunFolderError(
                f"The output folder {self.shown} holds a {marker.get('model')} run that saved "
                "no checkpoint: pass --overwrite to replace it, or choose another --out.")
        if not overwrite:
            raise RunFolderError(
                f"The output folder {self.shown} already holds a {marker.get('model')} run: "
                "pass --resume to continue it, --overwrite to replace it, or choose another "
                "--out.")
        if stray is not None:
            raise RunFolderError(
                f"The run folder {self.shown} also holds {stray}, which no run writes, so "
                "--overwrite will not delete it: move it out of the folder, or choose another "
                "--out.")
        self.replaces_run = True

    def start(self):
        """Makes the folder ready to write: sets a replaced run aside, creates the folder.

        Call it once everything else is checked. Until `finish_replacement()` the replaced
        run stays whole in a hidden folder beside this one, and `abandon()` puts it back.
        """
        if self.resume:
            return
        if self.replaces_run:
            parent, name = os.path.split(self.path)
            self.set_aside = os.path.join(parent, f".{name}.replaced")
            if os.path.exists(self.set_aside):  # left by a command killed in its first epoch
                shutil.rmtree(self.set_aside)
            os.replace(self.path, self.set_aside)
        self.created = not os.path.isdir(self.path)
        os.makedirs(self.path, exist_ok=True)
        write_marker(self.path, self.model_name)

    def finish_replacement(self):
        """Deletes the replaced run, once the new run has a checkpoint of its own."""
        if self.set_aside is not None:
            shutil.rmtree(self.set_aside, ignore_errors=True)
            self.set_aside = None

    def has_checkpoint(self):
        """Whether the run has saved a checkpoint."""
        return os.path.exists(os.path.join(self.checkpoints, "state.json"))

    def abandon(self):
        """After a failure: a new run without any checkpoint is removed, a replaced run restored.

        Returns:
            A note for the user, or None when nothing was changed.
        """
        if self.resume or self.has_checkpoint():
            self.finish_replacement()
            return None
        if self.set_aside is not None:
            shutil.rmtree(self.path, ignore_errors=True)
            os.replace(self.set_aside, self.path)
            self.set_aside = None
            return f"the previous run in {self.shown} is kept as it was."
        if self.created:
            shutil.rmtree(self.path, ignore_errors=True)
            return f"{self.shown} was removed, since the run saved no checkpoint."
        for name in os.listdir(self.path):  # an empty folder the user made: empty it again
            entry = os.path.join(self.path, name)
            shutil.rmtree(entry) if os.path.isdir(entry) else os.remove(entry)
        return None
