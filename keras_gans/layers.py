"""Normalization and padding layers that the GAN zoo needs and Keras lacks, in `keras.ops`.

Every layer runs on TensorFlow, JAX and PyTorch, takes channels-last (NHWC) images and saves
in `.keras` files:

- `InstanceNormalization`: per-sample, per-channel normalization (PyTorch `InstanceNorm2d`).
- `ReflectionPadding2D`: reflect padding of height and width (PyTorch `ReflectionPad2d`).
- `SpectralNormalization`: PyTorch's `spectral_norm` for Dense, Conv2D, Conv2DTranspose and
  Embedding layers.
- `AdaIN`: adaptive instance normalization, in its MUNIT and StyleGAN forms.
"""

import math

import keras
from keras import layers, ops


def _instance_normalize(inputs, epsilon):
    """Normalizes each sample and channel over the spatial axes (all but the first and last)."""
    spatial_axes = tuple(range(1, len(inputs.shape) - 1))
    mean, variance = ops.moments(inputs, axes=spatial_axes, keepdims=True)
    return (inputs - mean) * ops.rsqrt(variance + epsilon)


def _check_positive(name, value):
    if value <= 0:
        raise ValueError(f"`{name}` must be positive. Received: {name}={value}")


@keras.saving.register_keras_serializable(package="keras_gans")
class InstanceNormalization(layers.Layer):
    """Instance normalization: each sample's channels normalized over their spatial axes.

    Like PyTorch's `InstanceNorm2d` (biased variance, no running statistics), or group
    normalization with one group per channel.

    Args:
        epsilon: small float added to the variance to avoid dividing by zero.
        affine: whether to learn a per-channel scale gamma (initialized to ones) and offset
            beta (initialized to zeros).

    Returns:
        A tensor of the input's shape: `gamma * (x - mean) / sqrt(variance + epsilon) + beta`.

    Example:

    >>> images = keras.random.normal((2, 8, 8, 3))
    >>> InstanceNormalization(affine=True)(images).shape
    (2, 8, 8, 3)

    Reference:
        Ulyanov, Vedaldi, Lempitsky, "Instance Normalization: The Missing Ingredient for Fast
        Stylization", arXiv:1607.08022.
    """

    def __init__(self, epsilon=1e-5, affine=False, **kwargs):
        super().__init__(**kwargs)
        _check_positive("epsilon", epsilon)
        self.epsilon = epsilon
        self.affine = affine

    def build(self, input_shape):
        channels = input_shape[-1]
        if self.affine and channels is None:
            raise ValueError(
                "`InstanceNormalization(affine=True)` needs a known channel axis. "
                f"Received: input_shape={input_shape}"
            )
        if self.affine:
            self.gamma = self.add_weight(name="gamma", shape=(channels,), initializer="ones")
            self.beta = self.add_weight(name="beta", shape=(channels,), initializer="zeros")

    def call(self, inputs):
        outputs = _instance_normalize(inputs, self.epsilon)
        if self.affine:
            outputs = outputs * self.gamma + self.beta
        return outputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"epsilon": self.epsilon, "affine": self.affine})
        return config


def check_no_batch_normalization(network, model_name, fix):
    """Raises ValueError when `network` holds batch normalization.

    Models whose gradient penalty is taken per sample (WGAN-GP, WGAN-div, DRAGAN) must not
    couple the samples of a batch through batch statistics.

    Args:
        network: the critic or discriminator to check.
        model_name: the model's name, for the message.
        fix: what the user should do instead, for the message.
    """
    for layer in network._flatten_layers(include_self=False):
        if isinstance(layer, layers.BatchNormalization):
            raise ValueError(
                f"{model_name}'s gradient penalty is taken per sample, so its {network.name} "
                f"must not use batch normalization: {fix}. Received a {network.name} with the "
                f"layer {layer.name!r}."
            )


