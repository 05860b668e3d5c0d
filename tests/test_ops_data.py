"""The generated op data (rules/ops/, which the non-xla-op family's cpu-fallback-op rule reads) is
well formed and says what it measured; and the functional tests exercise every entry: each
reportable fallback by a pinned message, each lowered look-alike and each lowered side of a
condition by a call that must stay silent."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

OPS = Path(__file__).resolve().parent.parent / "rules" / "ops"
FUNCTIONAL = Path(__file__).resolve().parent / "functional" / "non_xla_op"
HOST_READ = "aten::_local_scalar_dense"
MARK = "# [cpu-fallback-op]"
# The namespaces of the fallback counters: aten ops, and torchvision's custom ops.
COUNTER_NAMESPACES = ("aten::", "torchvision::")


def _data(version: str = "2.9", runtime: str = "torch_xla") -> dict:
    with (OPS / f"{runtime}-{version}.toml").open("rb") as handle:
        return tomllib.load(handle)


def _hand(version: str = "2.9") -> list[dict]:
    """The hand probes' entries (rules/ops/generate.py); the rest come from the op database."""
    return [op for op in _data(version)["op"] if op["source"] == "hand probe"]


def _reportable(op: dict) -> bool:
    """What the checker reports: a fallback that always happens, or whose condition it can read."""
    return op["falls_back"] and (not op["condition"] or "when" in op)


def test_provenance_is_recorded():
    provenance = _data()["provenance"]
    assert provenance["torch_xla"].startswith("2.9")
    assert provenance["torch"].startswith("2.9")
    assert provenance["torchvision"].startswith("0.24")  # the release built against torch 2.9
    assert provenance["date"] and "met.executed_fallback_ops" in provenance["method"]
    assert provenance["probes"] == len(_hand())
    run = provenance["op_db_run"]
    assert run["op_db"] > 600 and run["module_db"] > 100 and run["torch_xla"].startswith("2.9")
    assert provenance["calls_from_op_db"] == (provenance["lowered"] + provenance["falls_back"] + provenance["conditional"]
                                              + provenance["unseparated"] + provenance["errors"]
                                              + provenance["factories_not_measured"])


def test_every_entry_is_complete_and_consistent():
    for op in _data()["op"]:
        assert op["call"].startswith(("torch.", "torchvision.ops.")), op
        missing_lowerings = [counter for counter in op["counters"] if counter != HOST_READ]
        assert op["falls_back"] == bool(missing_lowerings), op
        assert all(counter.startswith(COUNTER_NAMESPACES) for counter in op["counters"]), op
        if op["source"] != "hand probe":
            assert not (op.get("error") and op["falls_back"]), op  # a call no sample could run is not reported
            continue
        assert op["host_read"] == (HOST_READ in op["counters"]), op
        assert "error" not in op, f"a probe failed to run: {op}"
        # Only aten ops are compared with the lowering yaml, which lists aten ops only.
        assert all(f"aten::{name}" in op["counters"] for name in op.get("listed_in_yaml_yet_falls_back", [])), op
        short = op["call"].rsplit(".", 1)[-1]
        for alias in op.get("aliases", []):
            assert alias != op["call"], op
            if op["call"].startswith("torchvision."):  # another import path of the same function
                assert alias.startswith("torchvision.ops.") and alias.endswith(f".{short}"), op
            else:  # the op database's other spellings: Tensor methods, in-place forms, torch.special.x
                assert alias.startswith("torch."), op


def test_conditional_fallbacks_are_measured_on_both_sides():
    by_call: dict[str, set[bool]] = {}
    for op in _data()["op"]:
        if op["condition"]:
            by_call.setdefault(op["call"], set()).add(op["falls_back"])
    for call in ("torch.multinomial", "torch.nn.functional.interpolate", "torch.nn.functional.adaptive_avg_pool2d",
                 "torch.nn.functional.max_pool2d", "torch.addmm", "torch.Tensor.uniform_", "torch.Tensor.scatter_reduce"):
        assert by_call[call] == {True, False}, call
    # Every argument condition the checker reads has its other side measured too (a layer's
    # condition is its op's, restated for the constructor).
    for op in _data()["op"]:
        if "when" in op and op.get("form", "call") == "call":
            assert by_call[op["call"]] == {True, False}, op


def test_lowered_look_alikes_are_recorded_as_running_on_xla():
    running = {op["call"] for op in _data()["op"] if not op["falls_back"]}
    assert {"torch.sort", "torch.topk", "torch.cumsum", "torch.einsum", "torch.linalg.eigh", "torch.linalg.svd",
            "torch.nn.functional.scaled_dot_product_attention", "torch.Tensor.masked_fill"} <= running
    assert {"torchvision.ops.box_iou", "torchvision.ops.generalized_box_iou", "torchvision.ops.box_area",
            "torchvision.ops.sigmoid_focal_loss"} <= running


