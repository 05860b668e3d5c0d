"""The cuda family: CUDA devices in every form, torch.cuda APIs, and GPU-only library arguments.

Every message is reported at its edit site: a device string bound to a name is reported once,
where it is defined, naming the lines that use it.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache

from astroid import nodes
from pylint.interfaces import HIGH, INFERENCE

from tpulint import edits, resolve, syntax_index, view
from tpulint.inventory import DEVICE_LIBRARIES
from tpulint.catalog import Switch, by_target, load_catalog
from tpulint.checkers import amp_fixes
from tpulint.checkers.base import FamilyChecker
from tpulint.model import Edit, Lines, cite, concat
from tpulint.checkers.cuda_libraries import TORCH_COMPILE
from tpulint.resolve import argument, call_name, keyword, qualified_name, string_value

CURRENT_ACCELERATOR = "torch.accelerator.current_accelerator"
DEVICE_COUNT = frozenset({"torch.cuda.device_count"})
DEVICE_COUNTS = DEVICE_COUNT | {"torch.accelerator.device_count"}
DEVICE_SETTERS = frozenset({"set_device", "set_device_index", "set_device_idx"})
CURRENT_DEVICE_READERS = frozenset({"torch.cuda.current_device", "torch.accelerator.current_device_index",
                                    "torch.accelerator.current_device_idx"})
# Calls whose presence means code already uses the device (see _touches_device).
DEVICE_READERS = frozenset({"torch.device", "torch.accelerator.current_accelerator", "torch.cuda.set_device",
                            "torch.accelerator.set_device_index", "torch.cuda.current_device"})
AUTOCASTS = frozenset({"torch.autocast", "torch.amp.autocast", "torch.amp.autocast_mode.autocast"})
GRAD_SCALERS = frozenset({"torch.amp.GradScaler", "torch.GradScaler", "torch.amp.grad_scaler.GradScaler"})
PROCESS_GROUP_CALLS = frozenset({"torch.distributed.init_process_group", "torch.distributed.new_group"})
DDP_CLASSES = frozenset({
    "torch.nn.parallel.DistributedDataParallel",
    "torch.nn.parallel.distributed.DistributedDataParallel",
})
SPAWNERS = frozenset({
    "torch.multiprocessing.spawn",
    "torch.multiprocessing.spawn.spawn",
    "torch.multiprocessing.start_processes",
})
HF_PIPELINES = frozenset({"transformers.pipeline", "transformers.pipelines.pipeline"})
VLLM_ENGINES = frozenset({
    "vllm.LLM",
    "vllm.entrypoints.llm.LLM",
    "vllm.EngineArgs",
    "vllm.AsyncEngineArgs",
    "vllm.engine.arg_utils.EngineArgs",
    "vllm.engine.arg_utils.AsyncEngineArgs",
})
FP16 = frozenset({"torch.float16", "torch.half"})
FP16_NAMES = frozenset({"float16", "fp16", "half"})
DEVICE_MAP_TO_CPU = frozenset({"auto", "balanced", "balanced_low_0", "sequential"})
TF32_SWITCHES = frozenset({
    "torch.backends.cuda.matmul.allow_tf32",
    "torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction",
    "torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction",
    "torch.backends.cuda.matmul.fp32_precision",
})
ENVIRON_READERS = frozenset({
    "os.getenv", "os.putenv", "os.unsetenv", "os.environ.get", "os.environ.setdefault", "os.environ.pop",
})
VISIBLE_DEVICES = "CUDA_VISIBLE_DEVICES"
# Receivers whose `.cuda`/`.to` members are modules or functions, not tensor methods.
MODULES_WITH_CUDA_MEMBERS = frozenset({"torch", "numba", "cupy", "pycuda", "jax", "tensorflow", "cuda"})
NCCL = re.compile(r"^(nccl|([a-z]+:[a-z]+,)*cuda:nccl(,[a-z]+:[a-z]+)*)$")

# Cheap pre-filters (the decisions themselves use qualified names): method names the checker
# handles, last names of the APIs it handles, attribute names any reported chain contains.
METHODS_OF_INTEREST = frozenset({"cuda", "to", "pin_memory", "from_pretrained"})
CALLS_OF_INTEREST = frozenset({
    "autocast", "GradScaler", "DistributedDataParallel", "spawn", "start_processes", "LLM", "EngineArgs",
    "AsyncEngineArgs", "device", "update", "pipeline", "set_float32_matmul_precision",
})
MATMUL_PRECISION = "torch.set_float32_matmul_precision"
CUDA_CHAIN_NAMES = frozenset({"cuda", "accelerator", "NCCL", "cudnn"})
# Code written for another TPU runtime (torch_xla in a TorchTPU port) is reported by this rule;
OTHER_RUNTIME_RULE = "torch-xla-api"
LEGACY_API_RULE = "legacy-tpu-device-api"
DEVICE_KEYWORDS = frozenset({"device", "device_type", "map_location"})
OTHER_RUNTIME_PACKAGES = frozenset(profile.package for profile in load_catalog().profiles.values())
CUDA_MODULES = ("torch.cuda", "torch.accelerator", "torch.backends.cudnn", "torch.distributed.Backend")

# Strings other than CUDA devices that name a backend: a container holding one of these next to
# "cuda" enumerates backends (`choices=["cuda", "cpu"]`, `for d in ("cuda", "mps")`).
OTHER_BACKENDS = frozenset({"cpu", "mps", "xpu", "hip", "npu", "meta", "gloo", "mpi", "ucc", "auto",
                            *resolve.TPU_DEVICE_STRINGS,
                            *(profile.distributed_backend for profile in load_catalog().profiles.values())})
# Calls whose string arguments are text or lookup keys, not a device: print, logging, errors,
# string and mapping methods.
NAMING_FUNCTIONS = frozenset({"print", "isinstance", "getattr", "hasattr", "setattr", "str", "repr", "len"})
NAMING_METHODS = frozenset({
    "startswith", "endswith", "replace", "split", "rsplit", "join", "find", "index", "count", "strip",
    "lower", "upper", "get", "pop", "setdefault", "debug", "info", "warning", "warn", "error",
    "exception", "critical", "log", "write", "__contains__", "remove", "discard",
})
NAMING_MODULES = ("logging.", "warnings.")


class CudaChecker(FamilyChecker):
    name = "tpulint-cuda"
    family = "cuda"
    msgs = load_catalog().pylint_msgs("cuda")

    def visit_module(self, node: nodes.Module) -> None:
        super().visit_module(node)
        self._in_device_code_only: set[int] = set()  # ids of findings of switches with device_code
        self._torch_bound: frozenset[str] | None = None
        # `f(**options)`: looking options up costs an astroid lookup per call (timm passes
        # **kwargs everywhere), so it waits for a "pin_memory" string or keyword in the module.
        self._unpacked_by_name: list[nodes.Keyword] = []
        self._mentions_pin_memory = False
        # Names worth resolving: those an import from torch (or a CUDA module) or an alias binds;
        # `Optional`, `partial` or a project helper never resolve to torch.*.
        self._cuda_roots: set[str] = set()
        self._from_torch: set[str] = set()
        self._star_imported = False  # a star import may bind anything
        self._api_modules, self._watched, self._chain_names = _reported_api_modules(self.target)
        self._other_runtime_strings = _strings_of_other_runtimes(self.target)
        self._legacy_opt_in: bool | None = None
        for name, bindings in node.locals.items():
            for binding in bindings:
                self._note_binding(binding, name)

    def _other_runtime_string(self, node: nodes.Const) -> None:
        """`torch.device("xla:0")`, `backend="openxla"`, `init_method="xla://"`: an argument that
        names another runtime (not a comparison or a list of choices, which name it as text)."""
        role = self._string_role(node)
        if role is None:
            return
        strings = self._other_runtime_strings[role]
        kind, _, index = node.value.partition(":")
        known = strings.get(node.value) or (strings.get(kind) if role == "device" and index.isdigit() else None)
        if known is not None:
            what, fix, literal = known
            changes = (edits.replace(node, literal),) if literal is not None else _setting_removal(node) if role == "environment" else ()
            self.report(OTHER_RUNTIME_RULE, node, (f'"{node.value}"', what), fix=fix, edits=changes)

    def _string_role(self, node: nodes.Const) -> str | None:
        """What an argument string names: the keyword decides (`backend=` of torch.compile is a
        compile backend, of anything else a process group; `device=`, `device_type=`,
        `map_location=` a device); a positional argument of a process-group call is its backend,
        of `torch.device`, autocast, a GradScaler or `.to()` a device. None for any other string,
        which names the runtime as text (`supported.append("xla")`, a comparison)."""
        parent = node.parent
        if _environment_key(node):
            return "environment"
        if isinstance(parent, nodes.Keyword):
            call = parent.parent
            if parent.arg == "init_method":
                return "init_method"
            if parent.arg == "backend":
                return "compile" if isinstance(call, nodes.Call) and self.qualified(call.func) == TORCH_COMPILE else "group"
            return "device" if parent.arg in DEVICE_KEYWORDS else None
        if not (isinstance(parent, nodes.Call) and node in parent.args):
            return None
        if isinstance(parent.func, nodes.Attribute) and parent.func.attrname == "to":
            return "device"
        name = self.qualified(parent.func)
        if name in PROCESS_GROUP_CALLS:
            return "group"
        return "device" if name == resolve.TORCH_DEVICE or name in AUTOCASTS or name in GRAD_SCALERS else None

    def _legacy_apis_allowed(self) -> bool:
        """The module sets the runtime's opt-in for its legacy device APIs to a true value
        (`os.environ["TORCH_TPU_ALLOW_LEGACY_DEVICE_APIS"] = "1"`, or with setdefault/update):
        they warn instead of raising. Read once per module."""
        if self._legacy_opt_in is None:
            name = self.profile.legacy_api_opt_in
            self._legacy_opt_in = bool(name) and any(
                _sets_environment(const, name) for const in self._module.nodes_of_class(nodes.Const)
                if const.value == name)
        return self._legacy_opt_in

    def _uses_any(self, names: set[str] | frozenset[str]) -> bool:
        """The module reads one of names somewhere (not only binds it)."""
        return any(name.name in names for name in self._module.nodes_of_class(nodes.Name))

    def on_import(self, node: nodes.Import | nodes.ImportFrom) -> None:
        for name in resolve.imported_names(node):
            self._note_binding(node, name)
        self._star_imported |= isinstance(node, nodes.ImportFrom) and node.names == [("*", None)]
        self._other_runtime_import(node)

    def _other_runtime_import(self, node: nodes.Import | nodes.ImportFrom) -> None:
        """`import torch_xla.core.xla_model as xm` in code ported to TorchTPU: the package cannot
        be installed beside the target's torch, so the import itself is an edit."""
        modules = [node.modname] if isinstance(node, nodes.ImportFrom) else [name for name, _ in node.names]
        foreign = [module.split(".")[0] in OTHER_RUNTIME_PACKAGES - {self.profile.package} for module in modules]
        if any(foreign):
            module = modules[foreign.index(True)]
            # `import torch, torch_xla` keeps torch; an import whose names are still used stays until they go
            removal = (edits.remove_statement(node),) if all(foreign) and not self._uses_any(resolve.imported_names(node)) else ()
            self.report(OTHER_RUNTIME_RULE, node, (f"import {module}", "cannot be imported beside the target's torch"),
                        fix=self.fix_for(OTHER_RUNTIME_RULE, "import"), edits=removal)

    def _note_binding(self, binding: nodes.NodeNG, name: str) -> None:
        if isinstance(binding, (nodes.Import, nodes.ImportFrom)):
            origin = resolve.binding_origin(binding, name) or ""
            if origin.startswith("torch"):
                self._from_torch.add(name)
                if origin.startswith(self._watched):
                    self._cuda_roots.add(name)
        elif isinstance(binding, nodes.AssignName) and isinstance(resolve.assigned_value(binding), (nodes.Name, nodes.Attribute)):
            self._from_torch.add(name)  # a module-level alias: `cuda = torch.cuda`
            self._cuda_roots.add(name)

    # --- literals ---------------------------------------------------------------------------

    def visit_const(self, node: nodes.Const) -> None:
        text = node.value
        if not isinstance(text, str) or len(text) > 40:
            return
        if self._other_runtime_strings:
            self._other_runtime_string(node)
        if text == "pin_memory":
            self._mentions_pin_memory = True
        elif resolve.CUDA_DEVICE.match(text):
            self._device_value(node)
        elif text.startswith("cuda:"):
            template = resolve.cuda_template_expression(node)
            if template is not None:
                self._device_value(template)
        elif NCCL.match(text):
            self._nccl_value(node)
        elif text == VISIBLE_DEVICES:
            self._visible_devices_string(node)

    def visit_joinedstr(self, node: nodes.JoinedStr) -> None:
        if resolve.is_cuda_literal(node):
            self._device_value(node)

    def _device_value(self, literal: nodes.NodeNG) -> None:
        # The availability idiom (`if torch.cuda.is_available(): device = "cuda"`) is reported
        # below, so only the XLA switch silences a device string here.
        if self._behind_xla_switch(literal) or not self._in_torch_code(literal):
            return
        expression = self._device_expression(literal)
        if expression is None:
            return
        if self._inside_availability_if(expression) or self._in_branch_beside_xla(expression):
            return
        self._report_bound_value("cuda-device", expression, resolve.shown(expression, 60))

    def _in_torch_code(self, literal: nodes.NodeNG) -> bool:
        """A "cuda" string is a device only where PyTorch is used: not in a file that imports no
        PyTorch library (a JSON writer, a config schema), nor in a function of a PyTorch file
        that touches none of its PyTorch names (`def describe(): return {"device": "cuda"}`)."""
        torch_names = self._torch_names()
        if not torch_names:
            return False
        if isinstance(literal.parent, (nodes.Call, nodes.Keyword)):
            return True  # an argument: the call decides (`.to("cuda")`, `device="cuda"`)
        function = literal.scope()
        while isinstance(function, nodes.Lambda):
            function = function.parent.scope()
        if not isinstance(function, nodes.FunctionDef):
            return True
        owner = function.parent if isinstance(function.parent, nodes.ClassDef) else function
        return _uses_torch(owner, torch_names)

    def _torch_names(self) -> frozenset[str]:
        """The module's names bound by imports of PyTorch libraries (inventory.DEVICE_LIBRARIES)."""
        if self._torch_bound is None:
            names = set()
            for node in syntax_index.of(self._module).imports:
                pairs = node.names if isinstance(node, nodes.Import) else [(node.modname, None)]
                if any(name.split(".")[0] in DEVICE_LIBRARIES for name, _ in pairs):
                    names |= {(alias or name).split(".")[0] for name, alias in node.names}
                elif isinstance(node, nodes.ImportFrom) and node.names == [("*", None)]:
                    names |= _star_torch_names(node)
            self._torch_bound = frozenset(names)
        return self._torch_bound

    def _device_expression(self, literal: nodes.NodeNG) -> nodes.NodeNG | None:
        """Climb from a literal to the expression that is the device (None: nothing to report)."""
        expression = literal
        while True:
            parent = expression.parent
            if isinstance(parent, nodes.Call) and parent.args[:1] == [expression] and call_name(parent) == resolve.TORCH_DEVICE:
                expression = parent
            elif isinstance(parent, nodes.IfExp) and expression is not parent.test:
                if self._availability_idiom(parent, parent.test, _other_branch(parent, expression).as_string()):
                    return None
                if resolve.is_xla_device_expression(_other_branch(parent, expression)):
                    return None  # already written for XLA: the CUDA branch is the GPU path
                expression = parent
            elif isinstance(parent, nodes.BoolOp):
                expression = parent
            else:
                return expression

    def _report_bound_value(self, symbol: str, expression: nodes.NodeNG, shown: str) -> None:
        """Report a value at its definition, naming its uses; skip it where it only names a backend."""
        if _names_a_backend(expression):
            return
        binding = resolve.binding_of(expression)
        uses = binding.uses if binding else ()
        if uses and all(_names_a_backend(use) for use in uses):
            return
        args = (shown, _used_on(uses, expression.lineno)) if symbol == "cuda-device" else (shown,)
        loads = tuple(use for use in uses if _is_map_location(use)) if symbol == "cuda-device" else ()
        variant, fix = self._device_fix(symbol, tuple(use for use in uses if use not in loads))
        if symbol == "cuda-device" and (_is_map_location(expression) or (loads and len(loads) == len(uses))):
            variant, fix = "map_location", self.fix_for(symbol, "map_location")
        elif loads and variant is None:
            variant, fix = "placed_and_loaded", self.fix_for(symbol, "placed_and_loaded",
                                                             lines=cite("{0}", sorted({use.lineno for use in loads})))
        changes, imports = self._backend_edit(expression) if symbol == "nccl-backend" else (self._device_edit(expression, variant), ())
        if variant == "placed_and_loaded" and changes:
            changes += tuple(edits.replace(use, '"cpu"') for use in loads)
        self.report(symbol, expression, args, fix=fix, edits=changes, imports=imports)

    def _device_edit(self, expression: nodes.NodeNG, variant: str | None) -> tuple[Edit, ...]:
        """A device value replaced by its fix, where the value is a literal (`"cuda"`,
        `f"cuda:{rank}"`) or `torch.device(...)` of one: by the target's device, or its device type
        string where only that is taken; not a switch between devices (`"cuda" if gpu else "cpu"`:
        a person decides), nor a value used both as a device and as a device type string."""
        literal = isinstance(expression, (nodes.Const, nodes.JoinedStr)) or (
            isinstance(expression, nodes.Call) and call_name(expression) == resolve.TORCH_DEVICE)
        if variant == "map_location":
            # torch.load(..., map_location="cuda") -> "cpu" where what it loads goes straight into
            # load_state_dict, which copies it to the model's device; otherwise a person moves it
            load = expression.parent.parent if isinstance(expression, nodes.Const) else None
            into_state = (isinstance(load, nodes.Call) and isinstance(load.parent, nodes.Call)
                          and isinstance(load.parent.func, nodes.Attribute) and load.parent.func.attrname == "load_state_dict")
            return (edits.replace(expression, '"cpu"'),) if _is_map_location(expression) and into_state else ()
        if not literal or variant not in (None, "used_as_type_string", "placed_and_loaded") or _names_a_second_device(expression):
            return ()
        if variant == "used_as_type_string":
            return (edits.replace(expression, f'"{self.profile.device_type_string}"'),)
        return (edits.replace(expression, self.catalog.rule("cuda-device").for_target(self.target).fix),)

    def _device_fix(self, symbol: str, uses: tuple[nodes.Name, ...]) -> tuple[str | None, str | Lines | None]:
        """(the fix variant, its text) of a device value, by how it is used: where it goes into a
        parameter that takes a device *type* string (`torch.autocast(device_type=...)`,
        `GradScaler(device)`, a comparison with "cpu"), the device expression does not run: the
        device type string does (rules/cuda.toml, cuda-device's fix variants). (None, None): the
        target's fix as it is."""
        if symbol != "cuda-device":
            return None, None
        as_string = sorted({use.lineno for use in uses if self._takes_device_type(use)})
        if not as_string:
            return None, None
        if len(as_string) == len({use.lineno for use in uses}):
            return "used_as_type_string", self.fix_for(symbol, "used_as_type_string")
        return "used_both_ways", self.fix_for(symbol, "used_both_ways", lines=cite("{0}", as_string))

    def _backend_edit(self, literal: nodes.NodeNG) -> tuple[tuple[Edit, ...], tuple[str, ...]]:
        """(edits, imports) turning `"nccl"` into the target's process-group backend: the name alone
        where that is the whole change (TorchTPU's `"tpu_dist"`); torch_xla's `"xla"` also needs its
        rendezvous (`init_method="xla://"`, added when the call names none) and the import that
        registers the backend, so there the literal must be init_process_group's own argument."""
        profile = self.profile
        if not (isinstance(literal, nodes.Const) and profile.distributed_backend):
            return (), ()
        swap = edits.replace(literal, f'"{profile.distributed_backend}"')
        if not profile.init_method and not profile.distributed_backend_import:
            return (swap,), ()
        call = _process_group_call_of(literal, self.qualified)
        if call is None or resolve.passes_unpacked(call):
            return (), ()
        changes = (swap,)
        if profile.init_method and argument(call, 1, "init_method") is None:
            changes += edits.add_keyword(call, f'init_method="{profile.init_method}"')
        return changes, tuple(filter(None, (profile.distributed_backend_import,)))

    def _takes_device_type(self, use: nodes.Name) -> bool:
        parent = use.parent
        if isinstance(parent, nodes.Keyword):
            call = parent.parent
            return parent.arg == "device_type" or (parent.arg == "device" and isinstance(call, nodes.Call)
                                                   and self.qualified(call.func) in GRAD_SCALERS)
        if isinstance(parent, nodes.Call) and parent.args[:1] == [use]:
            return (self.qualified(parent.func) or "") in AUTOCASTS | GRAD_SCALERS
        # f"{device}:{rank}" builds a device string from the type: torch_xla.device() there gives "xla:0:0"
        return isinstance(parent, (nodes.Compare, nodes.FormattedValue))

    # --- the "cuda if torch.cuda.is_available() else cpu" idiom ----------------------------

    def _availability_idiom(self, site: nodes.NodeNG, test: nodes.NodeNG, picks: str) -> bool:
        """If test asks torch.cuda.is_available(), report the idiom at site and claim the call."""
        check = resolve.mentions_call(test, resolve.AVAILABILITY_CHECKS - self.profile.availability_checks)
        if check is None and isinstance(test, nodes.Name):
            check = self._availability_flag(test)
        if check is None:
            return False
        self.claim(check)
        binding = resolve.binding_of(site)
        used = _used_on(binding.uses, site.lineno) if binding else ""
        changes = self._idiom_edits(site) if not resolve.opted_in(test) else ()
        self.report("cuda-availability-fallback", site, (f"{call_name(check)}()", used, picks), edits=changes,
                    imports=(self.profile.device_import,) if changes and self.profile.device_import else ())
        return True

    def _idiom_edits(self, site: nodes.NodeNG) -> tuple[Edit, ...]:
        """The idiom's device made the target's: `"cuda" if torch.cuda.is_available() else "cpu"`
        (or torch.device() of it) -> `torch_xla.device()`, its device type string where only that
        is taken; `if <check>: device = A` / `else: device = B` -> `device = torch_xla.device()`.
        None where the value is used both ways, or the branches do more than set one name."""
        if isinstance(site, nodes.IfExp):
            parent = site.parent
            wrapped = (isinstance(parent, nodes.Call) and call_name(parent) == resolve.TORCH_DEVICE
                       and parent.args == [site] and not parent.keywords)
            value = parent if wrapped else site
        elif isinstance(site, nodes.If):
            names = [_sole_assignment(block) for block in (site.body, site.orelse)]
            if names[0] is None or names[1] is None or names[0][0] != names[1][0]:
                return ()
            value = names[0][1]
        else:
            return ()
        binding = resolve.binding_of(value)
        device, loads = self._device_by_uses(binding.uses if binding else ())
        if device is None:
            return ()
        if isinstance(site, nodes.If):
            return (edits.replace(site, f"{names[0][0]} = {device}"), *loads)
        return (edits.replace(value, device), *loads)

    def _device_by_uses(self, uses: tuple[nodes.Name, ...]) -> tuple[str | None, tuple[Edit, ...]]:
        """(what a device value becomes, the edits of its torch.load uses) by how it is used, as
        for a device literal (_report_bound_value): the device expression, or its type string
        where only that is taken; `"cpu"` where it is map_location (torch.load cannot restore onto
        the XLA device). None where it is used both ways, or only loaded onto (a person decides)."""
        loads = tuple(use for use in uses if _is_map_location(use))
        others = tuple(use for use in uses if use not in loads)
        variant, _ = self._device_fix("cuda-device", others)
        if variant == "used_both_ways" or (loads and not others):
            return None, ()
        device = f'"{self.profile.device_type_string}"' if variant == "used_as_type_string" else self.profile.device_expression
        return device, tuple(edits.replace(use, '"cpu"') for use in loads)

    def _availability_flag(self, name: nodes.Name) -> nodes.Call | None:
        """`use_cuda = torch.cuda.is_available()` ... `"cuda" if use_cuda else "cpu"`."""
        value = resolve.single_assigned_value(name)
        return resolve.mentions_call(value, resolve.AVAILABILITY_CHECKS - self.profile.availability_checks) if value is not None else None

    def _chosen_by_availability(self, device: nodes.Call) -> bool:
        """`current_accelerator() if torch.accelerator.is_available() else ...`, or the `if` form:
        the availability idiom, reported as such (and True returned)."""
        return self._device_expression(device) is None or self._inside_availability_if(device)

    def _inside_availability_if(self, expression: nodes.NodeNG) -> bool:
        """`if torch.cuda.is_available(): device = "cuda"` (the statement form of the idiom)."""
        for branch_owner, in_body in _enclosing_ifs(expression):
            if in_body and self._availability_idiom(branch_owner, branch_owner.test, "the other branch"):
                return True
        return False

    def _in_branch_beside_xla(self, expression: nodes.NodeNG) -> bool:
        for branch_owner, in_body in _enclosing_ifs(expression):
            other = branch_owner.orelse if in_body else branch_owner.body
            if any(resolve.is_xla_device_expression(call) for stmt in other for call in resolve.calls_in(stmt)):
                return True
            if any(_holds_xla_string(stmt) for stmt in other):
                return True
        return False

    # --- calls ------------------------------------------------------------------------------

    notes_calls = True

    def visit_call(self, node: nodes.Call) -> None:
        self._index.add(node)
        func = node.func
        if (isinstance(func, nodes.Attribute) and func.attrname in METHODS_OF_INTEREST
                and self.qualified(func.expr) not in MODULES_WITH_CUDA_MEMBERS):
            self._method_call(node, func.attrname)
        self._keywords(node)
        if isinstance(func, nodes.Attribute) and func.attrname in _SWITCHES.methods:
            self._switches(node, _SWITCHES.methods[func.attrname])
        if isinstance(func, nodes.Attribute) and func.attrname not in CALLS_OF_INTEREST and keyword(node, "device") is None:
            return  # cheap: no handled API ends in this name (Name calls are resolved: they may be aliases)
        name = self.qualified(func)
        if name is None:
            return
        if name in _SWITCHES.calls:
            self._switches(node, _SWITCHES.calls[name])
        handler = _CALL_HANDLERS.get(name)
        if handler is not None:
            handler(self, node)
        elif name in HF_PIPELINES:
            self._hugging_face_call(node)
        elif name.startswith("torch.") and name != resolve.TORCH_DEVICE:
            self._integer_device(argument(node, None, "device"))

    def _method_call(self, node: nodes.Call, method: str) -> None:
        """Methods on values (the receiver is not an imported module or class)."""
        if method == "cuda":
            target_fix = self.catalog.rule("cuda-move-method").for_target(self.target)
            changes = (Edit(node.func.expr.end_lineno, node.func.expr.end_col_offset, node.end_lineno, node.end_col_offset,
                          target_fix.fix),) if target_fix else ()
            self.report("cuda-move-method", node, (resolve.shown(node, 60),), edits=changes)
        elif method == "to":
            self._integer_device(argument(node, 0, "device"))
        elif method == "pin_memory" and not node.args:
            self.report("pin-memory", node, (resolve.shown(node, 60),))
        elif method == "from_pretrained":
            self._hugging_face_call(node)

    def _keywords(self, node: nodes.Call) -> None:
        for item in node.keywords or ():
            if item.arg == "pin_memory":
                self._mentions_pin_memory = True
                if isinstance(item.value, nodes.Const) and item.value.value is True:
                    self.report("pin-memory", item.value, ("pin_memory=True",), edits=edits.remove_keyword(node, item))
            elif item.arg == VISIBLE_DEVICES:
                self.report("cuda-visible-devices", item)
            elif item.arg is None and isinstance(item.value, nodes.Name):
                self._unpacked_by_name.append(item)
            elif item.arg is None:
                self._unpacked_pin_memory(item)

    def _unpacked_pin_memory(self, item: nodes.Keyword) -> None:
        """`**options` with pin_memory=True in a dict literal (bound once), reported at its entry."""
        value = resolve.unpacked_mapping(item.value).get("pin_memory")
        if isinstance(value, nodes.Const) and value.value is True:
            self.report("pin-memory", value, ("pin_memory=True",))

    def analyse_module(self, node: nodes.Module) -> None:
        if self._mentions_pin_memory:
            for item in self._unpacked_by_name:
                self._unpacked_pin_memory(item)

    def _integer_device(self, device: nodes.NodeNG | None) -> None:
        ordinal = resolve.int_value(device)
        if ordinal is not None and ordinal >= 0:
            self.report("cuda-device-ordinal", device, (ordinal, ordinal))
            return
        if isinstance(device, nodes.Name) and _bound_to_int(device):
            self.report("cuda-device-ordinal", device, (device.name, device.name))
            return
        value = resolve.single_assigned_value(device) if isinstance(device, nodes.Name) else None
        count = _device_count_ordinal(value)
        if count is not None:
            # `device = rank % torch.cuda.device_count()`: one edit at the definition, which also
            # replaces the device_count() call (its own finding would say torch_xla.device_count()).
            self.claim(count)
            self.claim(count.func)
            self.report("cuda-device-ordinal", value, (f"{device.name} = {resolve.shown(value, 40)}", device.name))

    def _torch_device_call(self, node: nodes.Call) -> None:
        self._integer_device(argument(node, 0, "type"))

    def _autocast(self, node: nodes.Call, implied_device: str | None = None) -> None:
        device_node = argument(node, 0, "device_type")
        device = implied_device or string_value(device_node)
        dtype = argument(node, None if implied_device else 1, "dtype")
        dtype_text = f", dtype={dtype.as_string()}" if dtype is not None else ""

        def changes() -> tuple[Edit, ...]:
            return amp_fixes.autocast_edits(node, self.profile, implied_device is not None)

        if device is not None and resolve.CUDA_DEVICE.match(device):
            self.claim(device_node)
            what = f"{node.func.as_string()}()" if implied_device else f'{node.func.as_string()}("{device}"{dtype_text})'
            if _is_false(argument(node, None, "enabled")):
                # a region kept out of autocast: on the TPU it must leave the TPU's autocast
                self.report("cuda-autocast", node, (f"{resolve.shown(node, 60)} turns off CUDA autocast only",),
                            fix=self.fix_for("cuda-autocast", "disabled"), edits=changes())
            else:
                self.report("cuda-autocast", node, (f"{what} is CUDA autocast (fp16 unless told otherwise)",), edits=changes())
        elif device == self.profile.autocast_device_type and _is_fp16(dtype):
            self.report("xla-autocast-half", node, (f"dtype={dtype.as_string()}",), edits=changes())
            self.report("tpu-autocast-half", node, (f"with dtype={dtype.as_string()}",), edits=changes())
        elif (device == self.profile.autocast_device_type and dtype is None and not resolve.passes_unpacked(node)
              and self.profile.autocast_default_dtype not in self.profile.autocast_dtypes
              and not _is_false(argument(node, None, "enabled"))):
            self.report("tpu-autocast-half", node, (f"without dtype= runs in {self.profile.autocast_default_dtype}",), edits=changes())

    def _grad_scaler(self, node: nodes.Call, implied_device: str | None = None) -> None:
        enabled = argument(node, None, "enabled")
        if isinstance(enabled, nodes.Const) and enabled.value is False:
            return
        device_node = argument(node, 0, "device") if implied_device is None else None
        device = implied_device or string_value(device_node) or ("cuda" if device_node is None else None)
        if device is not None and resolve.CUDA_DEVICE.match(device):
            self.claim(device_node)
            self.report("cuda-grad-scaler", node, (resolve.shown(node, 60),), edits=amp_fixes.scaler_removal(node))
        elif device is not None and self.profile.is_device_string(device):
            self.report("tpu-grad-scaler", node, (resolve.shown(node, 60),), edits=amp_fixes.scaler_removal(node))

    def _ddp(self, node: nodes.Call) -> None:
        self._ddp_process_group(node)
        device_ids = argument(node, 1, "device_ids")
        if device_ids is None or isinstance(device_ids, nodes.Const) and device_ids.value is None:
            return
        if isinstance(device_ids, (nodes.List, nodes.Tuple)) and not device_ids.elts:
            return
        keyword = next((item for item in node.keywords or () if item.arg == "device_ids"), None)
        self.report("ddp-device-ids", device_ids, (resolve.shown(device_ids, 40),),
                    edits=edits.remove_keyword(node, keyword) if keyword is not None else ())

    def _ddp_process_group(self, node: nodes.Call) -> None:
        """DDP averages gradients over the default process group, which on XLA must be the "xla"
        one. Reported when the code that runs with DDP's (its file, the files it imports, the
        scripts importing it: view.ProjectView.related_files) starts the group with another
        backend (gloo), or when no file of the project starts one (a launcher or library does:
        inferred). A group started with nccl or with no backend is reported at that call
        (nccl-backend, gpu-only-option), and one whose backend is a setting the view cannot read,
        or that only unrelated files start, is left alone."""
        path = node.root().file
        project = view.for_file(path, getattr(node.root(), "file_bytes", None)) if path else None
        if project is None:
            return
        every = project.process_group_inits()
        related = project.related_files(os.path.abspath(path))
        inits = [init for init in every if init[0] in related]
        if any(backend == self.profile.distributed_backend for _, _, backend in every):
            return
        shown = f"{node.func.as_string()}(...)"
        other = next(((where, line, backend) for where, line, backend in inits
                      if backend and not NCCL.match(backend.lower())), None)
        if other is not None:
            where, line, backend = other
            self.report("ddp-without-xla-group", node,
                        (shown, f'the project starts it with "{backend}" ({os.path.basename(where)}:{line})'))
        elif not every:
            self.report("ddp-without-xla-group", node,
                        (shown, "no code of this project starts it (a launcher or library does)"), confidence=INFERENCE)

    def _spawn(self, node: nodes.Call) -> None:
        nprocs = argument(node, 2, "nprocs")
        count = resolve.mentions_call(nprocs, DEVICE_COUNT) if nprocs is not None else None
        detail = ""
        if count is not None:
            self.claim(count)
            detail = " (nprocs=torch.cuda.device_count() is 0 on a TPU host, so nothing runs)"
        changes, imports = self._launcher_edits(node)
        self.report("gpu-process-launcher", node, (call_name(node), detail), edits=changes, imports=imports)

    def _launcher_edits(self, node: nodes.Call) -> tuple[tuple[Edit, ...], tuple[str, ...]]:
        """`mp.spawn(fn, args=..., nprocs=..., join=...)` -> `torch_xla.launch(fn, args=...)`: the
        launcher calls fn(index, *args) as mp.spawn does and starts one process per device itself
        (rules/evidence/cuda_checks.txt two-processes-by-launch), so nprocs, join and daemon go.
        Only for mp.spawn with fn and args as its first two arguments, nprocs the device count
        (a process per GPU, as the launcher starts a process per TPU device; a fixed count, as in
        RPC programs, is a person's choice), a scope that does not touch the device before it
        launches (torch_xla refuses to launch once its runtime has started), and a target whose
        launcher is a call (not TorchTPU's torchrun)."""
        launcher = self.profile.launcher
        if ("." not in launcher or self.qualified(node.func) not in SPAWNERS - {"torch.multiprocessing.start_processes"}
                or len(node.args) > 2 or resolve.passes_unpacked(node)):
            return (), ()
        if not _is_device_count(argument(node, 2, "nprocs")) or _touches_device(node.scope()):
            return (), ()
        dropped = [item for item in node.keywords or () if item.arg in ("nprocs", "join", "daemon")]
        if any(item.arg not in ("fn", "args", "nprocs", "join", "daemon", "start_method") for item in node.keywords or ()):
            return (), ()
        removals = tuple(edit for item in dropped for edit in edits.remove_keyword(node, item))
        if len(removals) != len(dropped):
            return (), ()
        return (edits.replace(node.func, launcher), *removals), (f"import {launcher.split('.')[0]}",)

    def edit_site(self, node: nodes.NodeNG) -> nodes.NodeNG:
        """Each CUDA expression is its own edit: `x, y = x.cuda(r), y.cuda(r)` is two."""
        return node

    def _switches(self, node: nodes.Call, switches: list[Switch]) -> None:
        """A library's GPU-only switches set in this call (rules/cuda.toml [[switch]])."""
        for switch in switches:
            if by_target(switch.fix, self.target) is None:
                continue  # not GPU-only on the selected target
            site = _switch_site(node, switch)
            if site is not None:
                shown = node.as_string() if switch.is_the_call else f"{_short_callee(node)}({_setting(switch, site)})"
                finding = self.report(switch.rule, site,
                                      (resolve.shortened_code(shown, 60), by_target(switch.behaviour, self.target)),
                                      fix=by_target(switch.fix, self.target),
                                      confidence=INFERENCE if switch.uncertain else HIGH)
                if finding is not None and switch.device_code:
                    self._in_device_code_only.add(id(finding))
                return

    def _hugging_face_call(self, node: nodes.Call) -> None:
        device_map = keyword(node, "device_map")
        if device_map is not None:
            self._device_map(device_map)
        for name in ("torch_dtype", "dtype"):
            dtype = keyword(node, name)
            if dtype is not None and _is_fp16(dtype.value):
                self._half_dtype(name, dtype.value)
        device = keyword(node, "device")
        if device is not None:
            self._integer_device(device.value)

    def _half_dtype(self, keyword_name: str, value: nodes.NodeNG) -> None:
        """An fp16 dtype argument, reported where it is written: a dtype held in a variable is one
        edit at its definition however often it is passed (the message names the lines)."""
        definition = resolve.single_assigned_value(value) if isinstance(value, nodes.Name) else None
        if definition is not None and _is_fp16(definition):
            binding = resolve.binding_of(definition)
            uses = binding.uses if binding else ()
            self.report("half-model-dtype", definition,
                        (concat([f"{value.name} = {definition.as_string()}", _used_on(uses, definition.lineno)]),))
            return
        self.report("half-model-dtype", value, (f"{keyword_name}={value.as_string()}",))

    def _device_map(self, device_map: nodes.Keyword) -> None:
        value = device_map.value
        text = string_value(value)
        host_or_runtime = {"cpu", *self.profile.device_strings}
        if isinstance(value, nodes.Const) and value.value is None or text in host_or_runtime:
            return
        if isinstance(value, nodes.Dict) and value.items and all(
                string_value(placed) in {*host_or_runtime, "disk"} for _, placed in value.items):
            return  # `device_map={"": "cpu"}`: every module on the host
        self.claim(value)
        behaviour = "puts every weight on the CPU" if text in DEVICE_MAP_TO_CPU else "places weights on GPUs (raises)"
        self.report("hf-device-map", device_map, (resolve.shown(value, 40), behaviour))

    def _vllm_engine(self, node: nodes.Call) -> None:
        device = keyword(node, "device")
        if device is not None and _is_cuda_or_bound_cuda(device.value, self):
            self.report("vllm-gpu-option", device, ("device", device.value.as_string(), "selects a GPU"))
        quantization = keyword(node, "quantization")
        method = string_value(quantization.value) if quantization else None
        supported = self.catalog.vllm_tpu_quantization
        known = self.profile.vllm_package == self.catalog.vllm_quantization_package  # the list is this plugin's
        if method is not None and known and method not in supported:
            what = f"is a GPU kernel; the TPU platform supports {', '.join(supported)}"
            self.report("vllm-gpu-option", quantization, ("quantization", f'"{method}"', what))
        dtype = keyword(node, "dtype")
        if dtype is not None and _is_fp16(dtype.value):
            self._half_dtype("dtype", dtype.value)

    def _environ_update(self, node: nodes.Call) -> None:
        for argument_node in node.args:
            if isinstance(argument_node, nodes.Dict):
                for key, _ in argument_node.items:
                    if string_value(key) == VISIBLE_DEVICES:
                        self.report("cuda-visible-devices", key)

    # --- attribute references: torch.cuda.*, cudnn flags, Backend.NCCL -----------------------

    def visit_attribute(self, node: nodes.Attribute) -> None:
        if node.attrname in _SWITCHES.name_tails and not _continues_chain(node):
            name = self.qualified(node)
            if name in _SWITCHES.names:
                self._reference(node, name)
                return
        if _continues_chain(node) or not self._may_reference_cuda(node):
            return
        name = self.qualified(node)
        if name is not None:
            self._reference(node, name)

    def _may_reference_cuda(self, chain: nodes.Attribute) -> bool:
        """Cheap filter before resolving: the chain names a CUDA member, or starts at an alias of one."""
        node = chain
        while isinstance(node, nodes.Attribute):
            if node.attrname in self._chain_names:
                return True
            node = node.expr
        # Resolving the root of every chain is the cuda checker's main cost: only names that may
        # stand for a CUDA module (imported from one, or a module-level alias) are resolved.
        if not (isinstance(node, nodes.Name) and node.name in self._cuda_roots):
            return False
        root = self.qualified(node)
        return root is not None and root.startswith(self._watched)

    def visit_name(self, node: nodes.Name) -> None:
        if node.name not in self._resolvable or _continues_chain(node):
            return
        if node.name not in self._from_torch and not self._star_imported:
            return
        name = self.qualified(node)
        if name is not None and name.startswith(("torch.", *self._api_modules)):
            self._reference(node, name)

    def _reference(self, node: nodes.NodeNG, name: str) -> None:
        for switch in _SWITCHES.names.get(name, ()):
            if by_target(switch.fix, self.target) is not None:
                self.report(switch.rule, node, (node.as_string(), by_target(switch.behaviour, self.target)),
                            fix=by_target(switch.fix, self.target))
                return
        if name.startswith("torch.cuda."):
            self._torch_cuda(node, name.removeprefix("torch.cuda."))
        elif name.startswith("torch.accelerator."):
            self._api_member(node, "torch.accelerator", name.removeprefix("torch.accelerator."))
        elif (module := next((m for m in self._api_modules if name.startswith(m + ".")), None)) is not None:
            self._api_member(node, module, name.removeprefix(module + "."))
        elif name == "torch.distributed.Backend.NCCL":
            self.report("nccl-backend", node, (node.as_string(),))
        elif name in ("torch.Tensor.cuda", "torch.nn.Module.cuda"):
            self.report("cuda-move-method", _call_or_self(node), (name,))
        elif name == "torch.backends.cudnn.flags" and _call_or_self(node) is not node:
            self.report("cudnn-setting", node.parent, (f"{name}()",))

    def _torch_cuda(self, node: nodes.NodeNG, member: str) -> None:
        site = _call_or_self(node)
        if member.startswith("amp."):
            self._cuda_amp(site, member)
            return
        if member.endswith("Tensor") and member[:1].isupper():
            self.report("cuda-tensor-type", site, (f"torch.cuda.{member}",))
            return
        self._api_member(node, "torch.cuda", member)

    def _api_member(self, node: nodes.NodeNG, module: str, member: str) -> None:
        """A member of an API module listed in the catalog (torch.cuda, torch.accelerator)."""
        site = _call_or_self(node)
        called = site is not node
        if called and f"{module}.{member}" == CURRENT_ACCELERATOR and self._chosen_by_availability(site):
            return
        entries = self.catalog.api.get(module, {})
        entry = entries.get(member) or entries.get(member.split(".")[0])
        if entry is None and module in self._api_modules:
            # `torch_xla.torch_xla.sync` is `torch_xla.sync` re-exported: its last name is tried too
            entry = entries.get(member.rsplit(".", 1)[-1])
        if entry is None and not called:
            return  # e.g. `except torch.cuda.OutOfMemoryError`: a reference, not a call
        entry = entry or self.catalog.api_default.get(module)
        if entry is None:
            return  # a member the catalog does not report (an experimental torch.tpu API)
        replacement = by_target(entry.replacement, self.target)
        if entry.rule == LEGACY_API_RULE and self._legacy_apis_allowed():
            return  # the module opts in: the call warns instead of raising
        if replacement is not None:
            shown = f"{member}()" if called else member
            if module in self._api_modules:  # their messages show the call as written (`xm.mark_step()`)
                shown = f"{site.func.as_string()}()" if called else node.as_string()
            template = entry.rewrite.get(self.target)
            if template == "" and member in DEVICE_SETTERS and self._reads_current_device():
                template = None  # a later current_device() reads what it set: a person ports both
            if template is not None and template == self.profile.device_expression and called:
                template = self._device_template(site)
            changes, imports = (edits.rewrite_call(site, template, tuple(entry.rewrite_imports.get(self.target, ())))
                                if template is not None and called else ((), ()))
            if changes and template == self.profile.device_expression:
                imports = (*imports, *self._backend_lookup_imports(site))
            self.report(entry.rule, site, (shown, entry.behaviour), fix=replacement, edits=changes, imports=imports)

    def _reads_current_device(self) -> bool:
        return any(call_name(call) in CURRENT_DEVICE_READERS for call in syntax_index.of(self._module).calls_of(CURRENT_DEVICE_READERS))

    def _device_template(self, call: nodes.Call) -> str | None:
        """The rewrite of a call that returns the device (`torch.accelerator.current_accelerator()`)
        by how its value is used, as for a device literal: the device expression, its type string
        where only that is taken, None where it is used both ways or loaded onto."""
        parent = call.parent
        target = parent.targets[0] if isinstance(parent, nodes.Assign) else getattr(parent, "target", None)
        if target is not None and not isinstance(target, nodes.AssignName):
            return None  # `self.acc = ...`: its uses are not known here
        binding = resolve.binding_of(call)
        uses = binding.uses if binding else ()
        device, loads = self._device_by_uses(uses)
        return device if not loads else None  # a call's rewrite is one edit: a person moves the loads

    def _backend_lookup_imports(self, device: nodes.NodeNG) -> tuple[str, ...]:
        """The backend's import where the device (or the name bound to it) is given to
        dist.get_default_backend_for_device, which knows the "xla" backend only once it is imported."""
        binding = resolve.binding_of(device)
        for node in (device, *(binding.uses if binding else ())):
            call = node.parent
            if (isinstance(call, nodes.Call) and node in call.args and self.profile.distributed_backend_import
                    and self.qualified(call.func) == "torch.distributed.get_default_backend_for_device"):
                return (self.profile.distributed_backend_import,)
        return ()

    def _cuda_amp(self, site: nodes.NodeNG, member: str) -> None:
        if member in ("amp.custom_fwd", "amp.custom_bwd"):
            replacement = self.fix_for("cuda-autocast", "custom_decorator", decorator=member[4:])
            self.report("cuda-autocast", site, (f"torch.cuda.{member} is CUDA autocast",), fix=replacement)
        elif not isinstance(site, nodes.Call):
            return
        elif member == "amp.autocast":
            self._autocast(site, implied_device="cuda")
        elif member == "amp.GradScaler":
            self._grad_scaler(site, implied_device="cuda")

    def _matmul_precision(self, node: nodes.Call) -> None:
        """torch.set_float32_matmul_precision(...) sets cuBLAS's TF32 use; XLA ignores it (a
        runtime that patches it to set its own matmul passes is told apart by its profile)."""
        if MATMUL_PRECISION in self.profile.patched_calls:
            return
        self.report("cudnn-setting", node, (f"{node.func.as_string()}(...)",), edits=edits.remove_call(node))

    def visit_assignattr(self, node: nodes.AssignAttr) -> None:
        base = self.qualified(node.expr)
        name = f"{base}.{node.attrname}" if base else None
        if name is not None and (name.startswith("torch.backends.cudnn.") or name in TF32_SWITCHES):
            statement = node.parent
            alone = isinstance(statement, nodes.Assign) and statement.targets == [node]
            self.report("cudnn-setting", node, (name,), edits=(edits.remove_statement(statement),) if alone else ())

    # --- NCCL and CUDA_VISIBLE_DEVICES strings ---------------------------------------------

    def _nccl_value(self, node: nodes.Const) -> None:
        self._report_bound_value("nccl-backend", node, f'"{node.value}"')

    def _visible_devices_string(self, node: nodes.Const) -> None:
        parent = node.parent
        if isinstance(parent, nodes.Subscript) and parent.slice is node:
            environ = qualified_name(parent.value) == "os.environ"
        elif isinstance(parent, nodes.Call) and parent.args[:1] == [node]:
            environ = call_name(parent) in ENVIRON_READERS
        elif isinstance(parent, nodes.Compare):
            environ = any(qualified_name(operand) == "os.environ" for _, operand in parent.ops)
        elif isinstance(parent, nodes.Dict):
            environ = any(key is node for key, _ in parent.items) and _is_environment_dict(parent)
        else:
            environ = False
        if environ:
            self.report("cuda-visible-devices", node)

    def refine(self, findings):
        if self._in_device_code_only and not self._is_device_code():
            findings = [finding for finding in findings if id(finding) not in self._in_device_code_only]
        if resolve.imports_torch_xla(self._module):
            return findings  # the workers run on the TPU: mp.spawn does not give each its device
        return _launchers_only_in_gpu_code(findings)

    def _is_device_code(self) -> bool:
        """The module moves something to a device, or its project makes it device code."""
        path = self._module.file
        project = view.for_file(path, getattr(self._module, "file_bytes", None)) if path else None
        if project is None:
            return True  # nothing proves it CPU code
        path = os.path.abspath(path)
        return bool(project.files.get(path, {}).get("device")) or project.has_device_code(path)


