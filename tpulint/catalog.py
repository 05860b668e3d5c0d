"""The rule catalog: reads rules/*.toml and hands every other layer what it needs.

Nothing else in tpulint opens the TOML files. Lower layers (this one) import no checker,
reporter or CLI code.
"""

from __future__ import annotations

import ast
import re
import string
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from tpulint import user_cache
from tpulint.model import SAFE, UNSAFE, Lines, concat
from tpulint.bounds import content_key

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

FAMILIES = ("cuda", "mark-step", "dynamic-shape", "non-xla-op")
_RULE_ID = re.compile(r"^[EW](\d\d)\d\d$")
# pylint.testutils only recognises symbols made of lower-case letters and dashes.
_SYMBOL = re.compile(r"^[a-z]+(-[a-z]+)*$")


class CatalogError(ValueError):
    """rules/ is malformed; the message names the file and the rule."""


@dataclass(frozen=True)
class Severity:
    name: str
    meaning: str
    pylint: str
    sarif: str
    weight: int
    required: bool


@dataclass(frozen=True)
class Target:
    """A runtime tpulint ports to (rules/catalog.toml [targets.<name>]). `runnable`: the runtime
    runs on tpulint's CPU build machines, so every claim of its rules names a run-time check
    (`checked`); TorchTPU cannot run an op without a TPU, so its claims cite the wheel or the docs
    (`source`) and say so in their evidence."""

    name: str
    title: str
    runtime: str
    default: bool
    runnable: bool = True
    words: tuple[str, ...] = ()  # names that mark text as this runtime's (no other target's text may use them)


@dataclass(frozen=True)
class CudaLibrary:
    """A CUDA-only library (rules/non_xla_op.toml [[library]]): its import and uses are reported
    with its replacement; `checked` names the evidence lines that back the claim."""

    module: str
    title: str
    reason: dict[str, str]  # target -> why it does not run there (a TOML string: the same for every target)
    fix: dict[str, str]  # target -> the library's replacement (a TOML string: the same for every target)
    checked: tuple[str, ...] = ()
    uses: dict[str, dict[str, str]] = field(default_factory=dict)  # member prefix -> target -> its replacement

    def owns(self, name: str) -> bool:
        return name == self.module or name.startswith(self.module + ".")

    def replacement(self, name: str, target: str) -> str | None:
        """The replacement of a member on target: the longest `uses` prefix that matches, else the
        library's; None when rules/ names none for target."""
        matches = [prefix for prefix in self.uses if name == prefix or name.startswith(prefix + ".")]
        return by_target(self.uses[max(matches, key=len)] if matches else self.fix, target)


@dataclass(frozen=True)
class DynamicOp:
    """An op with a data-dependent output shape (rules/dynamic_shape.toml [dynamic_ops.<op>]):
    the aten:: counter it was measured to produce, and the static form to use instead."""

    counter: str
    fix: str


# The small tables of the family files, beside their rules: (file's table -> its schema), each
# key -> its TOML type (`list` means a list of strings, `dict` a table of strings). Keys in
# OPTIONAL_KEYS may be left out.
_TABLE_SCHEMAS: dict[str, dict[str, type]] = {
    "library": {"module": str, "title": str, "reason": (str, dict), "fix": (str, dict), "checked": list, "uses": dict},
    "dynamic_ops": {"counter": str, "fix": str},
    "vllm": {"package": str, "tpu_quantization": list},
}
_OPTIONAL_KEYS = {"library": {"uses"}}


def _per_target(value: str | dict[str, str]) -> dict[str, str]:
    """A text that may differ per target: a TOML string is the same for every target ("*"), a
    table maps target names to their own text."""
    return {"*": value} if isinstance(value, str) else dict(value)


def by_target(texts: dict[str, str], target: str) -> str | None:
    """The text of a _per_target table for target: its own, else the one for every target."""
    return texts.get(target, texts.get("*"))


def _checked_table(path: Path, table: str, where: str, raw: Any) -> dict[str, Any]:
    """raw, validated against _TABLE_SCHEMAS[table]. Raises CatalogError naming the file, the
    entry and each unknown, missing or mistyped key."""
    schema = _TABLE_SCHEMAS[table]
    if not isinstance(raw, dict):
        raise CatalogError(f"{path}: {where} must be a table")
    problems = [f"unknown key {key}" for key in raw.keys() - schema.keys()]
    problems += [f"missing key {key}" for key in schema.keys() - raw.keys() - _OPTIONAL_KEYS.get(table, set())]
    problems += [problem for key, kind in schema.items() if key in raw
                 if (problem := _type_problem(key, raw[key], kind)) is not None]
    if problems:
        raise CatalogError(f"{path}: {where}: {'; '.join(sorted(problems))}")
    return raw


_TYPE_NAMES = {str: "a string", list: "a list of strings", dict: "a table of strings (or of tables of strings)"}


def _type_problem(key: str, value: Any, kind: type | tuple[type, ...]) -> str | None:
    """"<key> must be ..." when value is not of kind (str; list: of strings; dict: a table of
    strings; a tuple: any of these), else None."""
    if isinstance(kind, tuple):
        problems = [_type_problem(key, value, one) for one in kind]
        return None if None in problems else f"{key} must be " + " or ".join(_TYPE_NAMES[one] for one in kind)
    if isinstance(value, kind):
        # a table's values may be tables of strings themselves (texts per target)
        strings = ((*value, *(item for inner in value.values() for item in (inner.values() if isinstance(inner, dict) else [inner])))
                   if kind is dict else value if kind is list else ())
        if all(isinstance(item, str) for item in strings):
            return None
    return f"{key} must be {_TYPE_NAMES[kind]}"


def _family_tables(path: Path, data: dict[str, Any]) -> tuple[tuple[CudaLibrary, ...], dict[str, DynamicOp],
                                                               tuple[str, tuple[str, ...]] | None]:
    """The [[library]], [dynamic_ops.*] and [vllm] tables of one family file, validated; any other
    table beside the rule tables is a CatalogError."""
    unknown = data.keys() - _RULE_TABLES - _TABLE_SCHEMAS.keys()
    if unknown:
        raise CatalogError(f"{path}: unknown table(s) {sorted(unknown)}")
    libraries = tuple(
        CudaLibrary(raw["module"], raw["title"], _per_target(raw["reason"]), _per_target(raw["fix"]), tuple(raw["checked"]),
                    {prefix: _per_target(text) for prefix, text in raw.get("uses", {}).items()})
        for raw in (_checked_table(path, "library", f"library {raw.get('module', '?')}", raw)
                    for raw in data.get("library", [])))
    dynamic = {op: DynamicOp(raw["counter"], raw["fix"])
               for op, raw in ((op, _checked_table(path, "dynamic_ops", f"dynamic_ops.{op}", raw))
                               for op, raw in data.get("dynamic_ops", {}).items())}
    vllm = data.get("vllm")
    quantization = ((_checked_table(path, "vllm", "vllm", vllm)["package"], tuple(vllm["tpu_quantization"]))
                    if vllm is not None else None)
    return libraries, dynamic, quantization


