"""What does this expression mean? Answers built on astroid's scope lookup, never on text.

Every checker asks here: the qualified name behind a name or attribute chain (through
`import torch as T`, `from torch import cuda as tc`, `from torch.cuda.amp import autocast`, and
simple aliases such as `cuda = torch.cuda`), what a device expression denotes, and where a name's
value is used. Nothing here imports the code under analysis.
"""

from __future__ import annotations

import io
import os

import re
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass

from astroid import nodes

from tpulint import syntax_index
from tpulint.catalog import load_catalog

_MAX_ALIAS_DEPTH = 4

# torch's device availability checks: False on a TPU host (rules/evidence/cuda_checks.txt).
AVAILABILITY_CHECKS = frozenset({"torch.cuda.is_available", "torch.accelerator.is_available"})
CUDA_DEVICE = re.compile(r"^cuda(:\d+)?$")
# Literal pieces that become a CUDA device once formatted: "cuda:" + rank, "cuda:%d" % rank,
# "cuda:{}".format(rank), f"cuda:{rank}".
_CUDA_TEMPLATE = re.compile(r"^cuda:(%[ds]|\{\w*\}|)$")
# Every target runtime's names (rules/targets/): code written for any of them runs on a TPU.
RECOGNISED = load_catalog().recognised
XLA_DEVICE_CALLS = RECOGNISED.device_calls
PROFILE = load_catalog().profile()  # the default target's: its package is the import the port adds
# The two sides of a platform switch (switch_side): the branch taken on a TPU host, or on a GPU one.
TPU_SIDE, GPU_SIDE = "tpu-side", "gpu-side"
# Device type strings that mean "the TPU side" in a switch: every target runtime's.
TPU_DEVICE_STRINGS = RECOGNISED.device_strings
TORCH_DEVICE = "torch.device"


# Per-module memo of name origins, keyed by (scope, name): a checker makes one per module.
OriginCache = dict


def qualified_name(node: nodes.NodeNG, depth: int = 0, cache: OriginCache | None = None) -> str | None:
    """'torch.cuda.synchronize' for `T.cuda.synchronize`, `tc.synchronize`, `synchronize`, ..."""
    if depth > _MAX_ALIAS_DEPTH:
        return None
    if isinstance(node, nodes.Name):
        return _origin_of_name(node, node.name, depth, cache)
    if isinstance(node, nodes.Attribute):
        base = qualified_name(node.expr, depth, cache)
        return f"{base}.{node.attrname}" if base else None
    return None


def call_name(call: nodes.Call, cache: OriginCache | None = None) -> str | None:
    return qualified_name(call.func, cache=cache)


def short_name(func: nodes.NodeNG) -> str | None:
    """'zeros' for `torch.zeros` or `zeros`: what a call is called, before resolving anything."""
    if isinstance(func, nodes.Attribute):
        return func.attrname
    return func.name if isinstance(func, nodes.Name) else None


def root_name(node: nodes.NodeNG) -> str | None:
    """'T' for `T.cuda.synchronize`; None when the chain does not start at a plain name."""
    while isinstance(node, nodes.Attribute):
        node = node.expr
    return node.name if isinstance(node, nodes.Name) else None


def import_bound_names(module: nodes.Module) -> set[str]:
    """Module-level names bound by an import, or aliased from one (`cuda = torch.cuda`)."""
    names = set()
    for name, bindings in module.locals.items():
        for binding in bindings:
            if isinstance(binding, (nodes.Import, nodes.ImportFrom)) or isinstance(
                assigned_value(binding) if isinstance(binding, nodes.AssignName) else None,
                (nodes.Name, nodes.Attribute),
            ):
                names.add(name)
    return names


def imported_names(node: nodes.Import | nodes.ImportFrom) -> set[str]:
    """The local names an import statement binds."""
    if isinstance(node, nodes.Import):
        return {alias or module.split(".")[0] for module, alias in node.names}
    return {alias or original for original, alias in node.names}