def _padding_pair(padding):
    """Returns `padding` as (pad_height, pad_width) of non-negative ints, or raises."""
    pair = (padding, padding) if isinstance(padding, int) else padding
    if (
        not isinstance(pair, (tuple, list))
        or len(pair) != 2
        or not all(isinstance(pad, int) and pad >= 0 for pad in pair)
    ):
        raise ValueError(
            "`padding` must be a non-negative int or a (pad_height, pad_width) tuple of them. "
            f"Received: padding={padding}"
        )
    return tuple(pair)


@keras.saving.register_keras_serializable(package="keras_gans")
class ReflectionPadding2D(layers.Layer):
    """Pads the height and width of NHWC images by reflection, as `numpy.pad(mode="reflect")`.

    The edge row or column is not repeated: reflecting [1, 2, 3] by 2 gives [3, 2, 1, 2, 3, 2, 1].

    Args:
        padding: an int, padding both height and width, or a (pad_height, pad_width) tuple;
            each side of an axis is padded by its amount, which must be less than the axis size.

    Returns:
        A tensor of shape (batch, height + 2 * pad_height, width + 2 * pad_width, channels).

    Example:

    >>> images = keras.random.normal((2, 8, 8, 3))
    >>> ReflectionPadding2D(padding=(1, 2))(images).shape
    (2, 10, 12, 3)
    """

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = _padding_pair(padding)

    def build(self, input_shape):
        for size, pad in zip(input_shape[1:3], self.padding):
            if size is not None and pad >= size:
                raise ValueError(
                    "Reflection padding must be less than the padded axis size. "
                    f"Received: padding={self.padding}, input_shape={input_shape}"
                )

    def call(self, inputs):
        pad_height, pad_width = self.padding
        pad_widths = [[0, 0], [pad_height, pad_height], [pad_width, pad_width], [0, 0]]
        return ops.pad(inputs, pad_widths, mode="reflect")

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        pad_height, pad_width = self.padding
        height = None if height is None else height + 2 * pad_height
        width = None if width is None else width + 2 * pad_width
        return (batch, height, width, channels)

    def get_config(self):
        config = super().get_config()
        config.update({"padding": self.padding})
        return config


# The axis of each supported layer's kernel that holds its outputs: the rows of the matrix
# whose spectral norm is taken, as in PyTorch's `spectral_norm` (for Embedding, its rows).
_OUTPUT_AXES = (
    (layers.Dense, -1),
    (layers.Conv2D, 3),
    (layers.Conv2DTranspose, 2),
    (layers.Embedding, 0),
)


def _output_axis(layer):
    """Returns the output axis of `layer`'s kernel, or None if `layer` is not supported."""
    for layer_class, axis in _OUTPUT_AXES:
        if isinstance(layer, layer_class):
            return axis
    return None


def _l2_normalize(vector, epsilon):
    """`vector / max(‖vector‖, epsilon)`, as PyTorch's `normalize`."""
    return vector / ops.maximum(ops.norm(vector), epsilon)


def _unit_normal(shape, dtype=None):
    """Initializer: a random direction, a N(0, I) sample scaled to unit length."""
    return _l2_normalize(keras.random.normal(shape, dtype=dtype), 1e-12)


