"""Build the op tables the non-xla-op family reads, and docs/ops.md, from the committed
measurements in rules/ops/measured/ (no torch needed: the tests re-run it to catch stale output).

    python rules/ops/build.py            # writes rules/ops/torch_xla-2.9.toml, rules/ops/torchtpu-0.2.toml, docs/ops.md

Inputs (each says how it was measured):
- measured/torch_xla-2.9-probes.toml: hand probes on torch_xla (rules/ops/generate.py): torchvision
  ops, conditions found by hand. They stay authoritative for the calls they cover.
- measured/opdb-torch_xla-2.9.jsonl.gz: every OpInfo and ModuleInfo sample of PyTorch's op
  database run on torch_xla and traced on the CPU (rules/ops/opdb.py).
- measured/torchtpu-0.2.0-dispatch.json: which aten overloads have a TorchTPU kernel, which raise
  "not implemented for TPU" (read from the dispatch table with torch-tpu 0.2.0 imported, no TPU).

Method: the samples of one public function (all OpInfos and variants that call it) are labelled
fell-back / ran; when both occur, the condition is learnt by sequential covering over tests of
the arguments (a value, a value other than the default, a given argument, a bound, the input's
rank): the test (or pair of tests) that selects only falling-back samples and covers most of
those left is taken, until all are covered. Tests the source cannot show (the input's rank) make
the condition uncertain; several arguments that separate the samples equally make it uncertain
too (the samples change them together): the checker then reports with INFERENCE confidence.
"""

from __future__ import annotations

import gzip
import itertools
import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

OPS = Path(__file__).resolve().parent
MEASURED = OPS / "measured"
DOCS = OPS.parent.parent / "docs" / "ops.md"
XLA_VERSION = "2.9"
TPU_VERSION = "0.2"
HOST_READ = "aten::_local_scalar_dense"
ABSENT = "<absent>"
DTYPE = "<dtype>"  # a sample's pseudo-argument: the dtype it ran in (float32, or bfloat16 in the second pass)
GRAD = "<gradients>"  # a sample's pseudo-argument: its tensors require gradients (parameters do)
NO_KERNEL = {"tpu_fallback_error", "structured->fallback_error", "derived->fallback_error"}
KERNEL = {"tpu_kernel", "structured->tpu_kernel", "composite_implicit", "composite_explicit"}


# --- samples -----------------------------------------------------------------------------------


@dataclass
class Sample:
    """One run: argument values by parameter name (a tensor as ("tensor", rank)), and its label."""

    values: dict[str, Any]
    input_rank: int | None
    fell_back: bool
    counters: tuple[str, ...]
    aten: tuple[str, ...]
    needed: frozenset = frozenset()  # keywords whose removal stopped the fallback (opdb.ablate)
    enough: frozenset = frozenset()  # keywords that alone still fell back
    example: str | None = None  # the measured call as source (tests/test_ops_data.py lints it)


@dataclass
class Group:
    """The samples of one public spelling (a function with its method forms, or a module class)."""

    call: str
    form: str  # "call" or "module"
    aliases: set[str] = field(default_factory=set)
    parameters: list[dict] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    errors: int = 0
    sources: set[str] = field(default_factory=set)
    factory: bool = False  # samples without a tensor argument: op_db ran them on the CPU


