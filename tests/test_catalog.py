"""The catalog is the single source: well formed, collision-free, backed by evidence, and every
page under docs/rules/ is what the catalog generates."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from pylint import checkers, extensions
from pylint.lint import PyLinter

import tpulint
from tpulint.catalog import FAMILIES, CatalogError, load_catalog
from tpulint.docs import stale_pages

REPO = Path(__file__).resolve().parent.parent
CATALOG = load_catalog()


def test_every_rule_is_complete_and_in_its_family_block():
    assert CATALOG.rules
    for rule in CATALOG.rules:
        assert rule.family in FAMILIES
        assert int(rule.id[1:3]) == CATALOG.families[rule.family].checker_id
        assert rule.summary and rule.rationale and rule.example and rule.example_fixed
        assert rule.fields[-1] == "fix" and "%s" not in rule.message, rule.symbol
        # every target: what the rule finds there, or why it finds nothing (shown on its page)
        for target in CATALOG.targets:
            assert (rule.for_target(target) is not None) != (target in rule.not_for), (rule.symbol, target)


def test_ids_do_not_collide_with_pylint_or_its_extensions():
    linter = PyLinter()
    checkers.initialize(linter)
    extensions.initialize(linter)
    tpulint.register(linter)  # raises InvalidMessageError on a clash
    for rule in CATALOG.rules:
        assert linter.msgs_store.get_message_definitions(rule.id)[0].symbol == rule.symbol


def test_message_id_blocks_avoid_known_plugins():
    taken = {51, 55, 56, 60, 61, 62, 63, 64, 81, 82, 90}
    assert not {family.checker_id for family in CATALOG.families.values()} & taken


def test_every_cited_check_is_in_the_recorded_evidence():
    for family in CATALOG.families.values():
        recorded = "".join((CATALOG.source_dir / output).read_text(encoding="utf-8") for output in family.evidence_output)
        # check scripts print `CHECK name: ...`; the op data generator writes `call = "name"`
        names = set(re.findall(r'^(?:CHECK (\S+):|call = "([^"]+)")', recorded, re.MULTILINE))
        names = {check or call for check, call in names}
        for rule in CATALOG.family_rules(family.name):
            for target, data in rule.targets.items():
                missing = set(data.checked) - names
                assert not missing, f"{rule.symbol}/{target} cites checks that were never run: {missing}"


def test_every_switch_cites_checks_its_rules_family_recorded():
    assert CATALOG.switches
    for switch in CATALOG.switches:
        family = CATALOG.families[CATALOG.rule(switch.rule).family]
        recorded = "".join((CATALOG.source_dir / output).read_text(encoding="utf-8") for output in family.evidence_output)
        names = set(re.findall(r"^CHECK (\S+):", recorded, re.MULTILINE))
        assert switch.checked and not set(switch.checked) - names, f"{sorted(switch.calls | switch.methods)}: {switch.checked}"


def test_a_switch_table_needs_a_call_method_or_name_and_a_known_rule(tmp_path):
    shutil.copytree(REPO / "rules", tmp_path / "rules")
    cuda = tmp_path / "rules" / "cuda.toml"
    cuda.write_text(cuda.read_text(encoding="utf-8") + '\n[[switch]]\nrule = "no-such-rule"\nlibrary = "x 1"\n'
                    'calls = ["x.Y"]\nbehaviour = "b"\nfix = "f"\nchecked = ["c"]\n', encoding="utf-8")
    with pytest.raises(CatalogError, match="unknown rule no-such-rule"):
        load_catalog.__wrapped__(tmp_path / "rules")


def test_every_rule_has_a_functional_test_that_expects_it_on_each_target_it_has():
    """pylint's marks (`# [symbol]`) are the default target's; `# <target>: [symbol]` another's."""
    sources = [path.read_text(encoding="utf-8") for path in (REPO / "tests" / "functional").glob("*/*.py")]
    for target in CATALOG.targets:
        prefix = "" if target == CATALOG.default_target else rf"{re.escape(target)}:\s*"
        mark = re.compile(rf"#\s*{prefix}(?:[+-]?\d+:)?\s*\[([a-z\-, ]+)\]")
        expected = {symbol.strip() for text in sources for marks in mark.findall(text) for symbol in marks.split(",")}
        assert {rule.symbol for rule in CATALOG.rules if rule.for_target(target)} <= expected, target