@dataclass(frozen=True)
class TargetProfile:
    """What one runtime calls each thing tpulint looks for: rules/targets/<target>.toml, whose
    comments give the source of every name (for torch_xla: the 2.9.0 wheel, as
    ../shared/research/xla-facts.md records it). Names are fully qualified as tpulint.resolve
    spells them; an empty string or set means the runtime has no such thing (TorchTPU has no
    barrier). resolve, loops, the project view and the checkers read these, never their own copy.
    """

    target: str
    read_from: str
    package: str  # the top-level package: importing it means a file already runs on the runtime
    device_expression: str  # what a CUDA device becomes where it places tensors (`torch_xla.device()`)
    device_type_string: str  # ... where a device type string is needed (`"xla"`)
    device_import: str  # the import device_expression needs (`import torch_xla`)
    device_calls: frozenset[str]  # calls that return the runtime's device
    device_strings: frozenset[str]  # device type strings of the runtime (`xla`, matched with `:N`)
    availability_checks: frozenset[str]  # torch's availability checks that see this runtime's device
    barriers: frozenset[str]  # calls that cut the lazy graph
    barrier_call: str  # the barrier to write (`torch_xla.sync()`)
    deprecated_barrier: str  # a barrier that still works but is deprecated (`xm.mark_step`)
    optimizer_step: str  # an optimizer step that is a barrier when called with barrier=True
    barrier_keyword: str  # ... that keyword (its second positional parameter)
    step_contexts: frozenset[str]  # context managers / decorators that trace and cut one step
    step_closure: str  # runs a callable once the step's graph has executed
    syncing_loaders: frozenset[str]  # loaders that call the barrier before each batch
    optimizer_modules: tuple[str, ...]  # module prefixes whose classes are optimizers
    compile_wrappers: frozenset[str]  # calls whose result runs as one compiled graph
    compile_backends: frozenset[str]  # torch.compile backends of the runtime
    patched_calls: frozenset[str]  # torch calls the runtime patches to serve its device (torch.compile's default backend)
    autocast_device_type: str
    autocast_dtypes: tuple[str, ...]  # dtype names autocast runs with on the runtime
    autocast_default_dtype: str  # what autocast on the runtime's device uses when no dtype is given
    distributed_backend: str
    distributed_backend_import: str  # the import that registers the backend ("" if none is needed)
    init_method: str
    launcher: str
    vllm_package: str
    legacy_api_opt_in: str  # environment variable under which the runtime's legacy device APIs warn instead of raising
    environment_variables: frozenset[str]  # environment variables the runtime reads

    def fix_slots(self) -> dict[str, str]:
        """The profile's names a fix template may use as `{slots}` (rules/*.toml `fixes`):
        device_expression, device_type_string, device_import, barrier_call, autocast_device_type,
        distributed_backend, init_method, launcher."""
        return {name: getattr(self, name) for name in (
            "device_expression", "device_type_string", "device_import", "barrier_call", "autocast_device_type",
            "distributed_backend", "init_method", "launcher")}

    def is_device_string(self, text: str) -> bool:
        """`xla`, `xla:0`: one of device_strings with an optional `:N` index."""
        return _is_device_string(text, self.device_strings)


def _is_device_string(text: str, strings: frozenset[str]) -> bool:
    kind, colon, index = text.partition(":")
    return kind in strings and (not colon or index.isdigit())


@dataclass(frozen=True)
class RecognisedNames:
    """Every target runtime's names of one kind (Catalog.recognised): its packages, the calls
    that return its device, its device strings (matched with `:N`), its compile backends and the
    module prefixes whose classes are its optimizers."""

    packages: frozenset[str]
    device_calls: frozenset[str]
    device_strings: frozenset[str]
    compile_backends: frozenset[str]
    optimizer_modules: tuple[str, ...]

    def is_device_string(self, text: str) -> bool:
        """`xla`, `tpu:0`: a runtime's device string with an optional `:N` index."""
        return _is_device_string(text, self.device_strings)

    def is_runtime_name(self, name: str) -> bool:
        """name is a runtime package or something in one (`torch_xla.sync`)."""
        return name.split(".", 1)[0] in self.packages


# (table, key) in rules/targets/<target>.toml -> (TargetProfile field, the value's TOML type).
_PROFILE_SCHEMA: dict[tuple[str, str], tuple[str, type]] = {
    ("", "read_from"): ("read_from", str),
    ("", "package"): ("package", str),
    ("device", "expression"): ("device_expression", str),
    ("device", "type_string"): ("device_type_string", str),
    ("device", "import"): ("device_import", str),
    ("device", "calls"): ("device_calls", list),
    ("device", "strings"): ("device_strings", list),
    ("device", "availability_checks"): ("availability_checks", list),
    ("step", "barriers"): ("barriers", list),
    ("step", "barrier_call"): ("barrier_call", str),
    ("step", "deprecated_barrier"): ("deprecated_barrier", str),
    ("step", "optimizer_step"): ("optimizer_step", str),
    ("step", "barrier_keyword"): ("barrier_keyword", str),
    ("step", "contexts"): ("step_contexts", list),
    ("step", "closure"): ("step_closure", str),
    ("step", "syncing_loaders"): ("syncing_loaders", list),
    ("step", "optimizer_modules"): ("optimizer_modules", list),
    ("compile", "wrappers"): ("compile_wrappers", list),
    ("compile", "backends"): ("compile_backends", list),
    ("patches", "calls"): ("patched_calls", list),
    ("autocast", "device_type"): ("autocast_device_type", str),
    ("autocast", "dtypes"): ("autocast_dtypes", list),
    ("autocast", "default_dtype"): ("autocast_default_dtype", str),
    ("distributed", "backend"): ("distributed_backend", str),
    ("distributed", "backend_import"): ("distributed_backend_import", str),
    ("distributed", "init_method"): ("init_method", str),
    ("distributed", "launcher"): ("launcher", str),
    ("vllm", "package"): ("vllm_package", str),
    ("environment", "legacy_api_opt_in"): ("legacy_api_opt_in", str),
    ("environment", "variables"): ("environment_variables", list),
}
_TUPLE_FIELDS = frozenset({"optimizer_modules", "autocast_dtypes"})  # ordered (prefix tests, messages)


