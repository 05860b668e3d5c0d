"""The non-xla-op family: calls that torch_xla runs on the CPU, from data measured on the runtime
(rules/ops/torch_xla-<version>.toml). Reported in the step only, like the dynamic-shape family."""

from __future__ import annotations

from typing import Any

from astroid import nodes

from tpulint import resolve
from tpulint.catalog import OpEntry, load_catalog
from tpulint.checkers.base import TORCH_XLA_OPTION, StepFamilyChecker, option
from tpulint.loops import DeviceCode, Kind, step_scopes

HOST_READ = "aten::_local_scalar_dense"
DEFAULT_FIX = "keep it out of the step (compute it once, outside the loop) or write it with lowered ops"


class NonXlaOpChecker(StepFamilyChecker):
    name = "tpulint-non-xla-op"
    family = "non-xla-op"
    msgs = load_catalog().pylint_msgs("non-xla-op")

    def visit_module(self, node: nodes.Module) -> None:
        super().visit_module(node)
        self._calls: list[nodes.Call] = []

    def visit_call(self, node: nodes.Call) -> None:
        super().visit_call(node)
        func = node.func
        short = func.attrname if isinstance(func, nodes.Attribute) else getattr(func, "name", None)
        if short in self._measured_names():  # cheap: most calls name no measured op at all
            self._calls.append(node)

    def _measured_names(self) -> frozenset[str]:
        if not hasattr(self, "_names"):
            self._names = frozenset(entry.call.rsplit(".", 1)[-1] for entries in self.catalog.ops.values()
                                    for entry in entries if entry.falls_back)
        return self._names

    def leave_module(self, node: nodes.Module) -> None:
        code = self.device_code(node) if self._calls else None
        if code is not None:
            steps = step_scopes(code, self._loops)
            table = self._table()
            for call in self._calls:
                if steps.contains(call):
                    self._judge(code, call, table)
        super().leave_module(node)

    def _table(self) -> dict[str, list[OpEntry]]:
        version = option(self.linter, TORCH_XLA_OPTION, self.catalog.newest_torch_xla)
        table: dict[str, list[OpEntry]] = {}
        for entry in self.catalog.ops[version]:
            table.setdefault(entry.call, []).append(entry)
        return table

    def _judge(self, code: DeviceCode, call: nodes.Call, table: dict[str, list[OpEntry]]) -> None:
        entries, is_method = self._entries(code, call, table)
        for entry in entries:
            if not entry.falls_back:
                continue
            counters = ", ".join(counter for counter in entry.counters if counter != HOST_READ)
            if not entry.condition:
                self._report(call, "", counters, entry)
                return
            if entry.when is None:
                continue  # depends on shapes no static check can see (an adaptive pool's sizes)
            holds, argument = _holds(entry.when, call, is_method)
            if holds:
                self._report(call, f" with {entry.condition}", counters, entry)
                return
            if holds is None:
                self._report(call, f" when {entry.condition} (here {argument.as_string()[:30]}, not a constant, decides)",
                             counters, entry)
                return

    def _entries(self, code: DeviceCode, call: nodes.Call, table) -> tuple[list[OpEntry], bool]:
        name = self.qualified(call.func)
        if name in table:
            return table[name], False
        func = call.func
        if isinstance(func, nodes.Attribute) and code.kind(func.expr) == Kind.TENSOR:
            method = func.attrname
            return table.get(f"torch.Tensor.{method}", []) + table.get(f"torch.{method}", []), True
        return [], False

    def _report(self, call: nodes.Call, condition: str, counters: str, entry: OpEntry) -> None:
        self.report("cpu-fallback-op", call, (call.as_string()[:40], condition, counters),
                    fix=f"instead: {entry.alternative}" if entry.alternative else DEFAULT_FIX)


def _holds(when: dict[str, Any], call: nodes.Call, is_method: bool) -> tuple[bool | None, nodes.NodeNG | None]:
    """Whether a measured fallback condition holds for this call: True, False, or None (not a constant)."""
    position = when.get("position")
    if is_method and position is not None:
        position -= 1  # the tensor is the receiver, not the first argument
    value = resolve.argument(call, position, when["argument"])
    unless = when.get("unless")
    if unless is not None and _holds(unless, call, is_method)[0]:
        return False, value
    if value is None:
        return False, None  # the default, which does not fall back
    if "given" in when:
        return not (isinstance(value, nodes.Const) and value.value is None), value
    constants = _constants(value)
    if constants is None:
        return None, value
    if "equals" in when:
        return any(constant in when["equals"] for constant in constants), value
    if "not_equals" in when:
        return any(constant not in when["not_equals"] for constant in constants), value
    if "above" in when:
        return any(isinstance(constant, (int, float)) and constant > when["above"] for constant in constants), value
    return None, value


def _constants(value: nodes.NodeNG) -> list[Any] | None:
    if isinstance(value, nodes.Const):
        return [value.value]
    if isinstance(value, (nodes.Tuple, nodes.List)) and all(isinstance(item, nodes.Const) for item in value.elts):
        return [item.value for item in value.elts]
    if isinstance(value, nodes.UnaryOp) and value.op == "-" and isinstance(value.operand, nodes.Const):
        return [-value.operand.value]
    return None