@keras.saving.register_keras_serializable(package="keras_gans")
class SpectralNormalization(layers.Wrapper):
    """Divides a layer's kernel by its largest singular value, as PyTorch's `spectral_norm`.

    The wrapped layer's raw kernel W stays the trainable variable. Its largest singular value
    sigma is estimated by power iteration with a persistent, non-trainable vector u:

        v ← normalize(Wᵀu),  u ← normalize(Wv)   (power_iterations times, training only)
        sigma = uᵀWv,        output = layer computed with W / sigma

    u and v are constants for the gradient, which flows through W and sigma. W is taken as a
    matrix with one row per output channel. u and v are stored and updated only when
    `training=True`; inference uses the stored pair, so that it divides by the sigma of the
    last training call, as PyTorch does (v starts as normalize(Wᵀu)).

    Args:
        layer: a `Dense`, `Conv2D`, `Conv2DTranspose` or `Embedding` layer.
        power_iterations: power iterations per training call.
        epsilon: lower bound on the norms that u and v are divided by.

    Returns:
        The wrapped layer's output, computed with the spectrally normalized kernel.

    Example:

    >>> conv = SpectralNormalization(keras.layers.Conv2D(64, 4, strides=2, padding="same"))
    >>> conv(keras.random.normal((2, 32, 32, 3)), training=True).shape
    (2, 16, 16, 64)

    Reference:
        Miyato, Kataoka, Koyama, Yoshida, "Spectral Normalization for Generative Adversarial
        Networks", arXiv:1802.05957 (ICLR 2018).
    """

    def __init__(self, layer, power_iterations=1, epsilon=1e-12, **kwargs):
        if _output_axis(layer) is None:
            raise ValueError(
                "`layer` must be a Dense, Conv2D, Conv2DTranspose or Embedding layer. "
                f"Received: layer={layer}"
            )
        if not isinstance(power_iterations, int) or power_iterations < 1:
            raise ValueError(
                "`power_iterations` must be a positive int. "
                f"Received: power_iterations={power_iterations}"
            )
        _check_positive("epsilon", epsilon)
        # Reads the kernel in its variable dtype (float32) so that sigma is exact.
        super().__init__(layer, autocast=False, **kwargs)
        self.power_iterations = power_iterations
        self.epsilon = epsilon

    def build(self, input_shape=None):
        super().build(input_shape)
        rows = self._kernel().shape[_output_axis(self.layer)]
        self.u = self.add_weight(name="u", shape=(rows,), initializer=_unit_normal, trainable=False)
        columns = math.prod(self._kernel().shape) // rows
        self.v = self.add_weight(name="v", shape=(columns,), initializer=self._right_vector,
                                 trainable=False)

    def _right_vector(self, shape, dtype=None):
        """Initializer of v: normalize(Wᵀu) for the initial kernel and u."""
        vector = _l2_normalize(ops.matmul(ops.convert_to_tensor(self.u), self._weight_matrix()),
                               self.epsilon)
        return ops.cast(vector, dtype or "float32")

    def _kernel(self):
        if isinstance(self.layer, layers.Embedding):
            return self.layer.embeddings
        return self.layer.kernel

    def _weight_matrix(self):
        """The kernel as a matrix with one row per output channel."""
        kernel = ops.convert_to_tensor(self._kernel())
        axis = _output_axis(self.layer)
        return ops.reshape(ops.moveaxis(kernel, axis, 0), (kernel.shape[axis], -1))

    def _singular_vectors(self, matrix, training):
        """Returns (u, v): the stored pair, or after power iterations that update it."""
        matrix = ops.stop_gradient(matrix)
        u = ops.convert_to_tensor(self.u)
        if not training:
            return u, ops.convert_to_tensor(self.v)
        for _ in range(self.power_iterations):
            v = _l2_normalize(ops.matmul(u, matrix), self.epsilon)
            u = _l2_normalize(ops.matmul(matrix, v), self.epsilon)
        self.u.assign(u)
        self.v.assign(v)
        return u, v

    def normalized_kernel(self, training=False):
        """Returns the kernel divided by its estimated spectral norm sigma = uᵀWv."""
        matrix = self._weight_matrix()
        u, v = self._singular_vectors(matrix, training)
        sigma = ops.sum(u * ops.matmul(matrix, v))
        return self._kernel() / sigma

    def call(self, inputs, training=None):
        layer = self.layer
        kernel = ops.cast(self.normalized_kernel(bool(training)), self.compute_dtype)
        if isinstance(layer, layers.Embedding):
            return ops.take(kernel, ops.cast(inputs, "int32"), axis=0)
        inputs = ops.cast(inputs, self.compute_dtype)
        if isinstance(layer, layers.Dense):
            outputs = ops.matmul(inputs, kernel)
        elif isinstance(layer, layers.Conv2D):
            outputs = ops.conv(
                inputs,
                kernel,
                strides=layer.strides,
                padding=layer.padding,
                data_format=layer.data_format,
                dilation_rate=layer.dilation_rate,
            )
        else:
            outputs = ops.conv_transpose(
                inputs,
                kernel,
                strides=layer.strides,
                padding=layer.padding,
                output_padding=layer.output_padding,
                data_format=layer.data_format,
                dilation_rate=layer.dilation_rate,
            )
        if layer.use_bias:
            outputs = outputs + self._bias(ops.ndim(outputs))
        return layer.activation(outputs)

    def _bias(self, rank):
        """The wrapped layer's bias, shaped to broadcast over outputs of rank `rank`."""
        bias = ops.cast(self.layer.bias, self.compute_dtype)
        if getattr(self.layer, "data_format", None) == "channels_first":
            bias = ops.reshape(bias, (-1,) + (1,) * (rank - 2))
        return bias

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"power_iterations": self.power_iterations, "epsilon": self.epsilon})
        return config