def _load_profile(path: Path, target: str) -> TargetProfile:
    """Read and validate one runtime profile against _PROFILE_SCHEMA.

    Raises CatalogError naming the file and key for a missing file, an unknown or missing key,
    or a value of the wrong type (lists must hold strings)."""
    if not path.is_file():
        raise CatalogError(f"{path}: no profile for target {target!r}")
    data = _read_toml(path)
    found: dict[tuple[str, str], Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            found.update({(key, inner): item for inner, item in value.items()})
        else:
            found[("", key)] = value
    problems = [f"unknown key {'.'.join(filter(None, key))}" for key in found.keys() - _PROFILE_SCHEMA.keys()]
    problems += [f"missing key {'.'.join(filter(None, key))}" for key in _PROFILE_SCHEMA.keys() - found.keys()]
    fields: dict[str, Any] = {}
    for key, (name, kind) in _PROFILE_SCHEMA.items():
        if key not in found:
            continue
        value = found[key]
        problem = _type_problem(".".join(filter(None, key)), value, kind)
        if problem is not None:
            problems.append(problem)
            continue
        fields[name] = (tuple(value) if name in _TUPLE_FIELDS else frozenset(value)) if kind is list else value
    if problems:
        raise CatalogError(f"{path}: {'; '.join(sorted(problems))}")
    return TargetProfile(target=target, **fields)


@dataclass(frozen=True)
class Family:
    name: str
    checker_id: int
    title: str
    evidence: tuple[str, ...]  # the scripts under rules/ that check the family's claims on the runtime
    evidence_output: tuple[str, ...]  # their recorded outputs, which each rule's `checked` names


@dataclass(frozen=True)
class TargetRule:
    """What a rule says for one target runtime."""

    severity: str
    fix: str
    evidence: str
    checked: tuple[str, ...]
    # The fix texts for the cases a checker tells apart (`[rule.targets.<target>.fixes.<name>]`),
    # with `{slot}`s the checker fills (fix_for); a slot may name another fix of the rule.
    fixes: dict[str, FixVariant] = field(default_factory=dict)
    # Message fields whose text depends only on the target (`[rule.targets.<target>.phrases]`:
    # cuda-grad-scaler's `problem`), filled in before the checker's own fields.
    phrases: dict[str, str] = field(default_factory=dict)
    source: tuple[str, ...] = ()  # where a claim not checked at run time was read (wheel file, docs page)
    example_fixed: str = ""  # the rule's example as the port to this target writes it (default: the rule's)
    rationale: str = ""  # why, in this target's terms (default: the rule's)

    def fix_for(self, variant: str, **fields: object) -> str | Lines:
        """The variant's fix text with its `{slot}`s filled from fields, or from the variant of
        that name; Lines when a slot's value names source lines (model.Lines). Raises KeyError for
        an unknown variant or an unfilled slot."""
        parts: list[str | Lines] = []
        for literal, slot, _, _ in string.Formatter().parse(self.fixes[variant].text):
            parts.append(literal)
            if slot is not None:
                value = fields[slot] if slot in fields else self.fix_for(slot, **fields)
                parts.append(value if isinstance(value, Lines) else str(value))
        return concat(parts)


@dataclass(frozen=True)
class FixVariant:
    """One case of a rule's fix: when it applies (for the rule's page) and its text template."""

    when: str
    text: str


@dataclass(frozen=True)
class Rule:
    id: str
    symbol: str
    family: str
    summary: str
    message: str
    rationale: str
    example: str
    example_fixed: str
    fixable: bool
    cost: int
    requires_import: bool
    targets: dict[str, TargetRule]
    # target -> why the rule does not apply to it (`[rule.not_for]`), shown on the rule's page:
    # every rule says, for every target, what it finds there or why it finds nothing.
    not_for: dict[str, str] = field(default_factory=dict)
    # The runtime whose code the rule reports (torch-xla-api: torch_xla): its words may appear in
    # the rule's texts for other targets.
    about_runtime: str = ""
    # SAFE: the fix keeps behaviour on the target; UNSAFE: it changes numerics or semantics (fp16 ->
    # bf16, removing a loss scaler), so a person should look (tpulint.model.Fix).
    fix_safety: str = SAFE
    # The fix inserts a line elsewhere (the import at the top, a barrier at the end of a loop
    # body) instead of changing the reported line: the estimate never merges it with others there.
    inserts_line: bool = False

    @property
    def name(self) -> str:
        """PascalCase name, as SARIF wants it (SARIF2012)."""
        return "".join(part.capitalize() for part in self.symbol.split("-"))

    def for_target(self, target: str) -> TargetRule | None:
        return self.targets.get(target)

    def rationale_for(self, target: str) -> str:
        """Why the rule matters on target (the target's own text, else the rule's)."""
        data = self.targets.get(target)
        return data.rationale if data and data.rationale else self.rationale

    def example_fixed_for(self, target: str) -> str:
        """The example as a port to target writes it (the target's own, else the rule's)."""
        data = self.targets.get(target)
        return data.example_fixed if data and data.example_fixed else self.example_fixed

    @cached_property
    def fields(self) -> tuple[str, ...]:
        """The named fields of the message template (`%(call)s moves to the GPU; use %(fix)s` ->
        ('call', 'fix')), in order; the last is always `fix`."""
        return tuple(_FIELD.findall(self.message))

    def arguments(self, values: tuple[Any, ...] | dict[str, Any], fix: str | Lines,
                  phrases: dict[str, str] | None = None) -> dict[str, str | Lines]:
        """A finding's structured arguments: the target's phrases (TargetRule.phrases), values (a
        mapping, or a tuple in the template's order of the fields phrases leave) as strings by
        field name, and fix. Raises ValueError when they do not fill the template's fields exactly."""
        phrases = phrases or {}
        open_fields = [name for name in self.fields[:-1] if name not in phrases]
        named = dict(values) if isinstance(values, dict) else dict(zip(open_fields, values))
        if isinstance(values, tuple) and len(values) != len(open_fields) or set(named) != set(open_fields):
            raise ValueError(f"{self.symbol}: arguments {sorted(named)} do not fill {open_fields}")
        return {**phrases, **{name: value if isinstance(value, Lines) else str(value) for name, value in named.items()},
                "fix": fix}


@dataclass(frozen=True)
class ApiEntry:
    """How one `<module>.<name>` (e.g. torch.cuda.synchronize) is reported: rule and replacement."""

    rule: str
    behaviour: str
    replacement: dict[str, str]
    # target -> the exact edit of the call (tpulint.edits.rewrite_call: "" removes it); a target
    # without one gets the replacement's words only.
    rewrite: dict[str, str] = field(default_factory=dict)
    # target -> imports the rewrite needs besides `import torch` / `import torch_xla` (`xm`)
    rewrite_imports: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class OpEntry:
    """One measured call from rules/ops/<runtime>-<version>.toml (built by rules/ops/build.py).

    falls_back: on torch_xla, the call runs on the CPU (its `counters` name the aten ops); on
    TorchTPU (`no_kernel` in the file), an overload it reaches has no TPU kernel and raises (its
    `overloads`). `when` is the machine-readable condition (tpulint.checkers.non_xla_op._holds),
    `certain` False when the measurements cannot tell which argument decides (then INFERENCE).
    `form` "module": `call` is an nn class whose forward runs the op; `when` reads its constructor.
    """

    call: str
    condition: str
    falls_back: bool
    counters: tuple[str, ...]
    alternative: str
    when: dict[str, Any] | None
    aliases: tuple[str, ...] = ()  # other spellings: Tensor methods, in-place forms, torch.special.x
    form: str = "call"
    certain: bool = True
    reported_by: str = ""  # another rule reports this call (data-dependent-shape: torch.nonzero)


_SWITCH_KEYS = {"rule", "library", "calls", "methods", "names", "keyword", "position", "values", "absent", "mentions",
                "uncertain", "unless", "device_code", "behaviour", "fix", "checked"}


@dataclass(frozen=True)
class Switch:
    """One GPU-only switch of a library ([[switch]] tables of the family files): a call, by
    qualified name (`transformers.TrainingArguments`), a method by name on any receiver
    (`enable_model_cpu_offload`), or a name used anywhere (`torch.distributed.ReduceOp.AVG`);
    with `keyword`/`position`, only when that argument is set to one of `values` (no values: to
    anything but False/None), or with `absent`, when the keyword is not passed (a library's
    default is the GPU-only setting), or with `mentions`, when a name in the call's arguments ends
    with one of them (`HfArgumentParser((ModelArguments, TrainingArguments))`), unless each such
    name is a project class whose `keyword` field defaults to a value not in `values` (a subclass
    setting `optim: str = field(default="adamw_torch")`). `unless` maps other keywords to values
    that prove the call CPU-only (`accelerator="cpu"`): then the switch is off. `device_code`: the
    switch only matters where a model runs on the device, so a module the project shows to be CPU
    code (it moves nothing to a device and is no device code: view.ProjectView.has_device_code,
    such as a checkpoint converter) is not reported. `uncertain`: the
    setting may come from elsewhere (the command line), so the finding has INFERENCE confidence. `behaviour` is what it does on a
    TPU host, measured by the run-time checks named in `checked` (rules/evidence/); `library`
    names the version the behaviour was measured with."""

    rule: str
    library: str
    calls: frozenset[str]
    methods: frozenset[str]
    names: frozenset[str]
    keyword: str | None
    position: int | None
    values: tuple[Any, ...]
    absent: bool
    mentions: tuple[str, ...]
    uncertain: bool
    unless: dict[str, tuple[Any, ...]]
    device_code: bool
    behaviour: dict[str, str]  # target -> what it does there (a TOML string: the same for every target)
    # target -> fix; a TOML string is the fix on every target, a table names the targets the
    # switch is GPU-only on (by_target gives None for the others: the switch is not reported).
    fix: dict[str, str]
    checked: tuple[str, ...]

    def targets(self, known: Iterable[str]) -> list[str]:
        """The targets among known that the switch is GPU-only on (those its fix names)."""
        return [target for target in known if by_target(self.fix, target) is not None]

    @property
    def is_the_call(self) -> bool:
        """The call itself is the switch (no argument decides)."""
        return self.keyword is None and self.position is None and not self.absent and not self.mentions


def _parse_switch(raw: dict[str, Any], path: Path) -> Switch:
    unknown = raw.keys() - _SWITCH_KEYS
    missing = {"rule", "library", "behaviour", "fix", "checked"} - raw.keys()
    if unknown or missing or not (raw.get("calls") or raw.get("methods") or raw.get("names")) or (
            raw.get("absent") and not raw.get("keyword")):
        raise CatalogError(f"{path}: switch {raw.get('calls') or raw.get('methods')} has unknown keys {sorted(unknown)}, "
                           f"lacks {sorted(missing)}, names no call, method or name, or is absent without a keyword")
    return Switch(raw["rule"], raw["library"], frozenset(raw.get("calls", ())), frozenset(raw.get("methods", ())),
                  frozenset(raw.get("names", ())), raw.get("keyword"), raw.get("position"), tuple(raw.get("values", ())),
                  bool(raw.get("absent", False)), tuple(raw.get("mentions", ())), bool(raw.get("uncertain", False)),
                  {name: tuple(values) for name, values in raw.get("unless", {}).items()},
                  bool(raw.get("device_code", False)), _per_target(_stripped(raw["behaviour"])), _per_target(raw["fix"]),
                  tuple(raw["checked"]))


def _stripped(text: str | dict[str, str]) -> str | dict[str, str]:
    return text.strip() if isinstance(text, str) else {name: value.strip() for name, value in text.items()}


_FRAMEWORK_KEYS = {"name", "read_from", "model_bases", "pretrained", "not_models", "factories", "factory_prefixes",
                   "wrappers", "pipelines", "components", "entry_points", "places_tensors", "padding_collators",
                   "syncing_loaders", "syncing_optimizers"}


@dataclass(frozen=True)
class Frameworks:
    """rules/frameworks.toml merged over all libraries: what tpulint knows of library code it
    never reads (see that file for each key's meaning and the version each entry was read from).
    Names are qualified (`transformers.PreTrainedModel`); methods are plain (`training_step`)."""

    model_bases: frozenset[str] = frozenset()
    pretrained: tuple[str, ...] = ()  # package prefixes whose `X.from_pretrained(...)` builds a model
    not_models: tuple[str, ...] = ()  # class name endings that are not models
    factories: frozenset[str] = frozenset()
    factory_prefixes: tuple[str, ...] = ()
    wrappers: frozenset[str] = frozenset()
    pipelines: frozenset[str] = frozenset()
    components: frozenset[str] = frozenset()
    entry_points: dict[str, frozenset[str]] = field(default_factory=dict)  # base -> methods run in the step
    entry_tensors: dict[str, frozenset[str]] = field(default_factory=dict)  # base -> parameters given device tensors
    entry_models: dict[str, frozenset[str]] = field(default_factory=dict)  # base -> parameters given the model
    places_tensors: tuple[str, ...] = ()  # top-level package names
    padding_collators: frozenset[str] = frozenset()  # collator classes that pad to the batch's longest item
    syncing_loaders: frozenset[str] = frozenset()  # calls whose loader cuts the graph every step on XLA
    syncing_optimizers: frozenset[str] = frozenset()  # calls whose optimizer's step() cuts the graph on XLA
    entries: tuple[dict[str, Any], ...] = ()  # the [[framework]] tables as written, for the docs

    def builds_model(self, name: str) -> bool:
        """A call of `name` returns a model: a factory, or `X.from_pretrained`-like on a model class."""
        if name in self.factories:
            return True
        head, _, method = name.rpartition(".")
        if name.startswith(self.factory_prefixes) and method[:1].islower() and not any(
                word in method for word in ("weight", "builder", "list_models")):
            return True  # torchvision.models.resnet50, torchvision.models.detection.fasterrcnn_resnet50_fpn
        if method in ("from_pretrained", "from_config", "from_single_file") and head.startswith(self.pretrained):
            return not head.rsplit(".", 1)[-1].endswith(self.not_models) and head not in self.pipelines
        return False


def _load_frameworks(path: Path) -> Frameworks:
    merged: dict[str, Any] = {"entry_points": {}, "entry_tensors": {}, "entry_models": {}}
    entries = tuple(_read_toml(path).get("framework", []))
    for raw in entries:
        unknown = raw.keys() - _FRAMEWORK_KEYS
        if unknown or "read_from" not in raw:
            raise CatalogError(f"{path}: framework {raw.get('name', '?')} has unknown keys {sorted(unknown)} or no read_from")
        for key in ("model_bases", "pretrained", "not_models", "factories", "factory_prefixes", "wrappers", "pipelines",
                    "components", "padding_collators", "syncing_loaders", "syncing_optimizers"):
            merged.setdefault(key, []).extend(raw.get(key, ()))
        for entry in raw.get("entry_points", ()):
            merged["entry_points"].setdefault(entry["base"], set()).update(entry["methods"])
            merged["entry_tensors"].setdefault(entry["base"], set()).update(entry.get("tensors", ()))
            merged["entry_models"].setdefault(entry["base"], set()).update(entry.get("models", ()))
        if raw.get("places_tensors"):
            merged.setdefault("places_tensors", []).append(raw["name"])
    return Frameworks(
        model_bases=frozenset(merged.get("model_bases", ())),
        pretrained=tuple(merged.get("pretrained", ())),
        not_models=tuple(merged.get("not_models", ())),
        factories=frozenset(merged.get("factories", ())),
        factory_prefixes=tuple(merged.get("factory_prefixes", ())),
        wrappers=frozenset(merged.get("wrappers", ())),
        pipelines=frozenset(merged.get("pipelines", ())),
        components=frozenset(merged.get("components", ())),
        entry_points={base: frozenset(methods) for base, methods in merged["entry_points"].items()},
        entry_tensors={base: frozenset(names) for base, names in merged["entry_tensors"].items()},
        entry_models={base: frozenset(names) for base, names in merged["entry_models"].items()},
        places_tensors=tuple(merged.get("places_tensors", ())),
        padding_collators=frozenset(merged.get("padding_collators", ())),
        syncing_loaders=frozenset(merged.get("syncing_loaders", ())),
        syncing_optimizers=frozenset(merged.get("syncing_optimizers", ())),
        entries=entries,
    )


@dataclass(frozen=True)
class Catalog:
    rules: tuple[Rule, ...]
    severities: dict[str, Severity]
    targets: dict[str, Target]
    families: dict[str, Family]
    api: dict[str, dict[str, ApiEntry]]  # module -> member -> entry
    api_default: dict[str, ApiEntry]  # module -> entry for members not listed
    docs_base_url: str
    source_dir: Path
    cuda_libraries: tuple[CudaLibrary, ...]  # rules/non_xla_op.toml [[library]]
    dynamic_ops: dict[str, DynamicOp]  # rules/dynamic_shape.toml [dynamic_ops.<op>]
    vllm_tpu_quantization: tuple[str, ...]  # rules/cuda.toml [vllm]: quantization methods vLLM's TPU platform runs
    vllm_quantization_package: str  # ... the TPU plugin (profile's vllm.package) that list is of
    ops: dict[str, tuple[OpEntry, ...]]  # torch_xla version -> measured calls
    ops_provenance: dict[str, dict[str, Any]]
    op_tables: dict[str, dict[str, tuple[OpEntry, ...]]] = field(default_factory=dict)  # runtime -> version -> calls
    frameworks: Frameworks = field(default_factory=Frameworks)
    switches: tuple[Switch, ...] = ()
    profiles: dict[str, TargetProfile] = field(default_factory=dict)  # target -> its runtime profile
    _by_symbol: dict[str, Rule] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_symbol.update({rule.symbol: rule for rule in self.rules})

    @property
    def newest_torch_xla(self) -> str:
        return max(self.ops, key=_version_key)

    def runtime_versions(self, target: str) -> list[str]:
        """The versions of target's runtime that rules/ops has op data for, oldest first."""
        return sorted(self.op_tables.get(target, {}), key=_version_key)

    def newest_runtime_version(self, target: str) -> str | None:
        versions = self.runtime_versions(target)
        return versions[-1] if versions else None

    @cached_property
    def recognised(self) -> RecognisedNames:
        """The names of every target runtime at once (RecognisedNames): code written for any of
        them runs on a TPU, so resolve, loops and the project view recognise it whatever the
        target; what a name means for the port is the selected target's (its profile)."""
        profiles = self.profiles.values()
        return RecognisedNames(
            packages=frozenset(profile.package for profile in profiles),
            device_calls=frozenset().union(*(profile.device_calls for profile in profiles)),
            device_strings=frozenset().union(*(profile.device_strings for profile in profiles)),
            compile_backends=frozenset().union(*(profile.compile_backends for profile in profiles)),
            optimizer_modules=tuple(sorted({prefix for profile in profiles for prefix in profile.optimizer_modules})),
        )

    @property
    def default_target(self) -> str:
        return next(name for name, target in self.targets.items() if target.default)

    def profile(self, target: str | None = None) -> TargetProfile:
        """The runtime profile of target (default: the default target). Raises KeyError for an
        unknown target (the command and config check target names first)."""
        return self.profiles[target or self.default_target]

    def rule(self, symbol: str) -> Rule:
        return self._by_symbol[symbol]

    def has_rule(self, symbol: str) -> bool:
        return symbol in self._by_symbol

    def family_rules(self, family: str) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if rule.family == family)

    def severity_of(self, rule: Rule, target: str) -> Severity | None:
        data = rule.for_target(target)
        return self.severities[data.severity] if data else None

    def help_uri(self, rule: Rule) -> str:
        return f"{self.docs_base_url}{rule.symbol}.md"

    def pylint_msgs(self, family: str) -> dict[str, tuple[str, str, str]]:
        """The `msgs` table of a family's pylint checker."""
        return {
            rule.id: (rule.message, rule.symbol, f"{rule.summary}. See {self.help_uri(rule)}")
            for rule in self.family_rules(family)
        }


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in version.split("."))


