"""keras_gans: the classic GAN zoo as one Keras 3 library.

Every model is a `keras.Model` trained with `fit()` on TensorFlow, JAX or PyTorch. Models live
in their own modules (`keras_gans.dcgan`, ...). `keras_gans.load_model` reads any saved model
(it imports every model module first, so that Keras knows every model class):

    import keras_gans
    from keras_gans import dcgan
    model = dcgan.DCGAN(image_shape=(32, 32, 1))
    restored = keras_gans.load_model("runs/dcgan/checkpoints/model.keras")

`keras.saving.load_model` works too once the model's module is imported.
"""

import importlib

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


def load_model(path, **kwargs):
    """Loads a saved `.keras` model of any kind (`keras.saving.load_model` arguments).

    Imports every model module first, so that Keras finds the model's class.
    """
    for name in MODELS:
        importlib.import_module(f"keras_gans.{name}")
    import keras

    return keras.saving.load_model(path, **kwargs)
