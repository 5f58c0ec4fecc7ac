"""Transfer learning: ResNet-18 weights made by PyTorch -> shenjing, freeze, new head, fine-tune.

Seed 000's recipe: load a trained backbone, freeze it (``requires_grad_(False)``), replace the
classifier with a fresh ``Linear(512, k)``, and train only that head.

Run: python examples/transfer_learning.py [--weights resnet18.safetensors] [--classes 3]

Without ``--weights`` the example makes the file itself with PyTorch (if torch is installed):
a torchvision-layout ResNet-18 whose state_dict is saved with ``safetensors``-format bytes.
Reading it needs neither torch nor safetensors: ``shenjing.io.load_torch_state_dict``.
"""
from __future__ import annotations

import argparse
import os
import tempfile

import numpy as np

import shenjing as torch
from shenjing import io, nn, optim
from shenjing.models import resnet18


def make_pytorch_weights(path: str, seed: int = 0) -> None:
    """Build torchvision's ResNet-18 layout in PyTorch and save its state_dict as safetensors."""
    import torch as pt  # noqa: PLC0415 - only this helper needs real PyTorch

    class Block(pt.nn.Module):
        def __init__(self, cin: int, cout: int, stride: int) -> None:
            super().__init__()
            self.conv1 = pt.nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = pt.nn.BatchNorm2d(cout)
            self.conv2 = pt.nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = pt.nn.BatchNorm2d(cout)
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = pt.nn.Sequential(pt.nn.Conv2d(cin, cout, 1, stride, bias=False),
                                                   pt.nn.BatchNorm2d(cout))

    class ResNet18(pt.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = pt.nn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.bn1 = pt.nn.BatchNorm2d(64)
            widths, cin = (64, 128, 256, 512), 64
            for i, w in enumerate(widths):
                stride = 1 if i == 0 else 2
                setattr(self, f"layer{i + 1}", pt.nn.Sequential(Block(cin, w, stride),
                                                                Block(w, w, 1)))
                cin = w
            self.fc = pt.nn.Linear(512, 1000)

    pt.manual_seed(seed)
    state = {k: v.contiguous() for k, v in ResNet18().state_dict().items()}
    try:
        from safetensors.torch import save_file  # noqa: PLC0415
    except ImportError:  # same bytes through shenjing's writer
        io.save_torch_compatible({k: v.numpy() for k, v in state.items()}, path)
    else:
        save_file(state, path, metadata={"format": "pt"})


def generated_images(n: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """k classes of 32x32 images told apart by a colour tint and a stripe orientation."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    x = rng.standard_normal((n, 3, 32, 32)).astype(np.float32) * 0.5
    x[np.arange(n), y % 3] += 1.0
    stripes = np.sin(np.arange(32) * np.pi / 4).astype(np.float32)
    x[y % 2 == 0] += stripes[None, None, :, None]
    x[y % 2 == 1] += stripes[None, None, None, :]
    return x, y.astype(np.int64)


def main(weights: str | None = None, classes: int = 3, steps: int = 30, batch: int = 32,
         seed: int = 0) -> float:
    torch.manual_seed(seed)
    if weights is None:
        weights = os.path.join(tempfile.mkdtemp(), "resnet18.safetensors")
        make_pytorch_weights(weights, seed)
    model = resnet18()  # torchvision's names and shapes: the PyTorch state_dict loads strictly
    model.load_state_dict(io.load_torch_state_dict(weights))
    model.requires_grad_(False)  # freeze the backbone
    model.fc = nn.Linear(512, classes)  # a new head (trainable)
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    print(f"trainable parameters: {trainable}")
    opt = optim.Adam(model.fc.parameters(), lr=1e-2)
    loss_fn = nn.CrossEntropyLoss()
    xtr, ytr = generated_images(steps * batch, classes, seed + 1)
    xte, yte = generated_images(256, classes, seed + 2)
    model.eval()  # the frozen backbone keeps its running statistics
    for step in range(steps):
        xb = torch.from_numpy(xtr[step * batch:(step + 1) * batch])
        yb = torch.from_numpy(ytr[step * batch:(step + 1) * batch])
        loss = loss_fn(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 10 == 0 or step == steps - 1:
            print(f"step {step:3d}  loss {loss.item():.4f}")
    with torch.no_grad():
        pred = model(torch.from_numpy(xte)).argmax(dim=1).numpy()
    acc = float((pred == yte).mean())
    print(f"test accuracy {acc:.3f} ({classes} classes, chance {1 / classes:.3f})")
    return acc


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--weights", help="a ResNet-18 state_dict saved by PyTorch (.safetensors "
                                     "or .pt); made with PyTorch when omitted")
    p.add_argument("--classes", type=int, default=3)
    p.add_argument("--steps", type=int, default=30)
    a = p.parse_args()
    main(a.weights, a.classes, a.steps)