def test_torchvision_ops_are_measured():
    """torchvision's C++ ops fall back with a torchvision:: counter (none raises); its box losses and
    masks_to_boxes index with a boolean mask (aten::nonzero); its box arithmetic runs on XLA."""
    ops = {op["call"]: op for op in _data()["op"] if op["call"].startswith("torchvision.") and not op["condition"]}
    for name in ("nms", "roi_align", "roi_pool", "ps_roi_align", "ps_roi_pool", "deform_conv2d"):
        assert ops[f"torchvision.ops.{name}"]["counters"] == [f"torchvision::{name}"], name
    assert ops["torchvision.ops.batched_nms"]["counters"] == ["torchvision::nms"]
    for name in ("masks_to_boxes", "remove_small_boxes", "generalized_box_iou_loss"):
        assert ops[f"torchvision.ops.{name}"]["counters"] == ["aten::nonzero"], name
    assert "torchvision.ops.boxes.nms" in ops["torchvision.ops.nms"]["aliases"]
    assert "torchvision.ops.roi_align.roi_align" in ops["torchvision.ops.roi_align"]["aliases"]


# --- every entry exercised by the functional tests ---------------------------------------------


def _functional_lines() -> tuple[list[str], list[str]]:
    """(marked, unmarked) code lines of tests/functional/non_xla_op/*.py."""
    marked, unmarked = [], []
    for path in sorted(FUNCTIONAL.glob("*.py")):
        for line in path.read_text(encoding="utf-8").splitlines():
            code = line.split("#", 1)[0]
            if code.strip():
                (marked if MARK in line else unmarked).append(code)
    return marked, unmarked


def _pinned_messages() -> list[str]:
    """The cpu-fallback-op messages pinned in tests/functional/non_xla_op/*.txt."""
    return [line.split(":", 5)[5] for path in sorted(FUNCTIONAL.glob("*.txt"))
            for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("cpu-fallback-op:")]


def _calls(name: str) -> re.Pattern[str]:
    """A call of `name` in source: `x.median(` for torch.Tensor.median, `median(` otherwise."""
    short = re.escape(name.rsplit(".", 1)[-1])
    return re.compile(rf"(?<!torch)\.{short}\(" if name.startswith("torch.Tensor.") else rf"\b{short}\(")


def test_every_reportable_fallback_has_a_pinned_positive_case():
    """Each entry the checker reports (condition-free, or with a `when`, with a constant argument)
    appears in a pinned message naming its call, its condition and its counters."""
    messages = _pinned_messages()
    missing = []
    for op in _hand():
        if not _reportable(op):
            continue
        counters = ", ".join(counter for counter in op["counters"] if counter != HOST_READ)
        condition = f" with {op['condition']}" if op["condition"] else ""
        if not op.get("certain", True):  # an adaptive pool's output size against the input's
            condition = f" when {op['condition']} (not decidable from the source alone)"
        tail = f" has no XLA lowering{condition}: it runs on the CPU ({counters})"
        if not any(tail in message and _calls(op["call"]).search(message.split(tail)[0] + "(") for message in messages):
            missing.append(f"{op['call']}{condition}")
    assert not missing, f"no functional case reports: {missing}"


def test_every_lowered_look_alike_and_lowered_side_has_a_silent_case():
    """A call the data says can run on XLA (a look-alike, the lowered side of a condition, a
    shape-dependent fallback the checker cannot see) appears on an unmarked line, where the
    functional test asserts that nothing is reported. Calls that always fall back have none."""
    marked, unmarked = _functional_lines()
    by_call: dict[str, list[dict]] = {}
    for op in _hand():
        by_call.setdefault(op["call"], []).append(op)
    # F.embedding_bag falls back in every mode when its weight requires gradients, which no call
    # shows: the op database's entry reports every call, at least with INFERENCE confidence.
    undecidable = {op["call"] for op in _data()["op"] if op["source"] != "hand probe" and "gradients" in str(op.get("when"))}
    missing = []
    for call, entries in by_call.items():
        always = any(op["falls_back"] and not op["condition"] for op in entries) or call in undecidable
        if always or all(_reportable(op) for op in entries):
            continue
        if not any(_calls(call).search(line) for line in unmarked):
            missing.append(call)
    assert not missing, f"no silent functional case for: {missing}"
    # And each of those marked lines does call something measured (no stray marks).
    # A layer's name may end a subclass's (`class ExactUpsample(nn.Upsample)`).
    measured = [_calls(name) if op.get("form", "call") == "call" else re.compile(re.escape(name.rsplit(".", 1)[-1]) + r"\(")
                for op in _data()["op"] for name in (op["call"], *op.get("aliases", ()))]
    assert all(any(pattern.search(line) for pattern in measured) for line in marked)


