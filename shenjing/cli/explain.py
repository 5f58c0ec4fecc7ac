"""``shenjing explain``: see inside a network.

    shenjing explain seed004 [--sample alice] [--linear]   chain-rule trace of seed 004's net
    shenjing explain graph --model lenet --out g.dot        computation graph (.dot/.svg/.png)
    shenjing explain stats --model lenet                    per-layer activation/gradient table
    shenjing explain gradcheck --model lenet                numerical check of every gradient
"""
from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="what", metavar="WHAT")
    p = sub.add_parser("seed004", help="chain-rule trace of seed 004's 2-2-1 sigmoid network")
    p.add_argument("--sample", default="alice", help="alice, bob, charlie or diana")
    p.add_argument("--linear", action="store_true",
                   help="the seed's nn.Linear version instead of scalar weights w1..w6")
    for name, text in (("graph", "the computation graph of one loss as DOT/SVG/PNG"),
                       ("stats", "per-layer activation and gradient statistics"),
                       ("gradcheck", "numerical check of every parameter's gradient")):
        q = sub.add_parser(name, help=text)
        q.add_argument("--model", default="lenet", help="cnn, mlp or a zoo model name")
        q.add_argument("--input-shape", default="1,32,32",
                       help="C,H,W of one input (or F for an mlp), default 1,32,32")
        q.add_argument("--batch-size", type=int, default=2)
        q.add_argument("--num-classes", type=int, default=10)
        q.add_argument("--seed", type=int, default=0)
        if name == "graph":
            q.add_argument("--out", default=None, help="file to write (.dot, .svg, .png); "
                           "default: print the DOT text")
            q.add_argument("--show-grad", action="store_true",
                           help="run backward first and show gradient norms")


def _batch(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    from .. import manual_seed, randint, randn  # noqa: PLC0415
    from .train import build_model  # noqa: PLC0415

    shape = tuple(int(s) for s in str(args.input_shape).split(","))
    manual_seed(args.seed)
    model = build_model(args.model, shape, args.num_classes)
    x = randn(args.batch_size, *shape)
    y = randint(0, args.num_classes, (args.batch_size,))
    return model, x, y


def run(args: argparse.Namespace) -> int:
    from .. import explain  # noqa: PLC0415

    what = getattr(args, "what", None)
    if what == "seed004":
        return _seed004(args)
    if what is None:
        print(__doc__.strip())
        return 0
    try:
        model, x, y = _batch(args)
    except ValueError as e:
        print(f"shenjing explain: error: {e}", file=sys.stderr)
        return 2
    if what == "stats":
        print(explain.layer_stats(model, x, y))
        return 0
    if what == "gradcheck":
        report = explain.gradcheck_model(model, x, y, seed=args.seed)
        print(report)
        return 0 if report.ok else 1
    from ..nn import functional as F  # noqa: PLC0415

    params = dict(model.named_parameters())
    loss = F.cross_entropy(model(x), y)
    if args.show_grad:
        loss.backward(retain_graph=True)
    g = explain.graph(loss, show_grad=args.show_grad, params=params)
    if args.out is None:
        print(g.dot, end="")
        return 0
    try:
        path = g.save(args.out)
    except (RuntimeError, ValueError) as e:
        print(f"shenjing explain: error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {path} ({sum(n.kind == 'op' for n in g.nodes)} ops, {len(g.leaves())} "
          f"parameters)")
    return 0


def _seed004(args: argparse.Namespace) -> int:
    from ..explain import seed004  # noqa: PLC0415

    try:
        x, y = seed004.sample(args.sample)
    except ValueError as e:
        print(f"shenjing explain: error: {e}", file=sys.stderr)
        return 2
    print(f"seed 004: x = {x.tolist()}, y_true = {y.item():g}, every weight and bias 0.1\n")
    trace = seed004.explain_seed004(args.sample, linear=args.linear)
    if args.linear:
        return 0
    hand = seed004.hand_gradients({n: 0.1 for n in seed004.NAMES}, tuple(x.tolist()),
                                  float(y.item()))
    f = hand["factors"]
    print("\nthe seed's hand derivation, evaluated:")
    print(f"    d_L_d_ypred = -2 (y_true - y_pred)       = {f['d_L_d_ypred']:.6g}"
          f"   (trace: dL/do1 = {float(trace.step('o1').upstream):.6g})")
    print(f"    d_ypred_d_h1 = w5 * deriv_sigmoid(sum_o1) = {f['d_ypred_d_h1']:.6g}")
    print(f"    d_h1_d_w1 = x[0] * deriv_sigmoid(sum_h1)  = {f['d_h1_d_w1']:.6g}")
    for n in seed004.NAMES:
        print(f"    dL/d{n} = {hand['grads'][n]: .6g} (seed's formula)   "
              f"{float(trace.grads[n]): .6g} (traced)")
    return 0