_CALL_HANDLERS = {
    **dict.fromkeys(AUTOCASTS, CudaChecker._autocast),
    **dict.fromkeys(GRAD_SCALERS, CudaChecker._grad_scaler),
    **dict.fromkeys(DDP_CLASSES, CudaChecker._ddp),
    **dict.fromkeys(SPAWNERS, CudaChecker._spawn),
    **dict.fromkeys(VLLM_ENGINES, CudaChecker._vllm_engine),
    resolve.TORCH_DEVICE: CudaChecker._torch_device_call,
    MATMUL_PRECISION: CudaChecker._matmul_precision,
    "os.environ.update": CudaChecker._environ_update,
}


# --- helpers -------------------------------------------------------------------------------


def _launchers_only_in_gpu_code(findings: list) -> list:
    """`mp.spawn` is plain multiprocessing too (CPU RPC workers, data workers): it is a GPU
    launcher only in a module that also has GPU code, or when sized by torch.cuda.device_count()
    (or, see refine, in a module that already runs on the TPU runtime, as a port leaves it)."""
    launchers = [f for f in findings if f.rule.symbol == "gpu-process-launcher"]
    if not launchers or len(launchers) < len(findings) or any(f.args["detail"] for f in launchers):
        return findings
    return []


def _other_branch(if_expression: nodes.IfExp, branch: nodes.NodeNG) -> nodes.NodeNG:
    return if_expression.orelse if branch is if_expression.body else if_expression.body


