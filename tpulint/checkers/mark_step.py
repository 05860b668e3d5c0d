"""The mark-step family: loops that run device work with no graph barrier (torch_xla target).

Loops are judged when the module has been walked, so that the whole module's code is known:
whether it moves anything to a device at all, what its names are bound to, what its helpers do.
"""

from __future__ import annotations

from astroid import nodes
from pylint.interfaces import INFERENCE

from tpulint import edits, resolve, syntax_index
from tpulint.catalog import load_catalog
from tpulint.checkers.base import StepFamilyChecker, header_end
from tpulint.model import Lines, cite, join
from tpulint.loops import (MARK_STEP, DeviceCode, Kind, LoopVerdict, conditional_on_iteration, is_logging,
                           read_after_barrier, variable_interval)

SHOWN_WORK = 3
READ_METHODS = frozenset({"item", "tolist"})
_MARK_STEP_NAME = MARK_STEP.rpartition(".")[2]


class MarkStepChecker(StepFamilyChecker):
    name = "tpulint-mark-step"
    family = "mark-step"
    msgs = load_catalog().pylint_msgs("mark-step")

    def visit_call(self, node: nodes.Call) -> None:
        super().visit_call(node)
        if resolve.short_name(node.func) == _MARK_STEP_NAME and self.qualified(node.func) == MARK_STEP:
            barrier = self.profile.barrier_call
            changes = (edits.replace(node, barrier),) if barrier and not node.args and not node.keywords else ()
            self.report("deprecated-mark-step", node, (f"{node.func.as_string()}()",), edits=changes)

    def analyse_module(self, node: nodes.Module) -> None:
        code = self.device_code(node) if self._loops else None
        if code is not None:
            for loop in self._loops:
                self._judge(code, code.loop_verdict(loop))

    def _judge(self, code: DeviceCode, verdict: LoopVerdict) -> None:
        if verdict.absorbed:
            return
        if verdict.steps:
            self._logging_in_step(code, verdict.loop)
        if verdict.missing and verdict.steps:
            barrier = self.profile.barrier_call
            finding = self.report("missing-graph-barrier", verdict.loop,
                                  (_work(verdict), _why(verdict, self.profile.barrier_keyword)),
                                  fix=self._fix(code, verdict),
                                  edits=edits.append_to_body(verdict.loop, barrier) if barrier and _places_on_device(verdict.loop) else ())
            if finding is not None:
                finding.end = header_end(verdict.loop)
        elif verdict.barrier_first and verdict.steps:
            first = verdict.barriers[0]
            self.report(
                "barrier-before-step-work", first,
                (cite("on {0}", [first.lineno]) if first.lineno != verdict.loop.lineno else "", _work(verdict)),
            )

    def _fix(self, code: DeviceCode, verdict: LoopVerdict) -> str | None:
        """missing-graph-barrier's fix variant (rules/mark_step.toml) by what the loop has: an
        optimizer step that could take barrier=True, a data loader a syncing loader could wrap."""
        last, step = verdict.loop.body[-1], verdict.unsynced_optimizer_step
        variant = ("optimizer_step_without_barrier" if step is not None
                   else "data_loader" if code.iterates_data_loader(verdict.loop) else "at_end")
        return self.fix_for("missing-graph-barrier", variant, line=cite("{0}", [last.end_lineno or last.lineno]),
                            call=step.func.as_string() if step is not None else "")

    def _logging_in_step(self, code: DeviceCode, loop: nodes.For | nodes.While) -> None:
        for call in _own_calls(loop):
            if not is_logging(call, self.qualified):
                continue
            interval = variable_interval(call, loop)
            if interval is None and conditional_on_iteration(call, loop):
                continue  # every N steps with N written in the code, or once: already rare enough
            read = next((node for node in _arguments_read(call) if _reads_device_value(node, call, code)), None)
            if read is None or read_after_barrier(call, code.loop_verdict(loop), code.is_step_work):
                continue
            what = resolve.shown(read, 40)
            if interval is None:
                self.report("tensor-logged-in-step", call, (f"{call.func.as_string()}()", what))
            else:  # every `args.log_interval` steps: a mid-step sync only as often as the setting says
                self.report("tensor-logged-in-step", call,
                            (f"{call.func.as_string()}()", f"{what} every {resolve.shown(interval, 30)} steps"),
                            confidence=INFERENCE)


def _own_calls(loop: nodes.For | nodes.While):
    """Calls in the loop body itself: not in nested loops (judged on their own) or definitions."""
    skip = (nodes.For, nodes.While, nodes.FunctionDef, nodes.ClassDef, nodes.Lambda)
    for statement in loop.body:
        if isinstance(statement, skip):
            continue
        yield from statement.nodes_of_class(nodes.Call, skip_klass=skip)