def _origin_of_name(node: nodes.NodeNG, name: str, depth: int, cache: OriginCache | None) -> str | None:
    key = (node.scope(), name)
    if cache is not None and key in cache:
        return cache[key]
    try:
        _, bindings = node.lookup(name)
    except (AttributeError, KeyError):  # astroid raises these on broken scopes
        return None
    origins = {_origin_of_binding(binding, name, depth) for binding in bindings}
    # None when unbound, or bound to different things on different paths
    origin = origins.pop() if len(origins) == 1 else None
    if cache is not None:
        cache[key] = origin
    return origin


def bound_only_as_parameter(name: nodes.Name) -> bool | None:
    """Whether every binding of name where it is read is a parameter of its function; None when
    the name resolves to no binding at all (astroid cannot look it up)."""
    try:
        _, bindings = name.lookup(name.name)
    except (AttributeError, KeyError):  # astroid raises these on broken scopes
        return None
    return all(isinstance(binding.parent, nodes.Arguments) for binding in bindings) if bindings else None


def binding_origin(binding: nodes.NodeNG, name: str) -> str | None:
    """The qualified name an import (or alias assignment) binds name to: 'torch' for `import torch`."""
    return _origin_of_binding(binding, name, 0)


def imports_from(binding: nodes.NodeNG, name: str, prefixes: str | tuple[str, ...]) -> bool:
    """The binding is an import that makes name stand for something under one of prefixes."""
    return isinstance(binding, (nodes.Import, nodes.ImportFrom)) and (
        _origin_of_binding(binding, name, 0) or "").startswith(prefixes)


def _origin_of_binding(binding: nodes.NodeNG, name: str, depth: int) -> str | None:
    if isinstance(binding, nodes.Import):
        for module, alias in binding.names:
            if alias == name:
                return module
            if alias is None and module.split(".")[0] == name:
                return name
        return None
    if isinstance(binding, nodes.ImportFrom):
        if binding.names == [("*", None)]:
            return _star_origin(binding, name, depth)
        if binding.level:  # relative import: the project's own module
            return None
        for original, alias in binding.names:
            if (alias or original) == name:
                return f"{binding.modname}.{original}"
        return None
    if isinstance(binding, nodes.AssignName):
        value = assigned_value(binding)
        if isinstance(value, (nodes.Name, nodes.Attribute)):
            return qualified_name(value, depth + 1)
    return None


def _star_origin(binding: nodes.ImportFrom, name: str, depth: int) -> str | None:
    """Where `from helpers import *` gets name: what the project module binds it to (its own
    `import torch`), or for a library (`from torch import *`) the library's member."""
    if depth > _MAX_ALIAS_DEPTH:
        return None
    from tpulint import view  # the project view: files summarised once, nothing imported or built

    path = binding.root().file
    project = view.for_file(path, getattr(binding.root(), "file_bytes", None)) if path else None
    found = project.star_origin(os.path.abspath(path), name) if project is not None else None
    if found is not None or binding.level:
        return found
    module_path = project.module_path(os.path.abspath(path), binding.modname, 0) if project is not None else None
    return None if module_path is not None else f"{binding.modname}.{name}"  # `from torch import *`


def assigned_value(binding: nodes.AssignName) -> nodes.NodeNG | None:
    """The expression a simple `name = value` (or `name: T = value`) binds, else None."""
    parent = binding.parent
    if isinstance(parent, nodes.Assign) and parent.targets == [binding]:
        return parent.value
    if isinstance(parent, nodes.AnnAssign) and parent.target is binding:
        return parent.value
    return None


def single_assigned_value(name: nodes.Name) -> nodes.NodeNG | None:
    """The value of the one simple `name = value` that binds name where it is read, else None."""
    try:
        _, bindings = name.lookup(name.name)
    except (AttributeError, KeyError):  # astroid raises these on broken scopes
        return None
    if len(bindings) != 1 or not isinstance(bindings[0], nodes.AssignName):
        return None
    return assigned_value(bindings[0])