# Methods and keywords that only PyTorch code uses on its values: a function calling them moves
# or makes tensors, whatever names it imports.
_DEVICE_USES = frozenset({"to", "cuda", "device"})


def _star_torch_names(statement: nodes.ImportFrom) -> set[str]:
    """The names `from helpers import *` brings that stand for PyTorch libraries (helpers' own imports)."""
    path = statement.root().file
    project = view.for_file(path, getattr(statement.root(), "file_bytes", None)) if path else None
    return project.star_library_names(os.path.abspath(path), frozenset(DEVICE_LIBRARIES)) if project is not None else set()


def _uses_torch(scope: nodes.NodeNG, torch_names: frozenset[str]) -> bool:
    """scope (a function, or a class with its methods) names a PyTorch import or moves a value
    to a device (`.to(...)`, `.cuda()`, `device=`)."""
    if any(name.name in torch_names for name in scope.nodes_of_class(nodes.Name)):
        return True
    for call in scope.nodes_of_class(nodes.Call):
        if isinstance(call.func, nodes.Attribute) and call.func.attrname in _DEVICE_USES:
            return True
        if any(keyword.arg == "device" for keyword in call.keywords or ()):
            return True
    return False


def _enclosing_ifs(node: nodes.NodeNG):
    """(if statement, node is in its body) for each `if` around node, up to the enclosing scope."""
    child, parent = node, node.parent
    while parent is not None and not isinstance(parent, (nodes.FunctionDef, nodes.ClassDef, nodes.Module, nodes.Lambda)):
        if isinstance(parent, nodes.If) and child is not parent.test:
            yield parent, child in parent.body
        child, parent = parent, parent.parent


