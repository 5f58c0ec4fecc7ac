"""explain.graph: nodes, edges, DOT text and rendering of a computation graph."""
import re
import shutil
import sys

import numpy as np
import pytest

import shenjing as sj
from shenjing import explain, nn

graph_mod = sys.modules["shenjing.explain.graph"]  # the module (the name graph is the function)

NODE = re.compile(r'^  (\w+) \[label="((?:[^"\\]|\\.)*)", fillcolor=[\w]+\];$')
EDGE = re.compile(r"^  (\w+) -> (\w+);$")


def _net():
    sj.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 1), nn.Sigmoid())


def parse_dot(text):
    """A basic syntax check: the header, one node or edge per line, edges between nodes."""
    lines = text.strip().splitlines()
    assert lines[0] == "digraph shenjing {" and lines[-1] == "}"
    nodes, edges = {}, []
    for line in lines[1:-1]:
        if line.startswith(("  graph [", "  node [")):
            continue
        m = NODE.match(line)
        if m:
            nodes[m.group(1)] = m.group(2)
            continue
        m = EDGE.match(line)
        assert m, f"not a node or edge: {line!r}"
        edges.append((m.group(1), m.group(2)))
    assert all(a in nodes and b in nodes for a, b in edges)
    return nodes, edges


def test_nodes_and_edges_of_a_known_network():
    net = _net()
    loss = nn.functional.mse_loss(net(sj.randn(4, 2)), sj.rand(4, 1))
    g = explain.graph(loss, params=dict(net.named_parameters()))
    assert g.op_names() == ["PointwiseLossBackward0", "SigmoidBackward0", "LinearBackward0",
                            "SigmoidBackward0", "LinearBackward0"]
    assert sorted(n.label for n in g.leaves()) == ["0.bias", "0.weight", "2.bias", "2.weight"]
    assert len(g.edges) == 4 + 4  # op -> op chain and one edge per parameter
    shapes = {n.label: n.shape for n in g.nodes if n.kind == "leaf"}
    assert shapes["0.weight"] == (2, 2) and shapes["2.bias"] == (1,)
    ops = [n for n in g.nodes if n.kind == "op"]
    assert [n.shape for n in ops] == [(), (4, 1), (4, 1), (4, 2), (4, 2)]
    assert all(n.dtype == "float32" for n in g.nodes)
    nodes, edges = parse_dot(g.dot)
    assert len(nodes) == 9 and len(edges) == 8
    assert 'PointwiseLossBackward0\\n() float32' in nodes[g.root]
    assert any(lab.startswith("0.weight\\n(2, 2) float32") for lab in nodes.values())


def test_after_backward_with_gradient_norms_and_constants():
    net = _net()
    loss = nn.functional.mse_loss(net(sj.randn(3, 2)), sj.rand(3, 1))
    loss.backward()  # saved arrays are freed; the edges stay
    g = explain.graph(loss, show_grad=True, params=dict(net.named_parameters()),
                      show_constants=True)
    for n in g.leaves():
        p = dict(net.named_parameters())[n.label]
        assert n.grad_norm == pytest.approx(float(np.linalg.norm(p.grad.numpy())), rel=1e-6)
    consts = [n for n in g.nodes if n.kind == "const"]
    assert sorted(n.shape for n in consts) == [(3, 1), (3, 2)]
    assert "|grad| = " in g.dot
    parse_dot(g.dot)


def test_reuse_named_intermediate_and_leaf_root():
    w = sj.tensor([1.0, 2.0], requires_grad=True)
    h = w * w
    g = explain.graph((h + 1).sum(), params={"w": w, "h": h})
    assert g.op_names() == ["SumBackward0", "AddBackward0", "MulBackward0"]
    assert len(g.leaves()) == 1  # w once, with two edges into the Mul
    assert sum(1 for a, b in g.edges if a == g.leaves()[0].id) == 2
    assert 'h = MulBackward0' in g.dot
    leaf = explain.graph(w, params={"w": w})
    assert leaf.op_names() == [] and leaf.nodes[0].label == "w"


def test_save_dot_and_errors(tmp_path, monkeypatch):
    w = sj.ones(3, requires_grad=True)
    g = explain.graph((w * 2).sum())
    path = g.save(tmp_path / "g.dot")
    assert path.read_text() == g.dot
    with pytest.raises(ValueError, match="unknown file type"):
        g.save(tmp_path / "g.txt")
    monkeypatch.setattr(graph_mod.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="Graphviz 'dot'"):
        g.save(tmp_path / "g.svg")
    assert g._repr_svg_() is None


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")
def test_render_svg_with_graphviz(tmp_path):
    net = _net()
    loss = net(sj.randn(2, 2)).sum()
    g = explain.graph(loss, params=dict(net.named_parameters()))
    svg = g.to_svg()
    assert "<svg" in svg and "SigmoidBackward0" in svg
    assert g.save(tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"


def test_cli_graph_writes_lenet_dot(tmp_path, capsys):
    import argparse

    from shenjing.cli import explain as cli

    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    out = tmp_path / "g.dot"
    assert cli.run(parser.parse_args(["graph", "--model", "lenet", "--out", str(out)])) == 0
    nodes, edges = parse_dot(out.read_text())
    labels = list(nodes.values())
    assert sum("ConvNdBackward0" in s for s in labels) == 2
    assert sum("features.0.weight" in s for s in labels) == 1
    assert "wrote" in capsys.readouterr().out
