"""`OptimizerGroup`: the container of every player's optimizer that `fit()` carries."""

import keras


class OptimizerGroup(keras.optimizers.Optimizer):
    """Presents several player optimizers to the Keras trainer as one optimizer.

    `fit()` needs `model.optimizer`; on JAX it carries exactly `model.optimizer.variables`
    through its compiled step. This group owns no slots of its own: its `variables` are its
    training-step count followed by the variables of every player optimizer, in a fixed order.
    Its `iterations` count training steps (`GAN.train_step` advances them), however many
    updates each player makes per step. At the end of `fit()` each player's
    `finalize_variable_values` runs on its own variables, so a player optimizer with
    `use_ema=True` swaps in its averaged weights.

    Args:
        optimizers: the list of player optimizers.
    """

    def __init__(self, optimizers, name="optimizer_group", **kwargs):
        super().__init__(learning_rate=0.0, name=name, **kwargs)
        self.optimizers = list(optimizers)
        self.player_variables = [[] for _ in self.optimizers]

    def build(self, var_list):
        """Marks the group as built: each player optimizer is built on its own variables."""
        self.built = True

    @property
    def variables(self):
        return [self._iterations] + [
            v for optimizer in self.optimizers for v in optimizer.variables
        ]

    @property
    def iterations(self):
        return self._iterations

    def count_step(self):
        """Advances the training-step count by one."""
        self._iterations.assign_add(1)

    def finalize_variable_values(self, var_list):
        """Lets each player optimizer finalize its own variables (EMA weights)."""
        for optimizer, variables in zip(self.optimizers, self.player_variables):
            optimizer.finalize_variable_values(variables)

    def save_own_variables(self, store):
        """Saves the step count; each player optimizer is saved under its own attribute."""
        store["iterations"] = self._iterations

    def load_own_variables(self, store):
        """Restores the step count (absent from files saved before it was counted)."""
        if "iterations" in store:
            self._iterations.assign(store["iterations"])

    def get_config(self):
        config = super().get_config()
        config["optimizers"] = [
            keras.saving.serialize_keras_object(optimizer) for optimizer in self.optimizers
        ]
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        optimizers = [
            keras.saving.deserialize_keras_object(optimizer, custom_objects=custom_objects)
            for optimizer in config["optimizers"]
        ]
        return cls(optimizers, name=config.get("name", "optimizer_group"))
