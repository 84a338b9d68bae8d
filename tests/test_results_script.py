"""scripts/results.py: the record of how a row's run was made."""

import json

import pytest


def write_config(folder, name, epochs):
    with open(folder / name, "w") as file:
        json.dump({"epochs": epochs, "backend": "tensorflow"}, file)


def test_a_resumed_run_records_one_command_per_segment(tmp_path, load_script):
    results = load_script("results")
    write_config(tmp_path, "config.json", 40)
    write_config(tmp_path, "config_resume_0200.json", 500)
    write_config(tmp_path, "config_resume_0040.json", 200)
    configs = results.segment_configs(str(tmp_path))
    assert [config["epochs"] for config in configs] == [40, 200, 500]
    assert results.latest_config(str(tmp_path))["epochs"] == 500
    assert results.run_command("wgan_gp", configs) == (
        "python scripts/results.py train wgan_gp --epochs 40 --backend tensorflow; "
        "python scripts/results.py train wgan_gp --epochs 200 --resume --backend tensorflow; "
        "python scripts/results.py train wgan_gp --epochs 500 --resume --backend tensorflow")


def test_a_single_run_records_one_command(tmp_path, load_script):
    results = load_script("results")
    write_config(tmp_path, "config.json", 20)
    assert results.run_command("dcgan", results.segment_configs(str(tmp_path))) == (
        "python scripts/results.py train dcgan --epochs 20 --backend tensorflow")


def test_segments_follow_their_starting_epoch_past_four_digits(tmp_path, load_script):
    results = load_script("results")
    write_config(tmp_path, "config.json", 2000)
    write_config(tmp_path, "config_resume_10000.json", 12000)
    write_config(tmp_path, "config_resume_2000.json", 10000)
    configs = results.segment_configs(str(tmp_path))
    assert [config["epochs"] for config in configs] == [2000, 10000, 12000]


def test_every_criteria_module_has_a_task_an_evaluation_and_a_summary(load_script):
    results = load_script("results")
    import keras_gans
    from keras_gans import data

    for model_name in results.criteria_models():
        module = results.criteria_module(model_name)
        assert model_name in keras_gans.MODELS
        # A built-in dataset, or a built-in two-domain digit task (CoGAN's mnist_cogan).
        assert (module.TASK["dataset"] in data.BUILTIN_DATASETS
                or module.TASK["dataset"] in data.TRANSLATION_TASKS)
        assert module.TASK["epochs"] >= 1
        assert callable(module.evaluate) and callable(module.summary)


def test_criteria_rows_get_their_own_table(tmp_path, load_script, monkeypatch):
    results = load_script("results")
    row = {"kind": "criteria", "model": "demo", "backend": "jax", "dataset": "mnist",
           "training_images": 8000, "batch_size": 64, "epochs": 3, "generator_steps": 375,
           "wall_seconds": 90.0, "grid": "images/demo.png",
           "criteria": {"accuracy_at_least_90%": True, "above_baseline": False},
           "scores": {"accuracy": 0.95}}
    (tmp_path / "demo.json").write_text(json.dumps(row))
    monkeypatch.setattr(results, "RESULTS_DIR", str(tmp_path))

    class Demo:
        @staticmethod
        def summary(row):
            return f"accuracy {row['scores']['accuracy']:.1%}"

    monkeypatch.setattr(results, "criteria_module", lambda name: Demo)
    table = results.criteria_table().splitlines()
    assert table[2] == ("| **demo** | jax | mnist, 8,000 | 64 | 3 (375) | 1.5 min | accuracy "
                        "95.0% | 1/2 (not: above_baseline) | [grid](images/demo.png) |")
    assert "demo" not in results.quality_table()
    assert "demo" not in results.translation_table()


def test_a_peer_row_follows_its_models_row(tmp_path, load_script, monkeypatch):
    results = load_script("results")
    scores = {"fcd": 215.0, "kid": 0.2, "kid_se": 0.01, "confident_fraction": 0.1,
              "smallest_class_share": 0.0, "largest_class_share": 1.0,
              "criteria": {"fcd_below_baseline": True, "every_class_5_to_15_percent": False},
              "dataset": "mnist32", "training_images": 8000, "generator_steps": 2500}
    own = dict(scores, model="began", backend="tensorflow", epochs=20, wall_seconds=600.0,
               grid="images/began.png")
    peer = dict(scores, fcd=35.4, model="began", kind="peer", peer="PyTorch-GAN",
                backend="torch 2.13.0", wall_seconds=300.0, grid="images/peer_began.png")
    (tmp_path / "began.json").write_text(json.dumps(own))
    (tmp_path / "peer_began.json").write_text(json.dumps(peer))
    monkeypatch.setattr(results, "RESULTS_DIR", str(tmp_path))
    rows = results.quality_table().splitlines()[2:]
    assert rows[0].startswith("| **began** | tensorflow | mnist32, 8,000 | 20 (2,500) | 10.0 min"
                              " | 215.00 |")
    assert rows[1].startswith("| ↳ PyTorch-GAN's began (peer) | torch 2.13.0 | mnist32, 8,000 |"
                              " (2,500) | 5.0 min | 35.40 |")
    assert len(rows) == 2


def test_every_peer_has_a_task_and_a_model_in_the_peer_script(load_script):
    results = load_script("results")
    peers = load_script("peers/pytorch_gan")
    for name in results.PEERS:
        assert name in results.TASKS and name in peers.MODELS
        assert results.parse_arguments(["peer", name]).model == name


def test_a_peer_row_follows_its_own_model_not_a_longer_name(tmp_path, load_script, monkeypatch):
    results = load_script("results")
    scores = {"fcd": 50.0, "kid": 0.05, "kid_se": 0.01, "confident_fraction": 0.9,
              "smallest_class_share": 0.08, "largest_class_share": 0.12,
              "criteria": {"fcd_below_baseline": True}, "dataset": "mnist",
              "training_images": 8000, "generator_steps": 2449}
    for name in ("wgan", "wgan_gp", "softmax_gan"):
        own = dict(scores, model=name, backend="tensorflow", epochs=120, wall_seconds=60.0,
                   grid=f"images/{name}.png")
        (tmp_path / f"{name}.json").write_text(json.dumps(own))
    for name in ("wgan", "softmax_gan"):
        peer = dict(scores, model=name, kind="peer", peer="PyTorch-GAN", backend="torch 2.13.0",
                    wall_seconds=30.0, grid=f"images/peer_{name}.png")
        (tmp_path / f"peer_{name}.json").write_text(json.dumps(peer))
    monkeypatch.setattr(results, "RESULTS_DIR", str(tmp_path))
    labels = [row.split(" | ")[0] for row in results.quality_table().splitlines()[2:]]
    assert labels == ["| **softmax_gan**", "| ↳ PyTorch-GAN's softmax_gan (peer)", "| **wgan**",
                      "| ↳ PyTorch-GAN's wgan (peer)", "| **wgan_gp**"]


def test_zero_steps_or_epochs_are_refused_not_read_as_the_rows(load_script, capsys):
    results = load_script("results")
    for argv in (["peer", "bgan", "--steps", "0"], ["train", "gan", "--epochs", "0"]):
        with pytest.raises(SystemExit):
            results.parse_arguments(argv)
        assert "at least 1" in capsys.readouterr().err
    assert results.parse_arguments(["peer", "bgan"]).steps is None
