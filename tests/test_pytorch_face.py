"""`import shenjing as torch`: an ordinary PyTorch training script runs unchanged, same numbers."""
import numpy as np
import torch as real_torch

import shenjing


def tutorial(torch, init_state=None, epochs=5):
    """A typical tutorial program, written only against the torch API."""
    import torch.nn as nn  # noqa: F401  (resolved below through the module passed in)
    nn = torch.nn
    F = torch.nn.functional
    from_numpy = torch.from_numpy

    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 10)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] * x[:, 2] > 0).astype(np.int64)
    ds = torch.utils.data.TensorDataset(from_numpy(x), from_numpy(y))
    loader = torch.utils.data.DataLoader(ds, batch_size=32, shuffle=False)

    class Net(nn.Module):
        def __init__(self):
            super(Net, self).__init__()
            self.fc1 = nn.Linear(10, 32)
            self.bn = nn.BatchNorm1d(32)
            self.drop = nn.Dropout(0.0)
            self.fc2 = nn.Linear(32, 2)

        def forward(self, x):
            x = F.relu(self.bn(self.fc1(x)))
            return self.fc2(self.drop(x))

    model = Net()
    if init_state is not None:
        model.load_state_dict({k: torch.tensor(v) for k, v in init_state.items()})
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    criterion = nn.CrossEntropyLoss()
    losses = []
    for epoch in range(epochs):
        model.train()
        running = 0.0
        for xb, yb in loader:
            optimizer.zero_grad()
            out = model(xb)
            loss = criterion(out, yb)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
            optimizer.step()
            running += loss.item() * xb.size(0)
        scheduler.step()
        losses.append(running / len(ds))
    model.eval()
    with torch.no_grad():
        logits = model(from_numpy(x))
        _, pred = torch.max(logits, 1)
        acc = (pred == from_numpy(y)).sum().item() / len(y)
        probs = F.softmax(logits, dim=1)
    return losses, acc, probs.numpy(), model


def test_tutorial_script_gives_pytorch_numbers():
    _, _, _, ref_model = tutorial(real_torch, epochs=0)
    init = {k: v.detach().numpy().copy() for k, v in ref_model.state_dict().items()}
    sj_losses, sj_acc, sj_probs, _ = tutorial(shenjing, init)
    th_losses, th_acc, th_probs, _ = tutorial(real_torch, init)
    np.testing.assert_allclose(sj_losses, th_losses, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(sj_probs, th_probs, atol=1e-4)
    assert sj_acc == th_acc
    assert sj_losses[-1] < sj_losses[0] * 0.6 and sj_acc > 0.85
