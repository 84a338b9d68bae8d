"""Optimizers with the update rules of the papers' reference code."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_gans")
class RMSprop(keras.optimizers.RMSprop):
    """RMSprop with PyTorch's ε: θ ← θ − lr·g / (√v + ε), v ← ρ·v + (1 − ρ)·g².

    `keras.optimizers.RMSprop` divides by √(v + ε) instead, so that the same ε damps small
    gradients far more: ε = 1e-8 there acts like ε ≈ 1e-4 here. This class follows
    `torch.optim.RMSprop`, which the WGAN authors trained with; its arguments are those of
    `keras.optimizers.RMSprop` (`centered` divides by √(v − ḡ²) + ε, as PyTorch does).
    """

    def update_step(self, gradient, variable, learning_rate):
        """Updates `variable` from `gradient`, with ε added outside the square root."""
        learning_rate = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        index = self._get_variable_index(variable)
        velocity = self._velocities[index]
        self.assign(velocity, self.rho * velocity + (1 - self.rho) * ops.square(gradient))
        second_moment = velocity
        if self.centered:
            average_gradient = self._average_gradients[index]
            self.assign(average_gradient,
                        self.rho * average_gradient + (1 - self.rho) * gradient)
            second_moment = velocity - ops.square(average_gradient)
        increment = learning_rate * gradient / (ops.sqrt(second_moment) + self.epsilon)
        if self.momentum > 0:
            momentum = self._momentums[index]
            self.assign(momentum, self.momentum * momentum + increment)
            increment = momentum
        self.assign_sub(variable, increment)
