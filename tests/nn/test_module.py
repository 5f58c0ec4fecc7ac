"""Module, Parameter and containers against PyTorch: names, order, state dicts, repr, modes."""
from collections import OrderedDict

import numpy as np
import pytest
import torch

import shenjing
from shenjing import nn


def build(lib):
    """The same architecture in either library (names, nesting, a buffer, a shared layer)."""
    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = lib.nn.Linear(4, 8)
            self.body = lib.nn.Sequential(OrderedDict([
                ("act", lib.nn.ReLU()), ("fc", lib.nn.Linear(8, 8)), ("tanh", lib.nn.Tanh())]))
            self.heads = lib.nn.ModuleList([lib.nn.Linear(8, 3), lib.nn.Linear(8, 3, bias=False)])
            self.extra = lib.nn.ModuleDict({"b": lib.nn.Linear(3, 2), "a": lib.nn.Sigmoid()})
            self.scale = lib.nn.Parameter(lib.ones(3))
            self.register_buffer("running", lib.zeros(3))
            self.register_buffer("scratch", lib.zeros(2), persistent=False)

        def forward(self, x):
            h = self.body(self.fc1(x))
            y = (self.heads[0](h) + self.heads[1](h)) * self.scale
            return self.extra["a"](self.extra["b"](y))

    return Net()


def copy_into(sj_model, th_model):
    sd = {k: shenjing.tensor(v.detach().numpy()) for k, v in th_model.state_dict().items()}
    return sj_model.load_state_dict(sd)


def test_parameter_basics():
    p = nn.Parameter(shenjing.ones(2))
    assert isinstance(p, nn.Parameter) and isinstance(p, shenjing.Tensor)
    assert p.requires_grad and p.is_leaf
    assert repr(p) == repr(torch.nn.Parameter(torch.ones(2))).replace("torch", "shenjing")
    t = shenjing.zeros(3)
    q = nn.Parameter(t, requires_grad=False)
    assert not q.requires_grad
    q._data[0] = 5.0  # shares storage with the tensor it wraps, like PyTorch
    assert t[0].item() == 5.0
    assert not isinstance(p * 2, nn.Parameter)


def test_named_parameters_order_and_state_dict_keys_match_torch():
    sj, th = build(shenjing), build(torch)
    assert [k for k, _ in sj.named_parameters()] == [k for k, _ in th.named_parameters()]
    assert list(sj.state_dict()) == list(th.state_dict())
    assert [k for k, _ in sj.named_buffers()] == [k for k, _ in th.named_buffers()]
    assert [k for k, _ in sj.named_modules()] == [k for k, _ in th.named_modules()]
    assert [k for k, _ in sj.named_children()] == [k for k, _ in th.named_children()]
    assert len(list(sj.parameters(recurse=False))) == 1


def test_shared_parameter_listed_once():
    for lib in (shenjing, torch):
        lin = lib.nn.Linear(2, 2)
        seq = lib.nn.Sequential(lin, lib.nn.ReLU(), lin)
        assert len(list(seq.parameters())) == 2
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    sj = nn.Sequential(*(3 * [nn.Linear(2, 2)]))
    assert list(sj.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias", "2.weight",
                                     "2.bias"]


