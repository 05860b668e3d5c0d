"""Does a loop run device work every iteration, and does every path through its body reach a
graph barrier? Shared by the families that reason about the step loop.

On PyTorch/XLA every tensor op only records a graph; a barrier (`torch_xla.sync()`) cuts it,
compiles it and runs it. The analysis walks a loop body path by path, keeping the set of device
work not yet cut ("pending"): a barrier empties it, device work adds to it. A loop needs a fix
when work from one iteration can reach the next iteration's end still pending.

What counts as device work is decided from the module's own code, never from names alone:
calls of values built as `nn.Module`s (a class of the module deriving from torch.nn.Module,
`torch.nn.*`, `from_pretrained`, DDP, ...), `.backward()`, `.step()` of a torch optimizer, torch
ops on tensors moved to a device, and calls of the module's own functions that do those things.
A module that never moves anything to a device is CPU code and has no device work at all.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from astroid import nodes

from tpulint import resolve, syntax_index, view
from tpulint.catalog import load_catalog

BARRIERS = view.BARRIERS
# How far kind() follows values (bindings, receivers, arguments) before giving up.
MAX_KIND_DEPTH = 6
# Attributes of a tensor (or of a model's output) that are not tensors on the device (nor are
# the `is_*` flags: is_cuda, is_leaf, ...).
HOST_ATTRIBUTES = frozenset({"shape", "dtype", "device", "ndim", "layout", "names", "requires_grad", "grad_fn",
                             "itemsize", "nbytes"})
PROFILE = view.PROFILE  # the barrier runtime's names (see view.PROFILE)
MARK_STEP = PROFILE.deprecated_barrier
OPTIMIZER_STEP = view.OPTIMIZER_STEP
STEP_CONTEXTS = PROFILE.step_contexts
XLA_COMPILE = PROFILE.compile_wrappers
SYNCING_LOADERS = PROFILE.syncing_loaders
_OPTIMIZER_STEP_NAME = OPTIMIZER_STEP.rpartition(".")[2]
DATA_LOADER = "torch.utils.data.DataLoader"
FRAMEWORKS = load_catalog().frameworks  # rules/frameworks.toml: library models, factories, wrappers
MODULE_WRAPPERS = FRAMEWORKS.wrappers | FRAMEWORKS.factories | {"torch.nn.parallel.distributed.DistributedDataParallel"}
NN_MODULE = FRAMEWORKS.model_bases  # torch.nn.Module and the library model bases (PreTrainedModel, LightningModule...)
OPTIMIZER_BASES = frozenset({"torch.optim.Optimizer", "torch.optim.optimizer.Optimizer"})
# Learning-rate schedulers set Python floats on the optimizer: their step() is host bookkeeping.
HOST_SIDE_OPTIM = ("torch.optim.lr_scheduler.", "transformers.optimization.get_")
OPTIMIZER_MODULES = ("torch.optim.", *resolve.RECOGNISED.optimizer_modules, "transformers.optimization.", "bitsandbytes.optim.")
# Methods that return the module they are called on.
MODULE_SELF_METHODS = frozenset({"to", "cuda", "cpu", "eval", "train", "half", "float", "bfloat16", "requires_grad_"})
# Methods only a module has: calling one says the receiver is a model, whatever built it.
MODULE_ONLY_METHODS = frozenset({"eval", "train", "parameters", "named_parameters", "state_dict", "load_state_dict",
                                 "modules", "children", "zero_grad", "requires_grad_"})
# Tensor methods whose result lives on the host.
HOST_METHODS = frozenset({
    "item", "tolist", "cpu", "numpy", "size", "dim", "numel", "nelement", "element_size", "stride",
    "storage_offset", "is_contiguous", "get_device", "data_ptr",
})
# Methods of a model (an nn.Module or a Hugging Face model) that run it; its other methods
# (append, zero_grad, parameters, state_dict, ...) record no graph.
MODEL_RUN_METHODS = frozenset({"forward", "generate", "__call__"})
# What only a torch.nn.Module (or a Hugging Face model) answers: a parameter used so is a model.
MODEL_ONLY_METHODS = MODEL_RUN_METHODS | {"parameters", "named_parameters", "eval", "train", "state_dict",
                                          "load_state_dict", "named_modules", "modules", "requires_grad_"}
# Builtins that read a tensor's value into a Python number.
HOST_READ_BUILTINS = frozenset({"bool", "int", "float"})
# Methods only a tensor has (a module or an array has none of them): a name they are called on is one.
TENSOR_ONLY_METHODS = frozenset({"backward", "detach", "retain_grad"})
# Accelerate / Lightning Fabric: the loaders they hand back sync on XLA by themselves.
FRAMEWORK_LOADER_METHODS = frozenset({"prepare", "prepare_data_loader", "setup_dataloaders"})
HOST_DEVICES = frozenset({"cpu", "meta"})
# torch functions that create a tensor from Python values (torch.from_numpy is not one: it
# shares a NumPy array's memory and is always on the CPU).
TENSOR_FACTORIES = frozenset(f"torch.{name}" for name in (
    "tensor", "as_tensor", "zeros", "ones", "full", "empty", "arange", "linspace", "logspace", "rand", "randn",
    "randint", "randperm", "eye", "zeros_like", "ones_like", "full_like", "empty_like", "rand_like", "randn_like",
))
# Hugging Face classes whose from_pretrained() loads something that runs on the host.
NOT_MODELS = FRAMEWORKS.not_models

PREVIOUS = "previous iteration"  # marks work left pending by the iteration before


class Kind:
    MODULE = "module"
    CRITERION = "criterion"  # a loss module: calling it is tensor arithmetic, not a model run
    OPTIMIZER = "optimizer"
    TENSOR = "tensor"
    COMPILED = "compiled"  # a function wrapped by torch_xla.compile / torch.compile: calling it syncs
    SYNCING_LOADER = "syncing loader"
    TOKENIZER = "tokenizer"
    DATA_LOADER = "data loader"
    FRAMEWORK_LOADER = "framework loader"


@dataclass
class Event:
    work: nodes.NodeNG | None = None
    barrier: nodes.NodeNG | None = None


@dataclass
class Walk:
    """What one pass over a block saw: device work, barriers, and the pending work at each
    `continue` and `return` (a fall-through end is what `flow` returns)."""

    work: list[nodes.NodeNG] = field(default_factory=list)
    barriers: list[nodes.NodeNG] = field(default_factory=list)
    continues: list[frozenset] = field(default_factory=list)
    returns: list[frozenset] = field(default_factory=list)


@dataclass
class LoopVerdict:
    loop: nodes.For | nodes.While
    work: list[nodes.NodeNG]
    barriers: list[nodes.NodeNG]
    missing: bool = False  # work from one iteration can reach the next one's end uncut
    barrier_first: bool = False  # cut every iteration, but before the work: the last one stays pending
    unsynced_optimizer_step: nodes.Call | None = None
    steps: bool = False  # runs a model, a backward pass or an optimizer: a step loop
    absorbed: bool = False  # tensor arithmetic inside an enclosing step loop, whose barrier covers it


class DeviceCode:
    """Per-module answers: what values are, what a statement does, what a loop needs."""

    def __init__(self, module: nodes.Module, qualified: Callable[[nodes.NodeNG], str | None],
                 on_device: bool) -> None:
        self.module = module
        self.qualified = qualified
        self.touches_accelerator = on_device
        self._kinds: dict[nodes.NodeNG, str | None] = {}
        self._truncated = False  # the kind() search in progress hit MAX_KIND_DEPTH
        self._cut_short: dict[nodes.NodeNG, int] = {}  # node -> depth at which its kind search was cut
        self._local_name_kinds: dict[tuple[nodes.NodeNG, str], str | None] = {}
        self._naming: set[tuple[nodes.NodeNG, str]] = set()  # local names whose kind is being worked out
        self._host_reads: dict[tuple[nodes.NodeNG, str], bool] = {}  # (scope, name) -> a binding reads a tensor to the host
        self._pending: set[nodes.NodeNG] = set()  # nodes whose kind is being worked out
        self._cycles = 0  # how often a search met a node already being worked out
        self._uses: dict[nodes.FunctionDef, dict[str, list[nodes.Name]]] = {}
        self._verdicts: dict[nodes.NodeNG, LoopVerdict] = {}
        self._effects: dict[nodes.FunctionDef, list[Event] | None] = {}
        self._effects_pending = 0  # helpers whose effect is being worked out (function_events)
        self._events: dict[nodes.NodeNG, list[Event]] = {}
        self._functions_called: dict[nodes.Call, nodes.FunctionDef | None] = {}
        self._steps: dict[nodes.FunctionDef, bool] = {}
        self._step_scopes: StepScopes | None = None
        self._project: view.ProjectView | None | bool = False  # False: not looked up yet
        self.path = os.path.abspath(module.file) if module.file else ""  # as the project view keys files
        self._forward_methods: dict[nodes.ClassDef, set[str]] = {}

    @property
    def project(self) -> view.ProjectView | None:
        """The project view of the module's project (tpulint.view), built on first use."""
        if self._project is False:
            self._project = view.for_file(self.module.file, getattr(self.module, "file_bytes", None))
        return self._project

    # --- does this code touch an accelerator? ------------------------------------------------

    def moves_to_device(self, call: nodes.Call) -> bool:
        """`.cuda()`, `.to(<not a dtype, not the CPU>)`, `device=` on a torch call, any torch_xla call."""
        func = call.func
        if isinstance(func, nodes.Attribute) and func.attrname == "cuda":
            return True
        if isinstance(func, nodes.Attribute) and func.attrname == "to" and call.args:
            return self._is_device_argument(call.args[0])
        device = resolve.keyword(call, "device")
        if device is None and not _may_be_runtime(func):
            return False  # cheap: most calls pass no device and name nothing imported from the runtime
        name = self.qualified(func) or ""
        if resolve.RECOGNISED.is_runtime_name(name) and "." in name:
            return True
        return device is not None and name.startswith(("torch.", "transformers.")) and self._is_device_argument(device.value)

    def _factory_on_device(self, call: nodes.Call, name: str) -> bool:
        """`self.timesteps = torch.linspace(...)` with no device, in a project that runs on a
        device: an object's tensor state (a scheduler's timesteps, a buffer) goes where the model
        goes. A local tensor built without a device (`losses = torch.zeros(n)` filled with
        `.item()` values) stays a host accumulator."""
        if name not in TENSOR_FACTORIES or resolve.keyword(call, "device") is not None:
            return False
        node = call
        while isinstance(node.parent, nodes.Attribute) or (isinstance(node.parent, nodes.Call) and node.parent.func is node):
            node = node.parent  # through `.long()`, `.float()`
        assign = node.parent
        if not (isinstance(assign, nodes.Assign) and assign.value is node and len(assign.targets) == 1
                and isinstance(assign.targets[0], nodes.AssignAttr)
                and isinstance(assign.targets[0].expr, nodes.Name) and assign.targets[0].expr.name == "self"):
            return False
        project = self.project
        return project is not None and project.is_device_project

    def _is_device_argument(self, node: nodes.NodeNG) -> bool:
        text = resolve.string_value(node)
        if text is not None:
            return text.split(":")[0] not in HOST_DEVICES
        if isinstance(node, nodes.Attribute) and node.attrname == "device":
            return False  # `device=x.device` keeps a tensor where another already is: not a move
        name = self.qualified(node) or ""
        return not (name.startswith("torch.") and not name.startswith("torch.device")
                    and not resolve.RECOGNISED.is_runtime_name(name))

    # --- what is this value? ----------------------------------------------------------------

    def kind(self, node: nodes.NodeNG | None, depth: int = 0) -> str | None:
        if node is None:
            return None
        if depth > MAX_KIND_DEPTH:
            self._truncated = True
            return None
        if node in self._pending:
            self._cycles += 1
            return None  # breaks cycles
        if node in self._kinds and depth >= self._cut_short.get(node, depth):
            return self._kinds[node]
        self._pending.add(node)
        outer, self._truncated = self._truncated, False
        try:
            found = self._kinds[node] = self._kind(node, depth)
        finally:
            self._pending.discard(node)
        if found is None and self._truncated:
            self._cut_short[node] = depth  # "unknown" only this deep: a search from nearer asks again
        else:
            self._cut_short.pop(node, None)
        self._truncated = outer or self._truncated
        return found

    def _kind(self, node: nodes.NodeNG, depth: int) -> str | None:
        if isinstance(node, nodes.Call):
            return self._call_kind(node, depth)
        if isinstance(node, nodes.Name):
            return self._name_kind(node, depth)
        if isinstance(node, nodes.Attribute):
            return self._attribute_kind(node, depth)
        if isinstance(node, nodes.Subscript):
            return Kind.TENSOR if self.kind(node.value, depth + 1) == Kind.TENSOR else None
        if isinstance(node, nodes.BinOp):
            operands = (self.kind(node.left, depth + 1), self.kind(node.right, depth + 1))
            return Kind.TENSOR if Kind.TENSOR in operands else None
        if isinstance(node, nodes.Compare):
            if any(operator in ("is", "is not", "in", "not in") for operator, _ in node.ops):
                return None  # a Python bool
            operands = [node.left, *(operand for _, operand in node.ops)]
            return Kind.TENSOR if any(self.kind(o, depth + 1) == Kind.TENSOR for o in operands) else None
        if isinstance(node, nodes.UnaryOp):
            return self.kind(node.operand, depth + 1)
        return None

    def _call_kind(self, call: nodes.Call, depth: int) -> str | None:
        func = call.func
        name = self.qualified(func)
        if name is not None:
            return self._named_call_kind(call, name, depth)
        if isinstance(func, nodes.Attribute):
            receiver = self.kind(func.expr, depth + 1)
            if func.attrname == "from_pretrained":
                return _pretrained_kind(func.expr.as_string().rsplit(".", 1)[-1])
            if func.attrname in FRAMEWORK_LOADER_METHODS:
                return Kind.FRAMEWORK_LOADER
            if func.attrname == "per_device_loader":
                return Kind.SYNCING_LOADER
            if func.attrname in MODULE_SELF_METHODS and (receiver == Kind.MODULE or func.attrname in MODULE_ONLY_METHODS):
                return Kind.MODULE
            if func.attrname in MODULE_SELF_METHODS and receiver == Kind.CRITERION:
                return Kind.CRITERION  # `nn.CrossEntropyLoss().to(device)` is still a loss module
            if func.attrname in MODULE_ONLY_METHODS:
                return None
            if receiver == Kind.MODULE and func.attrname in MODEL_RUN_METHODS:
                return Kind.TENSOR
            if func.attrname in ("to", "cuda") and (func.attrname == "cuda" or self.moves_to_device(call)):
                return Kind.TENSOR
            if receiver == Kind.TENSOR and func.attrname not in HOST_METHODS:
                return Kind.TENSOR
        callee = self.kind(func, depth + 1)
        if callee in (Kind.MODULE, Kind.COMPILED, Kind.CRITERION):
            return Kind.TENSOR
        if isinstance(func, nodes.Name):
            derived = self._derived_classes()
            if func.name in derived[Kind.MODULE]:
                return Kind.MODULE
            if func.name in derived[Kind.OPTIMIZER]:
                return Kind.OPTIMIZER
        return self._returned_kind(call, depth)

    def _returned_kind(self, call: nodes.Call, depth: int) -> str | None:
        """What a function of the module returns (`def make_loader(...): return pl.MpDeviceLoader(...)`,
        `def build(): return Net().to(device)`)."""
        function = self.function_called(call)
        if function is None:
            return None
        returns = function.nodes_of_class(nodes.Return, skip_klass=(nodes.FunctionDef, nodes.ClassDef, nodes.Lambda))
        return _strongest({self.kind(ret.value, depth + 1) for ret in returns if ret.value is not None} - {None})

    def _named_call_kind(self, call: nodes.Call, name: str, depth: int) -> str | None:
        if (name.startswith(OPTIMIZER_MODULES) and name.rsplit(".", 1)[-1][:1].isupper()
                and not name.startswith(HOST_SIDE_OPTIM)):
            return Kind.OPTIMIZER
        if name.endswith(".from_pretrained"):
            return _pretrained_kind(name.rsplit(".", 2)[-2])
        if name in SYNCING_LOADERS:
            return Kind.SYNCING_LOADER
        if name == DATA_LOADER:
            return Kind.DATA_LOADER
        if name in XLA_COMPILE or name == "torch.compile":
            return Kind.COMPILED if name in XLA_COMPILE or _openxla_backend(call) else Kind.MODULE
        if name.startswith("torch.nn.") and name.endswith("Loss"):
            return Kind.CRITERION
        if (name in MODULE_WRAPPERS or FRAMEWORKS.builds_model(name)
                or (name.startswith("torch.nn.") and name.rsplit(".", 1)[-1][:1].isupper())):
            return Kind.MODULE
        operands = [element for arg in call.args
                    for element in (arg.elts if isinstance(arg, (nodes.List, nodes.Tuple)) else [arg])]
        if name.startswith("torch.") and (
            any(self.kind(operand, depth + 1) == Kind.TENSOR for operand in operands) or self.moves_to_device(call)
            or self._factory_on_device(call, name)
        ):
            return Kind.TENSOR
        return self._project_class_kind(call.func)

    def _project_class_kind(self, node: nodes.NodeNG) -> str | None:
        """A model or optimizer class another module of the project defines (`from .model import GPT`)."""
        reference = _view_reference(node)
        if self.project is None or reference is None:
            return None
        found = self.project.class_kind(self.path, *reference)
        return {"module": Kind.MODULE, "optimizer": Kind.OPTIMIZER}.get(found)

    def _name_kind(self, name: nodes.Name, depth: int) -> str | None:
        """Over every binding of the name in its scope, not only those astroid sees reaching it:
        in a loop, a later rebinding (`tokens = torch.cat([tokens, ...])`) reaches the next
        iteration. Under `if isinstance(name, SomeClass):` with a class that is not a tensor the
        name is that class's instance (a distribution object's `.mode()` is not torch.mode)."""
        if _narrowed_to_other_class(name, self.qualified):
            return None
        own_scope = name.scope()
        key = (own_scope, name.name)
        if name.name in own_scope.locals and self._read_to_host(own_scope, name.name):
            return self._reaching_kind(name, own_scope, depth)
        if name.name in own_scope.locals and key not in self._naming:
            # A local name: every use in the scope sees the same bindings, so the answer is kept
            # per (scope, name); a loop that rebinds `loss` 2,000 times would otherwise cost
            # uses x bindings. A use met while that answer is being worked out (`tokens =
            # torch.cat([tokens, x])`) is answered on its own, as before, and not kept.
            if key not in self._local_name_kinds:
                self._naming.add(key)
                outer, self._truncated = self._truncated, False
                cycles = self._cycles
                try:
                    found = self._kind_of_bindings(own_scope.locals[name.name], depth)
                finally:
                    self._naming.discard(key)
                if self._truncated or self._cycles != cycles:
                    self._truncated = outer or self._truncated
                    return found  # cut short by depth or by a cycle: true here, not kept
                self._truncated = outer
                self._local_name_kinds[key] = found
            return self._local_name_kinds[key]
        try:
            scope, bindings = name.lookup(name.name)
        except (AttributeError, KeyError):
            return None
        return self._kind_of_bindings(set(bindings) | set(scope.locals.get(name.name, ())), depth)

    def _read_to_host(self, scope: nodes.NodeNG, name: str) -> bool:
        """One of the name's bindings in scope is a Python value read off a tensor
        (`pos = pos.item()`): then which bindings reach a use decides, not all of them."""
        key = (scope, name)
        if key not in self._host_reads:
            self._host_reads[key] = any(_reads_to_host(resolve.assigned_value(binding))
                                        for binding in scope.locals.get(name, ()) if isinstance(binding, nodes.AssignName))
        return self._host_reads[key]

    def _reaching_kind(self, name: nodes.Name, scope: nodes.NodeNG, depth: int) -> str | None:
        """The kind of the bindings that can reach this use: the ones before it in straight-line
        code (astroid's lookup), and those inside a loop around it, which reach the next iteration."""
        try:
            _, reaching = name.lookup(name.name)
        except (AttributeError, KeyError):
            return None
        # astroid keeps a binding that a later one in a block around the use always overrides
        # (`pos = torch.tensor(...)` before `if speculative: pos = pos.item(); while ...: use`).
        last = max((binding.lineno for binding in reaching if _always_before(binding, name)), default=0)
        reaching = [binding for binding in reaching if binding.lineno >= last]
        loops = [parent for parent in name.node_ancestors() if isinstance(parent, (nodes.For, nodes.While))
                 and parent.scope() is scope]
        carried = [binding for binding in scope.locals.get(name.name, ())
                   if any(_inside(binding, loop) for loop in loops)]
        return self._kind_of_bindings({*reaching, *carried}, depth)

    def kind_of_binding(self, binding: nodes.AssignName) -> str | None:
        """What a name binding (a parameter, an assignment target) holds."""
        return self._binding_kind(binding, 0)

    def _kind_of_bindings(self, bindings, depth: int) -> str | None:
        kinds = {self._binding_kind(binding, depth) for binding in bindings} - {None}
        return _strongest(kinds)

    def _binding_kind(self, binding: nodes.NodeNG, depth: int) -> str | None:
        found = self._bound_kind(binding, depth)
        if found == Kind.TENSOR and isinstance(binding.parent, nodes.Arguments) and self._is_called(binding):
            # The callers pass `model.to(device)` of something unknown, which reads as a moved tensor.
            return self._called_value_kind(binding.scope(), binding.name)
        return found

    def _is_called(self, binding: nodes.AssignName) -> bool:
        function = binding.scope()
        return isinstance(function, nodes.FunctionDef) and any(
            isinstance(use.parent, nodes.Call) and use.parent.func is use
            for use in self._uses_of(function).get(binding.name, ()))

    def _called_value_kind(self, function: nodes.NodeNG, dotted: str) -> str:
        """What a value read as a moved tensor is when the code calls it (`model(tokens)`,
        `self.unet(x)`): a tensor never is called, so a module on the device, unless the project
        view finds a library object behind it that is no model (a diffusers pipeline runs a whole
        generation per call; a tokenizer: rules/frameworks.toml not_models)."""
        project = self.project
        if project is not None and isinstance(function, nodes.FunctionDef) and any(
                value[0] in ("lib", "lib-instance") and value[1].rpartition(".")[2].endswith(project.frameworks.not_models)
                for value in project.values(self.path, qualname(function), f"d:{dotted}")):
            return Kind.TENSOR
        return Kind.MODULE

    def _bound_kind(self, binding: nodes.NodeNG, depth: int) -> str | None:
        if isinstance(binding, nodes.FunctionDef):
            return Kind.COMPILED if _is_xla_compiled(binding, self.qualified) else None
        if not isinstance(binding, nodes.AssignName):
            return None
        parent = binding.parent
        if isinstance(parent, nodes.Arguments):
            return self._parameter_kind(binding, parent, depth)
        if isinstance(parent, (nodes.For, nodes.Comprehension)) and parent.target is binding:
            return Kind.TENSOR if self.kind(parent.iter, depth + 1) == Kind.SYNCING_LOADER else None
        value = resolve.assigned_value(binding)
        if value is not None:
            return self.kind(value, depth + 1) or self._tensor_by_use(binding)
        if isinstance(parent, nodes.Tuple) and isinstance(parent.parent, nodes.Assign):
            value_kind = self.kind(parent.parent.value, depth + 1)
            return value_kind if value_kind in (Kind.FRAMEWORK_LOADER,) else _unpacked_kind(binding, parent, depth, self)
        if isinstance(parent, nodes.AugAssign):
            return self.kind(parent.value, depth + 1)
        return None

    def _attribute_kind(self, attribute: nodes.Attribute, depth: int) -> str | None:
        """`self.model` -> what `self.model = ...` in the class assigns; a field of a model's output
        (`outputs.loss`, `outputs.logits`) or a tensor's `.T`/`.grad` is a tensor, its `.shape` not."""
        if not (isinstance(attribute.expr, nodes.Name) and attribute.expr.name == "self"):
            name = attribute.attrname
            if name in HOST_ATTRIBUTES or name.startswith("is_"):
                return None
            return Kind.TENSOR if self.kind(attribute.expr, depth + 1) == Kind.TENSOR else None
        klass = attribute.scope().parent.frame() if isinstance(attribute.scope(), nodes.FunctionDef) else None
        if not isinstance(klass, nodes.ClassDef):
            return None
        values = [
            assignment.parent.value
            for assignment in klass.instance_attrs.get(attribute.attrname, [])
            if isinstance(assignment.parent, nodes.Assign) and assignment.parent.targets == [assignment]
        ]
        found = (_strongest({self.kind(value, depth + 1) for value in values} - {None}) or self._project_kind(attribute)
                 or self._called_submodule(attribute, klass, values))
        if found == Kind.TENSOR and isinstance(attribute.parent, nodes.Call) and attribute.parent.func is attribute:
            return self._called_value_kind(attribute.scope(), attribute.as_string())  # `self.unet = unet.to(device)`
        return found

    def _called_submodule(self, attribute: nodes.Attribute, klass: nodes.ClassDef, values: list) -> str | None:
        """`self.model(x, t)` in an nn.Module subclass, where `self.model = model` came in as a
        constructor argument: a callable attribute of a model is a submodule (the denoiser of a
        diffusion wrapper, the backbone of a head)."""
        if klass.name not in self._derived_classes()[Kind.MODULE] or not values:
            return None
        if not all(isinstance(value, nodes.Name) and resolve.bound_only_as_parameter(value) is True for value in values):
            return None
        parent = attribute.parent
        return Kind.MODULE if isinstance(parent, nodes.Call) and parent.func is attribute else None

    def _parameter_kind(self, binding: nodes.AssignName, arguments: nodes.Arguments, depth: int) -> str | None:
        function = arguments.parent
        owner = function.parent if isinstance(function, nodes.FunctionDef) else None
        if (isinstance(owner, nodes.ClassDef) and arguments.args and binding is arguments.args[0]
                and function.type == "method" and owner.name in self._derived_classes()[Kind.MODULE]):
            return Kind.MODULE  # `self` in a model's method (not a staticmethod's first argument, nor cls)
        if (isinstance(function, nodes.FunctionDef) and function.name == "forward" and binding in arguments.args[1:]
                and isinstance(function.parent, nodes.ClassDef) and function.parent.name in self._derived_classes()[Kind.MODULE]
                and not _has_default(binding, arguments)):
            return Kind.TENSOR  # a model's forward takes its inputs as tensors (flags have defaults)
        given = self._entry_parameter_kind(binding, arguments.parent)
        if given is not None:
            return given
        annotation = _annotation_of(binding, arguments)
        if annotation is not None:
            name = self.qualified(annotation) or ""
            if name in NN_MODULE or name.endswith(("PreTrainedModel", ".Module")):
                return Kind.MODULE
            if self._annotates_tensor(annotation):
                return Kind.TENSOR
        function = arguments.parent
        if not isinstance(function, nodes.FunctionDef):
            return None
        position = [arg.name for arg in arguments.args].index(binding.name) if binding in arguments.args else None
        kinds = set()
        for call in self._calls_of(function):
            value = resolve.argument(call, _shifted(position) if _passes_self(function) else position, binding.name)
            kinds.add(self.kind(value, depth + 1))
        return (_strongest(kinds - {None}) or self._project_kind(binding)
                or self._kind_from_use(binding, function, depth))

    def _annotates_tensor(self, annotation: nodes.NodeNG) -> bool:
        """`x: torch.Tensor`, `Optional[Tensor]`, `Tensor | None`, `torch.FloatTensor`: a tensor
        parameter (in a device project, a device tensor unless proven otherwise); not a
        `Callable[[int, torch.Tensor], None]` (a callback taking tensors)."""
        names = list(annotation.nodes_of_class((nodes.Name, nodes.Attribute)))  # the annotation itself included
        if any((node.name if isinstance(node, nodes.Name) else node.attrname) == "Callable" for node in names):
            return False
        for node in names:
            name = self.qualified(node)
            if name is not None and name.startswith("torch.") and name.endswith("Tensor") and name.count(".") == 1:
                return True
        return False

    def _entry_parameter_kind(self, binding: nodes.AssignName, function: nodes.NodeNG) -> str | None:
        """What a framework passes to a parameter of its entry point (rules/frameworks.toml)."""
        project = self.project
        if project is None or not isinstance(function, nodes.FunctionDef) or not _is_method(function):
            return None
        given = project.entry_parameter(self.path, qualname(function), binding.name)
        return {"tensor": Kind.TENSOR, "model": Kind.MODULE}.get(given)

    def _project_kind(self, node: nodes.AssignName | nodes.Attribute) -> str | None:
        """A model the project view finds behind a parameter (what call sites in other files pass,
        its annotation) or an attribute (`self.register_modules(unet=unet)`, a pipeline component)."""
        project = self.project
        function = node.scope()
        if project is None or not isinstance(function, nodes.FunctionDef):
            return None
        dotted = node.name if isinstance(node, nodes.AssignName) else node.as_string()
        values = project.values(self.path, qualname(function), f"d:{dotted}")
        return Kind.MODULE if any(project.is_model(value) for value in values) else None

    def passed_for(self, name: nodes.Name) -> list[nodes.NodeNG]:
        """When name is a parameter of its function, what the module's call sites pass for it
        (`train(model, loader)` -> the `loader` expression of each call); else []."""
        function = name.scope()
        if not isinstance(function, nodes.FunctionDef):
            return []
        arguments = function.args
        names = [arg.name for arg in arguments.args]
        if name.name not in names or any(not isinstance(binding.parent, nodes.Arguments)
                                         for binding in function.locals.get(name.name, ())):
            return []
        position = names.index(name.name)
        passed = []
        for call in self._calls_of(function):
            value = resolve.argument(call, _shifted(position) if _passes_self(function) else position, name.name)
            if value is not None:
                passed.append(value)
        return passed

    def _kind_from_use(self, binding: nodes.AssignName, function: nodes.FunctionDef, depth: int) -> str | None:
        """What the function does with a parameter no call site explains: called with a tensor
        (`model(ids)`) or asked for what only a model has (`model.parameters()`, `.generate(...)`),
        it is a model; asked to `zero_grad()` and `step()`, an optimizer."""
        methods = set()
        for use in self._uses_of(function).get(binding.name, ()):
            parent = use.parent
            if isinstance(parent, nodes.Attribute) and parent.expr is use:
                methods.add(parent.attrname)
            elif isinstance(parent, nodes.Call) and parent.func is use:
                arguments = [*parent.args, *(keyword.value for keyword in parent.keywords or ())]
                if any(self.kind(argument, depth + 1) == Kind.TENSOR for argument in arguments):
                    return Kind.MODULE
        if methods & MODEL_ONLY_METHODS:
            return Kind.MODULE
        if {"zero_grad", "step"} <= methods:
            return Kind.OPTIMIZER
        return None

    def _tensor_by_use(self, binding: nodes.AssignName) -> str | None:
        """A name bound once in its function, which calls a tensor-only method on it with no
        positional argument (`loss.backward()`, not `accelerator.backward(loss)`), whatever it was
        taken from (`loss = losses["loss"].mean()` with losses from another library's call)."""
        function = binding.scope()
        if not isinstance(function, nodes.FunctionDef) or len(function.locals.get(binding.name, ())) != 1:
            return None
        for use in self._uses_of(function).get(binding.name, ()):
            method = use.parent
            if (isinstance(method, nodes.Attribute) and method.expr is use and method.attrname in TENSOR_ONLY_METHODS
                    and isinstance(method.parent, nodes.Call) and method.parent.func is method and not method.parent.args):
                return Kind.TENSOR
        return None

    def _uses_of(self, function: nodes.FunctionDef) -> dict[str, list[nodes.Name]]:
        """The names read in function's own body (not in nested functions or classes), by name."""
        if function not in self._uses:
            uses: dict[str, list[nodes.Name]] = {}
            for name in function.nodes_of_class(nodes.Name, skip_klass=(nodes.FunctionDef, nodes.ClassDef, nodes.Lambda)):
                uses.setdefault(name.name, []).append(name)
            self._uses[function] = uses
        return self._uses[function]

    def _calls_of(self, function: nodes.FunctionDef) -> list[nodes.Call]:
        """The module's calls of function (indexed by callee name, resolved on demand)."""
        calls = syntax_index.of(self.module).calls_named.get(function.name, ())
        return [call for call in calls if self.function_called(call) is function]

    def in_module_class(self, node: nodes.NodeNG) -> bool:
        """node is in the code of a class of this module deriving from torch.nn.Module (directly,
        through nn.Sequential and the like, or through a base another file defines): a layer
        built there runs in the forward of whatever model holds it."""
        scope = node.scope()
        while not isinstance(scope, nodes.Module):
            if isinstance(scope, nodes.ClassDef) and scope.name in self._derived_classes()[Kind.MODULE]:
                return True
            scope = scope.parent.scope()
        return False

    def _library_classes(self) -> set[str]:
        """... from torch.nn.Module or torch.optim.Optimizer: code that runs inside someone's step."""
        derived = self._derived_classes()
        return derived[Kind.MODULE] | derived[Kind.OPTIMIZER]

    def _derived_classes(self) -> dict[str, set[str]]:
        if not hasattr(self, "_derived"):
            roots = {Kind.MODULE: NN_MODULE, Kind.OPTIMIZER: OPTIMIZER_BASES}
            self._derived = {kind: set() for kind in roots}
            classes = [node for node in self.module.body if isinstance(node, nodes.ClassDef)]
            local_names = {klass.name for klass in classes}
            root_of = {Kind.MODULE: "torch.nn.Module", Kind.OPTIMIZER: "torch.optim.Optimizer"}
            # Bases another module of the project defines, named by the root they derive from.
            imported = {klass: {root_of.get(self._project_class_kind(base), "") for base in klass.bases
                                if not (isinstance(base, nodes.Name) and base.name in local_names)}
                        for klass in classes}
            changed = True
            while changed:
                changed = False
                for klass in classes:
                    bases = {self.qualified(base) or (base.name if isinstance(base, nodes.Name) else "") for base in klass.bases}
                    if any(base.startswith("torch.nn.") for base in bases):  # nn.Sequential, nn.ModuleList, ...
                        bases.add("torch.nn.Module")
                    bases |= imported[klass]
                    for kind, root in roots.items():
                        if klass.name not in self._derived[kind] and bases & (root | self._derived[kind]):
                            self._derived[kind].add(klass.name)
                            changed = True
        return self._derived

    # --- what does a call do? ----------------------------------------------------------------

    def function_called(self, call: nodes.Call) -> nodes.FunctionDef | None:
        """The module's own function or method a call runs, if it is one (kept per call: the
        events, the step's work, returned kinds and step scopes all ask)."""
        if call not in self._functions_called:
            self._functions_called[call] = self._function_called(call)
        return self._functions_called[call]

    def _function_called(self, call: nodes.Call) -> nodes.FunctionDef | None:
        func = call.func
        if isinstance(func, nodes.Name):
            try:
                _, bindings = func.lookup(func.name)
            except (AttributeError, KeyError):
                return None
            return bindings[0] if len(bindings) == 1 and isinstance(bindings[0], nodes.FunctionDef) else None
        if isinstance(func, nodes.Attribute) and isinstance(func.expr, nodes.Name) and func.expr.name == "self":
            klass = call.scope().parent.frame() if isinstance(call.scope(), nodes.FunctionDef) else None
            if isinstance(klass, nodes.ClassDef):
                found = klass.locals.get(func.attrname, [])
                return found[0] if len(found) == 1 and isinstance(found[0], nodes.FunctionDef) else None
        return None

    def events(self, statement: nodes.NodeNG) -> list[Event]:
        """Device work and barriers a simple statement performs, in source order. Kept per
        statement (a loop's body is walked twice: from a clean graph and with work carried from
        the iteration before), except while a helper's effect is being worked out: a recursive
        call's events are incomplete then."""
        known = self._events.get(statement)
        if known is not None:
            return known
        found = self._statement_events(statement)
        if self._effects_pending == 0:
            self._events[statement] = found
        return found

    def _statement_events(self, statement: nodes.NodeNG) -> list[Event]:
        found: list[Event] = []
        for node in _expression_nodes(statement):
            if isinstance(node, nodes.Call):
                found.extend(self._call_events(node))
            elif isinstance(node, (nodes.BinOp, nodes.AugAssign)) and self._touches_tensor(node):
                found.append(Event(work=node))
        return found

    def _touches_tensor(self, node: nodes.NodeNG) -> bool:
        operands = (node.left, node.right) if isinstance(node, nodes.BinOp) else (node.target, node.value)
        return any(self.kind(operand) == Kind.TENSOR for operand in operands)

    def _call_events(self, call: nodes.Call) -> list[Event]:
        name = self.qualified(call.func)
        if name in BARRIERS:
            return [Event(barrier=call)]
        if name == OPTIMIZER_STEP:
            barrier = resolve.argument(call, 1, PROFILE.barrier_keyword)
            synced = isinstance(barrier, nodes.Const) and barrier.value is True
            return [Event(work=call), Event(barrier=call)] if synced else [Event(work=call)]
        if self.kind(call.func) == Kind.COMPILED:
            return [Event(work=call), Event(barrier=call)]
        if self._steps_syncing_optimizer(call):
            return [Event(work=call), Event(barrier=call)]
        if isinstance(call.func, nodes.Name) and call.func.name == "next" and call.args and self._draws_synced(call.args[0]):
            return [Event(barrier=call)]
        if self._is_device_work(call, name):
            return [Event(work=call)]
        function = self.function_called(call)
        if function is None:
            effect = self.project_effect(call)
            if effect is None:
                return []
            return ([Event(work=call)] if effect.steps else []) + ([Event(barrier=call)] if effect.barrier else [])
        # The helper's work and barrier happen at this call, which is what a report should name.
        return [Event(work=call if event.work is not None else None, barrier=call if event.barrier is not None else None)
                for event in self.function_events(function)]

    def _draws_synced(self, iterator: nodes.NodeNG) -> bool:
        """`next(self.dl)` where `self.dl = cycle(accelerator.prepare(dl))` or `iter(loader)` of an
        MpDeviceLoader: each batch drawn from such a loader cuts the graph, as a `for` over it does."""
        sources = [iterator]
        if isinstance(iterator, nodes.Name):
            value = resolve.single_assigned_value(iterator)
            sources += [value] if value is not None else []
        elif isinstance(iterator, nodes.Attribute) and isinstance(iterator.expr, nodes.Name) and iterator.expr.name == "self":
            klass = iterator.frame().parent if isinstance(iterator.frame(), nodes.FunctionDef) else None
            if isinstance(klass, nodes.ClassDef):
                sources += [assignment.parent.value for assignment in klass.instance_attrs.get(iterator.attrname, [])
                            if isinstance(assignment.parent, nodes.Assign)]
        return any(self._syncs_each_step(source) for source in sources)

    def _steps_syncing_optimizer(self, call: nodes.Call) -> bool:
        """`optimizer.step()` on an optimizer a framework set up to cut the graph on XLA (Lightning
        Fabric's: xm.optimizer_step(barrier=True); rules/frameworks.toml `syncing_optimizers`)."""
        func = call.func
        return (isinstance(func, nodes.Attribute) and func.attrname == "step"
                and any(value[0] == "syncing-optimizer" for value in self.project_values(func.expr)))

    def project_effect(self, call: nodes.Call) -> view.Effect | None:
        """What a call of a project function this module cannot see runs (another file's
        `train_step(model, batch)`, a helper object's method), from the project view."""
        project = self.project
        if project is None:
            return None
        effects = [project.effect(value[1], value[2]) for value in self.project_values(call.func)
                   if value[0] == "function"]
        return next((effect for effect in effects if effect.steps or effect.barrier), None)

    def _is_device_work(self, call: nodes.Call, name: str | None) -> bool:
        func = call.func
        if isinstance(func, nodes.Attribute):
            if func.attrname == "backward":
                return True
            receiver = self.kind(func.expr)
            if receiver == Kind.OPTIMIZER and func.attrname == "step":
                return True
            if receiver == Kind.MODULE and func.attrname in MODEL_RUN_METHODS:
                return True
            if receiver == Kind.TENSOR and func.attrname not in HOST_METHODS:
                return True
        if self.kind(func) in (Kind.MODULE, Kind.CRITERION):
            return True
        return name is not None and name.startswith("torch.") and self.kind(call) == Kind.TENSOR

    def function_events(self, function: nodes.FunctionDef) -> list[Event]:
        """A call's net effect on the caller's pending work, in order: a barrier if anything in the
        function cuts the graph (a barrier, or a step loop that cuts its own work or is reported so
        that it will), then work if some path leaves work pending at its end."""
        if function in self._effects:
            return self._effects[function] or []
        self._effects[function] = None  # recursion guard
        self._effects_pending += 1
        try:
            events = self._function_effect(function)
        finally:
            self._effects_pending -= 1
        self._effects[function] = events
        return events

    def _function_effect(self, function: nodes.FunctionDef) -> list[Event]:
        walk = Walk()
        end = self.flow(function.body, frozenset(), walk)
        pending = any(walk.returns + ([end] if end is not None else []))
        events: list[Event] = []
        if walk.barriers:
            events.append(Event(barrier=function))
        if walk.work and (pending or not walk.barriers):
            events.append(Event(work=walk.work[-1]))
        self._steps[function] = any(self.is_step_work(node) for node in walk.work)
        return events

    # --- paths through a block ----------------------------------------------------------------

    def flow(self, body: list[nodes.NodeNG], state: frozenset | None, walk: Walk) -> frozenset | None:
        """Pending work where the block falls through (None: no path does)."""
        for statement in body:
            if state is None:
                break
            state = self._statement(statement, state, walk)
        return state

    def _statement(self, statement: nodes.NodeNG, state: frozenset, walk: Walk) -> frozenset | None:
        if isinstance(statement, nodes.Continue):
            walk.continues.append(state)
            return None
        if isinstance(statement, nodes.Return):
            walk.returns.append(self._apply(self.events(statement), state, walk))
            return None
        if isinstance(statement, (nodes.Break, nodes.Raise)):
            self._apply(self.events(statement), state, walk)
            return None
        if isinstance(statement, nodes.If):
            state = self._apply(self.events(statement.test), state, walk)
            return _join([self.flow(block, state, walk) for block in self._taken_branches(statement)])
        if isinstance(statement, (nodes.For, nodes.While)):
            return self._nested_loop(statement, state, walk)
        if isinstance(statement, nodes.With):
            return self._with(statement, state, walk)
        if isinstance(statement, nodes.Try):
            return self._try(statement, state, walk)
        if isinstance(statement, (nodes.FunctionDef, nodes.ClassDef)):
            return state
        return self._apply(self.events(statement), state, walk)

    def _taken_branches(self, statement: nodes.If) -> list[list[nodes.NodeNG]]:
        """Both branches, except the GPU-only side of a platform switch in code with an XLA path."""
        side = resolve.switch_side(statement.test)
        if side is None or not self.has_xla_path:
            return [statement.body, statement.orelse]
        return [statement.body if side == resolve.TPU_SIDE else statement.orelse]

    @property
    def has_xla_path(self) -> bool:
        return has_xla_path(self.module)

    def _apply(self, events: list[Event], state: frozenset, walk: Walk) -> frozenset:
        for event in events:
            if event.work is not None:
                walk.work.append(event.work)
                state = state | {event.work}
            if event.barrier is not None:
                walk.barriers.append(event.barrier)
                state = frozenset()
        return state

    def _nested_loop(self, loop: nodes.For | nodes.While, state: frozenset, walk: Walk) -> frozenset:
        header = loop.iter if isinstance(loop, nodes.For) else loop.test
        state = self._apply(self.events(header), state, walk)
        verdict = self.loop_verdict(loop)
        walk.work.extend(verdict.work)
        walk.barriers.extend(verdict.barriers)
        if verdict.missing and (not verdict.steps or self._accumulates_gradients(loop, verdict)):
            # A loop of tensor arithmetic inside the step (summing per-layer losses, say), or of
            # gradient-accumulation micro-steps (backward, no optimizer step, the enclosing loop
            # steps the optimizer), is part of the step: the enclosing loop's barrier belongs
            # after it, not inside it.
            verdict.absorbed = True
            return state | frozenset(verdict.work)
        if verdict.work:
            # The inner loop cuts its own work every iteration, or is reported so that it will.
            walk.barriers.append(loop)
            return frozenset()
        return frozenset() if verdict.barriers and not verdict.missing else state

    def _accumulates_flat(self, loop: nodes.For | nodes.While, walk: Walk) -> bool:
        """Gradient accumulation in one loop: backward every iteration, and every barrier under an
        `if` that also steps the optimizer (`if (i + 1) % accum == 0: xm.optimizer_step(opt);
        torch_xla.sync()`, Fabric's `if not is_accumulating: optimizer.step()`). The graph then
        spans the micro-steps of one update and is cut with it: one graph, compiled once
        (rules/evidence/mark_step_checks.txt: gradient-accumulation)."""
        if not walk.barriers or not any(_is_backward(node) for node in walk.work):
            return False
        branches = [_branch_in_loop(barrier, loop) for barrier in walk.barriers]
        return any(branch is not None and any(self._steps_optimizer(call) for statement in branch
                                              for call in (statement, *statement.nodes_of_class(nodes.Call)))
                   for branch in branches)

    def _accumulates_gradients(self, loop: nodes.For | nodes.While, verdict: LoopVerdict) -> bool:
        """The loop runs backward passes but steps no optimizer, and the loop around it does."""
        if not any(_is_backward(node) for node in verdict.work) or any(self._steps_optimizer(n) for n in verdict.work):
            return False
        outer = enclosing_loop(loop)
        return outer is not None and any(
            self._steps_optimizer(call) for call in outer.nodes_of_class(nodes.Call) if not _inside(call, loop)
        )

    def _steps_optimizer(self, node: nodes.NodeNG) -> bool:
        """optimizer.step(), scaler.step(optimizer) or xm.optimizer_step(optimizer)."""
        if not isinstance(node, nodes.Call) or resolve.short_name(node.func) not in ("step", _OPTIMIZER_STEP_NAME):
            return False
        func = node.func
        if self.qualified(func) == OPTIMIZER_STEP:
            return True
        if isinstance(func, nodes.Attribute) and (self.kind(func.expr) == Kind.OPTIMIZER or self._is_grad_scaler(func.expr)
                                                  or self._project_optimizer(func.expr)):
            return True
        return any(self.kind(argument) == Kind.OPTIMIZER for argument in node.args)

    def _project_optimizer(self, node: nodes.NodeNG) -> bool:
        """An optimizer by what the project view says it is bound to (a torch.optim class passed
        in from another file, one a framework set up)."""
        return any(value[0] == "syncing-optimizer"
                   or (value[0] == "lib-instance" and value[1].startswith(OPTIMIZER_MODULES))
                   for value in self.project_values(node))

    def _is_grad_scaler(self, node: nodes.NodeNG) -> bool:
        value = resolve.single_assigned_value(node) if isinstance(node, nodes.Name) else None
        return isinstance(value, nodes.Call) and (self.qualified(value.func) or "").endswith(".GradScaler")

    def _with(self, statement: nodes.With, state: frozenset, walk: Walk) -> frozenset | None:
        contexts = [item for item, _ in statement.items]
        if any(isinstance(item, nodes.Call) and self.qualified(item.func) in STEP_CONTEXTS for item in contexts):
            inner = Walk()
            end = self.flow(statement.body, frozenset(), inner)
            walk.work.extend(inner.work)
            walk.barriers.extend([*contexts, *inner.barriers])
            walk.continues.extend(frozenset() for _ in inner.continues)  # the step syncs on exit
            walk.returns.extend(frozenset() for _ in inner.returns)
            return frozenset() if end is not None else None
        for item in contexts:
            state = self._apply(self.events(item), state, walk)
        return self.flow(statement.body, state, walk)

    def _try(self, statement: nodes.Try, state: frozenset, walk: Walk) -> frozenset | None:
        body_end = self.flow(statement.body + statement.orelse, state, walk)
        entry = state | (body_end or frozenset())  # a handler may start anywhere in the body
        after = _join([body_end, *(self.flow(handler.body, entry, walk) for handler in statement.handlers)])
        if statement.finalbody and after is not None:
            after = self.flow(statement.finalbody, after, walk)
        return after

    # --- the verdict on one loop ------------------------------------------------------------

    def loop_verdict(self, loop: nodes.For | nodes.While) -> LoopVerdict:
        if loop not in self._verdicts:
            self._verdicts[loop] = LoopVerdict(loop, [], [])  # recursion guard
            self._verdicts[loop] = self._judge(loop)
        return self._verdicts[loop]

    def _judge(self, loop: nodes.For | nodes.While) -> LoopVerdict:
        if not self.touches_accelerator:
            return LoopVerdict(loop, [], [])
        if self._inside_model(loop) and (self._in_entry_point(loop)
                                         or not (_runs_whole_model(loop) or self._samples_with_model(loop))):
            # A loop over layers or parameters inside a model or optimizer is part of someone
            # else's step: never reported, never a step loop, so not worth walking. (A loop that
            # calls the whole model each time, as a generate() method does, is a decode loop.)
            return LoopVerdict(loop, [], [], absorbed=True)
        if isinstance(loop, nodes.For) and self._syncs_each_step(loop.iter):
            walk = Walk()
            self.flow(loop.body, frozenset(), walk)
            verdict = LoopVerdict(loop, walk.work, [loop.iter, *walk.barriers])
            verdict.steps = any(self.is_step_work(node) for node in walk.work)
            return verdict
        fresh = Walk()
        end = self.flow(loop.body, frozenset(), fresh)
        verdict = LoopVerdict(loop, fresh.work, fresh.barriers)
        verdict.steps = any(self.is_step_work(node) for node in fresh.work)
        if not fresh.work or all(not state for state in _loop_ends(end, fresh)):
            return verdict
        carried = Walk()
        end = self.flow(loop.body, frozenset({PREVIOUS}), carried)
        verdict.missing = any(PREVIOUS in state for state in _loop_ends(end, carried))
        if verdict.missing and self._accumulates_flat(loop, fresh):
            verdict.missing = False
        # Cut every iteration, but too early. Only a barrier call written in the body itself is
        # worth moving; one inside an inner loop or a helper cuts the tail of the body next time round.
        first = fresh.barriers[0] if fresh.barriers else None
        # Only when the step itself (a model run, backward, an optimizer step) comes after the
        # barrier: values read after it (`best = loss.detach()`, `print(loss)`) are not the step.
        verdict.barrier_first = (
            not verdict.missing and isinstance(first, nodes.Call) and first.parent in loop.body
            and self.qualified(first.func) in BARRIERS
            and any(self.is_step_work(node) and _position(node) > _position(first) for node in fresh.work)
        )
        verdict.unsynced_optimizer_step = next(
            (node for node in fresh.work if isinstance(node, nodes.Call) and self.qualified(node.func) == OPTIMIZER_STEP),
            None,
        )
        return verdict

    def _syncs_each_step(self, iterable: nodes.NodeNG) -> bool:
        """The loop iterates a loader that syncs every step (MpDeviceLoader, accelerate's), also
        through enumerate(), zip(), iter(), tqdm() and itertools wrappers."""
        sources = iterated(iterable)
        if any(self.kind(source) in (Kind.SYNCING_LOADER, Kind.FRAMEWORK_LOADER) for source in sources):
            return True
        return any(value[0] == "syncing-loader" for source in sources for value in self.project_values(source))

    def project_values(self, node: nodes.NodeNG) -> set[tuple]:
        """What the project view says a name, attribute or call of one is (tpulint.view.ProjectView.values)."""
        call = isinstance(node, nodes.Call)
        reference = _view_reference(node.func if call else node)
        if self.project is None or reference is None:
            return set()
        where, dotted = reference
        return self.project.values(self.path, where, f"c{node.lineno}:d:{dotted}" if call else f"d:{dotted}")

    def _inside_model(self, node: nodes.NodeNG) -> bool:
        """node is in the code of a class deriving from torch.nn.Module or torch.optim.Optimizer."""
        scope = node.scope()
        while not isinstance(scope, nodes.Module):
            if isinstance(scope, nodes.ClassDef) and scope.name in self._library_classes():
                return not self._is_framework_module(scope) or self._in_entry_point(node)
            scope = scope.parent.scope()
        return False

    def _samples_with_model(self, loop: nodes.For | nodes.While) -> bool:
        """A sampling loop in a model class (`p_sample_loop`, `ddim_sample`): in a method that the
        model's forward does not call, each iteration calls one of the class's methods or one
        submodule that is the same every iteration (`self.p_sample(img, t)`, `self.unet(x, t)`),
        not a layer picked by the loop (`block(x)`, `self.layers[i](x)`)."""
        method = loop.frame()
        klass = method.parent if isinstance(method, nodes.FunctionDef) else None
        if not isinstance(klass, nodes.ClassDef) or method.name in self._forward_helpers(klass):
            return False
        targets = {name.name for name in (loop.target.nodes_of_class(nodes.AssignName)
                                          if isinstance(loop, nodes.For) else ())}
        for call in loop.nodes_of_class(nodes.Call, skip_klass=(nodes.FunctionDef, nodes.ClassDef, nodes.Lambda)):
            func = call.func
            if (isinstance(func, nodes.Attribute) and isinstance(func.expr, nodes.Name) and func.expr.name == "self"
                    and not any(name.name in targets for name in func.nodes_of_class(nodes.Name))
                    and (func.attrname in klass.locals or self._attribute_kind(func, 0) == Kind.MODULE)):
                return True
        return False

    def _forward_helpers(self, klass: nodes.ClassDef) -> set[str]:
        """forward, __call__ and the methods they call through self, transitively: one forward pass."""
        if klass not in self._forward_methods:
            found, pending = set(), ["forward", "__call__"]
            while pending:
                name = pending.pop()
                if name in found:
                    continue
                found.add(name)
                for definition in klass.locals.get(name, ()):
                    if isinstance(definition, nodes.FunctionDef):
                        pending.extend(call.func.attrname for call in definition.nodes_of_class(nodes.Call)
                                       if isinstance(call.func, nodes.Attribute) and isinstance(call.func.expr, nodes.Name)
                                       and call.func.expr.name == "self")
            self._forward_methods[klass] = found
        return self._forward_methods[klass]

    def _in_entry_point(self, node: nodes.NodeNG) -> bool:
        """node runs inside a framework's step method (training_step, validation_step): the
        framework cuts the graph after each step, so a loop there is part of one step."""
        project = self.project
        function = node.frame()
        if project is None or not isinstance(function, nodes.FunctionDef):
            return False
        reach = project.reach(self.path, qualname(function))
        return reach is not None and reach.through is None

    def _is_framework_module(self, klass: nodes.ClassDef) -> bool:
        """A LightningModule (a module a framework trains: it has a training_step): its loops are
        sampling and evaluation loops, not loops over layers."""
        project = self.project
        return project is not None and "training_step" in project.entry_methods(self.path, qualname(klass))

    def is_step_work(self, node: nodes.NodeNG) -> bool:
        """A model run, a backward pass, an optimizer step, or a helper of the module doing one."""
        if not isinstance(node, nodes.Call):
            return False
        func = node.func
        if isinstance(func, nodes.Attribute) and (
            func.attrname == "backward"
            or (func.attrname == "step" and self.kind(func.expr) == Kind.OPTIMIZER)
            or (func.attrname in MODEL_RUN_METHODS and self.kind(func.expr) == Kind.MODULE)
        ):
            return True
        if self.kind(func) in (Kind.MODULE, Kind.COMPILED) or self.qualified(func) == OPTIMIZER_STEP:
            return True
        function = self.function_called(node)
        if function is None:
            effect = self.project_effect(node)
            return effect is not None and effect.steps and not effect.loops_over_steps
        self.function_events(function)
        # A helper that loops over steps itself (train_one_epoch) makes its caller an epoch loop.
        return self._steps.get(function, False) and not self._loops_over_steps(function)

    def _loops_over_steps(self, function: nodes.FunctionDef) -> bool:
        loops = function.nodes_of_class((nodes.For, nodes.While), skip_klass=(nodes.FunctionDef, nodes.ClassDef))
        return any(self.loop_verdict(loop).steps for loop in loops)

    def iterates_data_loader(self, loop: nodes.For | nodes.While) -> bool:
        source = data_source(loop)
        return source is not None and self.kind(source) == Kind.DATA_LOADER


