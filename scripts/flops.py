"""Floating-point operations of Keras models, counted from their layers.

Conventions (used by `scripts/benchmark.py` and stated beside every TFLOP/s in RESULTS):

- Only multiply-accumulates (MACs) of the weighted linear layers are counted: `Conv1D/2D/3D`
  (strides, padding and dilation enter through the output size), `Conv1D/2D/3DTranspose`,
  `DepthwiseConv1D/2D`, `SeparableConv1D/2D` and `Dense`. One MAC is 2 FLOPs. Biases,
  normalization, activations, padding, concatenation, additions and the losses are elementwise
  work and are not counted (at 256×256 they are a few percent of the convolutions).
- A transposed convolution scatters every input pixel through its whole kernel, so it costs
  input pixels × kernel size × input channels × output channels MACs.
- Layers inside wrappers (e.g. `SpectralNormalization`) and nested Functional models are
  counted where the outer model calls them; a layer called twice is counted twice.
- Training step ≈ 3 × forward: the backward pass of a network costs about twice its forward
  pass (gradients with respect to its inputs and to its weights). So every network *evaluated
  inside a loss whose gradients are taken* counts 3 × its forward FLOPs per evaluation, summed
  over the networks of the step (see `training_step_flops`).

    generator_flops = forward_flops(generator)            # per image
    step_flops = training_step_flops([(generator, 1), (discriminator, 3)], batch_size=16)
    tflops_per_second(step_flops, step_seconds=0.5)
"""

import math

import keras

COUNTED_LAYERS = (
    "Conv1D, Conv2D, Conv3D, Conv1DTranspose, Conv2DTranspose, Conv3DTranspose, "
    "DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D, Dense"
)


def _channels_and_spatial(shape, data_format):
    """(channels, spatial sizes) of a shape (batch, ...) in the layer's data format."""
    if data_format == "channels_first":
        channels, spatial = shape[1], shape[2:]
    else:
        channels, spatial = shape[-1], shape[1:-1]
    if channels is None or any(size is None for size in spatial):
        raise ValueError(f"The shape {tuple(shape)} has an unknown size: build the model with a "
                         "fixed image size to count its FLOPs.")
    return channels, spatial


def _convolution_macs(layer, input_shape, output_shape):
    """Multiply-accumulates of one call of a convolution layer, per example, or None."""
    data_format = getattr(layer, "data_format", "channels_last")
    input_channels, input_spatial = _channels_and_spatial(input_shape, data_format)
    output_channels, output_spatial = _channels_and_spatial(output_shape, data_format)
    kernel = math.prod(layer.kernel_size)
    if isinstance(layer, (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D)):
        groups = getattr(layer, "groups", 1)
        return math.prod(output_spatial) * kernel * (input_channels // groups) * output_channels
    if isinstance(layer, (keras.layers.Conv1DTranspose, keras.layers.Conv2DTranspose,
                          keras.layers.Conv3DTranspose)):
        return math.prod(input_spatial) * kernel * input_channels * output_channels
    if isinstance(layer, (keras.layers.DepthwiseConv1D, keras.layers.DepthwiseConv2D)):
        return math.prod(output_spatial) * kernel * output_channels
    if isinstance(layer, (keras.layers.SeparableConv1D, keras.layers.SeparableConv2D)):
        depthwise_channels = input_channels * layer.depth_multiplier
        return math.prod(output_spatial) * depthwise_channels * (kernel + output_channels)
    return None


def _layer_macs(layer, input_shape, output_shape):
    """Multiply-accumulates of one call of `layer` per example, or None if it is not counted."""
    if isinstance(layer, keras.layers.Wrapper):
        return _layer_macs(layer.layer, input_shape, output_shape)
    if isinstance(layer, keras.layers.Dense):
        positions = math.prod(input_shape[1:-1])
        return positions * input_shape[-1] * layer.units
    if hasattr(layer, "kernel_size"):
        return _convolution_macs(layer, input_shape, output_shape)
    return None


def _graph_nodes(model):
    """Every call of an operation in the graph of a Functional or built Sequential model."""
    graph = getattr(model, "_functional", None) or model
    if not hasattr(graph, "_nodes_by_depth"):
        raise ValueError(f"The model {model.name!r} is not a Functional model: build it with "
                         "keras.Model(inputs, outputs) or a Sequential with an Input to count "
                         "its FLOPs.")
    for depth in sorted(graph._nodes_by_depth, reverse=True):
        for node in graph._nodes_by_depth[depth]:
            if node.input_tensors:
                yield node


def layer_flops(model):
    """FLOPs of one forward pass of one example through each call of a weighted layer.

    Args:
        model: a Functional (or built Sequential) `keras.Model`, possibly nesting others.

    Returns:
        A list of `(layer_path, flops)` in graph order; `flops` is None for a layer that has a
        `kernel` but is not one of the counted kinds (see the module docstring).
    """
    counts = []
    for node in _graph_nodes(model):
        operation = node.operation
        if isinstance(operation, keras.Model):
            counts += [(f"{operation.name}/{name}", flops)
                       for name, flops in layer_flops(operation)]
            continue
        input_shape = tuple(node.input_tensors[0].shape)
        output_shape = tuple(node.output_tensors[0].shape)
        macs = _layer_macs(operation, input_shape, output_shape)
        if macs is not None:
            counts.append((operation.name, 2 * macs))
        elif getattr(operation, "kernel", None) is not None:
            counts.append((operation.name, None))
    return counts


def forward_flops(model):
    """FLOPs of one forward pass of one example through `model` (2 per multiply-accumulate).

    Counts the layers named in `COUNTED_LAYERS`; elementwise work is not counted.

    Example:

        inputs = keras.Input((8, 8, 3))
        outputs = keras.layers.Conv2D(4, 3, padding="same")(inputs)
        forward_flops(keras.Model(inputs, outputs))  # 2 * 8*8 * 3*3*3 * 4 = 13,824
    """
    return sum(flops for _, flops in layer_flops(model) if flops is not None)


def uncounted_layers(model):
    """Names of the layers with a kernel whose FLOPs `forward_flops` does not count."""
    return [name for name, flops in layer_flops(model) if flops is None]


def training_step_flops(evaluations, batch_size):
    """FLOPs of one training step, by the convention training ≈ 3 × forward.

    Args:
        evaluations: `(model, count)` pairs: `count` forward passes of `model` per example, over
            all the updates of the step, whose losses are differentiated (a network evaluated
            in both the discriminator and the generator update is listed with both counts
            added).
        batch_size: examples per step.

    Returns:
        3 × batch_size × Σ count · forward_flops(model).
    """
    per_example = sum(count * forward_flops(model) for model, count in evaluations)
    return 3 * batch_size * per_example


def tflops_per_second(step_flops, step_seconds):
    """Achieved model TFLOP/s: `step_flops` done in `step_seconds`."""
    if step_seconds <= 0:
        raise ValueError(f"The step time must be positive. Received: step_seconds={step_seconds}")
    return step_flops / step_seconds / 1e12