def read_raw(path: Path) -> tuple[dict, list[dict]]:
    """(provenance, records) of an opdb.py output."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle]
    return records[0], records[1:]


def _value(described: Any) -> Any:
    """A described argument as a hashable test value: tensors as ("tensor", rank), lists as tuples."""
    if isinstance(described, dict):
        return ("tensor", len(described["tensor"])) if "tensor" in described else described.get("repr", "?")
    if isinstance(described, list):
        return tuple(_value(item) for item in described)
    return described


def _bind(parameters: list[dict], positional: list, keywords: dict, first_is_input: bool) -> dict[str, Any]:
    names = [parameter["name"] for parameter in parameters if not parameter.get("keyword_only")]
    bound: dict[str, Any] = {}
    for index, value in enumerate(positional):
        if index < len(names):
            bound[names[index]] = _value(value)
    for name, value in (keywords or {}).items():
        bound[name] = _value(value)
    for parameter in parameters:
        if parameter["name"] not in bound:
            bound[parameter["name"]] = _value(parameter["default"]) if "default" in parameter else ABSENT
    return bound


def groups_of(records: list[dict]) -> tuple[dict[str, Group], list[dict]]:
    """Samples grouped by public spelling; and the module forms (nn class -> functional op)."""
    ops = {record["key"]: record for record in records if record["record"] == "op"}
    groups: dict[str, Group] = {}
    forms = [record for record in records if record["record"] == "module_form"]
    decisive = {(record["key"], record["sample"], record["dtype"]): record["decisive"] for record in records
                if record["record"] == "sample" and record.get("decisive")}
    for record in records:
        if record["record"] != "sample":
            continue
        op = ops.get(record["key"])
        if op is None:
            continue
        group = _group_for(groups, op)
        if group is None:
            continue
        group.sources.add(record["key"])
        if record.get("error") or "fallbacks" not in record:
            group.errors += 1
            continue
        if not _has_tensor(record):
            group.factory = True
            continue
        if _degenerate(record.get("input")):
            continue  # XLA skips the work on a tensor with no elements, and a 0-d input is a corner case
        ablation = decisive.get((record["key"], record["sample"], record.get("dtype"))) or {}
        group.samples += _samples(op, record, ablation)
    return groups, forms


def _group_for(groups: dict[str, Group], op: dict) -> Group | None:
    if op["kind"] == "module":
        call, form, aliases = op["class"], "module", set()
    else:
        spellings = [op["function"], op["method"], op["inplace"], *op["aliases"]]
        spellings = [name for name in spellings if name]
        if not spellings:
            return None
        call, form, aliases = spellings[0], "call", set(spellings[1:])
    group = groups.setdefault(call, Group(call, form, parameters=op.get("parameters") or []))
    group.aliases |= aliases
    return group


def _has_tensor(record: dict) -> bool:
    """A sample with no tensor argument (a factory: torch.triu_indices(8, 8)) ran on the CPU: op_db
    passes device='cpu', so it says nothing about XLA (the hand probes pass the XLA device)."""
    return '"tensor"' in json.dumps([record.get("input"), record.get("args"), record.get("kwargs"),
                                      record.get("constructor_args"), record.get("constructor_kwargs")]) \
        or record.get("variant") == "module"


def _degenerate(described: Any) -> bool:
    """An input tensor with no elements or no dimensions: what it runs says little of the op on
    the batches a step computes on (torch.cummin runs on XLA for a 0-d input only)."""
    shape = described.get("tensor") if isinstance(described, dict) else None
    return shape is not None and (0 in shape or not shape)


def _samples(op: dict, record: dict, ablation: dict) -> list[Sample]:
    """One sample per run: inputs without gradients, and requiring them when opdb.py ran that too
    (a module's parameters always do); GRAD tells them apart (F.embedding_bag runs
    aten::_embedding_bag when its weight requires gradients, even under no_grad: it falls back in
    every mode)."""
    runs = [(record["fallbacks"], op["kind"] == "module")]
    if record.get("fallbacks_with_grad") is not None and not record.get("error_with_grad"):
        runs.append((record["fallbacks_with_grad"], True))
    found = []
    example = render(op, record)
    for fallbacks, grad in runs:
        sample = _sample(op, record, ablation, fallbacks)
        sample.values[GRAD] = grad
        sample.values[DTYPE] = record.get("dtype")
        sample.example = example if not grad or op["kind"] == "module" else None  # gradients: not in the source
        found.append(sample)
    return found


# Example tensors by (rank, dtype class), as tests/test_ops_data.py defines them in a step.
EXAMPLE_TENSORS = {(rank, kind): f"{kind}{rank}" for rank in range(6) for kind in ("f", "i", "b")}


def render(op: dict, record: dict) -> str | None:
    """The sample as a call in source (`torch.polygamma(1, f2)`, `f2.clone().addmm_(f2, f2, alpha=-2)`,
    `torch.nn.Unfold(2)`), tensors named by rank and dtype; None when an argument has no literal."""
    try:
        if op["kind"] == "module":
            arguments = [_literal_of(v) for v in record["constructor_args"]]
            arguments += [f"{k}={_literal_of(v)}" for k, v in record["constructor_kwargs"].items()]
            return f"{op['class']}({', '.join(arguments)})"
        keywords = [f"{k}={_literal_of(v)}" for k, v in {**(op.get("fixed") or {}), **(record.get("kwargs") or {})}.items()]
        positional = [_literal_of(v) for v in record["args"]]
        receiver = _literal_of(record["input"])
        if record["variant"] == "function" and op["function"] and not op["wraps"]:
            return f"{op['function']}({', '.join([receiver, *positional, *keywords])})"
        method = op["inplace"] if record["variant"] == "inplace" else op["method"]
        if method and record["variant"] in ("method", "inplace"):
            target = f"{receiver}.clone()" if record["variant"] == "inplace" else receiver
            return f"{target}.{method.rsplit('.', 1)[-1]}({', '.join([*positional, *keywords])})"
    except _NoLiteral:
        return None
    return None


class _NoLiteral(Exception):
    pass


def _literal_of(described: Any) -> str:
    if isinstance(described, dict) and "tensor" in described:
        dtype = described["dtype"]
        kind = "b" if dtype == "bool" else "f" if dtype.startswith(("float", "bfloat")) else "i" if "int" in dtype else None
        if kind is None or len(described["tensor"]) > 5:
            raise _NoLiteral
        return EXAMPLE_TENSORS[(len(described["tensor"]), kind)]
    if isinstance(described, dict):
        text = described.get("repr", "")
        if text.startswith("torch.") and text.count(".") == 1:
            return text  # a dtype or a memory format
        raise _NoLiteral
    if isinstance(described, list):
        return "[" + ", ".join(_literal_of(item) for item in described) + "]"
    if isinstance(described, str) and described in ("nan", "inf", "-inf"):
        return f"float({described!r})"
    return repr(described)


def _sample(op: dict, record: dict, ablation: dict, fallbacks: dict) -> Sample:
    counters = tuple(sorted(name for name in fallbacks if name != HOST_READ))
    aten = tuple(record.get("aten") or ()) if not record.get("cpu_error") else ()
    parameters = op.get("parameters") or []
    if op["kind"] == "module":
        values = _bind(parameters, record["constructor_args"], record["constructor_kwargs"], False)
        rank = None
    else:
        keywords = {**(op.get("fixed") or {}), **(record.get("kwargs") or {})}
        positional = [] if op["wraps"] else [record["input"], *record["args"]]
        values = _bind(parameters, positional, keywords, True) if parameters else {k: _value(v) for k, v in keywords.items()}
        described = record.get("input")
        rank = len(described["tensor"]) if isinstance(described, dict) and "tensor" in described else None
    return Sample(values, rank, bool(counters), counters, aten,
                  frozenset(ablation.get("needed", ())), frozenset(ablation.get("enough", ())))


# --- learning a condition ----------------------------------------------------------------------


@dataclass(frozen=True)
class Test:
    """One argument test: kind is equals / not_equals / given / above / rank."""

    kind: str
    parameter: str
    value: Any = None

    @property
    def visible(self) -> bool:
        """Whether a static checker can evaluate it from the call's source."""
        return self.kind not in ("rank", "dtype")

    def holds(self, sample: Sample) -> bool:
        if self.kind == "rank":
            return sample.input_rank == self.value
        if self.kind == "grad":
            return sample.values.get(GRAD) is True
        if self.kind == "dtype":
            return sample.values.get(DTYPE) == self.value
        value = sample.values.get(self.parameter, ABSENT)
        items = value if isinstance(value, tuple) and not _is_tensor(value) else (value,)
        if self.kind == "given":
            return value not in (None, ABSENT)
        if self.kind == "equals":
            return value == self.value
        if self.kind == "not_equals":
            return value not in (ABSENT, self.value) and any(item != self.value for item in items)
        if self.kind == "above":
            return any(isinstance(item, (int, float)) and not isinstance(item, bool) and item > self.value for item in items)
        raise ValueError(self.kind)

    def describe(self) -> str:
        if self.kind == "rank":
            return f"{self.value}-D input"
        if self.kind == "grad":
            return "its tensors require gradients (as parameters do)"
        if self.kind == "dtype":
            return f"in {self.value}"
        if self.kind == "given":
            return f"{self.parameter} given"
        if self.kind == "equals":
            return f"{self.parameter}={_text(self.value)}"
        if self.kind == "not_equals":
            return f"{self.parameter} != {_text(self.value)}"
        return f"{self.parameter} > {_text(self.value)}"


