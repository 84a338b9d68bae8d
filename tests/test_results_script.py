"""scripts/results.py: the record of how a row's run was made."""

import json


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
