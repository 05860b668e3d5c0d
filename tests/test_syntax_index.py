"""tpulint.syntax_index: the module-wide lists pylint's walk fills are the ones a walk of its own finds."""

import astroid
from astroid import nodes

from tpulint import syntax_index

SOURCE = '''
import torch
def f(x):
    from torch_xla import core
    y = x.cuda() if x.is_cuda else g(x)
    if y:
        return torch.cat([y, h(y)])
class M:
    def rope(self):
        return self.rope()
'''


def _walked(module):
    return syntax_index.ModuleIndex().walk(module)


def _as_pylint_walks(module, families=2):
    """Feed the index as pylint's walk does: every family's visit_module, then each node's
    hooks once per family, then leave_module."""
    indexes = [syntax_index.start(module, collecting=True) for _ in range(families)]
    for node in module.nodes_of_class((nodes.Call, nodes.Import, nodes.ImportFrom, nodes.If, nodes.IfExp)):
        for index in indexes:
            index.add(node)
    syntax_index.finish(module)


def test_walked_index_lists_every_call_import_and_branch_in_source_order():
    module = astroid.parse(SOURCE)
    index = _walked(module)
    assert [call.func.as_string() for call in index.calls] == ["x.cuda", "g", "torch.cat", "h", "self.rope"]
    assert [node.lineno for node in index.imports] == [2, 4]
    assert [type(node).__name__ for node in index.branches] == ["IfExp", "If"]
    assert [call.lineno for call in index.calls_named["rope"]] == [10]


def test_index_filled_by_the_walk_is_the_same_and_counts_each_node_once():
    module = astroid.parse(SOURCE)
    _as_pylint_walks(module)
    index = syntax_index.of(module)
    walked = _walked(module)
    assert index.calls == walked.calls and index.imports == walked.imports and index.branches == walked.branches
    assert {name: calls for name, calls in index.calls_named.items()} == walked.calls_named


def test_asked_during_the_walk_the_index_walks_the_module_itself():
    module = astroid.parse(SOURCE)
    first = next(module.nodes_of_class(nodes.Import))
    syntax_index.start(module, collecting=True).add(first)  # pylint has seen only the first import so far
    assert [node.lineno for node in syntax_index.of(module).imports] == [2, 4]


def test_without_a_collecting_family_the_index_is_walked():
    module = astroid.parse(SOURCE)
    syntax_index.start(module, collecting=False).add(next(module.nodes_of_class(nodes.Call)))
    syntax_index.finish(module)
    assert len(syntax_index.of(module).calls) == 5


def test_a_new_walk_of_the_same_module_starts_a_new_index():
    module = astroid.parse(SOURCE)
    _as_pylint_walks(module)
    only = next(module.nodes_of_class(nodes.Call))
    syntax_index.start(module, collecting=True).add(only)  # a second pylint run over astroid's cached module
    syntax_index.finish(module)
    assert syntax_index.of(module).calls == [only]
