"""Beyond one file: classes that other modules of the project define.

The first piece of the project view (issue 11): a model class is often defined in `model.py`
and instantiated in `train.py` (`from .model import Transformer`), possibly through a chain of
project classes (`class GPT(Base)`, `class Base(nn.Module)` in a third file) or a package's
`__init__.py` that re-exports it. astroid builds the imported module from its source (no
inference, nothing imported or run: tpulint.isolation); only modules of the scanned project are
read, never installed libraries, whose models are known by name instead.
"""

from __future__ import annotations

from astroid import MANAGER, nodes
from astroid.exceptions import AstroidError

from tpulint import isolation, resolve

MAX_HOPS = 8
"""Re-exports and base classes followed from a name to the class that decides (a bound on the work)."""


def imported_class(node: nodes.NodeNG) -> nodes.ClassDef | None:
    """The class a name (`Transformer`) or attribute (`models.Transformer`) refers to when another
    module of the project defines it; None for this module's own classes, installed libraries,
    and anything that does not resolve to a class."""
    target = _follow(node)
    return target if isinstance(target, nodes.ClassDef) and target.root() is not node.root() else None


def class_kind(klass: nodes.ClassDef, roots: dict[str, frozenset[str]]) -> str | None:
    """The kind in `roots` (kind -> qualified base names, e.g. "module" -> torch.nn.Module) that
    klass derives from through project classes in any module, or None."""
    pending, seen = [klass], set()
    while pending and len(seen) < MAX_HOPS * 4:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        for base in current.bases:
            name = resolve.qualified_name(base) or ""
            for kind, names in roots.items():
                if name in names or (kind == "module" and name.startswith("torch.nn.")):
                    return kind
            parent = _follow(base)
            if isinstance(parent, nodes.ClassDef):
                pending.append(parent)
    return None


def star_imported_module(statement: nodes.ImportFrom) -> nodes.Module | None:
    """The project module `from helpers import *` reads (None for an installed library's)."""
    return _project_module(statement, statement.modname)


def _follow(node: nodes.NodeNG) -> nodes.NodeNG | None:
    """The class or project module a name or attribute is bound to, through imports."""
    if isinstance(node, nodes.Name):
        found = _binding(node)
        local = node.name
    elif isinstance(node, nodes.Attribute):
        module = _follow(node.expr)
        found = _member(module, node.attrname) if isinstance(module, nodes.Module) else None
        local = node.attrname
    else:
        return None
    if isinstance(found, (nodes.Import, nodes.ImportFrom)):
        return _through_import(found, local, 0)
    return found


def _binding(name: nodes.Name) -> nodes.NodeNG | None:
    try:
        _, bindings = name.lookup(name.name)
    except (AttributeError, KeyError):
        return None
    if len(bindings) == 1 and isinstance(bindings[0], (nodes.ClassDef, nodes.Import, nodes.ImportFrom)):
        return bindings[0]
    return None


def _member(module: nodes.Module, name: str) -> nodes.NodeNG | None:
    found = module.locals.get(name, [])
    if len(found) == 1 and isinstance(found[0], (nodes.ClassDef, nodes.Import, nodes.ImportFrom)):
        return found[0]
    return None


def _through_import(statement: nodes.Import | nodes.ImportFrom, local: str, hops: int) -> nodes.NodeNG | None:
    """The class or module an import statement binds `local` to, in project code only."""
    if hops > MAX_HOPS:
        return None
    if isinstance(statement, nodes.Import):
        for name, alias in statement.names:
            if alias == local:
                return _project_module(statement, name)
            if alias is None and name.split(".")[0] == local:
                return _project_module(statement, local)
        return None
    original = next((name for name, alias in statement.names if (alias or name) == local), None)
    if original is None:
        return None
    module = _project_module(statement, statement.modname)
    if module is None:
        return None
    member = _member(module, original)
    if isinstance(member, (nodes.Import, nodes.ImportFrom)):  # a re-export in a package's __init__.py
        return _through_import(member, original, hops + 1)
    if member is None:  # `from package import submodule`
        return _project_module(statement, f"{statement.modname}.{original}" if statement.modname else original)
    return member


def _project_module(statement: nodes.Import | nodes.ImportFrom, modname: str) -> nodes.Module | None:
    """The module an import names, when it is a module of the scanned project: an installed
    library's module is never built here."""
    root = statement.root()
    level = statement.level if isinstance(statement, nodes.ImportFrom) else None
    try:
        absolute = root.relative_to_absolute_name(modname, level) if level else modname
        location = MANAGER.file_from_module_name(absolute, root.file).location
        if not location or isolation.installed(location):
            return None
        module = statement.do_import_module(modname)
    except (AstroidError, RecursionError, ValueError, ImportError, TypeError):
        return None
    return module if isinstance(module, nodes.Module) and module.file else None