def string_value(node: nodes.NodeNG | None) -> str | None:
    if isinstance(node, nodes.Const) and isinstance(node.value, str):
        return node.value
    return None


def int_value(node: nodes.NodeNG | None) -> int | None:
    if isinstance(node, nodes.Const) and type(node.value) is int:
        return node.value
    return None


def argument(call: nodes.Call, position: int | None, keyword: str) -> nodes.NodeNG | None:
    """The expression passed for a parameter, by keyword or by position."""
    for item in call.keywords or ():
        if item.arg == keyword:
            return item.value
    if position is not None and len(call.args) > position:
        candidate = call.args[position]
        if not isinstance(candidate, nodes.Starred):
            return candidate
    return None


def keyword(call: nodes.Call, name: str) -> nodes.Keyword | None:
    return next((item for item in call.keywords or () if item.arg == name), None)


def keyword_values(call: nodes.Call) -> dict[str, nodes.NodeNG]:
    """A call's keyword arguments by name, including those passed as `**options` when options is
    a dict literal (or `dict(...)` call) bound once: `DataLoader(ds, **{"drop_last": True})`,
    `kwargs = {"pin_memory": True}; DataLoader(ds, **kwargs)`. Explicit keywords win."""
    found: dict[str, nodes.NodeNG] = {}
    for item in call.keywords or ():
        if item.arg:
            found[item.arg] = item.value
    for item in call.keywords or ():
        if item.arg is None:
            for name, value in unpacked_mapping(item.value).items():
                found.setdefault(name, value)
    return found


def unpacked_mapping(node: nodes.NodeNG) -> dict[str, nodes.NodeNG]:
    """The string keys and values of a dict literal or `dict(...)` call a name is bound to once."""
    mapping = single_assigned_value(node) if isinstance(node, nodes.Name) else node
    if isinstance(mapping, nodes.Dict):
        return {key.value: value for key, value in mapping.items
                if isinstance(key, nodes.Const) and isinstance(key.value, str)}
    if isinstance(mapping, nodes.Call) and isinstance(mapping.func, nodes.Name) and mapping.func.name == "dict":
        return {item.arg: item.value for item in mapping.keywords or () if item.arg}
    return {}


# --- device expressions --------------------------------------------------------------------


def is_cuda_literal(node: nodes.NodeNG) -> bool:
    """A literal that spells a CUDA device by itself: "cuda", "cuda:1", f"cuda:{rank}"."""
    text = string_value(node)
    if text is not None:
        return bool(CUDA_DEVICE.match(text))
    if isinstance(node, nodes.JoinedStr):
        return _fstring_is_cuda(node)
    return False


def _fstring_is_cuda(node: nodes.JoinedStr) -> bool:
    pieces = ["{}" if isinstance(part, nodes.FormattedValue) else str(part.value) for part in node.values]
    text = "".join(pieces)
    return text == "cuda" or text.startswith("cuda:") and re.fullmatch(r"cuda:(\d+|\{\})", text) is not None


def cuda_template_expression(node: nodes.Const) -> nodes.NodeNG | None:
    """For "cuda:" + r, "cuda:%d" % r, "cuda:{}".format(r): the whole expression; else None."""
    text = string_value(node)
    if text is None or not _CUDA_TEMPLATE.match(text):
        return None
    parent = node.parent
    if isinstance(parent, nodes.BinOp) and parent.left is node and parent.op in {"+", "%"}:
        return parent
    if (
        isinstance(parent, nodes.Attribute)
        and parent.attrname == "format"
        and isinstance(parent.parent, nodes.Call)
        and parent.parent.func is parent
    ):
        return parent.parent
    return None


def is_xla_device_expression(node: nodes.NodeNG | None) -> bool:
    """torch_xla.device(), xm.xla_device(), "xla", torch.device("xla")."""
    if node is None:
        return False
    text = string_value(node)
    if text is not None:
        return RECOGNISED.is_device_string(text)
    if isinstance(node, nodes.Call):
        name = call_name(node)
        if name in XLA_DEVICE_CALLS:
            return True
        if name == TORCH_DEVICE:
            return is_xla_device_expression(argument(node, 0, "type"))
    return False