def test_several_versions_load_side_by_side_and_the_newest_is_the_default(tmp_path):
    """Op data is per torch_xla version (rules/ops/torch_xla-<version>.toml); versions compare
    as numbers (2.10 is newer than 2.9), and each keeps its own measurements."""
    import shutil

    from tpulint.catalog import load_catalog

    rules = tmp_path / "rules"
    shutil.copytree(OPS.parent, rules)
    import tomli_w

    data = _data()
    median = next(op for op in data["op"] if op["call"] == "torch.median" and not op["condition"])
    median.update(falls_back=False, counters=[])
    data["provenance"]["torch_xla"] = "2.10.0"
    (rules / "ops" / "torch_xla-2.10.toml").write_text(tomli_w.dumps(data), encoding="utf-8")
    catalog = load_catalog(rules)
    assert sorted(catalog.ops) == ["2.10", "2.9"] and catalog.newest_torch_xla == "2.10"
    median = {version: next(op for op in catalog.ops[version] if op.call == "torch.median") for version in catalog.ops}
    assert median["2.9"].falls_back and not median["2.10"].falls_back
    assert catalog.ops_provenance["2.10"]["torch_xla"] == "2.10.0"


# --- the op database's entries (rules/ops/build.py) ---------------------------------------------


def _build():
    sys.path.insert(0, str(OPS))
    try:
        import build
    finally:
        sys.path.remove(str(OPS))
    return build


def test_the_tables_and_docs_ops_md_are_what_build_py_makes_of_the_measurements():
    """rules/ops/build.py is deterministic over rules/ops/measured/: re-run, it must give the
    committed tables and docs/ops.md (regenerate with `python rules/ops/build.py`)."""
    build = _build()
    tables = build.build()
    for name, document in build.table_data(tables).items():
        with (OPS / name).open("rb") as handle:
            assert tomllib.load(handle) == tomllib.loads(build.HEADER + __import__("tomli_w").dumps(document)), \
                f"rules/ops/{name} is stale: run python rules/ops/build.py"
    assert build.DOCS.read_text(encoding="utf-8") == build.render_docs(tables), "docs/ops.md is stale"


STEP_MODULE = '''
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch_xla

device = torch_xla.device()
model = nn.Linear(8, 8).to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)


class Layers(nn.Module):
    def __init__(self):
        super().__init__()
{layers}


def train(loader):
    for batch in loader:
        f5 = model(batch.to(device))
        f0, f1, f2, f3, f4 = f5[0, 0, 0, 0, 0], f5[0, 0, 0, 0], f5[0, 0, 0], f5[0, 0], f5[0]
        i0, i1, i2, i3, i4, i5 = f0.long(), f1.long(), f2.long(), f3.long(), f4.long(), f5.long()
        b0, b1, b2, b3, b4, b5 = f0 > 0, f1 > 0, f2 > 0, f3 > 0, f4 > 0, f5 > 0
{calls}
        f5.sum().backward()
        optimizer.step()
        torch_xla.sync()
'''


def _lint_examples(tmp_path, examples: list[str]) -> tuple[dict[int, list[dict]], list[str]]:
    """Each example on a line of its own, in a step (calls) or a layer's __init__ (nn classes):
    ({line: tpulint's cpu-fallback-op findings there}, the module's lines)."""
    from conftest import run_tpulint

    layers = [e for e in examples if e.startswith("torch.nn.") and e.split("(")[0].count(".") == 2]
    calls = [e for e in examples if e not in layers]
    source = STEP_MODULE.format(layers="\n".join(f"        self.m{n} = {e}" for n, e in enumerate(layers)) or "        pass",
                                calls="\n".join(f"        r{n} = {e}" for n, e in enumerate(calls)))
    (tmp_path / "examples.py").write_text(source, encoding="utf-8")
    code, out, err = run_tpulint("--format", "json", "--families", "non-xla-op", "examples.py", cwd=tmp_path)
    assert code in (0, 1), err
    found: dict[int, list[dict]] = {}
    for finding in json.loads(out)["findings"]:
        if finding["symbol"] == "cpu-fallback-op":
            found.setdefault(finding["line"], []).append(finding)
    lines = source.splitlines()
    return {number: found.get(number, []) for number, line in enumerate(lines, 1)
            if line.strip().startswith(("r", "self.m")) and " = " in line}, lines


