"""scripts/began_trace.py: the step-by-step trace of BEGAN's equilibrium."""

import keras
import pytest


def test_trace_prints_the_first_step_every_nth_and_the_last(capsys, load_script, tmp_path):
    trace = load_script("began_trace")
    trace.TRAINING_IMAGES = 8  # 4 steps an epoch at batch 2: stop inside the 2nd
    args = trace.parse_arguments(["--dataset", "shapes", "--steps", "5", "--every", "2",
                                  "--lambda-k", "0.01", "--linear-output", "--paper",
                                  "--batch-size", "2", "--grid", str(tmp_path / "grid.png")])
    assert (args.architecture, args.gamma, args.learning_rate, args.update_order) == (
        "paper", 0.5, 1e-4, "discriminator-first")
    model = trace.trace(args)
    settings, *lines = capsys.readouterr().out.splitlines()
    assert settings.startswith("settings: paper networks, gamma 0.5")
    assert [line.split()[1] for line in lines] == ["1", "2", "4", "5"]
    assert (model.architecture, model.generator_first) == ("paper", False)
    assert int(keras.ops.convert_to_numpy(model.d_optimizer.iterations)) == 5
    assert model.lambda_k == 0.01
    assert model.generator.layers[-1].__class__.__name__ == "Conv2D"  # no tanh
    assert (tmp_path / "grid.png").stat().st_size > 0
    k = float(lines[-1].split()[3])
    assert k == pytest.approx(float(model.k.value), abs=1e-4)


def test_trace_rejects_a_zero_step_count(load_script):
    trace = load_script("began_trace")
    with pytest.raises(SystemExit):
        trace.parse_arguments(["--steps", "0"])


def test_trace_starts_from_the_library_defaults_and_changes_one_setting(load_script):
    trace = load_script("began_trace")
    args = trace.parse_arguments(["--architecture", "paper"])
    assert (args.architecture, args.gamma, args.learning_rate, args.batch_size,
            args.update_order) == ("paper", 0.75, 2e-4, 64, "generator-first")


def test_trace_swaps_one_network_at_a_time(load_script):
    trace = load_script("began_trace")
    args = trace.parse_arguments(["--discriminator", "paper"])
    assert (args.generator, args.discriminator) == ("compact", "paper")
    model = trace.build_model(args, (32, 32, 1))

    def normalized(network):
        return any("BatchNormalization" in type(layer).__name__ for layer in network.layers)

    assert normalized(model.generator) and not normalized(model.discriminator)
    assert model.discriminator.get_layer("embedding").units == 64
    args = trace.parse_arguments(["--generator", "paper"])
    model = trace.build_model(args, (32, 32, 1))
    assert not normalized(model.generator) and normalized(model.discriminator)
    assert model.discriminator.get_layer("embedding").units == 32
    with pytest.raises(SystemExit):
        trace.parse_arguments(["--generator", "paper", "--skip"])
    with pytest.raises(SystemExit):
        trace.parse_arguments(["--linear-output"])