def _is_tensor(value: Any) -> bool:
    return isinstance(value, tuple) and len(value) == 2 and value[0] == "tensor"


def _text(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value).replace("'", "")


def candidate_tests(group: Group) -> list[Test]:
    defaults = {parameter["name"]: _value(parameter["default"]) for parameter in group.parameters if "default" in parameter}
    seen: dict[str, set] = defaultdict(set)
    tests: list[Test] = []
    for sample in group.samples:
        for name, value in sample.values.items():
            if isinstance(value, (str, int, float, bool, tuple)) or value is None:
                seen[name].add(value)
    tests: list[Test] = []
    if seen.pop(GRAD, set()) == {True, False}:
        tests.append(Test("grad", GRAD, True))
    dtypes = seen.pop(DTYPE, set())
    if len(dtypes) > 1:
        tests += [Test("dtype", DTYPE, dtype) for dtype in sorted(dtypes - {None})]
    for name, values in sorted(seen.items()):
        if len(values) < 2:
            continue
        if name in defaults and not _is_tensor(defaults[name]):
            tests.append(Test("not_equals", name, defaults[name]))
        if None in values or ABSENT in values:
            tests.append(Test("given", name))
        for value in sorted((v for v in values if v is not ABSENT and not isinstance(v, tuple)), key=repr):
            tests.append(Test("equals", name, value))
        numbers = sorted({v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)})
        tests += [Test("above", name, bound) for bound in numbers[:-1]]
    ranks = {sample.input_rank for sample in group.samples if sample.input_rank is not None}
    tests += [Test("rank", "input", rank) for rank in sorted(ranks)] if len(ranks) > 1 else []
    return tests


@dataclass
class Condition:
    """An OR of clauses, each an AND of tests; certain when every test is visible and each clause
    was the only one to separate what it covers."""

    clauses: list[tuple[Test, ...]]
    certain: bool
    alternatives: list[tuple[Test, ...]] = field(default_factory=list)  # equally good, other arguments
    doubtful: set = field(default_factory=set)  # clauses (and alternatives) that are not certain

    def describe(self) -> str:
        return " or ".join(" and ".join(test.describe() for test in clause) for clause in self.clauses)


def learn(samples: list[Sample], tests: list[Test]) -> Condition | None:
    """Sequential covering (see the module docstring); None when some falling-back samples cannot be
    told apart from running ones by any test or pair of tests."""
    fell = [sample for sample in samples if sample.fell_back]
    ran = [sample for sample in samples if not sample.fell_back]
    pure = [(test,) for test in tests if not any(test.holds(sample) for sample in ran)]
    if len(tests) <= 60:
        pure += [pair for pair in itertools.combinations(tests, 2) if pair[0].parameter != pair[1].parameter
                 and not any(all(test.holds(sample) for test in pair) for sample in ran)]
    left = list(fell)
    clauses: list[tuple[Test, ...]] = []
    certain, alternatives, doubtful = True, [], set()
    while left:
        scored = [(clause, [s for s in left if all(test.holds(s) for test in clause)]) for clause in pure]
        scored = [(clause, covered) for clause, covered in scored if covered]
        if not scored:
            return None
        best_clause, covered = max(scored, key=lambda item: _rank(item[0], item[1]))
        ties = [clause for clause, others in scored if len(others) == len(covered) and len(clause) == len(best_clause)
                and {t.parameter for t in clause} != {t.parameter for t in best_clause}
                and _relevance(clause, others) == _relevance(best_clause, covered)]
        alternatives += ties  # equally decisive by the runtime's ablation too: each alone falls back
        clauses.append(best_clause)
        sure = all(test.visible for test in best_clause) and _confirmed(best_clause, covered)
        if ties and not all(_sufficient(clause, covered) for clause in (best_clause, *ties)):
            sure = False
            doubtful |= set(ties)
        if not sure:
            doubtful.add(best_clause)
        certain = certain and sure
        covered_ids = {id(s) for s in covered}
        left = [sample for sample in left if id(sample) not in covered_ids]
    return Condition(clauses, certain, alternatives, doubtful)


