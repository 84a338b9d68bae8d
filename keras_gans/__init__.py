"""keras_gans: the classic GAN zoo as one Keras 3 library.

Every model is a `keras.Model` trained with `fit()` on TensorFlow, JAX or PyTorch. Models live
in their own modules (`keras_gans.dcgan`, ...). `keras_gans.load_model` reads any saved model
(it imports every model module first, so that Keras knows every model class):

    import keras_gans
    from keras_gans import dcgan
    model = dcgan.DCGAN(image_shape=(32, 32, 1))
    restored = keras_gans.load_model("runs/dcgan/checkpoints/model.keras")

`keras.saving.load_model` works too once the model's module is imported.

Importing the package hides TensorFlow's start-up log lines (oneDNN, CUDA and CPU-feature
notices) that would otherwise precede every command's output; other messages still show.
"""

import importlib
import os
import zipfile

from keras_gans import _startup

_startup.import_keras_quietly()

__version__ = "0.1.0"

# name -> one-line summary; the module keras_gans.<name> holds the model.
MODELS = {
    "gan": "GAN (Goodfellow et al., 2014): MLP generator and discriminator, non-saturating loss.",
    "dcgan": "DCGAN (Radford et al., 2015): strided-convolution generator and discriminator.",
    "wgan": "WGAN (Arjovsky et al., 2017): Wasserstein critic kept Lipschitz by weight clipping, "
    "RMSprop, extra critic steps early on.",
    "wgan_gp": "WGAN-GP (Gulrajani et al., 2017): Wasserstein critic with a gradient penalty, "
    "no normalization.",
    "wgan_div": "WGAN-div (Wu et al., 2018): Wasserstein critic with the k·E|grad D|^p "
    "divergence penalty.",
    "lsgan": "LSGAN (Mao et al., 2016): DCGAN networks with least-squares losses.",
    "bgan": "BGAN (Hjelm et al., 2017): boundary-seeking generator loss on the discriminator's "
    "logit; MLP or DCGAN networks, optional discrete mode.",
    "dragan": "DRAGAN (Kodali et al., 2017): non-saturating GAN with a gradient penalty around "
    "perturbed real data.",
    "ebgan": "EBGAN (Zhao et al., 2016): autoencoder discriminator whose reconstruction error is "
    "an energy, with a margin and a pull-away term.",
    "began": "BEGAN (Berthelot et al., 2017): autoencoder discriminator balanced against the "
    "generator by an equilibrium controller k_t.",
    "relativistic_gan": "Relativistic GAN (Jolicoeur-Martineau, 2018): RSGAN, RaSGAN, "
    "RaLSGAN and RaHinge losses on DCGAN networks.",
    "softmax_gan": "Softmax GAN (Lin, 2017): one softmax over each batch's real and fake "
    "energies; MLP networks.",
    "aae": "Adversarial Autoencoder (Makhzani et al., 2015): MLP autoencoder whose codes a "
    "discriminator matches to a prior; reconstruction and regularisation phases.",
    "bigan": "BiGAN / ALI (Donahue et al., 2016; Dumoulin et al., 2016): an encoder that "
    "inverts the generator, learned against a discriminator of (image, latent) pairs.",
    "pix2pix": "pix2pix (Isola et al., 2017): paired image-to-image translation with a U-Net "
    "generator, a PatchGAN and an L1 term.",
    "cgan": "CGAN (Mirza and Osindero, 2014): generator and discriminator both given the class "
    "label; `sample --label 7` draws sevens.",
    "acgan": "AC-GAN (Odena et al., 2017): class-conditional DCGAN whose discriminator also "
    "classifies (source and class heads); `classify` labels real images.",
    "cyclegan": "CycleGAN (Zhu et al., 2017): unpaired translation between two collections with "
    "cycle-consistent ResNet generators, PatchGANs and image pools.",
    "infogan": "InfoGAN (Chen et al., 2016): categorical and continuous codes kept recoverable "
    "from the samples by a recognition head Q sharing the discriminator's trunk.",
    "cogan": "CoGAN (Liu and Tuzel, 2016): two GANs sharing their generators' first and "
    "discriminators' last layers learn corresponding images of two domains without pairs.",
    "cluster_gan": "ClusterGAN (Mukherjee et al., 2019): WGAN-GP with a one-hot cluster code in "
    "the latent space and an encoder that recovers it, clustering images without labels.",
    "vaegan": "VAE-GAN (Larsen et al., 2016): a variational autoencoder whose reconstruction "
    "error is measured in a GAN discriminator's features, with equilibrium gating.",
    "sgan": "SGAN (Odena, 2016): semi-supervised (N+1)-way discriminator trained on a few "
    "labelled images, the rest unlabelled; `classify` predicts classes.",
}


