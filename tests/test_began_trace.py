"""scripts/began_trace.py: the step-by-step trace of BEGAN's equilibrium."""

import keras
import pytest


def test_trace_prints_the_first_step_every_nth_and_the_last(capsys, load_script):
    trace = load_script("began_trace")
    trace.TRAINING_IMAGES, trace.BATCH_SIZE = 8, 2  # 4 steps an epoch: stop inside the 2nd
    args = trace.parse_arguments(["--dataset", "shapes", "--steps", "5", "--every", "2",
                                  "--lambda-k", "0.01", "--linear-output"])
    model = trace.trace(args)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in lines] == ["1", "2", "4", "5"]
    assert int(keras.ops.convert_to_numpy(model.d_optimizer.iterations)) == 5
    assert model.lambda_k == 0.01
    assert model.generator.layers[-1].__class__.__name__ == "Conv2D"  # no tanh
    k = float(lines[-1].split()[3])
    assert k == pytest.approx(float(model.k.value), abs=1e-4)


def test_trace_rejects_a_zero_step_count(load_script):
    trace = load_script("began_trace")
    with pytest.raises(SystemExit):
        trace.parse_arguments(["--steps", "0"])