def _holds_xla_string(statement: nodes.NodeNG) -> bool:
    return any(
        isinstance(const.value, str) and resolve.PROFILE.is_device_string(const.value)
        for const in statement.nodes_of_class(nodes.Const)
    )


def _names_a_backend(node: nodes.NodeNG) -> bool:
    """node is used as a name or key, not as a value that selects a device."""
    parent = node.parent
    if isinstance(parent, (nodes.Compare, nodes.MatchValue, nodes.Expr)):
        return True
    if isinstance(parent, nodes.Dict):
        return any(key is node for key, _ in parent.items)
    if isinstance(parent, nodes.Subscript):
        return parent.slice is node
    if isinstance(parent, (nodes.List, nodes.Tuple, nodes.Set)):
        return _enumerates_backends(parent)
    if isinstance(parent, nodes.Keyword):
        return parent.arg == "choices" or _is_naming_call(parent.parent)
    if isinstance(parent, nodes.Call):
        return parent.func is not node and _is_naming_call(parent)
    if isinstance(parent, nodes.FormattedValue):
        return True
    return False


def _enumerates_backends(container: nodes.NodeNG) -> bool:
    others = {string_value(element) for element in container.elts} & OTHER_BACKENDS
    return bool(others) or _names_a_backend(container)


def _is_naming_call(call: nodes.NodeNG) -> bool:
    if not isinstance(call, nodes.Call):
        return False
    func = call.func
    if isinstance(func, nodes.Attribute) and func.attrname in NAMING_METHODS:
        return True
    name = call_name(call) or (func.name if isinstance(func, nodes.Name) else "")
    short = name.rsplit(".", 1)[-1]
    return (
        name in NAMING_FUNCTIONS
        or name.startswith(NAMING_MODULES)
        or short.endswith(("Error", "Exception", "Warning"))
    )


