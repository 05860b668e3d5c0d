"""The non-xla-op family: calls that torch_xla runs on the CPU, from data measured on the runtime
(rules/ops/torch_xla-<version>.toml). Reported in the step only, like the dynamic-shape family."""

from __future__ import annotations

from typing import Any

from astroid import nodes
from pylint.interfaces import HIGH, INFERENCE, Confidence

from tpulint import resolve, syntax_index
from tpulint.catalog import OpEntry, by_target, load_catalog
from tpulint.checkers import cuda_libraries as libs
from tpulint.checkers.base import RUNTIME_VERSION_OPTION, TORCH_XLA_OPTION, StepFamilyChecker, option
from tpulint.loops import DeviceCode, Kind, step_scopes

HOST_READ = "aten::_local_scalar_dense"
# Short names of the calls judged below: a cheap filter before resolving a call's name.
CALLS_OF_INTEREST = frozenset({"CUDAExtension", "load", "load_inline", libs.BNB_CONFIG, "compile",
                               *(name.rsplit(".", 1)[-1] for name in libs.SDPA_SELECTION)})


class NonXlaOpChecker(StepFamilyChecker):
    name = "tpulint-non-xla-op"
    family = "non-xla-op"
    msgs = load_catalog().pylint_msgs("non-xla-op")

    libraries = load_catalog().cuda_libraries

    def visit_module(self, node: nodes.Module) -> None:
        super().visit_module(node)
        self._calls: list[nodes.Call] = []
        self._library_names: dict[str, bool] = {}  # local name bound to a CUDA-only library -> guarded
        self._kernels: set[nodes.FunctionDef] = set()

    def on_import(self, node: nodes.Import | nodes.ImportFrom) -> None:
        self._check_library_import(node)

    def visit_call(self, node: nodes.Call) -> None:
        super().visit_call(node)
        func = node.func
        short = resolve.short_name(func)
        if short in self._measured_names():  # cheap: most calls name no measured op at all
            self._calls.append(node)
        if resolve.root_name(func) in self._library_names:
            self._check_library_call(node)
        if short in CALLS_OF_INTEREST or any(keyword.arg in libs.BNB_FLAGS for keyword in node.keywords):
            self._check_known_call(node)

    def visit_assignattr(self, node: nodes.AssignAttr) -> None:
        if node.attrname.startswith("__") or resolve.root_name(node.expr) not in self._resolvable:
            return
        name = self.qualified(node.expr)
        if name is not None and (name + ".").startswith(libs.INDUCTOR_CONFIG + "."):
            self.report("inductor-setting", node.statement(), (f"{name}.{node.attrname}",))

    def visit_functiondef(self, node: nodes.FunctionDef) -> None:
        for decorator in node.decorators.nodes if node.decorators else ():
            name = None if isinstance(decorator, nodes.Call) else self.qualified(decorator)
            if name == libs.TORCH_COMPILE and name not in self.profile.patched_calls:
                self.report("inductor-compile", decorator, (f"@{decorator.as_string()}",))
        kernel = libs.kernel_decorator(node, self.qualified)
        if kernel is not None:
            decorator, calls = kernel
            self._kernels.add(node)
            for call in calls:
                self.claim(call)
            self.report("cuda-kernel", node, (f"{node.name} (@{decorator})",))

    def _check_library_import(self, node: nodes.Import | nodes.ImportFrom) -> None:
        if libs.is_type_checking_only(node):
            return
        for name, bound in libs.imported_modules(node):
            library = libs.library_of(name, self.libraries)
            if library is None:
                continue
            guarded = libs.is_guarded(node)
            shown = node.modname if isinstance(node, nodes.ImportFrom) and library.owns(node.modname) else name
            self._library_names[bound] = self._library_names.get(bound, True) and guarded
            if guarded:
                self.report("guarded-cuda-library", node, (shown, f"its replacement: {library.replacement(name, self.target)}"))
            else:
                self.report("cuda-only-library", node, (shown, library.title, by_target(library.reason, self.target)),
                            fix=library.replacement(library.module, self.target))
            return  # one finding per import statement

    def _check_library_call(self, node: nodes.Call) -> None:
        if self._library_names[resolve.root_name(node.func)] or node.frame() in self._kernels:
            return  # guarded, with a fallback (the import's advice covers it), or inside a kernel to rewrite
        name = self.qualified(node.func)
        library = libs.library_of(name, self.libraries)
        if library is not None:
            self.report("cuda-library-call", node, (resolve.shown(node, 40), library.title), fix=library.replacement(name, self.target))

    def _check_known_call(self, node: nodes.Call) -> None:
        name = self.qualified(node.func)
        if name == libs.TORCH_COMPILE:
            self._check_compile(node)
            return
        if name in libs.SDPA_SELECTION:
            self.report("sdpa-kernel-selection", node, (resolve.shown(node, 40),))
            return
        if libs.builds_cuda_extension(node, name):
            self.report("cuda-kernel", node, (f"{resolve.shown(node, 40)} (a CUDA extension build)",))
            return
        request = libs.bitsandbytes_request(node, name)
        if request is not None:
            self.report("bitsandbytes-quantization", node, (request,))

    def _check_compile(self, node: nodes.Call) -> None:
        backend = resolve.keyword(node, "backend")
        value = backend.value if backend is not None else None
        if value is None and self.qualified(node.func) in self.profile.patched_calls:
            return  # the runtime replaced the default backend with its own
        if value is None or resolve.string_value(value) == "inductor":
            self.report("inductor-compile", node, (resolve.shown(node, 40),))
        elif not isinstance(value, nodes.Const):
            self.report("inductor-compile", node, (f"{resolve.shown(node, 40)} (if backend {resolve.shown(value, 30)} is inductor)",),
                        confidence=INFERENCE)

    def _measured_names(self) -> frozenset[str]:
        """Short names of every spelling the op table reports (calls, methods, in-place forms, nn classes)."""
        if not hasattr(self, "_names"):
            self._names = frozenset(name.rsplit(".", 1)[-1] for entry in self._entries_of_target()
                                    if entry.falls_back and not entry.reported_by for name in (entry.call, *entry.aliases))
        return self._names

    def analyse_module(self, node: nodes.Module) -> None:
        table = self._table()
        self._subclassed = self._layer_subclasses(node, table)
        if self._subclassed:
            self._calls += [call for call in syntax_index.of(node).calls
                            if isinstance(call.func, nodes.Name) and call.func.name in self._subclassed]
        code = self.device_code(node) if self._calls else None
        if code is not None:
            self._steps = step_scopes(code, self._loops)
            layers = [call for call in self._calls if self._module_form(call, table)]
            calls = [call for call in self._calls if call not in layers]
            self.judge_in_step(calls, lambda call: self._judge(code, call, table))
            for call in layers:
                if code.in_module_class(call) or self._steps.contains(call):
                    self._judge(code, call, table)

    def _entries_of_target(self) -> tuple[OpEntry, ...]:
        """The op table of the selected runtime and version (rules/ops/<runtime>-<version>.toml)."""
        tables = self.catalog.op_tables.get(self.target, {})
        version = option(self.linter, RUNTIME_VERSION_OPTION, "") or option(self.linter, TORCH_XLA_OPTION, "")
        if version not in tables:  # not given, or given for another target's runtime
            version = self.catalog.newest_runtime_version(self.target)
        return tables[version] if version is not None else ()

    def _table(self) -> dict[str, list[OpEntry]]:
        """{spelling: entries} of the target's table, built once per table."""
        entries = self._entries_of_target()
        if getattr(self, "_table_of", (None,))[0] is not entries:
            table: dict[str, list[OpEntry]] = {}
            for entry in entries:
                for name in (entry.call, *entry.aliases):
                    table.setdefault(name, []).append(entry)
            self._table_of = (entries, table)
        return self._table_of[1]

    def _module_form(self, call: nodes.Call, table: dict[str, list[OpEntry]]) -> bool:
        """`nn.Upsample(mode="bicubic")`: building a layer whose forward runs a measured op."""
        entries = table.get(self._layer_name(call) or "", ())
        return any(entry.form == "module" for entry in entries)

    def _layer_name(self, call: nodes.Call) -> str | None:
        if isinstance(call.func, nodes.Name) and call.func.name in self._subclassed:
            return self._subclassed[call.func.name]
        return self.qualified(call.func)

    def _layer_subclasses(self, module: nodes.Module, table: dict[str, list[OpEntry]]) -> dict[str, str]:
        """This module's classes that are a measured layer under another name: they derive from it,
        keep its constructor, and their forward (if any) calls the base's (diffusers'
        `class WanUpsample(nn.Upsample)` whose forward is `super().forward(x.float())`)."""
        found = {}
        for klass in (node for node in module.body if isinstance(node, nodes.ClassDef)):
            bases = [self.qualified(base) for base in klass.bases]
            layer = next((base for base in bases if any(e.form == "module" for e in table.get(base or "", ()))), None)
            forward = klass.locals.get("forward", [None])[0]
            if layer and "__init__" not in klass.locals and (forward is None or _calls_super_forward(forward)):
                found[klass.name] = layer
        return found

    def _judge(self, code: DeviceCode, call: nodes.Call, table: dict[str, list[OpEntry]]) -> None:
        entries, is_method, receiver_known = self._entries(code, call, table)
        for entry in entries:
            if not entry.falls_back or entry.reported_by:
                continue
            verdict = _verdict(entry, call, is_method)
            if verdict is not None:
                condition, certain = verdict
                counters = ", ".join(counter for counter in entry.counters if counter != HOST_READ)
                self._report(call, condition, counters, entry, HIGH if certain and receiver_known else INFERENCE)
                return

    def _entries(self, code: DeviceCode, call: nodes.Call, table) -> tuple[list[OpEntry], bool, bool]:
        """(entries, whether the call is a Tensor method, whether its receiver is known to be a
        tensor): a tensor bound to a name is one; an attribute or item of something a model
        returned may be another object with a method of that name (diffusers' latent_dist.mode())."""
        name = self._layer_name(call)
        if name in table:
            return table[name], name.startswith("torch.Tensor."), True
        func = call.func
        if isinstance(func, nodes.Attribute) and code.kind(func.expr) == Kind.TENSOR:
            return table.get(f"torch.Tensor.{func.attrname}", []), True, _plainly_a_tensor(func.expr)
        return [], False, True

    def _report(self, call: nodes.Call, condition: str, counters: str, entry: OpEntry,
                confidence: Confidence = HIGH) -> None:
        """A finding whose deciding argument is not a constant is reported with INFERENCE
        confidence: the change estimate counts it in its range's upper end only."""
        # One rule per runtime: torch_xla runs such an op on the CPU, TorchTPU raises; the catalog
        # keeps the one the selected target has.
        for symbol in ("cpu-fallback-op", "missing-tpu-kernel"):
            fix = f"instead: {entry.alternative}" if entry.alternative else self.fix_for(symbol, "no_alternative")
            self.report(symbol, call, (resolve.shown(call, 40), condition, counters), fix=fix, confidence=confidence)


