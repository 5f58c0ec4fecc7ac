"""The seed documents' programs run on shenjing and print PyTorch's numbers."""
import os
import runpy
import subprocess
import sys

import numpy as np
import pytest
import torch

import shenjing

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "examples"))


@pytest.mark.slow
def test_seed004_network_matches_pytorch_and_numpy():
    import seed004_two_layer as ex

    sj_losses, sj_e, sj_f = ex.train_framework(shenjing, shenjing.nn, shenjing.optim)
    th_losses, th_e, th_f = ex.train_framework(torch, torch.nn, torch.optim)
    np_losses, np_e, np_f = ex.train_numpy()
    assert len(sj_losses) == len(th_losses) == 100
    np.testing.assert_allclose(sj_losses, th_losses, atol=1e-5)
    np.testing.assert_allclose([sj_e, sj_f], [th_e, th_f], atol=1e-5)
    np.testing.assert_allclose(sj_losses, np_losses, atol=1e-4)  # float32 vs float64 by hand
    assert sj_e > 0.9 and sj_f < 0.1  # Emily female (1), Frank male (0)


def test_seed000_components_run():
    out = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "seed000_components.py")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "MyFcnn(\n  (fc1): Linear(in_features=32, out_features=64, bias=True)" in out.stdout
    assert "CrossEntropyLoss" in out.stdout


def test_seed000_printed_models_equal_pytorch():
    ns = runpy.run_path(os.path.join(ROOT, "examples", "seed000_components.py"))
    ours = repr(ns["MyFcnn"](32, 1))

    class MyFcnn(torch.nn.Module):
        def __init__(self, input_size, out_size):
            super().__init__()
            self.fc1 = torch.nn.Linear(input_size, 64)
            self.fc2 = torch.nn.Linear(64, 32)
            self.fc3 = torch.nn.Linear(32, out_size)

    assert ours == repr(MyFcnn(32, 1))


@pytest.mark.slow
def test_seed_cifar_cnn_example_learns_generated_images():
    import seed_cifar_cnn as ex

    acc = ex.main(epochs=2, n_train=512, n_test=256)
    assert acc >= 0.9  # ten separable classes; chance is 0.1
