"""explain.summary: output shapes, parameter counts, receptive field and jump per layer."""
import pytest

import shenjing as sj
from shenjing import nn
from shenjing.explain import summary


def test_mlp_shapes_and_params():
    m = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    s = summary(m, (64,), batch_size=4)
    assert [li.output_shape for li in s.layers] == [(4, 128), (4, 128), (4, 10)]
    assert [li.params for li in s.layers] == [64 * 128 + 128, 0, 128 * 10 + 10]
    assert s.total_params == s.trainable_params == 64 * 128 + 128 + 1290
    text = str(s)
    assert "Total params: 9,610" in text and "Linear" in text


def test_frozen_parameters_are_counted_as_non_trainable():
    m = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    m[0].requires_grad_(False)
    s = summary(m, (4,))
    assert s.non_trainable_params == 15 and s.trainable_params == 8


def test_receptive_field_and_jump_of_a_conv_stack():
    m = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),      # rf 3 -> 4, jump 1 -> 2
        nn.Conv2d(4, 8, 3, padding=1), nn.MaxPool2d(2),                # rf 4+2*2=8 -> 8+1*2=10, j 4
        nn.Conv2d(8, 8, 3, padding=2, dilation=2),                     # rf 10 + 2*2*4 = 26
        nn.Conv2d(8, 8, (3, 1), stride=(2, 1)))                        # rf 26+2*4=34 x 26
    s = summary(m, (1, 32, 32))
    rfs = [li.rf for li in s.layers]
    jumps = [li.jump for li in s.layers]
    assert rfs == [(3, 3), (3, 3), (4, 4), (8, 8), (10, 10), (26, 26), (34, 26)]
    assert jumps == [(1, 1), (1, 1), (2, 2), (2, 2), (4, 4), (4, 4), (8, 4)]
    assert s.layers[-1].output_shape == (1, 8, 3, 8)  # H: (8 - 3) // 2 + 1
    assert "34x26" in str(s)


def test_summary_needs_an_input():
    with pytest.raises(ValueError, match="input_size"):
        summary(nn.Linear(2, 2))
    assert summary(nn.Linear(2, 2), input_data=sj.zeros(3, 2)).layers[0].output_shape == (3, 2)