def data_source(loop: nodes.For | nodes.While) -> nodes.NodeNG | None:
    """What a for loop iterates, seen through enumerate()."""
    if not isinstance(loop, nodes.For):
        return None
    iterable = loop.iter
    if isinstance(iterable, nodes.Call) and isinstance(iterable.func, nodes.Name) and iterable.func.name == "enumerate" and iterable.args:
        return iterable.args[0]
    return iterable


# --- helpers -------------------------------------------------------------------------------

# Calls that iterate their first argument (or, for zip and chain, every argument) unchanged.
ITERATION_WRAPPERS = view.ITERATION_WRAPPERS


def iterated(iterable: nodes.NodeNG) -> list[nodes.NodeNG]:
    """What a loop really iterates: `enumerate(tqdm(loader))` -> [loader]; `zip(a, b)` -> [a, b]."""
    found, pending = [], [iterable]
    while pending and len(found) < 16:
        node = pending.pop()
        name = resolve.short_name(node.func) if isinstance(node, nodes.Call) else None
        if name in ITERATION_WRAPPERS and node.args:
            pending.extend(node.args if name in ("zip", "chain") else node.args[:1])
        else:
            found.append(node)
    return found



def _runs_whole_model(loop: nodes.For | nodes.While) -> bool:
    """The loop calls `self(...)` or `self.forward(...)`: each iteration runs the whole model."""
    for call in loop.nodes_of_class(nodes.Call, skip_klass=(nodes.FunctionDef, nodes.ClassDef, nodes.Lambda)):
        func = call.func
        if isinstance(func, nodes.Name) and func.name == "self":
            return True
        if isinstance(func, nodes.Attribute) and func.attrname == "forward" and isinstance(func.expr, nodes.Name) and func.expr.name == "self":
            return True
    return False