def get_module(name):
    """Imports and returns the module of the model called `name` (e.g. "dcgan")."""
    try:
        module = importlib.import_module(f"keras_gans.{name}")
    except ModuleNotFoundError as error:
        if error.name != f"keras_gans.{name}":
            raise
        raise ValueError(f"Unknown model {name!r}: choose one of {', '.join(MODELS)}.") from None
    if not hasattr(module, "build_model"):
        raise ValueError(f"keras_gans.{name} is not a model: choose one of {', '.join(MODELS)}.")
    return module


class CheckpointError(ValueError):
    """A `.keras` file that cannot be loaded as asked; the message says how to fix it."""


KERAS_FILE_ENTRIES = ("config.json", "model.weights.h5")


def _check_keras_file(path, flag):
    """Raises CheckpointError unless `path` is a complete `.keras` file."""
    if not os.path.exists(path):
        raise CheckpointError(f"The checkpoint {path} does not exist: check {flag}.")
    if os.path.isdir(path):
        inside = os.path.join(path, "checkpoints", "model.keras")
        hint = f"pass {inside}" if os.path.isfile(inside) else "pass the .keras file itself"
        raise CheckpointError(f"{flag} {path} is a folder, not a .keras file: {hint}.")
    try:
        with zipfile.ZipFile(path) as archive:
            complete = all(name in archive.namelist() for name in KERAS_FILE_ENTRIES)
    except (OSError, zipfile.BadZipFile):
        complete = False
    if not complete:
        raise CheckpointError(
            f"The checkpoint {path} is not a complete .keras file (it is truncated, corrupt or "
            f"of another format): pass another {flag}, such as a run's checkpoints/model.keras.")


def load_model(path, flag="path", **kwargs):
    """Loads a saved `.keras` model of any kind (`keras.saving.load_model` arguments).

    Imports every model module first, so that Keras finds the model's class. Keras' safe mode
    stays on: a file holding Python code (a `Lambda` layer) is refused unless the caller passes
    `safe_mode=False`.

    Args:
        path: the `.keras` file.
        flag: how to name `path` in error messages (e.g. "--checkpoint").
        **kwargs: passed to `keras.saving.load_model`.

    Raises:
        CheckpointError: the file is missing, a folder, incomplete, unsafe or unreadable.
    """
    path = os.fspath(path)
    _check_keras_file(path, flag)
    for name in MODELS:
        importlib.import_module(f"keras_gans.{name}")
    import keras

    try:
        return keras.saving.load_model(path, **kwargs)
    except Exception as error:  # noqa: BLE001 - Keras raises many kinds; each becomes one line.
        text = " ".join(str(error).split())
        if "safe_mode" in text:
            raise CheckpointError(
                f"The checkpoint {path} contains Python code (a Lambda layer or a function), "
                "which Keras' safe mode does not run: remove it from the model, or load the file "
                "with keras.saving.load_model(path, safe_mode=False) only if you trust its "
                "source."
            ) from None
        raise CheckpointError(f"The checkpoint {path} could not be loaded ({text[:200]}): pass a "
                              "checkpoint saved by keras_gans.") from None


def load_gan(path, flag="path", **kwargs):
    """Loads a `.keras` file that must hold a keras_gans model (see `load_model`).

    Raises:
        CheckpointError: the file cannot be loaded, or holds another kind of model.
    """
    model = load_model(path, flag=flag, **kwargs)
    from keras_gans import engine

    if not isinstance(model, engine.GAN):
        raise CheckpointError(
            f"The checkpoint {path} holds a {type(model).__name__} named {model.name!r}, not a "
            f"keras_gans model: pass a .keras file saved by keras_gans training as {flag}.")
    return model
