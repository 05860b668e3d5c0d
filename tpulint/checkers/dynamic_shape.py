"""The dynamic-shape family: recompilation and host-sync hazards in the step (torch_xla target).

Candidates are collected while the module is walked (cheap, syntactic) and judged when it is
left, when the module's step loops, the functions they call and its nn.Module classes are known:
only what runs every step is reported.
"""

from __future__ import annotations

import astroid
from astroid import nodes

from tpulint import edits, resolve
from tpulint.catalog import load_catalog
from tpulint.checkers.base import Finding, StepFamilyChecker
from tpulint.checkers.cuda_libraries import TORCH_COMPILE
from tpulint.model import cite, concat
from tpulint.loops import (HOST_READ_BUILTINS, DeviceCode, Kind, conditional_on_iteration, enclosing_loop,
                           is_logging, iterated, step_scopes)

DYNAMIC_FUNCTIONS = frozenset({
    "torch.nonzero", "torch.argwhere", "torch.where", "torch.unique", "torch.unique_consecutive",
    "torch.masked_select", "torch.repeat_interleave",
})
# (masked_scatter keeps its input's shape and is lowered: measured, not reported.)
DYNAMIC_METHODS = frozenset({"nonzero", "argwhere", "unique", "unique_consecutive", "masked_select", "repeat_interleave"})
READ_METHODS = {"item": "copies the value to the host", "tolist": "copies the values to the host",
                "cpu": "copies the tensor to the host", "numpy": "copies the tensor to the host"}
READ_BUILTINS = HOST_READ_BUILTINS
# (torch.equal is an op without a lowering, aten::equal: the non-xla-op family reports it.)
COMPARING_FUNCTIONS = frozenset({"torch.allclose"})
ONE_HOT = frozenset({"torch.nn.functional.one_hot"})
PADS_OWN_LENGTH = "pads each call only to its own length"
GROWS_CACHE = "grows a dynamic KV cache every token"
GROWING = frozenset({"torch.cat", "torch.concat", "torch.concatenate", "torch.stack", "torch.hstack", "torch.vstack"})
MASK_FUNCTIONS = frozenset({"torch.isnan", "torch.isinf", "torch.isfinite", "torch.logical_and",
                            "torch.logical_or", "torch.logical_not", "torch.eq", "torch.gt", "torch.lt"})

# The short names of every call judged below: a cheap filter before resolving a call's name
# (an import alias such as `from torch import cat as join` is not followed).
SHORT_NAMES = frozenset({
    *(name.rsplit(".", 1)[-1] for name in (*DYNAMIC_FUNCTIONS, *COMPARING_FUNCTIONS, *ONE_HOT, *GROWING)),
    *DYNAMIC_METHODS, *READ_METHODS, *READ_BUILTINS,
})