def calls_in(node: nodes.NodeNG) -> Iterator[nodes.Call]:
    if isinstance(node, nodes.Call):
        yield node
    yield from node.nodes_of_class(nodes.Call, skip_klass=(nodes.FunctionDef, nodes.ClassDef))


def mentions_call(node: nodes.NodeNG, names: frozenset[str]) -> nodes.Call | None:
    """The first call under node whose qualified name is in names."""
    return next((call for call in calls_in(node) if call_name(call) in names), None)


# --- where a bound value is used -----------------------------------------------------------


@dataclass(frozen=True)
class Binding:
    """`name = <value>` at a definition site, with the names that read it."""

    target: nodes.AssignName
    uses: tuple[nodes.Name, ...]


def binding_of(expression: nodes.NodeNG) -> Binding | None:
    """If expression is the whole right-hand side of `name = expression`, that binding."""
    parent = expression.parent
    if isinstance(parent, nodes.Assign) and parent.value is expression and len(parent.targets) == 1:
        target = parent.targets[0]
    elif isinstance(parent, nodes.AnnAssign) and parent.value is expression:
        target = parent.target
    else:
        return None
    if not isinstance(target, nodes.AssignName):
        return None
    return Binding(target, tuple(_uses_of(target)))


def _uses_of(target: nodes.AssignName) -> Iterator[nodes.Name]:
    scope = target.scope()
    for name in scope.nodes_of_class(nodes.Name):
        if name.name != target.name:
            continue
        try:
            _, bindings = name.lookup(target.name)
        except (AttributeError, KeyError):
            continue
        if target in bindings:
            yield name


# --- platform switches ---------------------------------------------------------------------

_XLA_SWITCH = re.compile(r"xla|tpu", re.IGNORECASE)
_GPU_SWITCH = re.compile(r"cuda|gpu", re.IGNORECASE)


def switch_side(test: nodes.NodeNG) -> str | None:
    """Which platform a branch test's true side means: TPU_SIDE (`is_torch_xla_available()`,
    `USE_TPU`, `device.type == "xla"`), GPU_SIDE (`USE_CUDA`, `args.gpu`, `device.type == "cuda"`,
    but not `torch.cuda.is_available()`, which cuda-availability-fallback reports), or None."""
    negated = False
    while isinstance(test, nodes.UnaryOp) and test.op == "not":
        negated, test = not negated, test.operand
    side = None
    if isinstance(test, nodes.Compare) and len(test.ops) == 1 and test.ops[0][0] in ("==", "!="):
        operator, right = test.ops[0]
        value = next((node.value for node in (test.left, right) if isinstance(node, nodes.Const)), None)
        side = (GPU_SIDE if value.startswith("cuda") else TPU_SIDE if value in TPU_DEVICE_STRINGS else None) if isinstance(value, str) else None
        negated ^= operator == "!="
    else:
        name = test.func if isinstance(test, nodes.Call) else test
        text = name.attrname if isinstance(name, nodes.Attribute) else getattr(name, "name", "")
        if text and _XLA_SWITCH.search(text):
            side = TPU_SIDE
        elif text and _GPU_SWITCH.search(text) and text != "is_available":
            side = GPU_SIDE
    if side is not None and negated:
        side = GPU_SIDE if side == TPU_SIDE else TPU_SIDE
    return side


def imports_torch_xla(module: nodes.Module) -> bool:
    """The module imports the runtime's package (torch_xla) or one of its modules, anywhere in it."""
    return imports_module(module, PROFILE.package)