def _rank(clause: tuple[Test, ...], covered: list[Sample]) -> tuple:
    return (len(covered), _relevance(clause, covered), all(t.visible for t in clause), -len(clause), _preference(clause))


def _relevance(clause: tuple[Test, ...], covered: list[Sample]) -> int:
    """How many covered samples the runtime's ablation says this clause's keywords decide."""
    names = {test.parameter for test in clause}
    return sum(1 for sample in covered if names & (sample.needed | sample.enough))


def _confirmed(clause: tuple[Test, ...], covered: list[Sample]) -> bool:
    """A switch (a string, bool or None value, a default changed, an argument given) is taken as
    read; a numeric value or bound learnt from a few samples may stand for a shape (an adaptive
    pool's output size falls back when it does not divide the input), so it counts as certain
    only when the runtime's ablation names that argument as deciding."""
    for test in clause:
        if test.kind in ("given", "not_equals", "grad", "dtype") or (test.kind == "equals" and _switch_value(test.value)):
            continue
        if not any(test.parameter in (sample.needed | sample.enough) for sample in covered):
            return False
    return True


def _switch_value(value: Any) -> bool:
    return value is None or isinstance(value, (str, bool))


def _sufficient(clause: tuple[Test, ...], covered: list[Sample]) -> bool:
    names = {test.parameter for test in clause}
    return bool(covered) and all(names <= sample.enough for sample in covered)


def _preference(clause: tuple[Test, ...]) -> int:
    """Among tests covering the same samples: a default changed, then given, a value, a bound."""
    order = {"not_equals": 4, "given": 3, "grad": 3, "equals": 2, "above": 1, "dtype": 1, "rank": 0}
    return sum(order[test.kind] for test in clause)


# --- entries -----------------------------------------------------------------------------------


def verdict(group: Group, label) -> tuple[str, Condition | None]:
    """("always" | "never" | "conditional" | "unseparated" | "errors", condition). A label of None
    leaves the sample out (it reached an overload the TorchTPU table does not list)."""
    group = Group(group.call, group.form, group.aliases, group.parameters,
                  [sample for sample in group.samples if label(sample) is not None])
    labels = [label(sample) for sample in group.samples]
    if not labels:
        return "errors", None
    if all(labels):
        return "always", None
    if not any(labels):
        return "never", None
    relabelled = [Sample(s.values, s.input_rank, label(s), s.counters, s.aten, s.needed, s.enough) for s in group.samples]
    condition = learn(relabelled, candidate_tests(group))
    return ("conditional", condition) if condition is not None else ("unseparated", None)


def when_of(condition: Condition, group: Group) -> dict[str, Any]:
    """The machine form the checker reads (tpulint.checkers.non_xla_op._holds)."""
    clauses = []
    for clause in condition.clauses + condition.alternatives:
        found = _clause(clause, group)
        if len(condition.clauses) + len(condition.alternatives) > 1:
            # Which clause holds is what a message names (`with mode='mean'`), and how sure it is.
            found = {**found, "text": " and ".join(test.describe() for test in clause),
                     **({"certain": False} if clause in condition.doubtful else {})}
        if found not in clauses:
            clauses.append(found)
    return clauses[0] if len(clauses) == 1 else {"any": clauses}


def _clause(clause: tuple[Test, ...], group: Group) -> dict[str, Any]:
    parts = [_test(test, group) for test in clause]
    return parts[0] if len(parts) == 1 else {"all": parts}


def _test(test: Test, group: Group) -> dict[str, Any]:
    if test.kind == "rank":
        return {"argument": "input", "position": 0, "rank": test.value}
    if test.kind == "grad":
        return {"gradients": True}
    if test.kind == "dtype":
        return {"dtype": test.value}
    names = [parameter["name"] for parameter in group.parameters if not parameter.get("keyword_only")]
    found: dict[str, Any] = {"argument": test.parameter}
    if test.parameter in names:
        found["position"] = names.index(test.parameter)
    default = next((p["default"] for p in group.parameters if p["name"] == test.parameter and "default" in p), ABSENT)
    if default is not ABSENT and default is not None and not isinstance(default, dict):
        found["default"] = default
    # TOML has no null: a test of None is one of presence.
    if test.kind == "given" or (test.kind == "not_equals" and test.value is None):
        found["given"] = True
    elif test.kind == "equals" and test.value is None:
        found["given"] = False
    elif test.kind == "equals":
        found["equals"] = [_plain(test.value)]
    elif test.kind == "not_equals":
        found["not_equals"] = [_plain(test.value)]
    else:
        found["above"] = test.value
    return found


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def xla_entries(group: Group) -> list[dict[str, Any]]:
    if group.factory and not group.samples:
        return []  # not measured on XLA here (the hand probes measure factories with the XLA device)
    kind, condition = verdict(group, lambda sample: sample.fell_back)
    counters = sorted({c for sample in group.samples if sample.fell_back for c in sample.counters})
    base = {"call": group.call, "aliases": sorted(group.aliases - {group.call}), "form": group.form,
            "source": f"op_db: {len(group.samples)} samples ran, {sum(s.fell_back for s in group.samples)} fell back, {group.errors} errors"}
    if kind == "errors":
        return [{**base, "condition": "", "falls_back": False, "counters": [], "error": True}]
    if kind == "never":
        return [{**base, "condition": "", "falls_back": False, "counters": [], "example": _example(group, False)}]
    falling = _example(group, True)
    if kind == "always":
        return [{**base, "condition": "", "falls_back": True, "counters": counters, "example": falling}]
    running = _example(group, False)
    if kind == "unseparated":
        return [{**base, "condition": "on some inputs (the samples' arguments do not tell which)", "falls_back": True,
                 "counters": counters, "certain": False, "example": falling},
                {**base, "condition": "on other inputs", "falls_back": False, "counters": []}]
    text = condition.describe()
    when = when_of(condition, group)
    return [{**base, "condition": text, "falls_back": True, "counters": counters, "when": when,
             "certain": condition.certain, "example": _example(group, True, condition)},
            {**base, "condition": f"not {text}", "falls_back": False, "counters": [], "example": running}]