class DynamicShapeChecker(StepFamilyChecker):
    name = "tpulint-dynamic-shape"
    family = "dynamic-shape"
    msgs = load_catalog().pylint_msgs("dynamic-shape")

    def visit_module(self, node: nodes.Module) -> None:
        super().visit_module(node)
        # In source order: (node, may be unpadded, may be reported), each flag from its syntax alone.
        self._candidates: list[tuple[nodes.NodeNG, bool, bool]] = []
        self._test_operands: dict[nodes.NodeNG, list[nodes.NodeNG]] = {}  # a branch's test: _value_operands

    # Candidates are kept only when their syntax allows a finding (_may_report, _may_be_unpadded):
    # most calls and subscripts of a module cannot, and nothing is asked about those.

    def visit_while(self, node: nodes.While) -> None:
        super().visit_while(node)
        self._candidate(node)  # its test is read every iteration

    def visit_call(self, node: nodes.Call) -> None:
        super().visit_call(node)
        self._compile_dynamic(node)
        unpadded, reportable = _may_be_unpadded(node), _may_report(node)
        if unpadded or reportable:
            self._candidates.append((node, unpadded, reportable))

    def _compile_dynamic(self, node: nodes.Call) -> None:
        """`torch.compile(model, dynamic=True)`, where the runtime refuses dynamic shapes."""
        dynamic = resolve.keyword(node, "dynamic")
        if (dynamic is not None and isinstance(dynamic.value, nodes.Const) and dynamic.value.value is True
                and self.qualified(node.func) == TORCH_COMPILE):
            self.report("tpu-compile-dynamic", dynamic, (node.func.as_string(),))

    def visit_subscript(self, node: nodes.Subscript) -> None:
        self._candidate(node)

    def visit_if(self, node: nodes.If) -> None:
        super().visit_if(node)
        self._candidate(node)

    def visit_ifexp(self, node: nodes.IfExp) -> None:
        super().visit_ifexp(node)
        self._candidate(node)  # `a if sigma > s_min else b` reads sigma on the host too

    def visit_assert(self, node: nodes.Assert) -> None:
        self._candidate(node)

    def _candidate(self, node: nodes.NodeNG) -> None:
        if isinstance(node, nodes.Subscript):
            reportable = _may_report(node)
        else:  # the test's operands are kept: _judge asks for them again
            self._test_operands[node] = _value_operands(node.test)
            reportable = bool(self._test_operands[node])
        if reportable:
            self._candidates.append((node, False, True))

    def analyse_module(self, node: nodes.Module) -> None:
        code = self.device_code(node) if self._candidates else None
        if code is not None:
            self._steps = step_scopes(code, self._loops)
            judged = [candidate for candidate, unpadded, reportable in self._candidates
                      if not (unpadded and self._unpadded(code, candidate)) and reportable]
            self.judge_in_step(judged, lambda candidate: self._judge(code, candidate))

    def report(self, symbol, node, args=(), **kwargs):
        """Hazards found in the step, minus those that do not run as part of every step's trace:
        inside xm.add_step_closure, inside logging (the mark-step family's), every N steps or once."""
        if _inside_step_closure(node, self.qualified, self.profile.step_closure) or _inside_logging(node, self.qualified):
            return None
        loop = enclosing_loop(node)
        if loop is not None and conditional_on_iteration(node, loop):
            return None
        return super().report(symbol, node, args, **kwargs)

    def refine(self, findings: list[Finding]) -> list[Finding]:
        """A tokenizer feeding generate() in the same loop is one hazard, the step's sequence
        length: one edit (pad, and keep generate's cache static), reported at the tokenizer."""
        tokenizers = {enclosing_loop(f.node): f for f in findings if _unpadded_because(f, PADS_OWN_LENGTH)}
        kept = []
        for finding in findings:
            tokenizer = tokenizers.get(enclosing_loop(finding.node)) if _unpadded_because(finding, GROWS_CACHE) else None
            if tokenizer is None:
                kept.append(finding)
                continue
            tokenizer.args["fix"] = concat([tokenizer.args["fix"], "; and ", finding.args["fix"], " to ",
                                            finding.args["call"], " on ", cite("{0}", [finding.node.lineno])])
        return kept

    def _judge(self, code: DeviceCode, node: nodes.NodeNG) -> None:
        if isinstance(node, nodes.Call):
            self._call(code, node)
        elif isinstance(node, nodes.Subscript):
            self._subscript(code, node)
        elif isinstance(node, (nodes.If, nodes.IfExp, nodes.While, nodes.Assert)):
            test = node.test
            if _any_tensor(self._test_operands[node], code):
                self.report("host-sync-in-step", test, (resolve.shown(test, 40), "branches on a tensor value"))

    def _call(self, code: DeviceCode, call: nodes.Call) -> None:
        func = call.func
        method = func.attrname if isinstance(func, nodes.Attribute) else None
        if resolve.short_name(func) not in SHORT_NAMES:
            return
        name = self.qualified(func)
        receiver_is_tensor = method is not None and code.kind(func.expr) == Kind.TENSOR
        if name in DYNAMIC_FUNCTIONS and _dynamic_call(name.rsplit(".", 1)[-1], call, code, call.args):
            self._dynamic(call, name.rsplit(".", 1)[-1])
        elif method in DYNAMIC_METHODS and receiver_is_tensor and _dynamic_call(method, call, code, [func.expr, *call.args]):
            self._dynamic(call, method)
        elif method in READ_METHODS and receiver_is_tensor:
            self.report("host-sync-in-step", call, (resolve.shown(call, 40), READ_METHODS[method]))
        elif isinstance(func, nodes.Name) and func.name in READ_BUILTINS and call.args and _reads_tensor_value(call.args[0], code):
            self.report("host-sync-in-step", call, (resolve.shown(call, 40), "copies the value to the host"))
        elif name in COMPARING_FUNCTIONS:
            self.report("host-sync-in-step", call, (resolve.shown(call, 40), "compares on the host"))
        elif name in ONE_HOT and len(call.args) < 2 and not any(k.arg == "num_classes" for k in call.keywords or ()):
            self.report("host-sync-in-step", call, (resolve.shown(call, 40), "reads the largest class id to size its output"))
        elif name in GROWING:
            self._growth(call)

    # --- inputs whose shape changes from call to call ----------------------------------------

    def _unpadded(self, code: DeviceCode, call: nodes.Call) -> bool:
        """Tokenizer calls in the step, generate() anywhere, DataLoaders feeding a training loop
        (the calls _may_be_unpadded lets through)."""
        func = call.func
        short = resolve.short_name(func)
        generate = isinstance(func, nodes.Attribute) and short == "generate"
        loader = short == "DataLoader" and self.qualified(func) == "torch.utils.data.DataLoader"
        tokenizing = _tokenizing(call)
        in_step = tokenizing and self._steps.contains(call)
        if not (generate or loader or in_step):
            return False
        keywords = resolve.keyword_values(call)
        # A tokenizer call makes device input only with return_tensors= (else it returns lists).
        if in_step and "return_tensors" in keywords and not generate and not loader and code.kind(func) == Kind.TOKENIZER:
            if not _fixed_length(keywords):
                self.report("unpadded-input", call, (f"{func.as_string()}(...)", PADS_OWN_LENGTH),
                            fix='pad to a fixed length: padding="max_length", max_length=N (or pad_to_multiple_of=N for a few buckets)')
            return True
        if generate and code.kind(func.expr) == Kind.MODULE:
            if _project_defined(func):
                return True  # the model's own generate(): its loop is judged where it is written
            if resolve.string_value(keywords.get("cache_implementation")) != "static" and "past_key_values" not in keywords:
                self.report("unpadded-input", call, (f"{func.as_string()}(...)", GROWS_CACHE),
                            fix='pass cache_implementation="static" (or a StaticCache as past_key_values)')
            return True
        if loader:
            self._loader(code, call, keywords)
            return True
        return False

    def _loader(self, code: DeviceCode, call: nodes.Call, keywords: dict) -> None:
        """A DataLoader a step loop iterates, in this module or anywhere in the project: a short
        last batch (no drop_last) and a collate_fn padding to each batch's longest item both give
        the step new shapes."""
        shown = f"{call.func.as_string()}(...)"
        project = code.project
        elsewhere = project.loader_loops().get((code.path, call.lineno)) if project is not None else None
        reasons, fixes = [], []
        if not _drops_last(keywords):
            loop = self._training_loop_over(code, call)
            where = cite("{0}", [loop.lineno]) if loop is not None else (elsewhere[0] if elsewhere and elsewhere[1] else None)
            if where is not None:
                reasons.append(concat(["ends each epoch of the loop on ", where, " with a short batch"]))
                fixes.append("pass drop_last=True")
        padding = project.collate_padding(code.path, call.lineno) if elsewhere is not None else None
        if padding is not None:
            reasons.append(f"gives each batch of the loop on {elsewhere[0]} its own length ({padding})")
            fixes.append('pad to a fixed length (padding="max_length", max_length=N) or to a few (pad_to_multiple_of=N)')
        if reasons:
            only_drop_last = fixes == ["pass drop_last=True"]
            self.report("unpadded-input", call, (shown, concat(reasons, " and ")), fix="; ".join(fixes),
                        edits=edits.add_keyword(call, "drop_last=True") if only_drop_last and "drop_last" not in keywords else ())

    def _training_loop_over(self, code: DeviceCode, loader: nodes.Call) -> nodes.For | None:
        """A step loop with a backward pass that iterates this DataLoader: directly, by name,
        through enumerate() and the like, or as a parameter the module's calls pass it to."""
        binding = resolve.binding_of(loader)
        names = {loader, *(binding.uses if binding is not None else ())}
        for loop in sorted(self._steps.loops, key=lambda loop: (loop.lineno, loop.col_offset)):
            if not isinstance(loop, nodes.For):
                continue
            sources = iterated(loop.iter)
            # Passed in: `train(model, loader)` with the loader built in main().
            sources += [passed for source in sources if isinstance(source, nodes.Name)
                        for passed in code.passed_for(source)]
            feeds = any(source in names for source in sources)
            if feeds and any(isinstance(node, nodes.Call) and isinstance(node.func, nodes.Attribute)
                             and node.func.attrname == "backward" for node in loop.nodes_of_class(nodes.Call)):
                return loop
        return None

    def _dynamic(self, call: nodes.Call, op: str) -> None:
        data = self.catalog.dynamic_ops[op]
        self.report("data-dependent-shape", call, (resolve.shown(call, 40), data.counter), fix=data.fix)

    def _subscript(self, code: DeviceCode, node: nodes.Subscript) -> None:
        if code.kind(node.value) != Kind.TENSOR:
            return
        if _is_bool_mask(node.slice, code, self.qualified):
            op = "mask-assign" if isinstance(node.parent, nodes.Assign) and node in node.parent.targets else "mask-index"
            data = self.catalog.dynamic_ops[op]
            self.report("data-dependent-shape", node, (resolve.shown(node, 40), data.counter), fix=data.fix)
            return
        loop = enclosing_loop(node)
        # Only where every iteration is its own graph; a loop unrolled into one graph (over layers
        # in forward) indexes the same way every step.
        varying = _loop_varying_index(node.slice, loop) if loop in self._steps.loops else None
        if varying is not None:
            what = "writes at a Python index" if _is_store(node) else "is sliced with a Python bound"
            self.report("growing-tensor", node, (resolve.shown(node, 40), f"{what} ({varying}) that changes"))

    def _growth(self, call: nodes.Call) -> None:
        """`x = torch.cat([x, y])` in a loop: x grows every iteration."""
        assign = call.parent
        if not (isinstance(assign, (nodes.Assign, nodes.AugAssign)) and enclosing_loop(call) in self._steps.loops):
            return
        targets = assign.targets if isinstance(assign, nodes.Assign) else [assign.target]
        names = {target.as_string() for target in targets}
        pieces = call.args[0] if call.args else None
        if not (isinstance(pieces, (nodes.List, nodes.Tuple)) and any(piece.as_string() in names for piece in pieces.elts)):
            return
        if _rebound_earlier_in_iteration(assign, names, enclosing_loop(call)):
            return  # `c = encode(x); c = torch.cat([c, extra])`: c starts afresh each iteration
        self.report("growing-tensor", call, (resolve.shown(call, 40), "grows by one piece"))