def opted_in(test: nodes.NodeNG) -> bool:
    """The availability check (AVAILABILITY_CHECKS) is ANDed with a flag the user turns on
    (`args.accel and torch.cuda.is_available()`): the CPU is the default, so the device is a
    person's choice. An opt-out flag (`not args.no_accel and ...`) keeps the device the default."""
    if isinstance(test, nodes.Name):
        test = single_assigned_value(test) or test
    if not (isinstance(test, nodes.BoolOp) and test.op == "and"):
        return False
    return any(not (isinstance(value, nodes.UnaryOp) and value.op == "not") and mentions_call(value, AVAILABILITY_CHECKS) is None
               for value in test.values)


def imports_module(module: nodes.Module, name: str) -> bool:
    """The module imports name or one of its submodules (`import torch.distributed.rpc as rpc`,
    `from torch.distributed import rpc`, `from torch.distributed.rpc import RRef`)."""
    for node in syntax_index.of(module).imports:
        if isinstance(node, nodes.Import):
            modules = [imported for imported, _ in node.names]
        else:
            modules = [node.modname, *(f"{node.modname}.{imported}" for imported, _ in node.names)]
        if any(imported == name or imported.startswith(name + ".") for imported in modules):
            return True
    return False


def _beside_xla(branch: nodes.If | nodes.IfExp, side: str, in_true_side: bool) -> bool:
    """An XLA switch always puts the GPU path beside XLA's. A GPU switch (`if USE_CUDA:`) does
    unless it is the availability idiom (`use_cuda = torch.cuda.is_available()`) or its other
    side picks the CPU (`"cuda" if args.gpu else "cpu"`): those choose the CPU on a TPU host."""
    if side == TPU_SIDE:
        return True
    test = branch.test
    while isinstance(test, nodes.UnaryOp):
        test = test.operand
    value = single_assigned_value(test) if isinstance(test, nodes.Name) else None
    if value is not None and "is_available" in value.as_string():
        return False
    other = branch.orelse if in_true_side else branch.body
    others = other if isinstance(other, list) else [other]
    return not any(isinstance(const.value, str) and const.value == "cpu"
                   for node in others for const in [node, *node.nodes_of_class(nodes.Const)] if isinstance(const, nodes.Const))


def in_runtime_gpu_guard(node: nodes.NodeNG) -> bool:
    """node runs only where the device really is a GPU, whatever the configuration: on the true
    side of `x.type == "cuda"`, `x.is_cuda` or `torch.cuda.is_available()` (the false side of
    their negations). On a TPU host that code never runs, so it needs no edit."""
    child, parent = node, node.parent
    while parent is not None:
        if isinstance(parent, nodes.If) and child is not parent.test:
            test, negated = parent.test, False
            while isinstance(test, nodes.UnaryOp) and test.op == "not":
                test, negated = test.operand, not negated
            if isinstance(test, nodes.BoolOp) and test.op == "and" and not negated:
                tests = test.values  # `if x.is_cuda and flag:` is still guarded
            else:
                tests = [test]
            if any(_checks_gpu_at_run_time(one) for one in tests) and (child in parent.body) != negated:
                return True
        if _after_gpu_exit(child, parent):
            return True
        child, parent = parent, parent.parent
    return False


def statement_block(child: nodes.NodeNG, parent: nodes.NodeNG) -> list[nodes.NodeNG] | None:
    """The list of statements of parent (its body, else, handlers or finally) that holds child."""
    for field in ("body", "orelse", "handlers", "finalbody"):
        statements = getattr(parent, field, None)
        if isinstance(statements, list) and child in statements:
            return statements
    return None


def _after_gpu_exit(child: nodes.NodeNG, parent: nodes.NodeNG) -> bool:
    """child follows, in the same block, `if not torch.cuda.is_available(): return` (or raise,
    continue, break): past that line the code runs only on a GPU."""
    block = statement_block(child, parent)
    if block is None:
        return False
    for statement in block:
        if statement is child:
            return False
        if (isinstance(statement, nodes.If) and not statement.orelse and statement.body
                and isinstance(statement.body[-1], (nodes.Return, nodes.Raise, nodes.Continue, nodes.Break))):
            # `if not cuda: return`, or `if not cuda or not flash: return`: past it, cuda holds
            tests = test.values if isinstance(test := statement.test, nodes.BoolOp) and test.op == "or" else [test]
            if any(isinstance(one, nodes.UnaryOp) and one.op == "not" and _checks_gpu_at_run_time(one.operand)
                   for one in tests):
                return True
    return False


