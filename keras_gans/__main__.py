"""`python -m keras_gans`: lists the models and how to train each one."""

import keras_gans


def main():
    """Prints one line per model."""
    print(f"keras_gans {keras_gans.__version__}: train a model with python -m keras_gans.<model>")
    print()
    width = max(len(name) for name in keras_gans.MODELS)
    for name, summary in keras_gans.MODELS.items():
        print(f"  {name:<{width}}  {summary}")
    print()
    print("Add --help to a model's command for its flags, e.g. python -m keras_gans.dcgan --help")


if __name__ == "__main__":
    main()