def _continues_chain(node: nodes.NodeNG) -> bool:
    """node is the `torch.cuda` part of `torch.cuda.synchronize`: only the whole chain counts."""
    return isinstance(node.parent, nodes.Attribute) and node.parent.expr is node


def _call_or_self(node: nodes.NodeNG) -> nodes.NodeNG:
    parent = node.parent
    return parent if isinstance(parent, nodes.Call) and parent.func is node else node


@lru_cache(maxsize=None)
def _reported_api_modules(target: str) -> tuple[tuple[str, ...], tuple[str, ...], frozenset[str]]:
    """For target: the API modules beyond CUDA's whose members its rules report ([[api]] tables:
    torch.tpu's internal device queries and torch_xla's API on TorchTPU), longest first
    (torch_xla.core.xla_model before torch_xla); every module whose names are watched; and the
    attribute names a chain into them may carry (`torch.tpu.synchronize`)."""
    catalog = load_catalog()
    entries = [(module, entry) for module, listed in catalog.api.items() for entry in listed.values()]
    entries += list(catalog.api_default.items())
    modules = tuple(sorted({module for module, entry in entries
                            if not module.startswith(CUDA_MODULES) and catalog.rule(entry.rule).for_target(target)},
                           key=len, reverse=True))
    chain_names = CUDA_CHAIN_NAMES | {module.split(".")[1] for module in modules if module.startswith("torch.")}
    return modules, (*CUDA_MODULES, *modules), chain_names