def _verdict(entry: OpEntry, call: nodes.Call, is_method: bool) -> tuple[str, bool] | None:
    """(the message's condition text, whether it is certain) when the entry's fallback applies to
    this call, else None. Uncertain: no argument tells the measured inputs apart, the condition
    cannot be decided from the source, or the deciding argument is not a constant."""
    if not entry.condition:
        return "", True
    if entry.when is None:
        # Falls back on some of the measured inputs and no argument tells which; or depends on
        # sizes no static check can see (more than 25,000 boxes): not reported.
        return None if entry.certain else (f" {entry.condition}", False)
    when, condition, certain = _holding_clause(entry, call, is_method)
    holds, argument = _holds(when, call, is_method)
    if holds:
        return (f" with {condition}", True) if certain else (f" when {condition} (not decidable from the source alone)", False)
    if holds is None:
        decides = (f"here {resolve.shown(argument, 30)}, not a constant, decides" if argument is not None
                   else "not decidable from the source alone")
        return f" when {condition} ({decides})", False
    return None


def _calls_super_forward(forward: nodes.NodeNG) -> bool:
    return isinstance(forward, nodes.FunctionDef) and any(
        isinstance(call.func, nodes.Attribute) and call.func.attrname == "forward"
        and isinstance(call.func.expr, nodes.Call) and isinstance(call.func.expr.func, nodes.Name)
        and call.func.expr.func.name == "super"
        for call in forward.nodes_of_class(nodes.Call))