def _example(group: Group, fell_back: bool, condition: Condition | None = None) -> str | None:
    """A measured call of the group with that outcome, and (for a condition) one its visible
    tests decide: the shortest, so that a reader sees the switch."""
    found = [sample.example for sample in group.samples if sample.example and sample.fell_back == fell_back
             and (condition is None or any(all(t.visible and t.kind != "grad" and t.holds(sample) for t in clause)
                                           for clause in condition.clauses))]
    return min(found, key=lambda text: (len(text), text)) if found else None


# --- module forms: nn classes whose forward runs one functional op ------------------------------


def module_entries(form: dict, entries: list[dict], defaults: dict[str, Any]) -> list[dict]:
    """The functional op's entries restated for the class: its constructor's arguments replace the
    op's (nn.Upsample(mode=...) for F.interpolate(mode=...)); a test on an argument forward passes
    (EmbeddingBag's offsets) cannot be read from the constructor and makes the entry uncertain."""
    parameters = [p for p in form["parameters"] or [] if p]
    found = []
    for entry in entries:
        if not entry["falls_back"]:
            continue
        when = entry.get("when")
        restated = _restate(when, form["arguments"], parameters, defaults) if when else True
        if restated is False:
            continue
        module = {**entry, "call": form["class"], "aliases": [], "form": "module",
                  "source": f"forward calls {form['calls']} ({entry.get('source', 'hand probe')})"}
        module.pop("when", None)
        if restated is True and entry.get("when"):  # holds for every constructor call
            module.update(condition="")
            module.pop("certain", None)
        if isinstance(restated, dict):
            module["when"] = restated
            if _has_forward_test(restated):
                module["certain"] = False
        found.append(module)
    return found


def _restate(when: dict, arguments: dict, parameters: list[dict], defaults: dict) -> dict | bool:
    """A `when` on the op's parameters as one on the constructor's: a dict, True (always holds) or
    False (never holds: the class passes a constant the test rejects)."""
    if "any" in when or "all" in when:
        key = "any" if "any" in when else "all"
        parts = [_restate(part, arguments, parameters, defaults) for part in when[key]]
        if key == "any":
            if any(part is True for part in parts):
                return True
            parts = [part for part in parts if part is not False]
            return (parts[0] if len(parts) == 1 else {"any": parts}) if parts else False
        if any(part is False for part in parts):
            return False
        parts = [part for part in parts if part is not True]
        return (parts[0] if len(parts) == 1 else {"all": parts}) if parts else True
    if "gradients" in when:
        return True  # a layer's weights are parameters: they require gradients
    if "argument" not in when:
        return when
    source = arguments.get(when["argument"])
    if source is None:  # forward leaves it at the op's default
        return _constant_holds(when, defaults[when["argument"]]) if when["argument"] in defaults else {**when, "forward": True}
    if "constant" in source:
        return _constant_holds(when, source["constant"])
    if "forward" in source:
        return {**when, "argument": source["forward"], "forward": True}
    name = source["constructor"]
    names = [p["name"] for p in parameters if not p.get("keyword_only")]
    restated = {key: value for key, value in when.items() if key not in ("argument", "position", "default")}
    restated["argument"] = name
    if name in names:
        restated["position"] = names.index(name)
    default = next((p["default"] for p in parameters if p["name"] == name and "default" in p), ABSENT)
    if default is not ABSENT and default is not None and not isinstance(default, dict):
        restated["default"] = default
    return restated


def _constant_holds(when: dict, value: Any) -> bool:
    if "equals" in when:
        return value in when["equals"]
    if "not_equals" in when:
        return value not in when["not_equals"]
    if "above" in when:
        return isinstance(value, (int, float)) and value > when["above"]
    if "given" in when:
        return value is not None
    return True


def _has_forward_test(when: dict) -> bool:
    parts = when.get("any") or when.get("all")
    return any(_has_forward_test(part) for part in parts) if parts else bool(when.get("forward") or "rank" in when)


# --- TorchTPU: an overload without a kernel is an error -----------------------------------------


