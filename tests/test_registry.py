"""Every model module is registered, so that `keras_gans.load_model` and `python -m keras_gans`
know it."""

import pathlib

import keras_gans

PACKAGE = pathlib.Path(keras_gans.__file__).parent


def test_every_model_module_is_in_the_registry():
    modules = sorted(path.stem for path in PACKAGE.glob("*.py")
                     if "\ndef build_model(" in path.read_text()
                     or "\nbuild_model = " in path.read_text())
    assert modules and sorted(keras_gans.MODELS) == modules
