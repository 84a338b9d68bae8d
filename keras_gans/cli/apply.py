"""`encode`, `classify` and `cluster`: a saved model applied to a dataset, written to `.npy`.

    python -m keras_gans.aae encode --checkpoint runs/aae/checkpoints/model.keras \\
        --dataset mnist --split test --output codes.npy
    python -m keras_gans.sgan classify --checkpoint ... --dataset photos/ --output classes.npy

A model module offers the command whose name its model has as a method (`encode(images)`,
`classify(images)`, `cluster(images)`). Classes and clusters are int64 ids; when the data has
labels, the command also prints how well they agree with them.
"""

import os

import keras
import numpy as np

import keras_gans
from keras_gans import data as gan_data
from keras_gans import metrics
from keras_gans import runs
from keras_gans.cli.parsing import Parser, UsageError, integer

APPLY_COMMANDS = {
    "encode": "the codes of the model's encoder",
    "classify": "the class the model predicts for each image",
    "cluster": "the cluster the model assigns to each image",
}


def model_classes(module):
    """The `keras.Model` classes a model module defines."""
    return [value for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, keras.Model)
            and value.__module__ == module.__name__]


def commands_of(module):
    """The apply commands the module's models offer."""
    return [command for command in APPLY_COMMANDS
            if any(hasattr(model_class, command) for model_class in model_classes(module))]


def check_applies(model_name, module, command):
    """Refuses a command the model does not have, naming the ones it has."""
    offered = commands_of(module)
    if command not in offered:
        others = (f"it offers {', '.join(offered)}" if offered
                  else "it only samples (`sample`)")
        raise UsageError(f"{model_name} has no `{command}`: {others}.")


def build_apply_parser(model_name, command):
    """Flags of `python -m keras_gans.<model> encode|classify|cluster`."""
    parser = Parser(prog=f"python -m keras_gans.{model_name} {command}",
                    description=f"Write {APPLY_COMMANDS[command]} to a .npy file.")
    parser.add_argument("--checkpoint", required=True, help="a .keras file saved by training")
    parser.add_argument("--dataset", required=True,
                        help="a built-in dataset, an image folder or a .npz/.npy/IDX file")
    parser.add_argument("--data-dir", default=None, help="folder of the dataset's files")
    parser.add_argument("--split", choices=("train", "test"), default="test",
                        help="which split of a built-in dataset")
    parser.add_argument("--image-size", type=integer(at_least=1), default=None,
                        help="resize images to this size (square)")
    parser.add_argument("--channels", type=int, choices=(1, 3), default=None,
                        help="image channels: 1 or 3")
    parser.add_argument("--limit", type=integer(at_least=1), default=None,
                        help="use only the first N images")
    parser.add_argument("--batch-size", type=integer(at_least=1), default=256,
                        help="images per forward pass")
    parser.add_argument("--output", required=True, help=".npy file to write")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --output")
    return parser


def check_output(path, overwrite):
    """The output must be a new .npy file in a writable folder (or --overwrite)."""
    if not path.endswith(".npy"):
        raise UsageError(f"--output {path} must end in .npy: pass a name such as codes.npy.")
    if os.path.exists(path) and not overwrite:
        raise UsageError(f"{path} already exists: pass --overwrite to replace it, or choose "
                         "another --output.")
    runs.check_writable(os.path.dirname(os.path.abspath(path)), flag="--output")


def check_image_shape(model, images):
    """The images must have the shape the model was trained on."""
    expected = tuple(getattr(model, "image_shape", images.image_shape))
    if tuple(images.image_shape) != expected:
        raise UsageError(
            f"The images of {images.name} are {'x'.join(map(str, images.image_shape))}, but "
            f"the model takes {'x'.join(map(str, expected))}: pass --image-size "
            f"{expected[0]} and --channels {expected[2]}.")


def agreement(command, outputs, labels):
    """A sentence on how well classes or clusters agree with the data's labels."""
    if command == "classify":
        return f"accuracy against the data's labels: {np.mean(outputs == labels):.1%}"
    return (f"accuracy against the data's labels after matching clusters to classes: "
            f"{metrics.clustering_accuracy(outputs, labels):.1%}")


def apply(model_name, command, args):
    """Runs `command` of the model in `--checkpoint` over `--dataset`; writes `--output`."""
    check_output(args.output, args.overwrite)
    images = gan_data.load(args.dataset, data_dir=args.data_dir, split=args.split,
                           image_size=args.image_size, channels=args.channels, limit=args.limit)
    model = keras_gans.load_gan(args.checkpoint, flag="--checkpoint")
    if not hasattr(model, command):
        raise UsageError(f"The checkpoint {args.checkpoint} holds a {type(model).__name__}, "
                         f"which has no `{command}`: pass a checkpoint of {model_name}.")
    check_image_shape(model, images)
    function = getattr(model, command)
    outputs = np.concatenate([
        keras.ops.convert_to_numpy(function(images.images[start:start + args.batch_size]))
        for start in range(0, len(images), args.batch_size)])
    if command != "encode":
        outputs = outputs.astype(np.int64)
    np.save(args.output, outputs)
    print(f"Wrote {APPLY_COMMANDS[command]} for {len(images)} images of {images.name}, an "
          f"array {outputs.shape}, to {args.output}")
    if command != "encode" and images.labels is not None:
        print(agreement(command, outputs, images.labels))
    return 0