def default_rules_dir() -> Path:
    """rules/ as shipped in the wheel (tpulint/rules), else the source checkout's top-level rules/."""
    package_dir = Path(__file__).resolve().parent
    for candidate in (package_dir / "rules", package_dir.parent / "rules"):
        if (candidate / "catalog.toml").is_file():
            return candidate
    raise CatalogError(f"no rules/catalog.toml next to {package_dir}")


@lru_cache(maxsize=4)
def load_catalog(rules_dir: Path | None = None) -> Catalog:
    rules_dir = rules_dir or default_rules_dir()
    meta = _read_toml(rules_dir / "catalog.toml")
    severities = {name: Severity(name=name, **data) for name, data in meta["severities"].items()}
    targets = {name: Target(name=name, **{**data, "words": tuple(data.get("words", ()))})
               for name, data in meta["targets"].items()}
    families = {}
    rules: list[Rule] = []
    api: dict[str, dict[str, ApiEntry]] = {}
    api_default: dict[str, ApiEntry] = {}
    cuda_libraries: list[CudaLibrary] = []
    dynamic_ops: dict[str, DynamicOp] = {}
    vllm_quantization: tuple[str, tuple[str, ...]] = ("", ())
    switches: list[Switch] = []
    for family_name, data in meta["families"].items():
        families[family_name] = Family(
            family_name, data["checker_id"], data["title"], _paths(data["evidence"]), _paths(data["evidence_output"])
        )
        path = rules_dir / data["rules_file"]
        family_data = _read_toml(path)
        rules.extend(_parse_rule(raw, family_name, path) for raw in family_data.get("rule", []))
        for raw in family_data.get("api", []):
            entry = ApiEntry(raw["rule"], raw["behaviour"], dict(raw["replacement"]), dict(raw.get("rewrite", {})),
                             dict(raw.get("rewrite_imports", {})))
            api.setdefault(raw["module"], {}).update({name: entry for name in raw["names"]})
        for raw in family_data.get("api_default", []):
            api_default[raw["module"]] = ApiEntry(raw["rule"], raw["behaviour"], dict(raw["replacement"]), dict(raw.get("rewrite", {})))
        switches.extend(_parse_switch(raw, path) for raw in family_data.get("switch", []))
        libraries, dynamic, quantization = _family_tables(path, family_data)
        cuda_libraries.extend(libraries)
        dynamic_ops.update(dynamic)
        vllm_quantization = quantization or vllm_quantization
    op_tables, provenance = _load_ops(rules_dir / "ops")
    ops = op_tables.get("torch_xla", {})
    catalog = Catalog(
        rules=tuple(rules),
        severities=severities,
        targets=targets,
        families=families,
        api=api,
        api_default=api_default,
        docs_base_url=meta["docs_base_url"],
        source_dir=rules_dir,
        op_tables=op_tables,
        cuda_libraries=tuple(cuda_libraries),
        dynamic_ops=dynamic_ops,
        vllm_tpu_quantization=vllm_quantization[1],
        vllm_quantization_package=vllm_quantization[0],
        ops=ops,
        ops_provenance=provenance,
        frameworks=_load_frameworks(rules_dir / "frameworks.toml"),
        switches=tuple(switches),
        profiles={name: _load_profile(rules_dir / "targets" / f"{name}.toml", name) for name in targets},
    )
    _validate(catalog)
    return catalog