def test_docs_pages_are_generated_from_the_catalog():
    stale = stale_pages(REPO / "docs" / "rules", CATALOG)
    assert not stale, f"run `python -m tpulint.docs`: out of date: {stale}"


def test_docs_check_notices_a_hand_edited_page(tmp_path):
    shutil.copytree(REPO / "docs" / "rules", tmp_path / "rules")
    page = tmp_path / "rules" / "cuda-device.md"
    page.write_text(page.read_text(encoding="utf-8") + "edited\n", encoding="utf-8")
    assert stale_pages(tmp_path / "rules", CATALOG) == ["cuda-device.md"]


def _copy_rules(tmp_path: Path) -> Path:
    shutil.copytree(CATALOG.source_dir, tmp_path / "rules")
    return tmp_path / "rules"


def test_a_rule_outside_its_family_block_is_rejected(tmp_path):
    rules = _copy_rules(tmp_path)
    cuda = rules / "cuda.toml"
    cuda.write_text(cuda.read_text(encoding="utf-8").replace('id = "E7101"', 'id = "E7201"'), encoding="utf-8")
    with pytest.raises(CatalogError, match="outside its family's block"):
        load_catalog(rules)


def test_a_rule_without_recorded_checks_is_rejected(tmp_path):
    rules = _copy_rules(tmp_path)
    cuda = rules / "cuda.toml"
    text = cuda.read_text(encoding="utf-8").replace('checked = ["xla-device-without-import"]', "checked = []")
    cuda.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError, match="records no run-time check"):
        load_catalog(rules)


def test_a_second_target_changes_severity_and_applicability():
    """The catalog is keyed by target: a rule may differ per runtime or not apply at all."""
    scaler = CATALOG.rule("cuda-grad-scaler")
    assert CATALOG.severity_of(scaler, "torch_xla").name == "perf"
    assert CATALOG.severity_of(scaler, "torchtpu").name == "advice"  # a CUDA scaler disables itself there
    assert CATALOG.severity_of(CATALOG.rule("missing-torch-xla-import"), "torchtpu") is None
    assert "import torch" in CATALOG.rule("missing-torch-xla-import").not_for["torchtpu"]


def test_a_new_target_must_decide_every_rule(tmp_path):
    rules = _copy_rules(tmp_path)
    meta = rules / "catalog.toml"
    meta.write_text(meta.read_text(encoding="utf-8") + '\n[targets.other]\ntitle = "Other"\nruntime = "x"\ndefault = false\n',
                    encoding="utf-8")
    shutil.copy(rules / "targets" / "torch_xla.toml", rules / "targets" / "other.toml")  # every target has a profile
    with pytest.raises(CatalogError, match=r"rule cuda-device: says neither what it finds nor why it finds nothing for \['other'\]"):
        load_catalog.__wrapped__(rules)


@pytest.mark.parametrize(("edit", "error"), [
    # a TorchTPU fix in torch_xla's words
    (lambda text: text.replace("fix = 'torch.device(\"tpu\")'", "fix = 'torch_xla.device()'", 1),
     r"rule cuda-device \(torchtpu\): 'torch_xla.device\(\)' uses 'torch_xla', another runtime's word"),
    # a claim of a runtime tpulint cannot run, with no source
    (lambda text: text.replace('source = ["torch_tpu-0.2.0.dist-info/METADATA', 'sources = ["torch_tpu-0.2.0.dist-info/METADATA', 1),
     r"rule torch-xla-api: target torchtpu has unknown key\(s\) \['sources'\]"),
    (lambda text: text.replace("evidence = \"Not run: tpulint's machines have no TPU. torch-tpu 0.2.0", 'evidence = "torch-tpu 0.2.0', 1),
     r"rule torch-xla-api \(torchtpu\): cites no source, or its evidence does not say it was not run"),
    # a switch that applies to TorchTPU must say what it does there in TorchTPU's words
    (lambda text: text.replace('behaviour.torchtpu = "is a bitsandbytes optimizer, whose', 'behaviour.torchtpu = "fails on XLA, whose', 1),
     r"switch transformers.Seq2SeqTrainingArguments behaviour: 'fails on XLA, whose.*' uses 'XLA'"),
])
def test_target_texts_are_validated(tmp_path, edit, error):
    rules = _copy_rules(tmp_path)
    path = rules / "cuda.toml"
    edited = edit(path.read_text(encoding="utf-8"))
    assert edited != path.read_text(encoding="utf-8")
    path.write_text(edited, encoding="utf-8")
    with pytest.raises(CatalogError, match=error):
        load_catalog.__wrapped__(rules)