def _view_reference(node: nodes.NodeNG) -> tuple[str, str] | None:
    """(the qualname of the function node is read in, its dotted spelling) as the project view
    takes them (`("train", "self.loader")`), or None for anything but a dotted name."""
    dotted = node.as_string() if isinstance(node, (nodes.Name, nodes.Attribute)) else ""
    if not dotted or not all(part.isidentifier() for part in dotted.split(".")):
        return None
    scope = node.frame()
    return (qualname(scope) if isinstance(scope, nodes.FunctionDef) else view.MODULE_CODE), dotted


def _branch_in_loop(node: nodes.NodeNG, loop: nodes.NodeNG) -> list[nodes.NodeNG] | None:
    """The statements of the innermost `if` branch (body or else) around node inside loop."""
    child, parent = node, node.parent
    while parent is not None and parent is not loop:
        if isinstance(parent, nodes.If) and child is not parent.test:
            return parent.body if child in parent.body else parent.orelse
        child, parent = parent, parent.parent
    return None


def _narrowed_to_other_class(name: nodes.Name, qualified) -> bool:
    node, parent = name, name.parent
    while parent is not None and not isinstance(parent, (nodes.FunctionDef, nodes.Module)):
        if isinstance(parent, nodes.If) and node is not parent.test:
            test = parent.test
            if (node in parent.body and isinstance(test, nodes.Call) and isinstance(test.func, nodes.Name)
                    and test.func.name == "isinstance" and len(test.args) == 2
                    and isinstance(test.args[0], nodes.Name) and test.args[0].name == name.name):
                kind = qualified(test.args[1]) or ""
                return not (kind.startswith("torch.") and kind.endswith("Tensor"))
        node, parent = parent, parent.parent
    return False