# --- helpers -------------------------------------------------------------------------------


def _rebound_earlier_in_iteration(assign: nodes.NodeNG, names: set[str], loop: nodes.NodeNG) -> bool:
    """A plain assignment to one of names before assign in the same iteration: earlier in its
    block or in any block around it, up to the loop body."""
    node = assign
    while node is not loop and node.parent is not None:
        for statement in resolve.statement_block(node, node.parent) or ():
            if statement is node:
                break
            if isinstance(statement, nodes.Assign) and any(
                    target.as_string() in names
                    or isinstance(target, (nodes.Tuple, nodes.List)) and any(item.as_string() in names for item in target.elts)
                    for target in statement.targets):
                return True  # `c = encode(x)`, or `down, c = controlnet(x)`
        node = node.parent
    return False


def _fixed_length(keywords: dict) -> bool:
    padding = resolve.string_value(keywords.get("padding"))
    return (padding == "max_length" and "max_length" in keywords) or "pad_to_multiple_of" in keywords


def _drops_last(keywords: dict) -> bool:
    drop_last = keywords.get("drop_last")
    return drop_last is not None and not (isinstance(drop_last, nodes.Const) and drop_last.value is False)


def _dynamic_call(op: str, call: nodes.Call, code: DeviceCode, operands: list) -> bool:
    """Whether this call of a possibly-dynamic op really has a data-dependent shape."""
    if op == "where":
        return len(call.args) == 1 and not call.keywords
    if op == "repeat_interleave":
        repeats = operands[1] if len(operands) > 1 else None
        return repeats is not None and code.kind(repeats) == Kind.TENSOR
    if op == "unique":
        return True
    return any(code.kind(operand) == Kind.TENSOR or isinstance(operand, nodes.Compare) for operand in operands[:1]) or op in (
        "nonzero", "argwhere", "masked_select", "unique_consecutive")


