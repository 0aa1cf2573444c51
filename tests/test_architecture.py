"""Every import of every radiocli module points down the layers written in
docs/architecture.md: no package imports one of its own layer or above (core never
imports cli, plan never imports play), and a play module imports only the play modules
listed below it (none imports the daemon)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "radiocli"
DOC = ROOT / "docs" / "architecture.md"


def section(title: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start:end if end >= 0 else len(text)]


def layers() -> dict[str, int]:
    """Package (or top-level module) -> layer, from the doc's table."""
    out: dict[str, int] = {}
    for match in re.finditer(r"^\|\s*(\d+)\s*\|([^|]*)\|", section("The layers"), re.M):
        for name in re.findall(r"`([\w.]+)`", match.group(2)):
            out[name] = int(match.group(1))
    return out


def play_order() -> list[str]:
    """play's modules, top to bottom, from the doc's table."""
    return re.findall(r"^\|\s*`(\w+)\.py`\s*\|", section("The modules of play/"), re.M)


def unit(module: str) -> str:
    """radiocli.play.desk -> play; radiocli.errors -> errors; radiocli -> radiocli."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "radiocli"


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def imports(module: str, path: Path, known: set[str]) -> set[str]:
    """The radiocli modules ``module`` imports, anywhere in it (lazy imports too)."""
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if full in known else base)
    return {m for m in found if m == "radiocli" or m.startswith("radiocli.")}


def test_the_doc_places_every_package_and_every_play_module():
    table = layers()
    units = {unit(m) for m in modules()}
    assert units <= set(table), f"not in docs/architecture.md: {sorted(units - set(table))}"
    order = play_order()
    present = {p.stem for p in (PACKAGE / "play").glob("*.py")} - {"__init__"}
    assert set(order) == present, (
        f"place these in the play table: {sorted(present - set(order))}; "
        f"gone: {sorted(set(order) - present)}")
    assert order[0] == "daemon"


def test_imports_point_down_the_layers():
    table = layers()
    known = set(modules())
    wrong = []
    for module, path in modules().items():
        here = unit(module)
        for target in imports(module, path, known):
            there = unit(target)
            if there != here and table[there] >= table[here]:
                wrong.append(f"{module} imports {target} (layer {table[here]} -> "
                             f"{table[there]})")
    assert not wrong, "\n".join(wrong)


def test_play_modules_import_only_the_modules_below_them():
    order = play_order()
    rank = {name: i for i, name in enumerate(order)}
    known = set(modules())
    wrong = []
    for module, path in modules().items():
        if unit(module) != "play" or module == "radiocli.play":
            continue
        name = module.rsplit(".", 1)[1]
        for target in imports(module, path, known):
            if target.startswith("radiocli.play."):
                other = target.split(".")[2]
                if rank[other] <= rank[name]:
                    wrong.append(f"play/{name}.py imports play/{other}.py, which is not "
                                 "below it")
    assert not wrong, "\n".join(wrong)


def test_the_check_catches_an_upward_import(tmp_path):
    """The checker itself: an import of the daemon from the desk is found."""
    source = tmp_path / "desk.py"
    source.write_text("from radiocli.play.daemon import Daemon\n", encoding="utf-8")
    found = imports("radiocli.play.desk", source, set(modules()))
    assert found == {"radiocli.play.daemon"}
    rank = {name: i for i, name in enumerate(play_order())}
    assert rank["daemon"] < rank["desk"]


def test_no_module_of_play_is_a_room_for_everything():
    """Issue 10: no module in play/ holds more than about 600 lines (a module that
    grows past this wants splitting along a seam, as sinks, alerts and the daemon were)."""
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines())
             for p in (ROOT / "radiocli" / "play").glob("*.py")}
    assert len(sizes) > 15
    assert {name: n for name, n in sizes.items() if n > 650} == {}