def _position(node: nodes.NodeNG) -> tuple[int, int]:
    return node.lineno or 0, node.col_offset or 0


def read_after_barrier(node: nodes.NodeNG, verdict: LoopVerdict, is_step_work: Callable[[nodes.NodeNG], bool]) -> bool:
    """node comes after a barrier written in the loop body, with no step work in between: the
    values it reads were computed and run by that barrier, so reading them runs no graph."""
    here = _position(node)
    barriers = [barrier for barrier in verdict.barriers if isinstance(barrier, nodes.Call)
                and barrier.parent in verdict.loop.body and _position(barrier) < here]
    if not barriers:
        return False
    last = max(map(_position, barriers))
    return not any(last < _position(work) < here and is_step_work(work) for work in verdict.work)


def _loop_ends(end: frozenset | None, walk: Walk) -> list[frozenset]:
    """Pending work where an iteration ends: falling off the body, or at a `continue`."""
    return walk.continues + ([end] if end is not None else [])


def _join(ends: list[frozenset | None]) -> frozenset | None:
    reachable = [end for end in ends if end is not None]
    return frozenset().union(*reachable) if reachable else None


def _pretrained_kind(class_name: str) -> str | None:
    """`X.from_pretrained(...)` builds a model, unless X is a tokenizer, processor or config."""
    if class_name.endswith(("Tokenizer", "TokenizerFast")):
        return Kind.TOKENIZER
    return None if class_name.endswith(NOT_MODELS) else Kind.MODULE


