"""Runtimes are data: each target's names live in rules/targets/<target>.toml, are validated when
the catalog loads, and are never spelled again in the code that looks for them."""

from __future__ import annotations

import ast
import shutil
from dataclasses import fields
from pathlib import Path

import pytest

from tpulint.catalog import CatalogError, TargetProfile, load_catalog
from tpulint.model import cite

REPO = Path(__file__).resolve().parent.parent
CATALOG = load_catalog()
# The code that recognises runtime calls: resolve, loops, the project view and every checker.
READERS = [REPO / "tpulint" / name for name in ("resolve.py", "loops.py", "view.py")] + sorted(
    (REPO / "tpulint" / "checkers").glob("*.py"))


def _profile_strings(profile: TargetProfile) -> set[str]:
    """Every name a profile holds (a qualified name, a device string, a backend...)."""
    found: set[str] = set()
    for item in fields(profile):
        value = getattr(profile, item.name)
        if item.name in ("target", "read_from", "autocast_dtypes", "autocast_default_dtype", "patched_calls",
                         "availability_checks"):  # torch's words (`.bfloat16()`, torch.compile)
            continue
        found.update(value if isinstance(value, (frozenset, tuple)) else {value})
    return {text for text in found if text}


def _code_strings(path: Path) -> list[tuple[int, str]]:
    """(line, text) of each string constant of the module that is not a docstring."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and (body := node.body) and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)}
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


def test_every_target_has_a_profile_that_names_its_runtime():
    assert set(CATALOG.profiles) == set(CATALOG.targets)
    profile = CATALOG.profile()
    assert profile.target == CATALOG.default_target
    assert profile.barriers and profile.device_calls and profile.syncing_loaders
    assert profile.read_from


def test_no_runtime_name_is_spelled_in_the_code_that_recognises_it():
    names = set().union(*(_profile_strings(profile) for profile in CATALOG.profiles.values()))
    packages = tuple(f"{profile.package}." for profile in CATALOG.profiles.values())
    spelled = [f"{path.relative_to(REPO)}:{line}: {text!r}" for path in READERS for line, text in _code_strings(path)
               if text in names or text.startswith(packages)]
    assert spelled == []


def test_the_check_above_can_fail(tmp_path):
    module = tmp_path / "spelled.py"
    module.write_text('"""Docstrings may name torch_xla.sync."""\nBARRIER = "torch_xla.sync"\n', encoding="utf-8")
    assert _code_strings(module) == [(2, "torch_xla.sync")]


def test_device_strings_take_an_index_but_nothing_else():
    profile = CATALOG.profile("torch_xla")
    assert profile.is_device_string("xla") and profile.is_device_string("xla:3")
    assert not profile.is_device_string("xla:") and not profile.is_device_string("xla:a")
    assert not profile.is_device_string("cuda")


@pytest.mark.parametrize(("edit", "error"), [
    (lambda text: text + '\n[vllm2]\npackage = "x"\n', "unknown key vllm2.package"),
    (lambda text: text.replace('closure = "torch_xla.core.xla_model.add_step_closure"\n', ""), "missing key step.closure"),
    (lambda text: text.replace('backend = "xla"', "backend = 3"), "distributed.backend must be a string"),
    (lambda text: text.replace('strings = ["xla"]', "strings = [1]"), "device.strings must be a list of strings"),
])
def test_a_malformed_profile_is_a_catalog_error_naming_the_key(tmp_path, edit, error):
    shutil.copytree(REPO / "rules", tmp_path / "rules")
    path = tmp_path / "rules" / "targets" / "torch_xla.toml"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(CatalogError, match=error):
        load_catalog.__wrapped__(tmp_path / "rules")


def test_a_target_without_a_profile_is_a_catalog_error(tmp_path):
    shutil.copytree(REPO / "rules", tmp_path / "rules")
    (tmp_path / "rules" / "targets" / "torch_xla.toml").unlink()
    with pytest.raises(CatalogError, match="no profile for target 'torch_xla'"):
        load_catalog.__wrapped__(tmp_path / "rules")


def test_fix_variants_fill_their_slots_from_the_checker_the_profile_and_each_other():
    rule = CATALOG.rule("missing-graph-barrier").for_target("torch_xla")
    slots = CATALOG.profile("torch_xla").fix_slots()
    line = cite("{0}", [12])  # the checker names the line as a line (model.Lines)
    at_end = str(rule.fix_for("at_end", line=line, **slots))
    assert at_end == f"add {slots['barrier_call']} as the last statement of the loop body (after line 12)"
    step = str(rule.fix_for("optimizer_step_without_barrier", line=line, call="xla_model.optimizer_step", **slots))
    assert step == f"pass barrier=True to xla_model.optimizer_step(), or {at_end}"
    assert rule.fixes["data_loader"].when and "MpDeviceLoader" in str(rule.fix_for("data_loader", line=line, **slots))
    with pytest.raises(KeyError):
        rule.fix_for("at_end", **slots)  # the checker must give the line


def test_a_fix_variant_needs_when_and_text(tmp_path):
    shutil.copytree(REPO / "rules", tmp_path / "rules")
    path = tmp_path / "rules" / "mark_step.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('when = "By default"\n', "", 1), encoding="utf-8")
    with pytest.raises(CatalogError, match="fix 'at_end' must have exactly `when` and `text`"):
        load_catalog.__wrapped__(tmp_path / "rules")


def test_a_fix_variant_that_does_not_parse_is_a_catalog_error(tmp_path):
    shutil.copytree(REPO / "rules", tmp_path / "rules")
    path = tmp_path / "rules" / "mark_step.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("(after {line})", "(after {line)"), encoding="utf-8")
    with pytest.raises(CatalogError, match="missing-graph-barrier: fix 'at_end'"):
        load_catalog.__wrapped__(tmp_path / "rules")


def test_device_code_is_recognised_by_every_runtimes_names():
    recognised = CATALOG.recognised
    assert {"torch_xla", "torch_tpu"} <= recognised.packages
    assert recognised.is_device_string("tpu:0") and recognised.is_device_string("xla")
    assert not recognised.is_device_string("cuda")
    assert recognised.is_runtime_name("torch_xla.sync") and not recognised.is_runtime_name("torch.compile")


def test_the_torchtpu_profile_has_no_barrier_and_needs_no_import():
    profile = CATALOG.profile("torchtpu")
    assert not profile.barriers and not profile.step_contexts and not profile.syncing_loaders
    assert profile.device_import == "" and profile.device_expression == 'torch.device("tpu")'
    assert profile.autocast_default_dtype not in profile.autocast_dtypes  # autocast("tpu") alone is fp16