def _checks_gpu_at_run_time(test: nodes.NodeNG) -> bool:
    if isinstance(test, nodes.Compare) and len(test.ops) == 1 and test.ops[0][0] == "==":
        value = test.ops[0][1]
        return (isinstance(test.left, nodes.Attribute) and test.left.attrname == "type"
                and isinstance(value, nodes.Const) and value.value == "cuda")
    if isinstance(test, nodes.Attribute):
        return test.attrname == "is_cuda"
    return isinstance(test, nodes.Call) and qualified_name(test.func) == "torch.cuda.is_available"


def has_xla_switch(module: nodes.Module) -> bool:
    """Some branch of the module is taken only on XLA (see switch_side)."""
    return any(switch_side(branch.test) == TPU_SIDE for branch in syntax_index.of(module).branches)


def in_gpu_only_branch(node: nodes.NodeNG) -> bool:
    """node sits in a branch taken only on a GPU (see switch_side), at any depth."""
    child, parent = node, node.parent
    while parent is not None:
        if isinstance(parent, (nodes.If, nodes.IfExp)) and child is not parent.test:
            side = switch_side(parent.test)
            in_true_side = child in parent.body if isinstance(parent, nodes.If) else child is parent.body
            if side is not None and (side == GPU_SIDE) == in_true_side and _beside_xla(parent, side, in_true_side):
                return True
        child, parent = parent, parent.parent
    return False


ELLIPSIS = "\u2026"  # one character, so a cut text keeps to its limit


def shown(node: nodes.NodeNG, limit: int) -> str:
    """node's source as a message shows it (shortened_code of node.as_string())."""
    return shortened_code(node.as_string(), limit)


def shortened_code(text: str, limit: int) -> str:
    """text (Python source) as a message shows it: whole when at most limit characters, else
    its longest run of whole tokens that fits with the ELLIPSIS after it, `torch.nn.functional.…`
    (never a cut name, number or string, nothing closed that the text leaves open). The first
    token is shown whole even when longer than limit; text that does not tokenize is cut after
    its last whole word instead."""
    if len(text) <= limit:
        return text
    ends = _token_ends(text)
    if ends is None:
        ends = [match.end() for match in re.finditer(r"\S+", text)]
    room = limit - len(ELLIPSIS)
    fitting = [end for end in ends if end <= room]
    cut = fitting[-1] if fitting else ends[0] if ends else room
    if text[cut:cut + 1] == " " and cut < room:
        cut += 1  # `f(a, …`: the space the text has after the last token shown
    return text[:cut] + ELLIPSIS


def _token_ends(text: str) -> list[int] | None:
    """The offsets in text where a token ends and another may start, outside f-strings (whose
    pieces are tokens from Python 3.12 on); None when text does not tokenize."""
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    ends: list[int] = []
    depth = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == _FSTRING_START:
                depth += 1
            elif token.type == _FSTRING_END:
                depth -= 1
            if depth == 0 and token.type not in _LAYOUT_TOKENS:
                row, column = token.end
                ends.append(starts[row - 1] + column)
    except (tokenize.TokenError, SyntaxError):
        return None
    return ends


_FSTRING_START = getattr(tokenize, "FSTRING_START", -1)
_FSTRING_END = getattr(tokenize, "FSTRING_END", -1)
_LAYOUT_TOKENS = frozenset({tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER,
                            tokenize.COMMENT})


def passes_unpacked(call: nodes.Call) -> bool:
    """`f(*args)` / `f(**options)`: an argument may come from the unpacked value."""
    return any(isinstance(arg, nodes.Starred) for arg in call.args) or any(item.arg is None for item in call.keywords or ())