@lru_cache(maxsize=None)
def _strings_of_other_runtimes(target: str) -> dict[str, dict[str, tuple[str, str, str | None]]]:
    """{role: {string: (what it names, the fix, the literal that replaces it or None)}}: the device
    strings ("device"), compile backends ("compile"), process-group backends ("group"),
    rendezvous ("init_method") and environment variables ("environment") of the runtimes other
    than target's (`"xla"`, `"openxla"`, `"xla://"`, `PJRT_DEVICE` in code ported to TorchTPU), when
    target reports them; empty otherwise. The fix of each role is a case of the rule's fix in rules/."""
    catalog = load_catalog()
    rule = catalog.rule(OTHER_RUNTIME_RULE).for_target(target)
    if rule is None:
        return {}
    own = catalog.profile(target)
    fixes = {role: rule.fix_for(variant, **own.fix_slots()) for role, variant in _STRING_FIXES.items()}
    device, backend, group = f'"{own.device_type_string}"', f'"{min(own.compile_backends)}"', f'"{own.distributed_backend}"'
    found: dict[str, dict[str, tuple[str, str, str | None]]] = {role: {} for role in _STRING_FIXES}
    for other in (profile for name, profile in catalog.profiles.items() if name != target):
        runtime = other.package
        found["device"].update({text: (f"is {runtime}'s device string", fixes["device"], device)
                                for text in other.device_strings})
        found["compile"].update({text: (f"is {runtime}'s compile backend", fixes["compile"], backend)
                                 for text in other.compile_backends})
        found["environment"].update({name: (f"is {runtime}'s environment variable", fixes["environment"], None)
                                     for name in other.environment_variables - own.environment_variables})
        if other.distributed_backend:
            found["group"][other.distributed_backend] = (f"is {runtime}'s process-group backend", fixes["group"], group)
        if other.init_method:
            found["init_method"][other.init_method] = (f"is {runtime}'s rendezvous", fixes["init_method"], None)
    return found


