"""Every notebook runs top to bottom with tiny settings (KERAS_GANS_SMOKE=1)."""

import json
import os
import pathlib

import matplotlib
import pytest

NOTEBOOKS = sorted((pathlib.Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def code_of(path):
    """The notebook's code cells as one script, without IPython magics and shell lines."""
    cells = json.loads(path.read_text())["cells"]
    lines = []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        for line in "".join(cell["source"]).splitlines():
            stripped = line.strip()
            if stripped.startswith(("%", "!")):
                line = line[: len(line) - len(line.lstrip())] + "pass"
            lines.append(line)
    return "\n".join(lines)


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebook_runs(path, tmp_path, monkeypatch, shared_mnist_dir):
    matplotlib.use("Agg")
    monkeypatch.setenv("KERAS_GANS_SMOKE", "1")
    monkeypatch.setenv("KERAS_GANS_MNIST_DIR", shared_mnist_dir)
    monkeypatch.chdir(tmp_path)
    exec(compile(code_of(path), str(path), "exec"), {"__name__": "__notebook__"})
    assert not os.listdir(tmp_path)  # the notebook cleans up after itself