def _strongest(kinds: set[str]) -> str | None:
    for kind in (Kind.COMPILED, Kind.MODULE, Kind.CRITERION, Kind.OPTIMIZER, Kind.SYNCING_LOADER,
                 Kind.FRAMEWORK_LOADER, Kind.TOKENIZER, Kind.DATA_LOADER, Kind.TENSOR):
        if kind in kinds:
            return kind
    return None


def _expression_nodes(statement: nodes.NodeNG) -> Iterator[nodes.NodeNG]:
    """Calls and operations a statement evaluates, in source order, skipping nested definitions."""
    skip = (nodes.FunctionDef, nodes.ClassDef, nodes.Lambda)
    nodes_found = [statement] if isinstance(statement, (nodes.Call, nodes.BinOp, nodes.AugAssign)) else []
    nodes_found += list(statement.nodes_of_class((nodes.Call, nodes.BinOp, nodes.AugAssign), skip_klass=skip))
    return iter(sorted({id(n): n for n in nodes_found}.values(), key=lambda n: (n.lineno or 0, n.col_offset or 0)))


def _openxla_backend(call: nodes.Call) -> bool:
    return resolve.string_value(resolve.argument(call, None, "backend")) in resolve.RECOGNISED.compile_backends


def _is_xla_compiled(function: nodes.FunctionDef, qualified) -> bool:
    for decorator in function.decorators.nodes if function.decorators else []:
        target = decorator.func if isinstance(decorator, nodes.Call) else decorator
        if qualified(target) in XLA_COMPILE:
            return True
        if isinstance(decorator, nodes.Call) and qualified(decorator.func) == "torch.compile" and _openxla_backend(decorator):
            return True
    return False