def _plainly_a_tensor(receiver: nodes.NodeNG) -> bool:
    """`x.median()`, `x.float().median()`, `torch.randn(3).median()`: a name, or a call made on
    one or on torch; not `out.latent_dist.mode()` or `vae.encode(x)[0].mode()`."""
    while isinstance(receiver, nodes.Call) and isinstance(receiver.func, nodes.Attribute):
        receiver = receiver.func.expr
    return isinstance(receiver, nodes.Name)


def _holding_clause(entry: OpEntry, call: nodes.Call, is_method: bool) -> tuple[dict[str, Any], str, bool]:
    """The first clause of an `any` condition that holds for this call, with its own text and
    certainty (F.embedding_bag: `mode='mean'` is certain where `padding_idx given` may not be);
    else the whole condition."""
    parts = [(part, _holds(part, call, is_method)[0]) for part in entry.when.get("any", ()) if "text" in part]
    for part, holds in parts:
        if holds is True:
            return part, part["text"], entry.certain or part.get("certain", True)
    for part, holds in parts:
        if holds is None:
            return part, part["text"], False
    return entry.when, entry.condition, entry.certain


def _holds(when: dict[str, Any], call: nodes.Call, is_method: bool) -> tuple[bool | None, nodes.NodeNG | None]:
    """Whether a measured condition (rules/ops/build.py `when`) holds for this call: True, False,
    or None (an argument that is not a constant, or one the layer's forward is given, decides).
    `any`/`all` combine tests; a test of the input's rank is never taken to hold: the source does
    not show it (docs/ops.md lists those conditions); nor whether a tensor requires gradients or
    its dtype (those are reported with INFERENCE confidence)."""
    if "any" in when or "all" in when:
        results = [_holds(part, call, is_method) for part in when.get("any", when.get("all"))]
        decided = [result for result, _ in results]
        undecided = next((node for result, node in results if result is None), None)
        if "any" in when:
            if True in decided:
                return True, next(node for result, node in results if result is True)
            return (None, undecided) if None in decided else (False, None)
        if False in decided:
            return False, None
        return (None, undecided) if None in decided else (True, results[0][1])
    if "rank" in when:
        return False, None
    if "gradients" in when or "dtype" in when:
        return None, None  # whether the tensors require gradients, or are bfloat16: not in the source
    if when.get("forward"):
        return None, None
    position = when.get("position")
    if is_method and position is not None:
        position -= 1  # the tensor is the receiver, not the first argument
    value = resolve.argument(call, position, when["argument"])
    unless = when.get("unless")
    if unless is not None and _holds(unless, call, is_method)[0]:
        return False, value
    if value is None:
        if "given" in when:
            return not when["given"], None  # not passed
        if "default" not in when:
            return False, None  # not passed: the default, which does not fall back
        return _test(when, [when["default"]]), None
    if "given" in when:
        given = _given(value)
        return (given if when["given"] or given is None else not given), value
    if isinstance(value, nodes.IfExp):  # `"trilinear" if video else "nearest"`: decided by the branch taken
        branches = {_test(when, constants) if constants is not None else None
                    for constants in (_constants(value.body), _constants(value.orelse))}
        return (branches.pop(), value) if len(branches) == 1 else (None, value)
    constants = _constants(value)
    if constants is None:
        return None, value
    return _test(when, constants), value