def test_load_state_dict_from_torch_gives_same_outputs():
    th = build(torch)
    sj = build(shenjing)
    res = copy_into(sj, th)
    assert res.missing_keys == [] and res.unexpected_keys == []
    assert repr(res) == "<All keys matched successfully>"
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(sj(shenjing.tensor(x)).detach().numpy(),
                               th(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_state_dict_values_are_detached_and_share_storage():
    m = nn.Linear(2, 2)
    sd = m.state_dict()
    assert not sd["weight"].requires_grad
    sd["weight"]._data[0, 0] = 42.0
    assert m.weight[0, 0].item() == 42.0


def _messages(sd_th, sd_sj, strict=True):
    th, sj = build(torch), build(shenjing)
    with pytest.raises(RuntimeError) as e_th:
        th.load_state_dict(sd_th, strict=strict)
    with pytest.raises(RuntimeError) as e_sj:
        sj.load_state_dict(sd_sj, strict=strict)
    return str(e_th.value).replace("torch.Size", "shenjing.Size"), str(e_sj.value)


def test_load_state_dict_errors_match_torch_message():
    sd = build(torch).state_dict()
    del sd["fc1.bias"], sd["extra.b.weight"]
    sd["bogus.weight"] = torch.zeros(1)
    sd["body.fc.weight"] = torch.zeros(8, 7)
    sj_sd = OrderedDict((k, shenjing.tensor(v.numpy())) for k, v in sd.items())
    msg_th, msg_sj = _messages(sd, sj_sd)
    assert msg_sj == msg_th
    assert "Missing key(s)" in msg_sj and "Unexpected key(s)" in msg_sj
    assert "size mismatch for body.fc.weight" in msg_sj
    # size mismatch is an error even when not strict
    msg_th, msg_sj = _messages(sd, sj_sd, strict=False)
    assert msg_sj == msg_th


def test_load_state_dict_not_strict_reports_keys():
    th = build(torch)
    sd = th.state_dict()
    del sd["fc1.bias"]
    sd["zzz"] = torch.zeros(1)
    res_th = th.load_state_dict(sd, strict=False)
    res_sj = build(shenjing).load_state_dict(
        {k: v.numpy() for k, v in sd.items()}, strict=False)  # NumPy values are accepted
    assert res_sj.missing_keys == res_th.missing_keys
    assert res_sj.unexpected_keys == res_th.unexpected_keys


@pytest.mark.parametrize("make", [
    lambda L: L.nn.Sequential(L.nn.Linear(2, 2)),
    lambda L: L.nn.Sequential(OrderedDict(fc1=L.nn.Linear(2, 3), act=L.nn.LeakyReLU(0.2),
                                          drop=L.nn.Identity(), out=L.nn.Softmax(dim=1))),
    lambda L: build(L),
    lambda L: L.nn.ModuleList([L.nn.Linear(2, 2) for _ in range(3)] + [L.nn.ReLU()]),
    lambda L: L.nn.Sequential(),
    lambda L: L.nn.Sequential(L.nn.Flatten(), L.nn.Unflatten(1, (2, 2)), L.nn.GELU(),
                              L.nn.Softplus(), L.nn.ELU(), L.nn.ReLU6(), L.nn.Hardtanh(),
                              L.nn.SELU(inplace=True), L.nn.SiLU(), L.nn.LogSoftmax(dim=-1)),
    lambda L: L.nn.ModuleDict({"a": L.nn.Sequential(L.nn.Linear(1, 1)), "b": L.nn.Tanh()}),
])
def test_repr_equals_torch(make):
    assert repr(make(shenjing)) == repr(make(torch))


def test_parameter_list_repr():
    make = (lambda L: L.nn.ParameterList([L.nn.Parameter(L.zeros(2, 3)),
                                          L.nn.Parameter(L.zeros(2, dtype=L.float64))]))
    assert repr(make(shenjing)) == repr(make(torch)).replace("torch.", "shenjing.")


def test_train_eval_flags():
    m = build(shenjing)
    assert m.training and m.body.fc.training
    assert m.eval() is m
    assert not any(x.training for x in m.modules())
    m.train()
    assert all(x.training for x in m.modules())
    with pytest.raises(ValueError):
        m.train("yes")


def test_hooks_run_and_can_replace():
    m = nn.Linear(2, 2)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: calls.append("pre") or (args[0] * 0,))
    h2 = m.register_forward_hook(lambda mod, args, out: calls.append("post") or out + 1)
    x = shenjing.ones(1, 2)
    y = m(x)
    assert calls == ["pre", "post"]
    np.testing.assert_allclose(y.detach().numpy(), (m.bias + 1).detach().numpy()[None])
    h1.remove()
    h2.remove()
    np.testing.assert_allclose(m(x).detach().numpy(), m.forward(x).detach().numpy())
    assert calls == ["pre", "post"]


def test_zero_grad_and_requires_grad():
    m = nn.Linear(3, 2)
    m(shenjing.ones(4, 3)).sum().backward()
    assert m.weight.grad is not None
    m.zero_grad(set_to_none=False)
    assert np.all(m.weight.grad.numpy() == 0)
    m.zero_grad()
    assert m.weight.grad is None and m.bias.grad is None
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())