def _arguments_read(call: nodes.Call):
    """What a logging call formats: its arguments, f-string fields, and .item()/.tolist() inside."""
    for argument in [*call.args, *(keyword.value for keyword in call.keywords or ())]:
        yield argument
        yield from argument.nodes_of_class((nodes.Call, nodes.FormattedValue, nodes.Name))


def _reads_device_value(node: nodes.NodeNG, logging_call: nodes.Call, code: DeviceCode) -> bool:
    """`.item()`/`.tolist()` of a tensor, or a tensor formatted into the text (`len(tensor)` is not)."""
    if isinstance(node, nodes.Call) and isinstance(node.func, nodes.Attribute) and node.func.attrname in READ_METHODS:
        return code.kind(node.func.expr) == Kind.TENSOR
    if isinstance(node, nodes.FormattedValue):
        return code.kind(node.value) == Kind.TENSOR
    parent = node.parent
    formats = parent is logging_call or (
        isinstance(parent, nodes.Call) and isinstance(parent.func, nodes.Attribute) and parent.func.attrname == "format"
    )
    return formats and node in parent.args and code.kind(node) == Kind.TENSOR


def _outermost_first(node: nodes.NodeNG) -> tuple[int, int, int, int]:
    return node.lineno, node.col_offset or 0, -(node.end_lineno or 0), -(node.end_col_offset or 0)


def _work(verdict: LoopVerdict) -> Lines:
    """The device work, one item per line (the outermost expression), the first few lines."""
    by_line: dict[int, nodes.NodeNG] = {}
    # The outermost node of each line, chosen by position: the work list's order comes from sets.
    for node in sorted(verdict.work, key=_outermost_first):
        by_line.setdefault(node.lineno, node)
    shown = []
    for line, node in sorted(by_line.items()):
        shown.append(join([resolve.shown(node, 40), " on ", cite("{0}", [line])]))
    more = len(shown) - SHOWN_WORK
    return join([join(shown[:SHOWN_WORK], ", "), f" and {more} more" if more > 0 else ""])


def _why(verdict: LoopVerdict, barrier_keyword: str) -> str | Lines:
    if verdict.unsynced_optimizer_step is not None and not verdict.barriers:
        step = verdict.unsynced_optimizer_step
        return join([f"{step.func.as_string()}() on ", cite("{0}", [step.lineno]),
                     f" does not sync without {barrier_keyword}=True"])
    if verdict.barriers:
        lines = sorted({node.lineno for node in verdict.barriers})
        return join(["the barrier on ", cite("{0}", lines), " is not reached on every path through the body"])
    return "nothing in it cuts the graph"


def _places_on_device(loop: nodes.NodeNG) -> bool:
    """The loop's module uses the GPU or the TPU device: a CUDA device string, `.cuda()`,
    `torch.device(...)`, the current accelerator or the target's device call; only then is the
    barrier an edit tpulint makes. A module with none (`.to(device)` of a device it is given
    proves nothing) runs on the CPU as written or is handed its device: a person places the work
    first."""
    index = syntax_index.of(loop.root())
    checks = index.calls_of(resolve.AVAILABILITY_CHECKS)
    if any(resolve.call_name(call) in resolve.AVAILABILITY_CHECKS and _behind_opt_in(call) for call in checks):
        return False  # the device is chosen behind an opt-in flag (`args.accel and ...`): not ported
    if any(resolve.call_name(call) in DEVICE_CALLS for call in index.calls_of(DEVICE_CALLS)):
        return True
    return any((isinstance(call.func, nodes.Attribute) and call.func.attrname == "cuda")
               or any(isinstance(arg, nodes.Const) and isinstance(arg.value, str) and resolve.CUDA_DEVICE.match(arg.value)
                      for arg in (*call.args, *(keyword.value for keyword in call.keywords or ())))
               for call in index.calls)


def _behind_opt_in(check: nodes.Call) -> bool:
    """The availability check is part of a test with an opt-in flag (resolve.opted_in)."""
    test = check.parent
    while isinstance(test, (nodes.BoolOp, nodes.UnaryOp)) and isinstance(test.parent, (nodes.BoolOp, nodes.UnaryOp)):
        test = test.parent
    return isinstance(test, nodes.BoolOp) and resolve.opted_in(test)


# Calls that name the GPU or the TPU device (the target's own device calls come from its profile).
DEVICE_CALLS = frozenset({"torch.device", "torch.accelerator.current_accelerator", "torch.cuda.set_device"}
                         | resolve.AVAILABILITY_CHECKS | resolve.XLA_DEVICE_CALLS)