def _tokenizing(call: nodes.Call) -> bool:
    """The call may be a tokenizer's making tensors: `return_tensors=` or `**options` passed."""
    return any(keyword.arg in ("return_tensors", None) for keyword in call.keywords or ())  # None: **options


def _may_be_unpadded(call: nodes.Call) -> bool:
    """Whether _unpadded could judge a call, from its syntax alone: `x.generate(...)`, a call named
    DataLoader, or a tokenizing call."""
    short = resolve.short_name(call.func)
    return short == "DataLoader" or (short == "generate" and isinstance(call.func, nodes.Attribute)) or _tokenizing(call)


def _may_report(candidate: nodes.Call | nodes.Subscript) -> bool:
    """Whether _judge could report anything on a call or subscript, from its syntax alone (what
    _judge rules out first thing): so that the rest never asks whether it runs in the step. (A
    branch can be reported only when its test has _value_operands.)"""
    if isinstance(candidate, nodes.Call):
        return resolve.short_name(candidate.func) in SHORT_NAMES
    # a mask or a loop-varying index needs a name or a call
    return any(True for _ in candidate.slice.nodes_of_class((nodes.Name, nodes.Call)))


def _reads_tensor_value(test: nodes.NodeNG, code: DeviceCode) -> bool:
    """An `if`/`while` test or a bool()/int()/float() argument whose value comes from a tensor."""
    return _any_tensor(_value_operands(test), code)