def tpu_entries(group: Group, classes: dict[str, str]) -> list[dict]:
    """The group's samples against TorchTPU's dispatch table: a sample errors when an overload it
    reaches (on the CPU, after CompositeImplicit decompositions) has only the error fallback."""
    traced = [sample for sample in group.samples if sample.aten]
    if not traced:
        return []
    unknown = sorted({name for s in traced if _no_kernel(s, classes) is None for name in s.aten
                      if classes.get(name) not in NO_KERNEL | KERNEL or any(mark in name for mark in CPU_ONLY_MARKS)})
    traced_group = Group(group.call, group.form, group.aliases, group.parameters, traced)
    kind, condition = verdict(traced_group, lambda sample: _no_kernel(sample, classes))
    missing = sorted({name for s in traced for name in s.aten if classes.get(name) in NO_KERNEL})
    base = {"call": group.call, "aliases": sorted(group.aliases - {group.call}), "form": group.form,
            "source": f"op_db trace: {len(traced)} samples"}
    if unknown:
        base["unknown"] = unknown  # overloads the table of torch 2.13 does not list
    if kind == "errors":
        return [{**base, "condition": "", "no_kernel": False, "overloads": [], "undecided": True}] if unknown else []
    if kind == "never":
        return [{**base, "condition": "", "no_kernel": False, "overloads": []}]
    if kind == "always":
        return [{**base, "condition": "", "no_kernel": True, "overloads": missing}]
    if kind == "unseparated":
        return [{**base, "condition": "on some inputs (the samples' arguments do not tell which)", "no_kernel": True,
                 "overloads": missing, "certain": False}]
    text = condition.describe()
    return [{**base, "condition": text, "no_kernel": True, "overloads": missing, "when": when_of(condition, group),
             "certain": condition.certain},
            {**base, "condition": f"not {text}", "no_kernel": False, "overloads": []}]


CPU_ONLY_MARKS = ("_for_cpu", "mkldnn", "_cpu_")


def _no_kernel(sample: Sample, classes: dict[str, str]) -> bool | None:
    """True: it reaches an overload without kernel; False: all it reaches run; None: unknown. An
    overload the CPU backend chose for itself (SDPA's `_scaled_dot_product_flash_attention_for_cpu`,
    mkldnn ops) says nothing of what TorchTPU's dispatch picks: unknown."""
    if any(mark in name for name in sample.aten for mark in CPU_ONLY_MARKS):
        return None
    found = {classes.get(name) for name in sample.aten}
    if found & NO_KERNEL:
        return True
    return False if found <= KERNEL else None


# --- the tables ---------------------------------------------------------------------------------


@dataclass
class Tables:
    xla: list[dict]
    tpu: list[dict]
    xla_provenance: dict
    tpu_provenance: dict
    disagreements: list[str]


def build(measured: Path = MEASURED) -> Tables:
    """Everything build.py writes, computed from the committed measurements (deterministic)."""
    provenance, records = read_raw(measured / f"opdb-torch_xla-{XLA_VERSION}.jsonl.gz")
    second = measured / f"opdb-torch_xla-{XLA_VERSION}-bfloat16.jsonl.gz"
    if second.exists():
        bfloat16, more = read_raw(second)
        records += [record for record in more if record["record"] == "sample"]
        provenance = {**provenance, "bfloat16_pass": {key: bfloat16[key] for key in ("date", "cap", "dtype")}}
    probes = _read_toml(measured / f"torch_xla-{XLA_VERSION}-probes.toml")
    dispatch = json.loads((measured / "torchtpu-0.2.0-dispatch.json").read_text(encoding="utf-8"))
    groups, forms = groups_of(records)
    with (measured.parent.parent / "dynamic_shape.toml").open("rb") as handle:
        data_dependent = set(tomllib.load(handle)["dynamic_ops"])
    hand = [{**entry, "source": "hand probe"} for entry in probes["op"]]
    hand_calls = {entry["call"] for entry in hand} | {alias for entry in hand for alias in entry.get("aliases", ())}
    xla, disagreements = list(hand), []
    translated = {form["class"]: form for form in forms if form["calls"] in hand_calls}
    for call, group in sorted(groups.items()):
        if call in translated:
            continue  # a layer of a hand-probed op: restated from those probes below
        entries = xla_entries(group)
        if call.rsplit(".", 1)[-1] in data_dependent:
            # The dynamic-shape family's data-dependent-shape rule reports these (one edit).
            entries = [{**entry, "reported_by": "data-dependent-shape"} for entry in entries]
        covered = ({call} | group.aliases) & hand_calls
        if not covered:
            xla += entries
            continue
        _alias_hand_entries(hand, group, covered)
        probed = [e for e in hand if e["call"] in covered]
        note = _disagreement(call, entries, probed)
        if note:
            disagreements.append(note)
        if not any(e["falls_back"] for e in probed):
            # The hand probes found no fallback; the op database did (F.embedding_bag's modes).
            xla += [entry for entry in entries if entry["falls_back"]]
    by_call: dict[str, list[dict]] = defaultdict(list)
    for entry in xla:
        for name in (entry["call"], *entry.get("aliases", ())):
            by_call[name].append(entry)
    for form in forms:
        if (form["class"] in translated or form["class"] not in groups) and form["calls"] in by_call:
            op = groups.get(form["calls"])
            defaults = {p["name"]: p["default"] for p in (op.parameters if op else []) if "default" in p}
            xla += module_entries(form, by_call[form["calls"]], defaults)
    classes = resolve_delegates(dispatch["classification"])
    tpu = [entry for _, group in sorted(groups.items()) for entry in tpu_entries(group, classes)]
    tpu += tpu_probe_entries(hand, classes, tpu)
    counts = _counts(groups, provenance)
    return Tables(xla, tpu, {**probes["provenance"], **counts, "op_db_run": provenance},
                  {**dispatch["provenance"], "traced_with": f"torch {provenance['torch']} (op_db samples on the CPU)",
                   "derived": "a structured overload with no named delegate, or an explicit composite, whose op's "
                              "TorchTPU registrations are all the error fallback raises too (build.py resolve_delegates)"},
                  disagreements)


