"""The generated op data (rules/ops/, the groundwork of the non-xla-op family) is well formed and
says what it measured: integrity only; no rule reads it yet."""

from __future__ import annotations

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

OPS = Path(__file__).resolve().parent.parent / "rules" / "ops"


def _data(version: str = "2.9") -> dict:
    with (OPS / f"torch_xla-{version}.toml").open("rb") as handle:
        return tomllib.load(handle)


def test_provenance_is_recorded():
    provenance = _data()["provenance"]
    assert provenance["torch_xla"].startswith("2.9")
    assert provenance["torch"].startswith("2.9")
    assert provenance["date"] and "met.executed_fallback_ops" in provenance["method"]
    assert provenance["probes"] == len(_data()["op"])


def test_every_entry_is_complete_and_consistent():
    for op in _data()["op"]:
        assert op["call"].startswith("torch."), op
        missing_lowerings = [counter for counter in op["counters"] if counter != "aten::_local_scalar_dense"]
        assert op["falls_back"] == bool(missing_lowerings), op
        assert all(counter.startswith("aten::") for counter in op["counters"]), op
        assert "error" not in op, f"a probe failed to run: {op}"


def test_conditional_fallbacks_are_measured_on_both_sides():
    by_call: dict[str, set[bool]] = {}
    for op in _data()["op"]:
        if op["condition"]:
            by_call.setdefault(op["call"], set()).add(op["falls_back"])
    for call in ("torch.multinomial", "torch.nn.functional.interpolate", "torch.nn.functional.adaptive_avg_pool2d",
                 "torch.nn.functional.max_pool2d", "torch.addmm", "torch.Tensor.uniform_", "torch.Tensor.scatter_reduce"):
        assert by_call[call] == {True, False}, call


def test_lowered_look_alikes_are_recorded_as_running_on_xla():
    running = {op["call"] for op in _data()["op"] if not op["falls_back"]}
    assert {"torch.sort", "torch.topk", "torch.cumsum", "torch.einsum", "torch.linalg.eigh", "torch.linalg.svd",
            "torch.nn.functional.scaled_dot_product_attention", "torch.Tensor.masked_fill"} <= running
