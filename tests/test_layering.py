"""The package's layers import only downward (DESIGN.md), and never torch or keras."""
import ast
import pathlib

PKG = pathlib.Path(__file__).resolve().parent.parent / "shenjing"

# rank of each top-level part; a module may import parts of equal or lower rank only
RANK = {
    "backend": 0, "backends": 0, "_version": 0,
    "autograd": 1,
    "ops": 2,
    "nn": 3, "linalg": 3, "special": 3,
    "optim": 4, "utils": 4, "io": 4, "onnx": 4, "distributed": 4, "serialization": 4,
    "keras": 5, "models": 5, "datasets": 5, "explain": 5,
    "cli": 6,
}


def _part(path: pathlib.Path) -> str:
    rel = path.relative_to(PKG).parts
    return rel[0].removesuffix(".py")


def _imports(path: pathlib.Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    pkg_parts = path.relative_to(PKG).parts[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(pkg_parts[: len(pkg_parts) - node.level + 1])
                mod = ".".join(["shenjing", *base] + ([node.module] if node.module else []))
                if not node.module:
                    for a in node.names:
                        yield mod + "." + a.name, node.lineno
                    continue
                yield mod, node.lineno
            else:
                yield node.module or "", node.lineno


def test_no_oracle_imports_in_package():
    bad = []
    for f in PKG.rglob("*.py"):
        for name, line in _imports(f):
            if name.split(".")[0] in ("torch", "keras", "tensorflow"):
                bad.append(f"{f.relative_to(PKG)}:{line} imports {name}")
    assert not bad, "\n".join(bad)


def test_layers_import_only_downward():
    bad = []
    for f in PKG.rglob("*.py"):
        if f.parent == PKG and f.name == "__init__.py":
            continue  # the package root gathers every face
        mine = RANK.get(_part(f))
        if mine is None:
            bad.append(f"{f.relative_to(PKG)}: part {_part(f)!r} has no rank in tests/test_layering.py")
            continue
        for name, line in _imports(f):
            parts = name.split(".")
            if parts[0] != "shenjing" or len(parts) < 2:
                continue
            theirs = RANK.get(parts[1])
            if theirs is not None and theirs > mine:
                bad.append(f"{f.relative_to(PKG)}:{line} ({_part(f)}) imports {name} (a higher layer)")
    assert not bad, "\n".join(bad)
