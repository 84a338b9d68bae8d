"""Inference shared by the models that learn an encoder beside their decoder (AAE, BiGAN,
VAE-GAN): codes of images, images of codes, and the two composed."""

from keras_gans import engine


class Autoencoding:
    """Mixin giving `encode`, `decode` and `reconstruct` to a model with an `encoder`.

    The encoder returns codes, or for a stochastic encoder a tuple whose first entry is the
    mean μ(x) of q(z|x); `encode` then gives μ(x), as the papers do for their codes. The
    decoding network is `self.decoder` unless the model overrides `decoder_network` (BiGAN's
    generator).
    """

    def decoder_network(self):
        """The network that maps codes to images."""
        return self.decoder

    @engine.inference
    def encode(self, images):
        """The codes of images (N, H, W, C) in [-1, 1]: the encoder's output, or the mean μ(x)
        of a stochastic encoder."""
        codes = self.encoder(images, training=False)
        return codes[0] if isinstance(codes, (tuple, list)) else codes

    @engine.inference
    def decode(self, codes):
        """The images (N, H, W, C) in [-1, 1] of a batch of codes (N, latent_dim)."""
        return self.decoder_network()(codes, training=False)

    @engine.inference
    def reconstruct(self, images):
        """decode(encode(images)): the model's reconstructions of a batch of images."""
        return self.decode(self.encode(images))