def _given(value: nodes.NodeNG) -> bool | None:
    """Whether an argument passed is something other than None: a literal or a call (a
    `torch.Generator()`) is, None is not, and a name or attribute may be either (`generator=generator`
    where callers pass None, `max_norm=self.max_norm`)."""
    if isinstance(value, nodes.Const):
        return value.value is not None
    if isinstance(value, (nodes.Call, nodes.List, nodes.Tuple, nodes.Dict, nodes.Lambda, nodes.BinOp)):
        return True
    return None


def _test(when: dict[str, Any], constants: list[Any]) -> bool | None:
    if "equals" in when:
        return any(constant in when["equals"] for constant in constants)
    if "not_equals" in when:
        return any(constant not in when["not_equals"] for constant in constants)
    if "above" in when:
        return any(isinstance(constant, (int, float)) and constant > when["above"] for constant in constants)
    return None


def _constants(value: nodes.NodeNG) -> list[Any] | None:
    if isinstance(value, nodes.Const):
        return [value.value]
    if isinstance(value, (nodes.Tuple, nodes.List)) and all(isinstance(item, nodes.Const) for item in value.elts):
        return [item.value for item in value.elts]
    if isinstance(value, nodes.UnaryOp) and value.op == "-" and isinstance(value.operand, nodes.Const):
        return [-value.operand.value]
    return None
