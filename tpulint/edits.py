"""Exact edits on astroid nodes (model.Edit), for the checkers' fixes: replace a node, remove a
statement, rewrite a call by a template of rules/, add a statement at the end of a loop body, add
or remove a keyword argument. Each keeps
the file parsing: a statement alone in its block becomes `pass`, a removed keyword takes its comma
with it. Positions are astroid's: 1-based lines, 0-based UTF-8 byte columns."""

from __future__ import annotations

import re

from astroid import nodes

from tpulint.catalog import REWRITE_PACKAGES, rewrite_shape
from tpulint.model import Edit
from tpulint.resolve import imports_module, passes_unpacked


# Programs whose processes play roles over RPC (a master, parameter servers, model shards on
# named devices): which process owns the TPU is a design decision, so tpulint makes no device,
# launcher or barrier edit in their modules (it still reports them).
RPC_MODULE = "torch.distributed.rpc"


def makes_device_edits(module: nodes.Module) -> bool:
    """False for a module of an RPC program (RPC_MODULE)."""
    return not imports_module(module, RPC_MODULE)


def replace(node: nodes.NodeNG, text: str) -> Edit:
    """node's source (its whole span) replaced by text."""
    return Edit(node.lineno, node.col_offset, node.end_lineno, node.end_col_offset, text)


def remove_statement(statement: nodes.NodeNG) -> Edit:
    """Delete a statement: its whole lines when it has them to itself; its span when it shares a
    line (`a = 1; torch.cuda.empty_cache()`); `pass` when it is alone in its block (an import under
    `try:` or `if xla:`), so the file still parses."""
    block = next((body for name in ("body", "orelse", "handlers", "finalbody")
                  if isinstance(body := getattr(statement.parent, name, None), list) and statement in body), None)
    if block is not None and len(block) == 1 and not isinstance(statement.parent, nodes.Module):
        return replace(statement, "pass")
    previous, following = statement.previous_sibling(), statement.next_sibling()
    if (previous is None or previous.end_lineno < statement.lineno) and (following is None or following.lineno > statement.end_lineno):
        return Edit(statement.lineno, 0, statement.end_lineno + 1, 0, "")
    return replace(statement, "")


def remove_call(call: nodes.NodeNG) -> tuple[Edit, ...]:
    """Removing a call that is a statement of its own; none when its value is used."""
    statement = call.parent
    if isinstance(call, nodes.Call) and isinstance(statement, nodes.Expr) and statement.value is call:
        return (remove_statement(statement),)
    return ()


def rewrite_call(call: nodes.Call, template: str, imports: tuple[str, ...] = ()) -> tuple[tuple[Edit, ...], tuple[str, ...]]:
    """(the edits, the imports they need) that rewrite call by an [[api]] `rewrite` template of
    rules/ (catalog.rewrite_shape): "" removes the call's statement; `name({arguments})` renames
    the called function and keeps its arguments as written; `{0}.step()` puts the first argument
    (a name or attribute) where {0} is; `a(); b()` replaces a call statement, one statement a
    line; a template without placeholders replaces a call without arguments. No edits when the
    template would drop an argument the call passes. The imports are `import torch` /
    `import torch_xla` for the packages the template names, and the entry's own (imports).

    Raises ValueError for a template of another shape (the catalog's validation refuses them)."""
    shape = rewrite_shape(template)
    if shape == "remove":
        return remove_call(call), ()
    if not isinstance(call, nodes.Call) or passes_unpacked(call):
        return (), ()
    if ('"' in template or "'" in template) and _in_f_string(call):
        return (), ()  # its quotes may be the f-string's own (a syntax error before Python 3.12)
    needed = (*(f"import {package}" for package in REWRITE_PACKAGES if re.search(rf"(?<![\w.]){package}\.", template)), *imports)
    arguments = [*call.args, *(call.keywords or ())]
    if shape == "rename":
        return (replace(call.func, template.removesuffix("({arguments})")),), needed
    if shape == "first_argument":
        first = call.args[0] if len(call.args) == 1 and not call.keywords else None
        if not isinstance(first, (nodes.Name, nodes.Attribute)):
            return (), ()
        return (replace(call, template.format(first.as_string())),), needed
    if arguments:
        return (), ()
    if shape == "statements":
        statement = call.parent
        if not isinstance(statement, nodes.Expr) or statement.value is not call or _shares_line(statement):
            return (), ()
        lines = [part.strip() for part in template.split(";")]
        return (replace(call, ("\n" + " " * statement.col_offset).join(lines)),), needed
    return (replace(call, template),), needed


def _in_f_string(node: nodes.NodeNG) -> bool:
    return any(isinstance(parent, nodes.JoinedStr) for parent in node.node_ancestors())


def _shares_line(statement: nodes.NodeNG) -> bool:
    previous, following = statement.previous_sibling(), statement.next_sibling()
    return bool((previous and previous.end_lineno == statement.lineno) or (following and following.lineno == statement.end_lineno))


def append_to_body(loop: nodes.For | nodes.While, text: str) -> tuple[Edit, ...]:
    """A line `text` added as the last statement of the loop's body, at the body's indentation;
    none for a body on the loop's own line (`for x in xs: step(x)`), one that does not start its
    own line, or one that ends in a jump (`continue`, `return`...)."""
    first, last = loop.body[0], loop.body[-1]
    if first.lineno == loop.lineno or first.col_offset <= loop.col_offset:
        return ()
    if isinstance(last, (nodes.Return, nodes.Continue, nodes.Break, nodes.Raise)):
        return ()  # a line after it would never run: where the barrier goes is a person's choice
    return (Edit(last.end_lineno + 1, 0, last.end_lineno + 1, 0, " " * first.col_offset + text + "\n"),)


def add_keyword(call: nodes.Call, text: str) -> tuple[Edit, ...]:
    """`name=value` (text) added after the call's last argument; none for a call with unpacked
    arguments, where the name may already be set."""
    arguments = [*call.args, *(call.keywords or ())]
    if passes_unpacked(call):
        return ()
    if not arguments:
        return (Edit(call.end_lineno, call.end_col_offset - 1, call.end_lineno, call.end_col_offset - 1, text),)
    last = max(arguments, key=lambda node: (node.end_lineno, node.end_col_offset))
    return (Edit(last.end_lineno, last.end_col_offset, last.end_lineno, last.end_col_offset, f", {text}"),)


def remove_keyword(call: nodes.Call, keyword: nodes.Keyword) -> tuple[Edit, ...]:
    """A keyword argument removed with the comma before it (after the argument before it); none
    when it is the call's only argument."""
    arguments = sorted([*call.args, *(call.keywords or ())], key=lambda node: (node.lineno, node.col_offset))
    index = arguments.index(keyword)
    if index == 0:
        return ()
    previous = arguments[index - 1]
    return (Edit(previous.end_lineno, previous.end_col_offset, keyword.end_lineno, keyword.end_col_offset, ""),)