def _has_default(binding: nodes.AssignName, arguments: nodes.Arguments) -> bool:
    positional = arguments.args or []
    first_default = len(positional) - len(arguments.defaults or [])
    return binding in positional and positional.index(binding) >= first_default


def _annotation_of(binding: nodes.AssignName, arguments: nodes.Arguments) -> nodes.NodeNG | None:
    for arg, annotation in zip(arguments.args, arguments.annotations):
        if arg is binding:
            return annotation
    return None


def _is_method(function: nodes.FunctionDef) -> bool:
    return isinstance(function.parent, nodes.ClassDef)


def _passes_self(function: nodes.FunctionDef) -> bool:
    """Its call sites pass one argument fewer than it has parameters (a method's self or a
    classmethod's cls); a staticmethod is called with all of them."""
    return _is_method(function) and function.type != "staticmethod"


def _shifted(position: int | None) -> int | None:
    """A method's parameter index at a call site (`self` is not passed)."""
    return None if position is None or position == 0 else position - 1


def _unpacked_kind(binding: nodes.AssignName, target: nodes.Tuple, depth: int, code: DeviceCode) -> str | None:
    """`model, optimizer = build()` where the right-hand side is a tuple of known values, or the
    unpacked result of a tensor-valued call."""
    value = target.parent.value
    if isinstance(value, nodes.Tuple) and len(value.elts) == len(target.elts):
        return code.kind(value.elts[target.elts.index(binding)], depth + 1)
    # `logits, loss = model(x, y)`, `values, indices = torch.sort(x)`: the pieces of what a model
    # or a torch function returns on device tensors are tensors.
    return Kind.TENSOR if code.kind(value, depth + 1) == Kind.TENSOR else None


