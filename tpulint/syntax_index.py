"""The module's calls, imports and branches, gathered while pylint walks it, for every module-wide question.

The families ask module-wide questions ("the module's calls of `rope_params`", "does it import
torch_xla"); each used to be a fresh `nodes_of_class` walk of the whole tree. A walk of an
astroid tree costs about a microsecond per node in Python (17 ms for timm's
vision_transformer.py, 18,500 nodes), and there were several per module: about a quarter of
tpulint's time on pytorch/examples + timm (py-spy, docs/performance.md). pylint walks every
tree once anyway and calls the families' `visit_call`, `visit_import`, `visit_importfrom`,
`visit_if` and `visit_ifexp`, so those hooks add each node to the index `start` gave them, and
the questions read its lists.

An index is only trusted once pylint has left the module with every hook collecting
(`finish`); asked before that (during the walk) or outside pylint (tests, the project's
other modules), it is built by one walk of its own.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

from astroid import nodes

_KEPT = 8  # modules whose index is kept: the one being linted, and the few its analysis asks about
_COLLECTED = (nodes.Call, nodes.Import, nodes.ImportFrom, nodes.If, nodes.IfExp)


class ModuleIndex:
    """The module's calls, imports and branches, in source (pre-)order.

    - `calls`: every `Call`; `calls_named[short]`: those whose callee's last name is `short`
      (`f(...)`, `x.f(...)`: as resolve.short_name spells it);
    - `imports`: every `Import`/`ImportFrom`, at any depth;
    - `branches`: every `If`/`IfExp`.
    """

    def __init__(self) -> None:
        self.calls: list[nodes.Call] = []
        self.calls_named: dict[str, list[nodes.Call]] = {}
        self.imports: list[nodes.Import | nodes.ImportFrom] = []
        self.branches: list[nodes.If | nodes.IfExp] = []
        self.complete = False

    def add(self, node: nodes.NodeNG) -> None:
        """Add a Call, Import, ImportFrom, If or IfExp (each once: several families' hooks see the
        same node); nothing once the index is complete."""
        if self.complete:
            return
        if isinstance(node, nodes.Call):
            if self.calls and self.calls[-1] is node:
                return
            self.calls.append(node)
            func = node.func
            short = func.attrname if isinstance(func, nodes.Attribute) else getattr(func, "name", None)
            if short is not None:
                self.calls_named.setdefault(short, []).append(node)
            return
        kept = self.imports if isinstance(node, (nodes.Import, nodes.ImportFrom)) else self.branches
        if not (kept and kept[-1] is node):
            kept.append(node)

    def calls_of(self, qualified_names: Iterable[str]) -> list[nodes.Call]:
        """The calls whose callee's last name is that of one of qualified_names (`torch.device`
        -> every `device(...)`, `x.device(...)`): the candidates to resolve, found without
        resolving every call of the module."""
        shorts = {name.rpartition(".")[2] for name in qualified_names}
        return [call for short in shorts for call in self.calls_named.get(short, ())]

    def walk(self, module: nodes.Module) -> ModuleIndex:
        """Fill the index by walking the module itself (outside pylint's walk)."""
        self.calls, self.calls_named, self.imports, self.branches = [], {}, [], []
        for node in module.nodes_of_class(_COLLECTED):
            self.add(node)
        self.complete = True
        return self


_INDEXES: OrderedDict[int, tuple[nodes.Module, ModuleIndex]] = OrderedDict()


def start(module: nodes.Module, collecting: bool) -> ModuleIndex:
    """pylint begins walking module: the index its families' hooks fill (ModuleIndex.add). Not
    `collecting` (the family has no visit_call hook): the index is built by a walk if no
    collecting family is enabled. Every family's visit_module precedes every other hook of the
    walk: an empty, unfinished index is this walk's, set up by another family; anything else is
    an earlier run's."""
    kept = _INDEXES.get(id(module))
    if kept is not None and kept[0] is module:
        index = kept[1]
        if not (index.complete or index.calls or index.imports or index.branches):
            return index
        del _INDEXES[id(module)]
    index = ModuleIndex()
    if collecting:
        _keep(module, index)
    return index


def finish(module: nodes.Module) -> None:
    """pylint left module: what was noted is all there is."""
    kept = _INDEXES.get(id(module))
    if kept is not None and kept[0] is module:
        kept[1].complete = True


def of(module: nodes.Module) -> ModuleIndex:
    """The module's index: the one pylint's walk filled, or one built by walking the module."""
    kept = _INDEXES.get(id(module))
    if kept is not None and kept[0] is module and kept[1].complete:
        _INDEXES.move_to_end(id(module))
        return kept[1]
    return _keep(module, ModuleIndex().walk(module))


def _keep(module: nodes.Module, index: ModuleIndex) -> ModuleIndex:
    _INDEXES[id(module)] = (module, index)
    _INDEXES.move_to_end(id(module))
    while len(_INDEXES) > _KEPT:
        _INDEXES.popitem(last=False)
    return index