def _any_tensor(operands: list[nodes.NodeNG], code: DeviceCode) -> bool:
    return any(code.kind(operand) == Kind.TENSOR for operand in operands)


# What DeviceCode.kind can find to be a tensor (a constant, a string, a lambda never is).
_VALUE_NODES = (nodes.Call, nodes.Name, nodes.Attribute, nodes.Subscript, nodes.BinOp, nodes.Compare, nodes.UnaryOp)


def _value_operands(test: nodes.NodeNG) -> list[nodes.NodeNG]:
    """The parts of a test that read a tensor's value if any of them is a tensor."""
    if isinstance(test, nodes.BoolOp):
        return [operand for value in test.values for operand in _value_operands(value)]
    if isinstance(test, nodes.UnaryOp):
        return _value_operands(test.operand)
    if isinstance(test, nodes.Name) and _only_parameters(test):
        return []  # a flag passed in: its type is not known here
    if isinstance(test, nodes.Compare):
        if any(op in ("is", "is not", "in", "not in") for op, _ in test.ops):
            return []
        operands = [test.left, *(o for _, o in test.ops)]
        if all(isinstance(o, nodes.Const) or (isinstance(o, nodes.Name) and _only_parameters(o)) for o in operands):
            return []  # `optimizer_idx == 0`, `global_step < threshold`: counters passed in, not tensors
        return [operand for operand in operands if isinstance(operand, _VALUE_NODES)]
    return [test] if isinstance(test, _VALUE_NODES) else []


def _only_parameters(name: nodes.Name) -> bool:
    """A name bound only as a parameter (or not resolvable): a flag or counter passed in."""
    return resolve.bound_only_as_parameter(name) is not False


# Tensor methods that return a boolean tensor (`x.eq(y)`, `x.isnan()`): used to index, a mask.
MASK_METHODS = frozenset({"bool", "eq", "ne", "gt", "ge", "lt", "le", "isnan", "isinf", "isfinite", "isin",
                          "logical_and", "logical_or", "logical_not", "logical_xor"})


