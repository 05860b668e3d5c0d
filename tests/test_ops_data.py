"""The generated op data (rules/ops/, which the non-xla-op family's cpu-fallback-op rule reads) is
well formed and says what it measured; and the functional tests exercise every entry: each
reportable fallback by a pinned message, each lowered look-alike and each lowered side of a
condition by a call that must stay silent."""

from __future__ import annotations

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


def _data(version: str = "2.9") -> dict:
    with (OPS / f"torch_xla-{version}.toml").open("rb") as handle:
        return tomllib.load(handle)


def _reportable(op: dict) -> bool:
    """What the checker reports: a fallback that always happens, or whose condition it can read."""
    return op["falls_back"] and (not op["condition"] or "when" in op)


def test_provenance_is_recorded():
    provenance = _data()["provenance"]
    assert provenance["torch_xla"].startswith("2.9")
    assert provenance["torch"].startswith("2.9")
    assert provenance["torchvision"].startswith("0.24")  # the release built against torch 2.9
    assert provenance["date"] and "met.executed_fallback_ops" in provenance["method"]
    assert provenance["probes"] == len(_data()["op"])


def test_every_entry_is_complete_and_consistent():
    for op in _data()["op"]:
        assert op["call"].startswith(("torch.", "torchvision.ops.")), op
        missing_lowerings = [counter for counter in op["counters"] if counter != HOST_READ]
        assert op["falls_back"] == bool(missing_lowerings), op
        assert all(counter.startswith(COUNTER_NAMESPACES) for counter in op["counters"]), op
        assert op["host_read"] == (HOST_READ in op["counters"]), op
        assert "error" not in op, f"a probe failed to run: {op}"
        # Only aten ops are compared with the lowering yaml, which lists aten ops only.
        assert all(f"aten::{name}" in op["counters"] for name in op["listed_in_yaml_yet_falls_back"]), op
        short = op["call"].rsplit(".", 1)[-1]
        for alias in op.get("aliases", []):
            assert alias.startswith("torchvision.ops.") and alias.endswith(f".{short}") and alias != op["call"], op


def test_conditional_fallbacks_are_measured_on_both_sides():
    by_call: dict[str, set[bool]] = {}
    for op in _data()["op"]:
        if op["condition"]:
            by_call.setdefault(op["call"], set()).add(op["falls_back"])
    for call in ("torch.multinomial", "torch.nn.functional.interpolate", "torch.nn.functional.adaptive_avg_pool2d",
                 "torch.nn.functional.max_pool2d", "torch.addmm", "torch.Tensor.uniform_", "torch.Tensor.scatter_reduce"):
        assert by_call[call] == {True, False}, call
    # Every argument condition the checker reads has its other side measured too.
    for op in _data()["op"]:
        if "when" in op:
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
    for op in _data()["op"]:
        if not _reportable(op):
            continue
        counters = ", ".join(counter for counter in op["counters"] if counter != HOST_READ)
        condition = f" with {op['condition']}" if op["condition"] else ""
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
    for op in _data()["op"]:
        by_call.setdefault(op["call"], []).append(op)
    missing = []
    for call, entries in by_call.items():
        always = any(op["falls_back"] and not op["condition"] for op in entries)
        if always or all(_reportable(op) for op in entries):
            continue
        if not any(_calls(call).search(line) for line in unmarked):
            missing.append(call)
    assert not missing, f"no silent functional case for: {missing}"
    # And each of those marked lines does call something measured (no stray marks).
    measured = [_calls(call) for call in by_call]
    assert all(any(pattern.search(line) for pattern in measured) for line in marked)


def test_several_versions_load_side_by_side_and_the_newest_is_the_default(tmp_path):
    """Op data is per torch_xla version (rules/ops/torch_xla-<version>.toml); versions compare
    as numbers (2.10 is newer than 2.9), and each keeps its own measurements."""
    import shutil

    from tpulint.catalog import load_catalog

    rules = tmp_path / "rules"
    shutil.copytree(OPS.parent, rules)
    text = (rules / "ops" / "torch_xla-2.9.toml").read_text(encoding="utf-8")
    newer = text.replace('call = "torch.median"\ncondition = ""\nfalls_back = true\ncounters = ["aten::median"]',
                         'call = "torch.median"\ncondition = ""\nfalls_back = false\ncounters = []', 1)
    assert newer != text
    (rules / "ops" / "torch_xla-2.10.toml").write_text(newer.replace('torch_xla = "2.9.0"', 'torch_xla = "2.10.0"'), encoding="utf-8")
    catalog = load_catalog(rules)
    assert sorted(catalog.ops) == ["2.10", "2.9"] and catalog.newest_torch_xla == "2.10"
    median = {version: next(op for op in catalog.ops[version] if op.call == "torch.median") for version in catalog.ops}
    assert median["2.9"].falls_back and not median["2.10"].falls_back
    assert catalog.ops_provenance["2.10"]["torch_xla"] == "2.10.0"
