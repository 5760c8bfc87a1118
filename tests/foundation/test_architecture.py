"""The layering of docs/architecture.md, enforced: what may import what, and module size.

Every `import` in `src/anitrakt` is read with `ast` (those inside functions too) and
checked against the layer of the module that imports and the module imported:

    foundation  errors, clock, domain/    pure values and rules; import only each other
    settings    config                    + foundation
    adapters    clients/, store/, mappings/   + settings; never one another
    use cases   usecases/                 + adapters: what a person can do, and Runtime
    edges       web/, cli/, schemas/      + use cases (not adapters: a route or command
                                          parses, calls one use case, renders); nothing
                                          imports them (the CLI may import the web app
                                          and server, to serve them)
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import paths

SRC = paths.SRC
PACKAGE = SRC / "anitrakt"
MAX_MODULE_LINES = 450

LAYERS = {
    "errors": "foundation",
    "clock": "foundation",
    "domain": "foundation",
    "__init__": "foundation",
    "config": "settings",
    "clients": "adapters",
    "store": "adapters",
    "mappings": "adapters",
    "usecases": "use cases",
    "web": "edges",
    "cli": "edges",
    "schemas": "edges",
    "__main__": "edges",
}
ORDER = ["foundation", "settings", "adapters", "use cases", "edges"]
# Within the foundation: errors and clock import nothing of ours; domain only errors.
FOUNDATION_MAY_IMPORT = {"errors": set(), "clock": set(), "domain": {"errors", "domain"}}
# The only imports of one edge by another: both edges render the shared JSON shapes,
# the CLI serves the web app, and `python -m anitrakt` is the CLI.
EDGE_IMPORTS_ALLOWED = {
    ("web", "anitrakt.schemas"),
    ("cli", "anitrakt.schemas"),
    ("cli", "anitrakt.web.app"),
    ("cli", "anitrakt.web.server"),
    ("__main__", "anitrakt.cli"),
}


def _edge_import_allowed(importer: str, imported: str) -> bool:
    return any(
        importer == who and (imported == what or imported.startswith(what + "."))
        for who, what in EDGE_IMPORTS_ALLOWED
    )


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> Iterator[str]:
    """Every module of ours `path` imports, relative imports resolved."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    yield from _imports_in(path.read_text(encoding="utf-8"), package)


def _imports_in(source: str, package: str) -> Iterator[str]:
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from anitrakt.web import server` imports the module anitrakt.web.server;
            # `from anitrakt.errors import X` imports anitrakt.errors.
            names = [
                f"{base}.{alias.name}" if _real(f"{base}.{alias.name}") else base
                for alias in node.names
            ]
        else:
            continue
        for name in names:
            if name == "anitrakt" or name.startswith("anitrakt."):
                yield name


def _part(module: str) -> str:
    """The top-level part of `anitrakt.x.y`: `x` (`__init__` for the package itself)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _real(module: str) -> bool:
    """Whether `module` names a module or package (not a name imported from one)."""
    path = SRC.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


MODULES = sorted(PACKAGE.rglob("*.py"))


def _problems(module: str, imports: set[str]) -> list[str]:
    importer = _part(module)
    layer = LAYERS.get(importer)
    if layer is None:
        return [f"{importer} has no layer in tests/test_architecture.py and docs/architecture.md"]
    found = []
    for imported in sorted(imports):
        if not _real(imported) or imported == "anitrakt":
            continue
        target = _part(imported)
        target_layer = LAYERS.get(target)
        if target == importer or target_layer is None:
            continue
        if target_layer == "edges":
            if not _edge_import_allowed(importer, imported):
                found.append(f"imports the edge {imported}")
            continue
        if ORDER.index(target_layer) > ORDER.index(layer):
            found.append(f"({layer}) imports {imported} ({target_layer}), a layer above")
        elif layer == target_layer == "adapters":
            found.append(f"imports {imported}: adapters never import one another")
        elif layer == "edges" and target_layer == "adapters":
            found.append(f"imports {imported}: an edge calls use cases, not adapters")
        elif layer == target_layer == "foundation" and target not in FOUNDATION_MAY_IMPORT.get(
            importer, {target}
        ):
            found.append(f"imports {imported}: not allowed inside the foundation")
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _module_name(p))
def test_every_import_points_down_the_layers(path: Path) -> None:
    assert _problems(_module_name(path), set(_imports(path))) == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _module_name(p))
def test_no_module_is_over_450_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{lines} lines: split it by meaning"


def test_top_level_parts_import_each_other_without_cycles() -> None:
    graph: dict[str, set[str]] = {}
    for path in MODULES:
        importer = _part(_module_name(path))
        targets = {_part(m) for m in _imports(path) if _real(m) and m != "anitrakt"}
        graph.setdefault(importer, set()).update(targets - {importer, "__init__"})

    def cycle_from(node: str, seen: tuple[str, ...]) -> tuple[str, ...] | None:
        for nxt in sorted(graph.get(node, ())):
            if nxt in seen:
                return (*seen[seen.index(nxt) :], nxt)
            found = cycle_from(nxt, (*seen, nxt))
            if found:
                return found
        return None

    cycles = [c for part in sorted(graph) if (c := cycle_from(part, (part,)))]
    assert cycles == []


@pytest.mark.parametrize(
    ("module", "source", "wrong"),
    [
        ("anitrakt.store.mappings", "from anitrakt.clients.trakt import TraktClient", True),
        ("anitrakt.web.api", "from anitrakt.store.logs import list_logs", True),
        ("anitrakt.web.api", "from anitrakt.usecases.scheduler import cron_tick", False),
        ("anitrakt.usecases.scheduler", "from anitrakt.web import app", True),
        ("anitrakt.domain.episodes", "from anitrakt.config import Settings", True),
        ("anitrakt.domain.episodes", "from anitrakt.errors import InputError", False),
        ("anitrakt.clients.trakt", "from ..store import tokens", True),
        ("anitrakt.cli", "from anitrakt.web.app import create_app", False),
        ("anitrakt.cli", "from anitrakt.web.pages import router", True),
        ("anitrakt.cli.sync", "from anitrakt.schemas.sync import SyncRunBody", False),
        ("anitrakt.schemas.sync", "from anitrakt.web.app import create_app", True),
        ("anitrakt.errors", "from anitrakt.domain import keys", True),
    ],
)
def test_the_checker_tells_right_arrows_from_wrong(module: str, source: str, wrong: bool) -> None:
    package = module.rpartition(".")[0]
    assert bool(_problems(module, set(_imports_in(source, package)))) is wrong