# A role of another runtime's string -> the case of torch-xla-api's fix it takes (rules/cuda.toml).
_STRING_FIXES = {"device": "device_string", "compile": "compile_backend", "group": "process_group",
                 "init_method": "rendezvous", "environment": "environment_variable"}


def _setting_removal(key: nodes.Const) -> tuple[Edit, ...]:
    """Removing the statement that sets key, when that is all it does (`os.environ[key] = ...`,
    `os.environ.setdefault(key, ...)` as a statement of its own)."""
    statement = key.statement()
    if isinstance(statement, nodes.Assign) and len(statement.targets) == 1 and statement.targets[0] is key.parent:
        return (edits.remove_statement(statement),)
    return edits.remove_call(key.parent)


def _environ_setting(key: nodes.Const) -> tuple[bool, nodes.NodeNG | None]:
    """(whether key names a variable set in os.environ, the value it is set to or None):
    `os.environ[key] = value`, `os.environ.setdefault(key, value)`, `os.environ.update({key:
    value})`; `os.putenv(key, ...)` sets it too, but not in os.environ (no value)."""
    parent = key.parent
    if isinstance(parent, nodes.Subscript):
        assign = parent.parent
        if isinstance(assign, nodes.Assign) and parent in assign.targets and _is_environ(parent.value):
            return True, assign.value
    elif isinstance(parent, nodes.Call) and parent.args[:1] == [key] and isinstance(parent.func, nodes.Attribute):
        if parent.func.attrname == "setdefault" and _is_environ(parent.func.expr):
            return True, parent.args[1] if len(parent.args) == 2 else None
        if parent.func.as_string() == "os.putenv":
            return True, None
    elif isinstance(parent, nodes.Dict) and isinstance(call := parent.parent, nodes.Call):
        if isinstance(call.func, nodes.Attribute) and call.func.attrname == "update" and _is_environ(call.func.expr):
            value = next((item for item_key, item in parent.items if item_key is key), None)
            return value is not None, value
    return False, None


def _is_environ(node: nodes.NodeNG) -> bool:
    return node.as_string().endswith("environ")


def _environment_key(key: nodes.Const) -> bool:
    """key names a variable set in the environment (_environ_setting)."""
    return _environ_setting(key)[0]


def _sets_environment(key: nodes.Const, name: str) -> bool:
    """key (the string `name`) is set to a true value in os.environ: `os.environ[name] = "1"`,
    `os.environ.setdefault(name, "1")` or `os.environ.update({name: "1"})` (`"0"`, `""` and
    `"false"` do not count; nor does a child process's `env={...}`)."""
    value = _environ_setting(key)[1]
    text = string_value(value) if value is not None else None
    return text is not None and text.strip().lower() not in ("", "0", "false", "no", "off")


def _is_device_count(nprocs: nodes.NodeNG | None) -> bool:
    """nprocs is the number of GPUs: `torch.cuda.device_count()`, or a name bound once to it."""
    if isinstance(nprocs, nodes.Name):
        nprocs = resolve.single_assigned_value(nprocs)
    return nprocs is not None and resolve.mentions_call(nprocs, DEVICE_COUNTS) is not None