def test_every_measured_call_of_the_op_database_is_reported_as_measured(tmp_path):
    """The call op_db measured for each entry, linted in a step: an entry that falls back (always,
    or on a visible switch) is reported on it, with its counters; one that ran on XLA is not."""
    entries = [op for op in _data()["op"] if op["source"] != "hand probe" and op.get("example") and not op.get("reported_by")]
    falling = {op["example"]: op for op in entries if op["falls_back"] and op.get("certain", True)}
    running = {op["example"]: op for op in entries if not op["falls_back"]}
    assert len(falling) > 120 and len(running) > 300
    found, lines = _lint_examples(tmp_path, [*falling, *running])
    missed, alarms = [], []
    for number, findings in found.items():
        example = lines[number - 1].split(" = ", 1)[1]
        if example in falling:
            counters = falling[example]["counters"]
            if not any(all(c in f["message"] for c in counters) for f in findings):
                missed.append(example)
        elif findings:
            alarms.append(f"{example}: {findings[0]['message'][:120]}")
    assert not missed, f"{len(missed)} measured fallbacks not reported: {missed[:20]}"
    assert not alarms, f"{len(alarms)} calls that ran on XLA reported: {alarms[:20]}"


def test_argument_conditions_are_learnt_from_the_samples_that_decide_them():
    """The learner on hand-made samples: one keyword decides; the runtime's ablation tells apart two
    keywords the samples change together; what no argument separates is said to be so."""
    build = _build()

    def sample(fell_back, needed=(), enough=(), **values):
        return build.Sample(values, 2, fell_back, ("aten::x",) if fell_back else (), (), frozenset(needed), frozenset(enough))

    group = build.Group("torch.nn.functional.normalize", "call", parameters=[{"name": "input"}, {"name": "p", "default": 2.0}, {"name": "dim", "default": 1}])
    group.samples = [sample(False, p=2.0, dim=1), sample(False, p=1.0, dim=0), sample(True, needed=["p"], enough=["p"], p=0.0, dim=-1)]
    kind, condition = build.verdict(group, lambda s: s.fell_back)
    assert kind == "conditional" and condition.describe() == "p=0.0" and condition.certain
    assert build.when_of(condition, group) == {"argument": "p", "position": 1, "default": 2.0, "equals": [0.0]}

    group.samples[-1] = sample(True, p=0.0, dim=-1)  # no ablation: p and dim are equally good
    kind, condition = build.verdict(group, lambda s: s.fell_back)
    assert kind == "conditional" and not condition.certain and "any" in build.when_of(condition, group)

    group.samples = [sample(True, mode="x"), sample(False, mode="x")]
    assert build.verdict(group, lambda s: s.fell_back)[0] == "unseparated"


def test_torchtpu_table_marks_calls_without_a_kernel_as_errors():
    """TorchTPU 0.2 raises on an overload without a kernel: its table (from the dispatch table,
    ../shared/research/landscape-2026-11.md) says which calls reach one."""
    data = _data("0.2", "torchtpu")
    assert data["provenance"]["torch_tpu"] == "0.2.0"
    by_call = {op["call"]: op for op in data["op"] if not op["condition"]}
    assert by_call["torch.nn.functional.multi_margin_loss"]["no_kernel"]
    assert "aten::multi_margin_loss" in by_call["torch.nn.functional.multi_margin_loss"]["overloads"]
    assert by_call["torch.Tensor.cauchy_"]["no_kernel"] and not by_call["torch.add"]["no_kernel"]
    assert sum(op["no_kernel"] for op in data["op"]) > 50


def test_the_catalog_reads_each_runtime_s_table_by_runtime_and_version():
    """The checker reads the table of the selected target (tpulint.checkers.non_xla_op); for
    TorchTPU a call without a kernel reads as one that cannot run there."""
    from tpulint.catalog import load_catalog

    tables = load_catalog().op_tables
    assert set(tables) >= {"torch_xla", "torchtpu"} and "2.9" in tables["torch_xla"] and "0.2" in tables["torchtpu"]
    tpu = {entry.call: entry for entry in tables["torchtpu"]["0.2"] if not entry.condition}
    assert tpu["torch.nn.functional.multi_margin_loss"].falls_back
    assert "aten::multi_margin_loss" in tpu["torch.nn.functional.multi_margin_loss"].counters
    layers = [entry for entry in tables["torch_xla"]["2.9"] if entry.form == "module"]
    assert {"torch.nn.Unfold", "torch.nn.Upsample", "torch.nn.EmbeddingBag"} <= {entry.call for entry in layers}
