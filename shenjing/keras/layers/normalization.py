"""BatchNormalization and LayerNormalization with Keras's weights, defaults and update rule."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ...autograd import Tensor
from ...nn import functional as F
from .base import Layer, get_component, weight_configs

__all__ = ["BatchNormalization", "LayerNormalization"]


class BatchNormalization(Layer):
    """Normalises the ``axis`` features over the batch (and all other axes).

    Training: y = gamma (x - mean_b) / sqrt(var_b + eps) + beta with the batch's biased
    variance, and moving = momentum * moving + (1 - momentum) * batch stat (Keras's rule;
    its momentum is 1 - PyTorch's). Inference, or ``trainable=False``: the moving stats.
    Weights: gamma, beta, moving_mean, moving_variance (C,).
    """

    supports_masking = True

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", moving_mean_initializer: Any = "zeros",
                 moving_variance_initializer: Any = "ones", beta_regularizer: Any = None,
                 gamma_regularizer: Any = None, beta_constraint: Any = None,
                 gamma_constraint: Any = None, synchronized: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis, self.momentum, self.epsilon = int(axis), float(momentum), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        g = get_component
        self.beta_initializer = g("initializers", beta_initializer)
        self.gamma_initializer = g("initializers", gamma_initializer)
        self.moving_mean_initializer = g("initializers", moving_mean_initializer)
        self.moving_variance_initializer = g("initializers", moving_variance_initializer)
        self.beta_regularizer = g("regularizers", beta_regularizer)
        self.gamma_regularizer = g("regularizers", gamma_regularizer)
        self.beta_constraint = g("constraints", beta_constraint)
        self.gamma_constraint = g("constraints", gamma_constraint)

    def build(self, input_shape: Sequence[Any]) -> None:
        c = input_shape[self.axis]
        self.gamma = self.add_weight((c,), self.gamma_initializer, name="gamma",
                                     regularizer=self.gamma_regularizer,
                                     constraint=self.gamma_constraint) if self.scale else None
        self.beta = self.add_weight((c,), self.beta_initializer, name="beta",
                                    regularizer=self.beta_regularizer,
                                    constraint=self.beta_constraint) if self.center else None
        self.add_weight((c,), self.moving_mean_initializer, name="moving_mean", trainable=False)
        self.add_weight((c,), self.moving_variance_initializer, name="moving_variance",
                        trainable=False)
        self.built = True

    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        nd = inputs.ndim
        axis = self.axis % nd
        training = bool(training) and self.trainable
        # put the features on dim 1 where F.batch_norm wants them: channels-last input is
        # a (rows, C) matrix with the same per-feature statistics, and reshaping it is free
        if axis == nd - 1 and nd != 2:
            x = inputs.reshape(-1, inputs.shape[-1])
        elif axis != 1:
            x = inputs.movedim(axis, 1)
        else:
            x = inputs
        if training:
            scratch = Tensor._wrap(np.zeros(self.moving_variance._data.shape,
                                            self.moving_variance._data.dtype), None, False)
            m = 1.0 - self.momentum
            y = F.batch_norm(x, self.moving_mean, scratch, self.gamma, self.beta, True, m,
                             self.epsilon)
            # scratch = m * var_b * n / (n - 1); Keras keeps the biased var_b
            n = x._data.size // x._data.shape[1]
            mv = self.moving_variance._data
            mv *= self.momentum
            mv += scratch._data * ((n - 1) / n)
        else:
            y = F.batch_norm(x, self.moving_mean, self.moving_variance, self.gamma, self.beta,
                             False, 0.0, self.epsilon)
        if axis == nd - 1 and nd != 2:
            return y.reshape(inputs.shape)
        return y.movedim(1, axis) if axis != 1 else y

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum,
                "epsilon": self.epsilon, "center": self.center, "scale": self.scale,
                **weight_configs(self, ("beta", "gamma", "moving_mean", "moving_variance"))}


class LayerNormalization(Layer):
    """Normalises each sample over ``axis`` (default the last): gamma * xhat + beta."""

    supports_masking = True

    def __init__(self, axis: Any = -1, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", beta_regularizer: Any = None,
                 gamma_regularizer: Any = None, beta_constraint: Any = None,
                 gamma_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = [int(a) for a in axis] if isinstance(axis, (list, tuple)) else int(axis)
        self.epsilon, self.center, self.scale = float(epsilon), bool(center), bool(scale)
        g = get_component
        self.beta_initializer = g("initializers", beta_initializer)
        self.gamma_initializer = g("initializers", gamma_initializer)
        self.beta_regularizer = g("regularizers", beta_regularizer)
        self.gamma_regularizer = g("regularizers", gamma_regularizer)
        self.beta_constraint = g("constraints", beta_constraint)
        self.gamma_constraint = g("constraints", gamma_constraint)

    def build(self, input_shape: Sequence[Any]) -> None:
        nd = len(input_shape)
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        self._axes = sorted(a % nd for a in axes)
        shape = tuple(input_shape[a] for a in self._axes)
        self.gamma = self.add_weight(shape, self.gamma_initializer, name="gamma",
                                     regularizer=self.gamma_regularizer,
                                     constraint=self.gamma_constraint) if self.scale else None
        self.beta = self.add_weight(shape, self.beta_initializer, name="beta",
                                    regularizer=self.beta_regularizer,
                                    constraint=self.beta_constraint) if self.center else None
        self.built = True

    def call(self, inputs: Tensor) -> Tensor:
        nd = inputs.ndim
        axes = self._axes
        if axes == list(range(nd - len(axes), nd)):  # trailing axes: the fused op
            return F.layer_norm(inputs, tuple(inputs.shape[nd - len(axes):]), self.gamma,
                                self.beta, self.epsilon)
        mean = inputs.mean(dim=axes, keepdim=True)
        var = ((inputs - mean) ** 2).mean(dim=axes, keepdim=True)
        y = (inputs - mean) / (var + self.epsilon).sqrt()
        bshape = [inputs.shape[a] if a in axes else 1 for a in range(nd)]
        if self.gamma is not None:
            y = y * self.gamma.reshape(bshape)
        if self.beta is not None:
            y = y + self.beta.reshape(bshape)
        return y

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale,
                **weight_configs(self, ("beta", "gamma"))}
