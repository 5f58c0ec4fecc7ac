"""Moving a tensor between devices: a differentiable copy (dL/dx is dL/dy moved back)."""
from __future__ import annotations

from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ..backend import device as Device, device_of, move

__all__: list[str] = []


class ToDevice(Function):
    def forward(self, x, *, device):
        self.source = device_of(x)
        return move(x, device)

    def backward(self, grad):
        return (move(grad, self.source),)


def to_device(input: Tensor, device: "Device | str") -> Tensor:
    """``input`` on ``device`` (a copy; gradients flow back to the source device)."""
    return ToDevice.apply(input, device=Device(device))