@pytest.mark.parametrize(("file", "edit", "error"), [
    ("non_xla_op.toml", lambda text: text.replace('module = "xformers"', 'module = "xformers"\nurl = "x"', 1),
     "library xformers: unknown key url"),
    ("non_xla_op.toml", lambda text: text.replace('checked = ["xformers-on-xla", "sdpa-default-on-xla"]\n', "", 1),
     "library xformers: missing key checked"),
    ("dynamic_shape.toml", lambda text: text.replace('counter = "aten::nonzero"', "counter = 1", 1),
     r"dynamic_ops.nonzero: counter must be a string"),
    ("cuda.toml", lambda text: text.replace('tpu_quantization = ["fp8"', 'tpu_quantization = [8, "fp8"', 1),
     "vllm: tpu_quantization must be a list of strings"),
    ("cuda.toml", lambda text: text + '\n[vlm]\ntpu_quantization = ["fp8"]\n', r"unknown table\(s\) \['vlm'\]"),
])
def test_the_small_tables_beside_the_rules_are_validated(tmp_path, file, edit, error):
    shutil.copytree(REPO / "rules", tmp_path / "rules")
    path = tmp_path / "rules" / file
    edited = edit(path.read_text(encoding="utf-8"))
    assert edited != path.read_text(encoding="utf-8")
    path.write_text(edited, encoding="utf-8")
    with pytest.raises(CatalogError, match=error):
        load_catalog.__wrapped__(tmp_path / "rules")


def test_the_small_tables_are_typed():
    assert CATALOG.dynamic_ops["nonzero"].counter == "aten::nonzero"
    apex = next(library for library in CATALOG.cuda_libraries if library.module == "apex")
    assert apex.owns("apex.amp") and not apex.owns("apexx") and apex.checked
    assert apex.replacement("apex.optimizers.FusedAdam", "torch_xla").startswith("the torch.optim original")
    assert '"tpu"' in apex.replacement("apex.amp.initialize", "torchtpu")  # per target where the text differs
    assert "fp8" in CATALOG.vllm_tpu_quantization


def test_findings_carry_their_arguments_by_field_name():
    rule = CATALOG.rule("cuda-move-method")
    assert rule.fields == ("call", "fix")
    assert rule.arguments(("x.cuda()",), "f") == rule.arguments({"call": "x.cuda()"}, "f") == {"call": "x.cuda()", "fix": "f"}
    assert rule.message % rule.arguments(("x.cuda()",), "f") == "x.cuda() moves to the GPU; use f"
    with pytest.raises(ValueError, match="do not fill"):
        rule.arguments(("x.cuda()", "extra"), "f")
    with pytest.raises(ValueError, match="do not fill"):
        rule.arguments({"cal": "x.cuda()"}, "f")


def test_a_message_with_a_positional_field_is_a_catalog_error(tmp_path):
    rules = _copy_rules(tmp_path)
    cuda = rules / "cuda.toml"
    cuda.write_text(cuda.read_text(encoding="utf-8").replace(
        'message = "%(call)s moves to the GPU; use %(fix)s"', 'message = "%s moves to the GPU; use %(fix)s"', 1),
        encoding="utf-8")
    with pytest.raises(CatalogError, match="rule cuda-move-method: message fields must be distinct"):
        load_catalog(rules)
