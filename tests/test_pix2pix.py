"""pix2pix (Isola et al., 2017): U-Net and PatchGAN as in the reference code, one training
step with the paper's losses, inference with dropout, saving, the linear decay."""

import keras
import numpy as np
import pytest

from keras_gans import callbacks, pix2pix

from model_checks import as_json
from translation_checks import ARCHITECTURE_ONCE, fit_pairs, pytorch_transposed_reach, random_pairs
from translation_checks import trainable_count, transposed_reach


@ARCHITECTURE_ONCE
def test_unet_256_and_patchgan_match_the_reference_sizes():
    generator = pix2pix.build_generator((256, 256, 3))
    assert trainable_count(generator) == 54_413_955  # 54.414 M in the reference code
    assert [layer.rate for layer in generator.layers if hasattr(layer, "rate")] == [0.5] * 3
    discriminator = pix2pix.build_discriminator((256, 256, 3))
    assert trainable_count(discriminator) == 2_768_705  # 2.769 M
    assert discriminator.output_shape == (None, 30, 30, 1)


@ARCHITECTURE_ONCE
def test_offline_networks_at_32_pixels():
    generator = pix2pix.build_generator((32, 32, 1))
    assert generator.output_shape == (None, 32, 32, 1)
    assert not [layer for layer in generator.layers if hasattr(layer, "rate")]
    with_dropout = pix2pix.build_generator((32, 32, 1), dropout_blocks=1)
    assert len([layer for layer in with_dropout.layers if hasattr(layer, "rate")]) == 1
    assert pix2pix.build_discriminator((32, 32, 1), layer_count=2).output_shape == (
        None, 6, 6, 1)


def test_sizes_that_are_not_powers_of_two_are_refused():
    with pytest.raises(ValueError, match="power of two"):
        pix2pix.count_downsamplings(48)


def test_transposed_convolutions_align_with_pytorch():
    reach = transposed_reach(lambda: pix2pix.transposed_convolution(1), 4)
    assert reach == pytorch_transposed_reach(4, 4, 2, 1, 0)


@pytest.fixture(scope="module")
def trained():
    """A tiny pix2pix after one training step, with the batch it trained on."""
    keras.utils.set_random_seed(0)
    model = pix2pix.Pix2Pix(image_shape=(16, 16, 1), target_shape=(16, 16, 3), filters=4,
                            discriminator_filters=4, dropout_blocks=1, seed=1)
    model.compile()
    before = [keras.ops.convert_to_numpy(w).copy() for w in model.trainable_weights]
    pairs = random_pairs(2, 16, 1, 3)
    history = fit_pairs(model, pairs, batch_size=2)
    return model, pairs, history, before


def test_one_step_logs_the_paper_losses(trained):
    model, _, history, before = trained
    logs = {name: values[-1] for name, values in history.history.items()}
    assert set(logs) == set(model.loss_names)
    np.testing.assert_allclose(logs["g_loss"], logs["g_gan_loss"] + 100 * logs["g_l1_loss"],
                               rtol=1e-5)
    changed = [not np.array_equal(old, keras.ops.convert_to_numpy(new))
               for old, new in zip(before, model.trainable_weights, strict=True)]
    assert all(changed)
    for optimizer in model.player_optimizers.values():
        assert int(keras.ops.convert_to_numpy(optimizer.iterations)) == 1


def test_translate_keeps_dropout_by_default(trained):
    model, (images, _), _, _ = trained
    outputs = keras.ops.convert_to_numpy(model.translate(images))
    assert outputs.shape == (2, 16, 16, 3)
    assert outputs.min() >= -1 and outputs.max() <= 1
    again = keras.ops.convert_to_numpy(model.translate(images))
    assert not np.allclose(outputs, again)  # dropout at test time, as in the paper
    frozen = [keras.ops.convert_to_numpy(model.translate(images, training=False))
              for _ in range(2)]
    np.testing.assert_array_equal(*frozen)


def test_translates_other_multiples_of_its_size(trained):
    model, _, _, _ = trained
    images = np.zeros((1, 32, 48, 1), "float32")
    assert tuple(model.translate(images, training=False).shape) == (1, 32, 48, 3)


def test_sample_grid_rows_are_input_output_target(trained):
    model, pairs, _, _ = trained
    images, columns = model.sample_grid(pairs)
    assert columns == 3 and images.shape == (6, 16, 16, 3)
    np.testing.assert_array_equal(images[0], np.repeat(pairs[0][0], 3, axis=-1))
    np.testing.assert_array_equal(images[2], pairs[1][0])


def test_keras_round_trip(trained, tmp_path):
    model, (images, _), _, _ = trained
    path = str(tmp_path / "pix2pix.keras")
    model.save(path)
    restored = keras.saving.load_model(path)
    assert type(restored) is pix2pix.Pix2Pix
    assert as_json(restored.get_config()) == as_json(model.get_config())
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model.translate(images, training=False)),
        keras.ops.convert_to_numpy(restored.translate(images, training=False)), atol=1e-6)
    for name, optimizer in model.player_optimizers.items():
        reloaded = getattr(restored, name).variables
        assert len(reloaded) == len(optimizer.variables)
        for saved, loaded in zip(optimizer.variables, reloaded, strict=True):
            np.testing.assert_array_equal(keras.ops.convert_to_numpy(saved),
                                          keras.ops.convert_to_numpy(loaded))


def test_linear_decay_follows_the_reference_formula():
    decay = callbacks.LinearDecay(100, 100)
    assert decay.factor(0) == 1.0 and decay.factor(99) == 1.0
    assert decay.factor(100) == pytest.approx(1 - 1 / 101)
    assert decay.factor(199) == pytest.approx(1 - 100 / 101)


def test_linear_decay_sets_the_rates_from_the_epoch_alone(trained):
    model, _, _, _ = trained
    decay = callbacks.LinearDecay(2, 2, base_rates={"g_optimizer": 2e-4, "d_optimizer": 1e-4})
    decay.set_model(model)
    decay.on_train_begin()
    decay.on_epoch_begin(3)  # as a run resumed at epoch 3 does
    rate = float(keras.ops.convert_to_numpy(model.g_optimizer.learning_rate))
    assert rate == pytest.approx(2e-4 * (1 - 2 / 3))
    assert float(keras.ops.convert_to_numpy(model.d_optimizer.learning_rate)) == pytest.approx(
        1e-4 * (1 - 2 / 3))
    decay.on_epoch_begin(0)
    assert float(keras.ops.convert_to_numpy(model.g_optimizer.learning_rate)) == pytest.approx(
        2e-4)