def _touches_device(scope: nodes.NodeNG) -> bool:
    """The scope's own code (not its nested functions) places something on a device or reads the
    current one: `.cuda()`, `.to(...)`, torch.device(...), current_accelerator(), set_device."""
    for call in scope.nodes_of_class(nodes.Call, skip_klass=(nodes.FunctionDef, nodes.ClassDef, nodes.Lambda)):
        if isinstance(call.func, nodes.Attribute) and call.func.attrname in ("cuda", "to"):
            return True
        if call_name(call) in DEVICE_READERS:
            return True
    return False


def _names_a_second_device(expression: nodes.NodeNG) -> bool:
    """`"cuda:1"`, `torch.device("cuda", 1)`: a process that uses more than one GPU (model
    parallelism); on a TPU each process owns one device, so where its shards go is a person's."""
    if isinstance(expression, nodes.Call):
        ordinal = argument(expression, 1, "index")
        if resolve.int_value(ordinal) not in (None, 0):
            return True
        expression = argument(expression, 0, "type")
    match = resolve.CUDA_DEVICE.match(resolve.string_value(expression) or "")
    return bool(match and match.group(1) and match.group(1) != ":0")


def _is_map_location(node: nodes.NodeNG) -> bool:
    return isinstance(node.parent, nodes.Keyword) and node.parent.arg == "map_location"


def _sole_assignment(block: list[nodes.NodeNG]) -> tuple[str, nodes.NodeNG] | None:
    """(name, value) when the block is the single statement `name = value`."""
    if len(block) == 1 and isinstance(block[0], nodes.Assign) and len(block[0].targets) == 1:
        target = block[0].targets[0]
        if isinstance(target, nodes.AssignName):
            return target.name, block[0].value
    return None


def _process_group_call_of(literal: nodes.NodeNG, qualified) -> nodes.Call | None:
    """init_process_group(...) when literal is its backend argument (first, or `backend=`)."""
    parent = literal.parent
    call = parent.parent if isinstance(parent, nodes.Keyword) and parent.arg == "backend" else parent
    if not isinstance(call, nodes.Call) or (call is parent and call.args[:1] != [literal]):
        return None
    return call if qualified(call.func) == "torch.distributed.init_process_group" else None


def _is_false(node: nodes.NodeNG | None) -> bool:
    return isinstance(node, nodes.Const) and node.value is False


def _is_fp16(node: nodes.NodeNG | None) -> bool:
    if node is None:
        return False
    return qualified_name(node) in FP16 or string_value(node) in FP16_NAMES


def _used_on(uses: tuple[nodes.Name, ...], definition_line: int) -> str | Lines:
    lines = sorted({use.lineno for use in uses if use.lineno != definition_line})
    return cite(" (used on {0})", lines) if lines else ""


def _device_count_ordinal(value: nodes.NodeNG | None) -> nodes.Call | None:
    """The torch.cuda.device_count() call in `rank % torch.cuda.device_count()` (a device ordinal
    computed from the GPU count), else None."""
    if isinstance(value, nodes.BinOp) and value.op in ("%", "//"):
        return resolve.mentions_call(value, DEVICE_COUNT)
    return None


def _bound_to_int(name: nodes.Name) -> bool:
    """`local_rank = int(os.environ["LOCAL_RANK"])` or `gpu = 0`, bound once."""
    value = resolve.single_assigned_value(name)
    if resolve.int_value(value) is not None:
        return True
    return isinstance(value, nodes.Call) and isinstance(value.func, nodes.Name) and value.func.name == "int"


def _is_cuda_or_bound_cuda(value: nodes.NodeNG, checker: CudaChecker) -> bool:
    """A CUDA device literal, or a name bound to one; either way the literal is claimed."""
    if isinstance(value, nodes.Name):
        bound = resolve.single_assigned_value(value)
        if bound is not None and resolve.is_cuda_literal(bound):
            checker.claim(bound)
            return True
        return False
    if resolve.is_cuda_literal(value):
        checker.claim(value)
        return True
    return False


class _SwitchIndex:
    """The [[switch]] tables by the call's qualified name and by method name."""

    def __init__(self, switches) -> None:
        self.calls: dict[str, list[Switch]] = {}
        self.methods: dict[str, list[Switch]] = {}
        self.names: dict[str, list[Switch]] = {}
        for switch in switches:
            for name in switch.names:
                self.names.setdefault(name, []).append(switch)
            for name in switch.calls:
                self.calls.setdefault(name, []).append(switch)
            for name in switch.methods:
                self.methods.setdefault(name, []).append(switch)
        self.short_names = frozenset(name.rsplit(".", 1)[-1] for name in self.calls)
        self.name_tails = frozenset(name.rsplit(".", 1)[-1] for name in self.names)


_SWITCHES = _SwitchIndex(load_catalog().switches)
CALLS_OF_INTEREST = CALLS_OF_INTEREST | _SWITCHES.short_names


def _switch_site(call: nodes.Call, switch: Switch) -> nodes.NodeNG | None:
    """Where the call sets the switch (the argument, or the call itself when the call is the
    switch), or None: a keyword also counts when passed through a `**options` dict literal; a
    value counts when it is a constant, or a name bound once to one (a flag from the command
    line is not known here, and is left alone)."""
    given = resolve.keyword_values(call)
    if any(_constant_of(given.get(name)) in values for name, values in switch.unless.items()):
        return None  # proven CPU-only (`accelerator="cpu"`)
    if switch.is_the_call:
        return call
    if switch.mentions:
        arguments = [*call.args, *(item.value for item in call.keywords or ())]
        mentioned = [node for argument_node in arguments for node in argument_node.nodes_of_class((nodes.Name, nodes.Attribute))
                     if (node.name if isinstance(node, nodes.Name) else node.attrname).endswith(switch.mentions)]
        return call if any(not _sets_field_safely(node, switch) for node in mentioned) else None
    if switch.absent:
        unknown_options = any(item.arg is None and not resolve.unpacked_mapping(item.value) for item in call.keywords or ())
        positional = switch.position is not None and len(call.args) > switch.position
        return call if switch.keyword not in given and not positional and not unknown_options else None
    value = given.get(switch.keyword) if switch.keyword else None
    if value is None and switch.position is not None:
        value = argument(call, switch.position, switch.keyword or "")
    constant = _constant_of(value)
    if constant is _UNKNOWN:
        return None
    if switch.values:
        return value if any(constant == wanted and type(constant) is type(wanted) for wanted in switch.values) else None
    return value if constant not in (False, None) else None


_UNKNOWN = object()


def _sets_field_safely(mentioned: nodes.Name | nodes.Attribute, switch: Switch) -> bool:
    """A project subclass of the mentioned class whose `keyword` field defaults to a value that
    is not GPU-only (`class TrainingArguments(transformers.TrainingArguments): optim: str =
    field(default="adamw_torch")`): what the parser builds is not the GPU-only default."""
    if not isinstance(mentioned, nodes.Name) or switch.keyword is None:
        return False
    try:
        _, bindings = mentioned.lookup(mentioned.name)
    except (AttributeError, KeyError):
        return False
    classes = [binding for binding in bindings if isinstance(binding, nodes.ClassDef)]
    return bool(classes) and all(_field_default(klass, switch.keyword) not in (_UNKNOWN, *switch.values) for klass in classes)


def _field_default(klass: nodes.ClassDef, name: str):
    """The constant a dataclass field of the class defaults to (`x: str = "a"`, `x = field(default="a")`)."""
    for statement in klass.body:
        target = statement.target if isinstance(statement, nodes.AnnAssign) else (
            statement.targets[0] if isinstance(statement, nodes.Assign) and len(statement.targets) == 1 else None)
        if isinstance(target, nodes.AssignName) and target.name == name and statement.value is not None:
            value = statement.value
            if isinstance(value, nodes.Call) and resolve.short_name(value.func) == "field":
                value = argument(value, None, "default")
            return _constant_of(value)
    return _UNKNOWN


def _constant_of(node: nodes.NodeNG | None):
    if isinstance(node, nodes.Name):
        node = resolve.single_assigned_value(node)
    return node.value if isinstance(node, nodes.Const) else _UNKNOWN


def _setting(switch: Switch, site: nodes.NodeNG) -> str:
    if switch.absent or switch.mentions:
        return "..."
    return f"{switch.keyword}={site.as_string()}" if switch.keyword else site.as_string()


def _short_callee(call: nodes.Call) -> str:
    func = call.func
    return func.as_string() if isinstance(func, nodes.Attribute) and not isinstance(func.expr, nodes.Name) \
        else func.as_string().rsplit(".", 1)[-1]


def _is_environment_dict(mapping: nodes.Dict) -> bool:
    parent = mapping.parent
    if isinstance(parent, nodes.Keyword):
        return parent.arg == "env"
    return isinstance(parent, nodes.Call) and call_name(parent) == "os.environ.update"