def tpu_probe_entries(hand: list[dict], classes: dict[str, str], traced: list[dict]) -> list[dict]:
    """The hand probes' fallbacks that TorchTPU has no kernel for either: a probe recorded the
    aten overloads its call reached on torch_xla (after the decompositions every backend shares);
    when one of them reaches TorchTPU's error fallback, the call raises there, under the probe's
    condition (`torch.poisson`, `triu_indices`, `interpolate(antialias=True)`, which the op
    database's samples do not reach). An overload the op-database trace already finds a call
    raising on is left to it."""
    raising = {(entry["call"], name) for entry in traced if entry["no_kernel"] for name in entry["overloads"]}
    always = {entry["call"] for entry in traced if entry["no_kernel"] and not entry["condition"]}
    entries = []
    for probe in hand:
        missing = sorted(name for name in probe.get("counters", ()) if classes.get(name) in NO_KERNEL)
        if (not probe.get("falls_back") or not missing or probe["call"] in always
                or all((probe["call"], name) in raising for name in missing)):
            continue
        entry = {"call": probe["call"], "aliases": sorted(probe.get("aliases", ())), "form": probe.get("form", "call"),
                 "condition": probe["condition"], "no_kernel": True, "overloads": missing,
                 "source": "torch_xla hand probe's aten overloads, against TorchTPU's dispatch table"}
        if "when" in probe:
            entry["when"] = probe["when"]
        if "certain" in probe:
            entry["certain"] = probe["certain"]
        entries.append(entry)
    return entries


def resolve_delegates(classes: dict[str, str]) -> dict[str, str]:
    """The dispatch table with the overloads it leaves open decided from their siblings: a
    structured overload whose delegate the table could not name (`linalg_cholesky_ex`, delegate
    `linalg_cholesky_ex.L`) and an explicit composite (`kthvalue`, which calls `kthvalue.values`)
    reach one of the same op's overloads that TorchTPU registers. When every sibling TorchTPU
    registers anything for is its error fallback, the overload raises too:
    "derived->fallback_error" (landscape-2026-11.md lists kthvalue "via .values"). Any other
    overload keeps its class."""
    registered: dict[str, set[str]] = defaultdict(set)
    for name, kind in classes.items():
        if kind in ("tpu_kernel", "tpu_fallback_error"):
            registered[name.partition(".")[0]].add(kind)
    resolved = dict(classes)
    for name, kind in classes.items():
        if kind in ("structured->?", "composite_explicit") and registered.get(name.partition(".")[0]) == {"tpu_fallback_error"}:
            resolved[name] = "derived->fallback_error"
    return resolved


def _alias_hand_entries(hand: list[dict], group: Group, covered: set[str]) -> None:
    """The op database's other spellings of a hand-probed call (Tensor.addmm_, torch.special.x)
    join the hand entries, unless a hand entry names that spelling itself."""
    own = {entry["call"] for entry in hand}
    extra = sorted(({group.call} | group.aliases) - own - covered)
    for entry in hand:
        if entry["call"] in covered and extra and entry["call"].startswith("torch."):
            entry["aliases"] = sorted(set(entry.get("aliases", ())) | set(extra))


def _disagreement(call: str, entries: list[dict], hand: list[dict]) -> str | None:
    """A line when the op database's verdict on a hand-probed call differs from the probes'."""
    def summary(found: list[dict]) -> str:
        falling = [e for e in found if e["falls_back"]]
        if not falling:
            return "runs on XLA"
        if any(not e["condition"] for e in falling):
            return "always falls back"
        return "falls back when " + " / ".join(e["condition"] for e in falling)
    mine, theirs = summary(entries), summary(hand)
    if mine == theirs:
        return None
    return f"{call}: op_db {mine}; hand probes {theirs}"


def _counts(groups: dict[str, Group], provenance: dict) -> dict[str, int]:
    kinds = defaultdict(int)
    for group in groups.values():
        kinds["factory" if group.factory and not group.samples else verdict(group, lambda s: s.fell_back)[0]] += 1
    return {"calls_from_op_db": len(groups), "lowered": kinds["never"], "falls_back": kinds["always"],
            "conditional": kinds["conditional"], "unseparated": kinds["unseparated"], "errors": kinds["errors"],
            "factories_not_measured": kinds["factory"],
            "samples": sum(len(g.samples) for g in groups.values())}


def _read_toml(path: Path) -> dict:
    with path.open("rb") as handle:
        return tomllib.load(handle)


# --- output -------------------------------------------------------------------------------------

HEADER = "# Generated by rules/ops/build.py from rules/ops/measured/; do not edit by hand.\n"
XLA_COLUMNS = ("call", "aliases", "form", "condition", "falls_back", "counters", "host_read", "when", "certain",
               "alternative", "listed_in_yaml_yet_falls_back", "error", "reported_by", "example", "source")
TPU_COLUMNS = ("call", "aliases", "form", "condition", "no_kernel", "overloads", "when", "certain", "unknown", "undecided",
               "source")


