"""Reverse-mode automatic differentiation: Tensor, Function, the engine, grad modes."""
from .engine import backward, grad  # noqa: F401
from .function import Function  # noqa: F401
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled  # noqa: F401
from .tensor import Size, Tensor  # noqa: F401
from .gradcheck import GradcheckError, gradcheck  # noqa: F401,E402
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly  # noqa: F401,E402