# --- shared by the families that look at what runs in the step --------------------------------

LOGGER_METHODS = frozenset({"debug", "info", "warning", "error", "critical", "log", "exception"})
METRIC_SINKS = frozenset({"add_scalar", "add_scalars", "set_postfix", "set_description"})


def is_logging(call: nodes.Call, qualified) -> bool:
    """print(), the logging module and its loggers, wandb.log, TensorBoard/tqdm metric sinks."""
    func = call.func
    if isinstance(func, nodes.Name) and func.name == "print" and func.lookup("print")[0].name == "builtins":
        return True
    name = qualified(func) or ""
    if name.startswith("logging.") or name == "wandb.log":
        return True
    if isinstance(func, nodes.Attribute) and func.attrname in LOGGER_METHODS:
        receiver = resolve.single_assigned_value(func.expr) if isinstance(func.expr, nodes.Name) else None
        return isinstance(receiver, nodes.Call) and (qualified(receiver.func) or "").startswith("logging.")
    return isinstance(func, nodes.Attribute) and func.attrname in METRIC_SINKS


@dataclass
class StepScopes:
    """What runs every step: the body of a loop that runs a step, a function of the module such a
    loop calls (three levels deep), an nn.Module subclass's methods other than __init__ (they run
    in every forward) and other than its set-up-only ones (cached, or called from __init__ alone:
    `set_up`), and a function the project view finds reached from a step elsewhere (`via` then
    says how: a loop in another file, a framework entry point)."""

    loops: set
    in_module: Callable[[nodes.NodeNG], bool]
    code: DeviceCode
    set_up: Callable[[nodes.FunctionDef], bool] = lambda function: False  # a model's set-up-only method
    _answers: dict = field(default_factory=dict)
    _reached: dict = field(default_factory=dict)  # function -> its Reach from elsewhere, or None

    def contains(self, node: nodes.NodeNG) -> bool:
        return self.in_module(node) or self._reach_of_frame(node) is not None

    def via(self, node: nodes.NodeNG) -> view.Reach | None:
        """How the project's step reaches node's function when this module alone does not show it."""
        if self.in_module(node):
            return None
        return self._reach_of_frame(node)

    def _reach_of_frame(self, node: nodes.NodeNG) -> view.Reach | None:
        scope = node if isinstance(node, nodes.FunctionDef) else node.frame()
        if isinstance(scope, nodes.FunctionDef) and self.set_up(scope):
            return None  # the view sees forward call it; it runs once (cached) all the same
        return self._reach_of_function(scope) if isinstance(scope, (nodes.FunctionDef, nodes.Lambda)) else None

    def _reach_of_function(self, scope: nodes.FunctionDef | nodes.Lambda) -> view.Reach | None:
        """The first function around (scope included) that the project view finds reached, by frame."""
        if scope not in self._reached:
            found = None
            project = self.code.project
            if project is not None and isinstance(scope, nodes.FunctionDef):
                found = project.reach(self.code.path, qualname(scope))
            if found is None and project is not None and scope.parent is not None:
                outer = scope.parent.frame()
                if isinstance(outer, (nodes.FunctionDef, nodes.Lambda)):
                    found = self._reach_of_function(outer)
            self._reached[scope] = found
        return self._reached[scope]

    def unreached_device_function(self, node: nodes.NodeNG) -> bool:
        """node is in device code no step of the project is seen to reach: a function that takes
        a tensor (a parameter annotated or known as one) and that nothing in the project calls or
        passes around (a model file shipped without its training script, a library's public
        function). Its hazards are reported with INFERENCE confidence. Test code, dunder methods
        (other than __call__), datasets' methods and functions the project calls are not: the
        calls are all in view, and none is in a step."""
        function = node if isinstance(node, nodes.FunctionDef) else node.frame()
        if not isinstance(function, nodes.FunctionDef):
            return False
        if function not in self._answers:
            self._answers[function] = self._unreached(function)
        return self._answers[function]

    def _unreached(self, function: nodes.FunctionDef) -> bool:
        project = self.code.project
        if project is None or not project.is_device_project:
            return False
        if function.name.startswith("test") or (function.name.startswith("__") and function.name != "__call__"):
            return False
        if (not project.unused(self.code.path, qualname(function)) or view.is_test_file(self.code.path, project.root)
                or not function.body or self.contains(function.body[0])):
            return False
        return self._takes_tensors(function)

    def _takes_tensors(self, function: nodes.FunctionDef) -> bool:
        parameters = function.args.args or []
        return any(self.code.kind_of_binding(parameter) == Kind.TENSOR for parameter in parameters)