def _is_bool_mask(node: nodes.NodeNG, code: DeviceCode, qualified, depth: int = 0) -> bool:
    if depth > 3:
        return False
    if isinstance(node, nodes.Compare):
        return _reads_tensor_value(node, code)
    if isinstance(node, nodes.UnaryOp) and node.op == "~":
        return _is_bool_mask(node.operand, code, qualified, depth + 1)
    if isinstance(node, nodes.BinOp) and node.op in ("&", "|", "^"):
        return _is_bool_mask(node.left, code, qualified, depth + 1) or _is_bool_mask(node.right, code, qualified, depth + 1)
    if isinstance(node, nodes.Call):
        func = node.func
        if qualified(func) in MASK_FUNCTIONS:
            return True
        return isinstance(func, nodes.Attribute) and func.attrname in MASK_METHODS and code.kind(func.expr) == Kind.TENSOR
    if isinstance(node, nodes.Name):
        value = resolve.single_assigned_value(node)
        return value is not None and _is_bool_mask(value, code, qualified, depth + 1)
    return False


def _project_defined(method: nodes.Attribute) -> bool:
    """The method is one the checked code defines itself (nanoGPT's GPT.generate), not a library's
    (Hugging Face's generate, whose cache_implementation= the fix names). astroid inference, run
    only for generate() calls on models; an uninferable call (transformers not installed where
    tpulint runs) counts as the library's."""
    try:
        inferred = [value for value in method.infer() if isinstance(value, (nodes.FunctionDef, astroid.BoundMethod))]
    except astroid.InferenceError:
        return False
    return bool(inferred) and all(_in_checked_code(value) for value in inferred)


def _in_checked_code(function: nodes.NodeNG) -> bool:
    path = function.root().file or ""
    return not any(part in path for part in ("site-packages", "dist-packages")) and not function.root().name.startswith("transformers")


def _unpadded_because(finding: Finding, reason: str) -> bool:
    return finding.rule.symbol == "unpadded-input" and finding.args["reason"] == reason


def _loop_varying_index(index: nodes.NodeNG, loop: nodes.For | nodes.While) -> str | None:
    """A Python name in an index or slice bound that the loop rebinds every iteration."""
    rebound = _rebound_in(loop)
    for name in index.nodes_of_class(nodes.Name):
        if name.name in rebound:
            return name.name
    return None


def _rebound_in(loop: nodes.For | nodes.While) -> set[str]:
    names = set()
    if isinstance(loop, nodes.For):
        iterable = loop.iter
        is_range = isinstance(iterable, nodes.Call) and isinstance(iterable.func, nodes.Name) and iterable.func.name in ("range", "enumerate")
        if is_range:
            targets = loop.target.elts[:1] if isinstance(loop.target, nodes.Tuple) else [loop.target]
            names |= {target.name for target in targets if isinstance(target, nodes.AssignName)}
    for statement in loop.body:
        for assign in statement.nodes_of_class((nodes.Assign, nodes.AugAssign)):
            targets = assign.targets if isinstance(assign, nodes.Assign) else [assign.target]
            for target in targets:
                if isinstance(target, nodes.AssignName) and _int_valued(assign.value):
                    names.add(target.name)
    return names


def _int_valued(value: nodes.NodeNG) -> bool:
    """A Python integer computation: a constant or a name, plus or minus integers."""
    if isinstance(value, nodes.Const):
        return type(value.value) is int
    if isinstance(value, nodes.BinOp) and value.op in ("+", "-"):
        return _int_valued(value.left) or _int_valued(value.right)
    return isinstance(value, nodes.Name)


def _is_store(node: nodes.Subscript) -> bool:
    parent = node.parent
    return isinstance(parent, nodes.Assign) and node in parent.targets


def _inside_step_closure(node: nodes.NodeNG, qualified, closure: str) -> bool:
    parent = node.parent
    while parent is not None and not isinstance(parent, nodes.Module):
        if isinstance(parent, nodes.Call) and qualified(parent.func) == closure:
            return True
        parent = parent.parent
    return False


def _inside_logging(node: nodes.NodeNG, qualified) -> bool:
    """Logging that reads tensors is the mark-step family's tensor-logged-in-step."""
    statement = node.statement()
    parent = node
    while parent is not None and parent is not statement:
        if isinstance(parent, nodes.Call) and is_logging(parent, qualified):
            return True
        parent = parent.parent
    return isinstance(statement, nodes.Expr) and isinstance(statement.value, nodes.Call) and is_logging(statement.value, qualified)