def _paths(value: str | list[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _load_ops(directory: Path) -> tuple[dict[str, dict[str, tuple[OpEntry, ...]]], dict[str, dict[str, Any]]]:
    """rules/ops/<runtime>-<version>.toml (torch_xla-2.9, torchtpu-0.2), built by rules/ops/build.py:
    ({runtime: {version: entries}}, {torch_xla version: provenance})."""
    tables: dict[str, dict[str, tuple[OpEntry, ...]]] = {}
    provenance: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.glob("*-*.toml")):
        runtime, _, version = path.stem.partition("-")
        data = _read_toml(path)
        if runtime == "torch_xla":
            provenance[version] = data["provenance"]
        tables.setdefault(runtime, {})[version] = tuple(_op_entry(raw) for raw in data["op"])
    return tables, provenance


def _op_entry(raw: dict[str, Any]) -> OpEntry:
    return OpEntry(
        raw["call"], raw["condition"], raw.get("falls_back", raw.get("no_kernel", False)),
        tuple(raw.get("counters", raw.get("overloads", ()))), raw.get("alternative", ""), raw.get("when"),
        tuple(raw.get("aliases", ())), raw.get("form", "call"), raw.get("certain", True), raw.get("reported_by", ""),
    )


def _read_toml(path: Path) -> dict[str, Any]:
    """The parsed TOML file, from the user cache when the same bytes were parsed before (the op
    tables' 900 KB took about 0.3 s to parse, in every run and every pylint job).

    Raises CatalogError for a file that cannot be read or is not TOML."""
    try:
        data = path.read_bytes()
        name = f"toml-{path.stem}-py{sys.version_info[0]}{sys.version_info[1]}-"
        key = name + content_key(data)
        kept = user_cache.read(key)
        if isinstance(kept, dict):
            return kept
        parsed = tomllib.loads(data.decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise CatalogError(f"{path}: {error}") from error
    user_cache.write(key, parsed, replaces=name)
    return parsed


# The rule tables of a family file; beside them only the tables of _TABLE_SCHEMAS may stand.
_RULE_TABLES = {"rule", "api", "api_default", "switch"}

_RULE_KEYS = {
    "id", "symbol", "summary", "message", "rationale", "example", "example_fixed",
    "fixable", "cost", "targets",
}
_TARGET_RULE_KEYS = {"severity", "fix", "evidence", "checked", "fixes", "phrases", "source", "example_fixed", "rationale"}


def _parse_rule(raw: dict[str, Any], family: str, path: Path) -> Rule:
    missing = _RULE_KEYS - raw.keys()
    if missing:
        raise CatalogError(f"{path}: rule {raw.get('symbol', '?')} lacks {sorted(missing)}")
    symbol = raw.get("symbol", "?")
    for name, data in raw["targets"].items():
        unknown = data.keys() - _TARGET_RULE_KEYS
        if unknown:
            raise CatalogError(f"{path}: rule {symbol}: target {name} has unknown key(s) {sorted(unknown)}")
    targets = {
        name: TargetRule(data["severity"], data["fix"], data["evidence"], tuple(data.get("checked", ())),
                         _fix_variants(data.get("fixes", {}), symbol, path), dict(data.get("phrases", {})),
                         tuple(data.get("source", ())), data.get("example_fixed", "").strip("\n"),
                         data.get("rationale", "").strip())
        for name, data in raw["targets"].items()
    }
    return Rule(
        id=raw["id"],
        symbol=raw["symbol"],
        family=family,
        summary=raw["summary"].strip(),
        message=raw["message"],
        rationale=raw["rationale"].strip(),
        example=raw["example"].strip("\n"),
        example_fixed=raw["example_fixed"].strip("\n"),
        fixable=bool(raw["fixable"]),
        cost=int(raw["cost"]),
        requires_import=bool(raw.get("requires_import", False)),
        inserts_line=bool(raw.get("inserts_line", False)),
        targets=targets,
        not_for={name: reason.strip() for name, reason in raw.get("not_for", {}).items()},
        about_runtime=raw.get("about_runtime", ""),
        fix_safety=raw.get("fix_safety", SAFE),
    )


def _fix_variants(raw: Any, symbol: str, path: Path) -> dict[str, FixVariant]:
    """A rule's `fixes` tables: name -> FixVariant. Raises CatalogError unless each is a table of
    exactly `when` and `text` strings whose `{slots}` parse."""
    if not isinstance(raw, dict):
        raise CatalogError(f"{path}: rule {symbol}: `fixes` must be a table of fix tables")
    variants = {}
    for name, table in raw.items():
        if not isinstance(table, dict) or set(table) != {"when", "text"} or not all(
                isinstance(value, str) for value in table.values()):
            raise CatalogError(f"{path}: rule {symbol}: fix {name!r} must have exactly `when` and `text` strings")
        try:
            list(string.Formatter().parse(table["text"]))
        except ValueError as error:
            raise CatalogError(f"{path}: rule {symbol}: fix {name!r}: {error}") from error
        variants[name] = FixVariant(table["when"], table["text"])
    return variants


_FIELD = re.compile(r"%\((\w+)\)s")
_SWITCH_FIELDS = ("setting", "behaviour", "fix")  # [[switch]] rules: what is set, what it does, the fix
_API_FIELDS = ("member", "behaviour", "fix")  # [[api]] rules: the member, what it does, the fix


def _validate(catalog: Catalog) -> None:
    problems: list[str] = []
    default_targets = [name for name, target in catalog.targets.items() if target.default]
    if len(default_targets) != 1:
        problems.append(f"exactly one target must be the default, found {default_targets}")
    seen_ids: set[str] = set()
    for rule in catalog.rules:
        problems.extend(_rule_problems(catalog, rule, seen_ids))
    for module, entries in catalog.api.items():
        # a module without an [[api_default]] reports only the members it lists
        for name, entry in {**entries, "<default>": catalog.api_default.get(module) or next(iter(entries.values()))}.items():
            if not catalog.has_rule(entry.rule):
                problems.append(f"api {module}.{name}: unknown rule {entry.rule}")
            problems.extend(f"api {module}.{name}: rewrite.{target}: {problem}"
                            for target, template in entry.rewrite.items() for problem in _rewrite_problems(template, entry, target))
    for switch in catalog.switches:
        if not catalog.has_rule(switch.rule):
            problems.append(f"switch {sorted(switch.calls | switch.methods | switch.names)}: unknown rule {switch.rule}")
        elif catalog.rule(switch.rule).fields != _SWITCH_FIELDS:
            problems.append(f"switch rule {switch.rule}: its message's fields must be {_SWITCH_FIELDS}")
    api_rules = {entry.rule for entries in (*catalog.api.values(), catalog.api_default)
                 for entry in entries.values() if catalog.has_rule(entry.rule)}
    for symbol in sorted(api_rules):
        if catalog.rule(symbol).fields != _API_FIELDS:
            problems.append(f"api rule {symbol}: its message's fields must be {_API_FIELDS}")
    if len(catalog._by_symbol) != len(catalog.rules):
        problems.append("duplicate rule symbols")
    problems.extend(_table_text_problems(catalog))
    if problems:
        raise CatalogError("; ".join(problems))


# The packages a rewrite may name without an entry in rewrite_imports: `import <package>` binds them.
REWRITE_PACKAGES = ("torch", "torch_xla")


def rewrite_shape(template: str) -> str:
    """The shape of an [[api]] `rewrite` template (rules/cuda.toml explains them): "remove",
    "rename" (`name({arguments})`), "first_argument" (`{0}.step()`), "statements" (`a(); b()`:
    statements that replace a call statement without arguments) or "fixed" (no placeholder).

    Raises ValueError for any other template."""
    if template == "":
        return "remove"
    if ";" in template and "{" not in template:
        return "statements"
    if template.endswith("({arguments})") and template.count("{") == 1:
        return "rename"
    if template.startswith("{0}") and template.count("{") == 1:
        return "first_argument"
    if "{" not in template:
        return "fixed"
    raise ValueError(f"{template!r} is not name({{arguments}}), {{0}}.method(), a call without placeholders, or \"\"")


def _rewrite_problems(template: str, entry: ApiEntry, target: str) -> list[str]:
    if target not in entry.replacement:
        return ["a rewrite without the replacement that describes it"]
    try:
        shape = rewrite_shape(template)
        if shape != "remove":
            ast.parse(template.format("x", arguments="x"), mode="exec" if shape == "statements" else "eval")
    except (ValueError, SyntaxError) as error:
        return [str(error)]
    bound = {statement.split()[-1] for statement in entry.rewrite_imports.get(target, ())}
    unbound = {root for root in re.findall(r"(?<![\w.])([A-Za-z_]\w*)\.", template)} - set(REWRITE_PACKAGES) - bound
    return [f"names {', '.join(sorted(unbound))} without an import in rewrite_imports.{target}"] if unbound else []


def _table_text_problems(catalog: Catalog) -> list[str]:
    """The texts of the [[api]], [[switch]] and [[library]] tables: each target their rule applies
    to gets one (a switch may leave a target out: it is not GPU-only there), in its own words."""
    texts: list[tuple[str, str, dict[str, str], bool]] = []  # (where, rule, target -> text, required)
    missing: list[str] = []
    for module, entries in catalog.api.items():
        for name, entry in {**entries, "<default>": catalog.api_default.get(module)}.items():
            if entry is not None:
                texts.append((f"api {module}.{name}", entry.rule, entry.replacement, True))
    for switch in catalog.switches:
        where = f"switch {sorted(switch.calls | switch.methods | switch.names)[0]}"
        applies = switch.targets(catalog.targets)  # the targets its fix names
        behaviour = {target: text for target in applies if (text := by_target(switch.behaviour, target)) is not None}
        texts += [(f"{where} fix", switch.rule, {target: by_target(switch.fix, target) for target in applies}, False),
                  (f"{where} behaviour", switch.rule, behaviour, False)]
        missing += [f"{where}: no behaviour for target {target}" for target in applies if target not in behaviour]
    for library in catalog.cuda_libraries:
        texts += [(f"library {library.module}", "cuda-only-library", library.fix, True),
                  (f"library {library.module} reason", "cuda-only-library", library.reason, True)]
        texts.extend((f"library {library.module} use {prefix}", "cuda-library-call", uses, True)
                     for prefix, uses in library.uses.items())
    problems = missing
    for where, symbol, by_name, required in texts:
        if not catalog.has_rule(symbol):
            continue
        for target in catalog.rule(symbol).targets:
            text = by_target(by_name, target)
            if text is None and required:
                problems.append(f"{where}: no text for target {target}")
            elif text is not None:
                about = catalog.rule(symbol).about_runtime
                problems.extend(f"{where}: {problem}" for problem in _foreign_words(catalog, target, [text], about))
    return problems


def _rule_problems(catalog: Catalog, rule: Rule, seen_ids: set[str]) -> list[str]:
    where = f"rule {rule.symbol}"
    problems = []
    match = _RULE_ID.match(rule.id)
    if rule.family not in FAMILIES:
        problems.append(f"{where}: family {rule.family!r} is not one of {FAMILIES}")
    if not match:
        problems.append(f"{where}: id {rule.id!r} is not E/W plus four digits")
    elif int(match.group(1)) != catalog.families[rule.family].checker_id:
        problems.append(f"{where}: id {rule.id} is outside its family's block")
    if rule.id in seen_ids:
        problems.append(f"{where}: id {rule.id} is used twice")
    seen_ids.add(rule.id)
    if not _SYMBOL.match(rule.symbol):
        problems.append(f"{where}: symbol must be lower-case letters and '-'")
    if rule.cost < 0:
        problems.append(f"{where}: cost must not be negative")
    if rule.fix_safety not in (SAFE, UNSAFE):
        problems.append(f"{where}: fix_safety must be {SAFE!r} or {UNSAFE!r}")
    bare = rule.message.replace("%%", "").count("%") - len(rule.fields)
    if bare or not rule.fields or rule.fields[-1] != "fix" or len(set(rule.fields)) != len(rule.fields):
        problems.append(f"{where}: message fields must be distinct %(name)s fields ending with %(fix)s")
    undecided = catalog.targets.keys() - rule.targets.keys() - rule.not_for.keys()
    if undecided:
        problems.append(f"{where}: says neither what it finds nor why it finds nothing for {sorted(undecided)}")
    if rule.targets.keys() & rule.not_for.keys():
        problems.append(f"{where}: both applies and does not apply to {sorted(rule.targets.keys() & rule.not_for.keys())}")
    for target_name, data in rule.targets.items():
        target = catalog.targets.get(target_name)
        if target is None:
            problems.append(f"{where}: unknown target {target_name!r}")
            continue
        problems.extend(_target_rule_problems(catalog, rule, target, data))
    # The message id's letter is fixed by the default target's severity (else the first target's),
    # so ids never change with the selected target.
    deciding = rule.for_target(catalog.default_target) or next(iter(rule.targets.values()), None)
    if deciding and deciding.severity in catalog.severities:
        letter = catalog.severities[deciding.severity].pylint
        if not rule.id.startswith(letter):
            problems.append(f"{where}: a {deciding.severity} rule's id starts with {letter}")
    return problems


def _target_rule_problems(catalog: Catalog, rule: Rule, target: Target, data: TargetRule) -> list[str]:
    where = f"rule {rule.symbol} ({target.name})"
    problems = []
    if data.severity not in catalog.severities:
        problems.append(f"{where}: unknown severity {data.severity!r}")
    if target.runnable and not data.checked:
        problems.append(f"{where}: records no run-time check")
    if not target.runnable and not (data.source and "no TPU" in data.evidence):
        problems.append(f"{where}: cites no source, or its evidence does not say it was not run (no TPU)")
    if not data.phrases.keys() <= set(rule.fields[:-1]):
        problems.append(f"{where}: phrases {sorted(data.phrases.keys() - set(rule.fields))} are not message fields")
    texts = [rule.message, data.fix, *data.phrases.values(), *(variant.text for variant in data.fixes.values()),
             rule.rationale_for(target.name), rule.example_fixed_for(target.name)]
    problems.extend(f"{where}: {problem}" for problem in _foreign_words(catalog, target.name, texts, rule.about_runtime))
    return problems


def _foreign_words(catalog: Catalog, target: str, texts: Iterable[str], about: str = "") -> list[str]:
    """What text shown to users of target says in another runtime's words (Target.words:
    `torch_xla`, `XLA` in a TorchTPU message), unless the text is about that runtime's code
    (Rule.about_runtime): one problem per text."""
    words = [word for name, other in catalog.targets.items() if name not in (target, about) for word in other.words]
    if not words:
        return []
    pattern = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, words)) + r")\b")
    return [f"{text[:60]!r} uses {match.group(1)!r}, another runtime's word" for text in texts
            if (match := pattern.search(text))]