def qualname(function: nodes.FunctionDef | nodes.ClassDef) -> str:
    """`Sampler.step`, `train.closure`: the names of the definitions around it, as the project
    view spells a function (tpulint.view.summarise)."""
    parts = []
    node = function
    while not isinstance(node, nodes.Module) and node is not None:
        if isinstance(node, (nodes.FunctionDef, nodes.ClassDef)):
            parts.append(node.name)
        node = node.parent
    return ".".join(reversed(parts))


def step_scopes(code: DeviceCode, loops: list) -> StepScopes:
    """Computed once per module (the families share the DeviceCode)."""
    if code._step_scopes is None:
        code._step_scopes = _step_scopes(code, loops)
    return code._step_scopes


def _step_scopes(code: DeviceCode, loops: list) -> StepScopes:
    step_loops = {loop for loop in loops if code.loop_verdict(loop).steps and not code.loop_verdict(loop).absorbed}
    functions: set[nodes.FunctionDef] = set()
    # A helper called every N steps or once (`if step % save_every == 0: save(...)`) is not part
    # of every step, as a hazard written there is not (the dynamic-shape family's report()).
    frontier = [call for loop in step_loops for call in loop.nodes_of_class(nodes.Call)
                if not conditional_on_iteration(call, loop)]
    for _ in range(3):
        called = {code.function_called(call) for call in frontier} - {None} - functions
        functions |= called
        frontier = [call for function in called for call in function.nodes_of_class(nodes.Call)]
    models = code._derived_classes()[Kind.MODULE]
    loop_bodies = {id(statement) for loop in step_loops for statement in loop.body}  # not iter, not else

    answers: dict[nodes.FunctionDef, bool] = {}  # by function: every node in it (outside its loops) shares it

    def in_step(node: nodes.NodeNG) -> bool:
        child, parent = node, node.parent
        while parent is not None:
            if parent in step_loops and id(child) in loop_bodies:
                return True
            if isinstance(parent, nodes.FunctionDef):
                if parent not in answers:
                    answers[parent] = function_in_step(parent)
                return answers[parent]
            child, parent = parent, parent.parent
        return False

    def function_in_step(function: nodes.FunctionDef) -> bool:
        owner = function.parent
        if function in functions:
            return True
        if isinstance(owner, nodes.ClassDef) and owner.name in models and function.name != "__init__":
            return not set_up(function)
        return in_step(function)

    def set_up(function: nodes.FunctionDef) -> bool:
        if function not in set_up_answers:
            owner = function.parent
            set_up_answers[function] = (isinstance(owner, nodes.ClassDef) and owner.name in models
                                        and function.name != "__init__" and _set_up_only(function, owner))
        return set_up_answers[function]

    set_up_answers: dict[nodes.FunctionDef, bool] = {}

    return StepScopes(step_loops, in_step, code, set_up)


def _set_up_only(method: nodes.FunctionDef, klass: nodes.ClassDef) -> bool:
    """A model's method that does not run every forward: cached (`@lru_cache`, `@cached_property`:
    once per argument), or called only from the class's `__init__` (rotary tables built at
    construction: `self.pos_freqs = self.rope_params(...)`) and by nothing else in the module."""
    decorators = method.decorators.nodes if method.decorators else []
    if any("cache" in (resolve.short_name(d.func if isinstance(d, nodes.Call) else d) or "") for d in decorators):
        return True
    # `self.rope(...)` in another class is that class's method; any other receiver may be this one.
    calls = [call for call in syntax_index.of(klass.root()).calls_named.get(method.name, ())
             if isinstance(call.func, nodes.Attribute)
             and not (isinstance(call.func.expr, nodes.Name) and call.func.expr.name == "self"
                      and call.frame().parent is not klass)]
    return bool(calls) and all(call.frame().name == "__init__" and call.frame().parent is klass for call in calls)


def variable_interval(node: nodes.NodeNG, loop: nodes.NodeNG) -> nodes.NodeNG | None:
    """The interval of `if step % interval == 0:` around node when it is not a constant (a
    setting such as args.log_interval, which may be 1), else None."""
    child = node
    while child is not loop and child.parent is not None:
        parent = child.parent
        if isinstance(parent, nodes.If) and child is not parent.test:
            for operation in parent.test.nodes_of_class(nodes.BinOp):
                if operation.op == "%" and not isinstance(operation.right, nodes.Const):
                    return operation.right
        child = parent
    return None


def conditional_on_iteration(node: nodes.NodeNG, loop: nodes.NodeNG) -> bool:
    """node runs only on some iterations: under `if step % N == 0:` or `if i == 0:`."""
    child = node
    while child is not loop and child.parent is not None:
        parent = child.parent
        if isinstance(parent, nodes.If) and child is not parent.test:
            test = parent.test
            if any(op.op == "%" for op in test.nodes_of_class(nodes.BinOp)):
                return True
            if any(operator == "==" and isinstance(operand, nodes.Const) for compare in test.nodes_of_class(nodes.Compare)
                   for operator, operand in compare.ops):
                return True
        child = parent
    return False


# What the families share about the module being checked: name resolution caches, whether it
# moves anything to a device, the loop analysis. Every checker's visit_module forgets the previous
# walk's state (all visit_module calls of a walk come before any other hook), and reads the state
# lazily afterwards, so all checkers of one walk see the same object.
@dataclass
class ModuleState:
    origins: dict = field(default_factory=dict)
    qualified_names: dict = field(default_factory=dict)
    on_device: bool = False
    last_probed: nodes.NodeNG | None = None
    code: DeviceCode | None = None
    xla_path: bool | None = None  # the module imports torch_xla or has an XLA switch (worked out once)


def has_xla_path(module: nodes.Module) -> bool:
    """The module imports torch_xla or switches on XLA: computed once per module for all families."""
    state = module_state(module)
    if state.xla_path is None:
        state.xla_path = resolve.imports_torch_xla(module) or resolve.has_xla_switch(module)
    return state.xla_path


_STATES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def module_state(module: nodes.Module) -> ModuleState:
    state = _STATES.get(module)
    if state is None:
        state = _STATES[module] = ModuleState()
    return state


def shared_device_code(module: nodes.Module, qualified: Callable[[nodes.NodeNG], str | None]) -> DeviceCode:
    state = module_state(module)
    if state.code is None:
        state.code = DeviceCode(module, qualified, on_device=True)
    return state.code


def forget_walks() -> None:
    """A new walk begins: no module's state is needed any more (pylint walks one module at a
    time). Kept states would hold their node caches for the rest of the run, and every full
    collection of Python's garbage collector would walk them again."""
    _STATES.clear()


def _is_backward(node: nodes.NodeNG) -> bool:
    return isinstance(node, nodes.Call) and isinstance(node.func, nodes.Attribute) and node.func.attrname == "backward"


def enclosing_loop(node: nodes.NodeNG) -> nodes.For | nodes.While | None:
    """The nearest loop around node in the same function."""
    for parent in node.node_ancestors():
        if isinstance(parent, (nodes.For, nodes.While)):
            return parent
        if isinstance(parent, (nodes.FunctionDef, nodes.Lambda, nodes.ClassDef)):
            return None
    return None


def _always_before(binding: nodes.NodeNG, use: nodes.NodeNG) -> bool:
    """The binding's statement runs before the use whenever the use runs: it precedes, in the same
    block, a statement that holds the use."""
    statement = binding.statement()
    child = use
    for parent in use.node_ancestors():
        if parent is statement.parent:
            block = resolve.statement_block(child, parent) or []
            return statement in block and child in block and block.index(statement) < block.index(child)
        child = parent
    return False


def _reads_to_host(value: nodes.NodeNG | None) -> bool:
    """`x.item()`, `x.tolist()`, `int(x)`, `len(x)`: a Python value, not a tensor."""
    if not isinstance(value, nodes.Call):
        return False
    func = value.func
    return ((isinstance(func, nodes.Attribute) and func.attrname in ("item", "tolist"))
            or (isinstance(func, nodes.Name) and (func.name in HOST_READ_BUILTINS or func.name == "len")))


def _inside(node: nodes.NodeNG, container: nodes.NodeNG) -> bool:
    return any(parent is container for parent in node.node_ancestors())


def _may_be_runtime(func: nodes.NodeNG) -> bool:
    """The chain starts at a name an import from the runtime's package binds, in the call's function or module."""
    root = resolve.root_name(func)
    if root is None:
        return False
    frame = func.frame()
    bindings = frame.locals.get(root) or frame.root().locals.get(root, ())
    return any(resolve.imports_from(binding, root, package) for binding in bindings for package in resolve.RECOGNISED.packages)
