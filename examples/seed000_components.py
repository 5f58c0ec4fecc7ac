"""Seed 000: the 3-layer MyFcnn and its Sequential twin, activations, losses, one SGD step.

Run: python examples/seed000_components.py
"""
import shenjing as torch
import shenjing.nn.functional as F
from shenjing import nn, optim


class MyFcnn(nn.Module):
    def __init__(self, input_size, out_size):
        super(MyFcnn, self).__init__()
        self.fc1 = nn.Linear(input_size, 64)
        self.fc2 = nn.Linear(64, 32)
        self.fc3 = nn.Linear(32, out_size)

    def forward(self, x):
        x = self.fc1(x)
        x = self.fc2(x)
        x = self.fc3(x)
        return x


def components():
    input_size, out_size = 32, 1
    model = MyFcnn(input_size, out_size)
    print(model)
    seq = nn.Sequential(nn.Linear(input_size, 64), nn.Linear(64, 32), nn.Linear(32, 1))
    print(seq)

    x = torch.linspace(-3, 3, 7)
    print("sigmoid   ", F.sigmoid(x))
    print("tanh      ", F.tanh(x))
    print("relu      ", nn.ReLU()(x))
    print("leaky_relu", nn.LeakyReLU(negative_slope=0.01)(x))
    print("softmax   ", F.softmax(x, dim=0))

    pred, target = torch.tensor([0.5, 2.0, -1.0]), torch.tensor([1.0, 1.5, -2.0])
    print("MSELoss", nn.MSELoss()(pred, target).item())
    print("L1Loss ", nn.L1Loss()(pred, target).item())
    logits, labels = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]]), torch.tensor([0, 2])
    print("CrossEntropyLoss", nn.CrossEntropyLoss()(logits, labels).item())
    probs, y = torch.tensor([0.9, 0.2]), torch.tensor([1.0, 0.0])
    print("BCELoss", nn.BCELoss()(probs, y).item(),
          "BCEWithLogitsLoss", nn.BCEWithLogitsLoss()(torch.tensor([2.0, -1.0]), y).item())


def test003():
    """The seed's SGD step: one forward, loss, zero_grad, backward, step."""
    model = nn.Linear(20, 60)
    criterion = nn.MSELoss()
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    input = torch.randn(128, 20)
    output = model(input)
    loss = criterion(output, torch.randn(128, 60))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(loss.item())
    return loss.item()


if __name__ == "__main__":
    torch.manual_seed(0)
    components()
    test003()