def table_data(tables: Tables) -> dict[str, dict]:
    """{file name: TOML document} for the op tables (what the catalog loads)."""
    def ordered(entry: dict, columns: tuple[str, ...]) -> dict:
        return {key: entry[key] for key in columns if key in entry and entry[key] not in (None, [])
                or key in ("counters", "overloads") and key in entry}
    return {
        f"torch_xla-{XLA_VERSION}.toml": {"provenance": tables.xla_provenance,
                                         "op": [ordered(e, XLA_COLUMNS) for e in tables.xla]},
        f"torchtpu-{TPU_VERSION}.toml": {"provenance": tables.tpu_provenance,
                                        "op": [ordered(e, TPU_COLUMNS) for e in tables.tpu]},
    }


def render_docs(tables: Tables) -> str:
    """docs/ops.md: one row per call, what each runtime does with it."""
    xla, tpu = _by_call(tables.xla), _by_call(tables.tpu)
    rows = ["| Call | PyTorch/XLA 2.9 | TorchTPU 0.2 | Instead |", "|---|---|---|---|"]
    for call in sorted(set(xla) | set(tpu)):
        entries = xla.get(call, [])
        aliases = sorted({a for e in entries + tpu.get(call, []) for a in e.get("aliases", ())})
        name = f"`{call}`" + (f" ({', '.join(f'`{a}`' for a in aliases[:4])})" if aliases else "")
        alternative = next((e["alternative"] for e in entries if e.get("alternative")), "")
        rows.append(f"| {name} | {_xla_cell(entries)} | {_tpu_cell(tpu.get(call, []))} | {alternative} |")
    counts = tables.xla_provenance
    lines = [
        "# Op compatibility: PyTorch/XLA 2.9 and TorchTPU 0.2",
        "",
        "Generated by `rules/ops/build.py` from the measurements in `rules/ops/measured/`; do not edit by hand",
        "(`tests/test_ops_data.py` fails when this page is stale). What the `cpu-fallback-op` rule reads.",
        "",
        f"- **PyTorch/XLA {tables.xla_provenance['torch_xla']}**: every OpInfo and ModuleInfo of PyTorch's op database "
        f"(torch {tables.xla_provenance['op_db_run']['torch']}: {tables.xla_provenance['op_db_run']['op_db']} OpInfos, "
        f"{tables.xla_provenance['op_db_run']['module_db']} ModuleInfos, up to {tables.xla_provenance['op_db_run']['cap']} "
        f"samples each) run on XLA tensors (PJRT CPU), plus {tables.xla_provenance['probes']} hand probes (torchvision ops, "
        f"conditions found by hand). Public calls from the op database: {counts['calls_from_op_db']}; lowered "
        f"{counts['lowered']}, falls back {counts['falls_back']}, falls back on some arguments {counts['conditional']}, "
        f"on some inputs the arguments do not tell apart {counts['unseparated']}, every sample raised {counts['errors']}; "
        f"{counts['factories_not_measured']} factories (no tensor argument: op_db runs them with device='cpu') are "
        "left to the hand probes.",
        f"- **TorchTPU {tables.tpu_provenance['torch_tpu']}**: the aten overloads each sample reaches on the CPU "
        "(after CompositeImplicit decompositions), read against TorchTPU's dispatch table "
        f"({tables.tpu_provenance['torch']}): an overload whose only PrivateUse1 entry is the boxed fallback raises "
        "'not implemented for TPU' (an error, not a slow path). Composite overloads count as running (they "
        "decompose into others); overloads the table does not list are shown as unknown.",
        "",
    ]
    if tables.disagreements:
        lines += ["## Where the op database and the hand probes disagree", "",
                  *(f"- {line}" for line in tables.disagreements), ""]
    return "\n".join(lines + ["## Table", "", *rows, ""])


def _by_call(entries: list[dict]) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = defaultdict(list)
    for entry in entries:
        found[entry["call"]].append(entry)
    return found


def _xla_cell(entries: list[dict]) -> str:
    if not entries:
        return ""
    falling = [e for e in entries if e["falls_back"]]
    if falling and all(e.get("reported_by") for e in falling):
        return f"falls back: its output's shape depends on the data (rule `{falling[0]['reported_by']}`)"
    if any(not e["condition"] for e in falling):
        return "falls back (" + ", ".join(sorted({c for e in falling for c in e["counters"]})) + ")"
    if falling:
        return "falls back when " + "; ".join(e["condition"] + ("" if e.get("certain", True) else " (uncertain)")
                                              for e in falling)
    return "errors on every sample" if all(e.get("error") for e in entries) else "lowered"


def _tpu_cell(entries: list[dict]) -> str:
    if not entries:
        return ""
    missing = [e for e in entries if e["no_kernel"]]
    unknown = sorted({u for e in entries for u in e.get("unknown", ())})
    suffix = f"; unknown: {', '.join(unknown[:3])}" if unknown else ""
    if entries and all(e.get("undecided") for e in entries):
        return "unknown: " + ", ".join(unknown[:3])
    if any(not e["condition"] for e in missing):
        return "error: no kernel for " + ", ".join(sorted({o for e in missing for o in e["overloads"]})[:4]) + suffix
    if missing:
        return "error when " + "; ".join(e["condition"] for e in missing) + suffix
    return "kernel" + suffix


def main() -> int:
    import tomli_w

    tables = build()
    for name, document in table_data(tables).items():
        (OPS / name).write_text(HEADER + tomli_w.dumps(document), encoding="utf-8")
    DOCS.write_text(render_docs(tables), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