def test_to_float64_keeps_parameter_identity():
    m = build(shenjing)
    w = m.fc1.weight
    assert m.to(shenjing.float64) is m
    assert m.fc1.weight is w and w.dtype == shenjing.float64
    assert m.running.dtype == shenjing.float64
    assert m(shenjing.ones(2, 4, dtype=shenjing.float64)).dtype == shenjing.float64
    m.float()
    assert all(p.dtype == shenjing.float32 for p in m.parameters())
    assert m.cpu() is m
    with pytest.raises(TypeError):
        m.to(shenjing.int64)


def test_registration_rules_and_errors():
    m = nn.Module()
    m.w = nn.Parameter(shenjing.zeros(2))
    m.sub = nn.Linear(1, 1)
    m.register_buffer("buf", shenjing.zeros(1))
    assert "w" in m._parameters and "sub" in m._modules and "buf" in m._buffers
    assert "w" in dir(m) and "sub" in dir(m)
    with pytest.raises(TypeError, match="cannot assign"):
        m.w = shenjing.zeros(2)
    with pytest.raises(TypeError):
        m.register_buffer("b2", 3)
    with pytest.raises(KeyError):
        m.register_buffer("a.b", shenjing.zeros(1))
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        m.nope
    del m.w
    assert "w" not in m._parameters
    m.w = None  # a plain attribute now
    assert list(m.state_dict()) == ["buf", "sub.weight", "sub.bias"]

    class Bad(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Bad()
    with pytest.raises(NotImplementedError):
        nn.Module()(1)


def test_apply_and_get_submodule():
    m = build(shenjing)
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen[-1] == "Net" and seen.count("Linear") == 5
    assert m.get_submodule("body.fc") is m.body.fc
    assert m.get_parameter("heads.0.bias") is m.heads[0].bias


def test_sequential_container_ops():
    a, b, c = nn.Linear(2, 2), nn.ReLU(), nn.Tanh()
    s = nn.Sequential(a, b)
    assert len(s) == 2 and s[-1] is b and s[0] is a
    sl = s[0:1]
    assert isinstance(sl, nn.Sequential) and len(sl) == 1 and sl[0] is a
    s.append(c)
    assert list(s) == [a, b, c]
    s.insert(1, nn.Identity())
    assert isinstance(s[1], nn.Identity) and s[2] is b
    del s[1]
    assert list(s._modules) == ["0", "1", "2"] and s[1] is b
    s.extend([nn.Sigmoid()])
    assert len(s) == 4
    with pytest.raises(IndexError):
        s[10]


def test_module_list_dict_and_parameter_containers():
    ml = nn.ModuleList([nn.Linear(1, 1)])
    ml.append(nn.ReLU())
    ml += [nn.Tanh()]
    assert len(ml) == 3 and isinstance(ml[-1], nn.Tanh) and len(ml[1:]) == 2
    assert len(list(ml.parameters())) == 2
    md = nn.ModuleDict({"x": nn.ReLU()})
    md["y"] = nn.Linear(2, 2)
    assert list(md.keys()) == ["x", "y"] and "y" in md and len(list(md.parameters())) == 2
    pl = nn.ParameterList([shenjing.zeros(2), nn.Parameter(shenjing.ones(1))])
    assert all(isinstance(p, nn.Parameter) for p in pl) and len(pl) == 2
    pl.append(shenjing.zeros(3))
    assert [k for k, _ in pl.named_parameters()] == ["0", "1", "2"]
    pd = nn.ParameterDict({"a": shenjing.zeros(1)})
    pd["b"] = nn.Parameter(shenjing.ones(2))
    assert list(pd.keys()) == ["a", "b"] and isinstance(pd["a"], nn.Parameter)
    assert [k for k, _ in pd.named_parameters()] == ["a", "b"]


def test_deepcopy_and_pickle_keep_parameters():
    import copy
    import pickle

    m = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    for m2 in (copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
        assert isinstance(m2[0].weight, nn.Parameter) and m2[0].weight.requires_grad
        assert m2[0].weight is not m[0].weight
        np.testing.assert_array_equal(m2[0].weight.detach().numpy(),
                                      m[0].weight.detach().numpy())