ADAIN_FORMS = ("scale_shift", "modulation")


@keras.saving.register_keras_serializable(package="keras_gans")
class AdaIN(layers.Layer):
    """Adaptive instance normalization: content normalized, then styled per sample.

    Called on `[content, style]`: content NHWC with C channels, style of shape (batch, 2 * C),
    its first C entries the scales y_s and its last C the shifts y_b. With x̂ the instance
    normalized content (no learned affine), the output is:

    - `form="scale_shift"` (MUNIT): y_s * x̂ + y_b;
    - `form="modulation"` (StyleGAN): x̂ * (1 + y_s) + y_b, so a zero style is the identity.

    Args:
        form: "scale_shift" or "modulation".
        epsilon: small float added to the variance to avoid dividing by zero.

    Returns:
        A tensor of the content's shape.

    Example:

    >>> content = keras.random.normal((2, 8, 8, 16))
    >>> style = keras.random.normal((2, 32))
    >>> AdaIN(form="modulation")([content, style]).shape
    (2, 8, 8, 16)

    Reference:
        Huang, Belongie, "Arbitrary Style Transfer in Real-time with Adaptive Instance
        Normalization", arXiv:1703.06868 (ICCV 2017); Huang, Liu, Belongie, Kautz, "Multimodal
        Unsupervised Image-to-Image Translation", arXiv:1804.04732; Karras, Laine, Aila, "A
        Style-Based Generator Architecture for GANs", arXiv:1812.04948.
    """

    def __init__(self, form="scale_shift", epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        if form not in ADAIN_FORMS:
            raise ValueError(f"`form` must be one of {ADAIN_FORMS}. Received: form={form!r}")
        _check_positive("epsilon", epsilon)
        self.form = form
        self.epsilon = epsilon

    def build(self, input_shape):
        content_shape, style_shape = input_shape
        channels, style_size = content_shape[-1], style_shape[-1]
        if channels is not None and style_size is not None and style_size != 2 * channels:
            raise ValueError(
                "The style must hold 2 * channels entries (scales, then shifts). "
                f"Received: input_shape={input_shape}"
            )

    def call(self, inputs):
        content, style = inputs
        scale, shift = ops.split(style, 2, axis=-1)
        # (batch, channels) -> (batch, 1, ..., 1, channels) to broadcast over the spatial axes.
        style_shape = (-1,) + (1,) * (len(content.shape) - 2) + (scale.shape[-1],)
        scale, shift = ops.reshape(scale, style_shape), ops.reshape(shift, style_shape)
        normalized = _instance_normalize(content, self.epsilon)
        if self.form == "modulation":
            scale = 1.0 + scale
        return normalized * scale + shift

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        config = super().get_config()
        config.update({"form": self.form, "epsilon": self.epsilon})
        return config


@keras.saving.register_keras_serializable(package="keras_gans")
class ImagePool(layers.Layer):
    """The history of generated images that CycleGAN's discriminators train on.

    Shrivastava et al. (2017) and CycleGAN update a discriminator on a mix of the newest fakes
    and older ones, so that it does not chase the generator's latest mode. Per image: while the
    pool is not full, the image is stored and returned; afterwards, with probability 1/2 a
    random stored image is returned and the new one takes its place, else the new image is
    returned unchanged.

    The pool is two non-trainable variables (the images and their count), so it is saved in
    `.keras` files and a resumed run continues with the same history. The images of one batch
    are handled together: a swapping image sees the images stored by the filling ones of its
    batch, but not those swapped in by others (with batch size 1, as in the papers, this is
    exactly the sequential rule).

    Args:
        size: images kept (50 in CycleGAN); 0 turns the pool off (the call returns its input).

    Call arguments:
        images: a batch of generated images (NHWC).
        seed: a `keras.random.SeedGenerator` (the model's), so that the draws are part of the
            training state.

    Example:

    >>> pool = ImagePool(size=50)
    >>> fakes = pool(keras.random.normal((1, 8, 8, 3)), seed=keras.random.SeedGenerator(0))
    >>> fakes.shape
    (1, 8, 8, 3)

    Reference:
        Zhu, Park, Isola, Efros, "Unpaired Image-to-Image Translation using Cycle-Consistent
        Adversarial Networks", arXiv:1703.10593, §4 (training details).
    """

    def __init__(self, size=50, **kwargs):
        super().__init__(**kwargs)
        if size < 0:
            raise ValueError(f"`size` must be 0 or more. Received: size={size}")
        self.size = size

    def build(self, input_shape):
        if self.size == 0:
            return
        if any(dimension is None for dimension in input_shape[1:]):
            raise ValueError(
                "ImagePool needs the image shape when it is built. "
                f"Received: input_shape={input_shape}"
            )
        self.images = self.add_weight(
            shape=(self.size, *input_shape[1:]), initializer="zeros", trainable=False,
            name="images")
        self.count = self.add_weight(
            shape=(), initializer="zeros", dtype="int32", trainable=False, name="count")

    def call(self, images, seed=None):
        if self.size == 0:
            return images
        images = ops.cast(images, self.images.dtype)
        batch_size = ops.shape(images)[0]
        count = ops.convert_to_tensor(self.count.value)
        positions = count + ops.arange(batch_size, dtype="int32")
        filling = positions < self.size
        swapping = ops.logical_and(
            ops.logical_not(filling), keras.random.uniform((batch_size,), seed=seed) < 0.5)
        random_slots = keras.random.randint((batch_size,), 0, self.size, seed=seed)
        slots = ops.where(filling, ops.minimum(positions, self.size - 1), random_slots)
        # Images that fill the pool are stored first, so that a later image of the same batch
        # may draw them; swapping images then return what their slot holds and take its place.
        filled = self._written(ops.convert_to_tensor(self.images.value), images, slots, filling)
        returned = ops.where(swapping[:, None, None, None], ops.take(filled, slots, axis=0),
                             images)
        self.images.assign(self._written(filled, images, slots, swapping))
        self.count.assign(ops.minimum(count + batch_size, self.size))
        return returned

    def _written(self, pool, images, slots, writing):
        """`pool` with each writing image in its slot (the last writer of a slot wins)."""
        batch_size = ops.shape(images)[0]
        hits = ops.logical_and(
            ops.equal(slots[:, None], ops.arange(self.size, dtype="int32")[None, :]),
            writing[:, None])
        writer = ops.max(ops.where(hits, ops.arange(1, batch_size + 1, dtype="int32")[:, None], 0),
                         axis=0)
        incoming = ops.take(images, ops.maximum(writer - 1, 0), axis=0)
        return ops.where((writer > 0)[:, None, None, None], incoming, pool)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"size": self.size})
        return config
