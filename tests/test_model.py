"""Findings keep their structure to the report: arguments by field, lines as numbers, a Fix."""

from __future__ import annotations

import json
import pickle

from conftest import REPO, run_tpulint

from tpulint.catalog import load_catalog
from tpulint.findings import render_message
from tpulint.model import Edit, Fix, Lines, cite, concat, join, render_arguments, source_lines

CATALOG = load_catalog()


def test_lines_render_with_plain_labels_or_any_other():
    used = cite(" (used on {0})", [8, 17])
    assert str(used) == " (used on lines 8, 17)"
    assert used.render(lambda numbers: "+".join(f"c{n}" for n in numbers)) == " (used on c8+c17)"
    assert source_lines([3]) == "line 3"


def test_joined_lines_keep_each_group_and_literal_braces():
    work = join([join(["x{1} on ", cite("{0}", [9])]), join(["y on ", cite("{0}", [10])])], ", ")
    assert str(work) == "x{1} on line 9, y on line 10"
    assert work.groups == ((9,), (10,))
    assert concat(["a", "b"]) == "ab" and isinstance(concat(["a", cite("{0}", [1])]), Lines)


def test_a_fix_variant_slot_that_names_lines_stays_lines():
    rule = CATALOG.rule("missing-graph-barrier").for_target("torch_xla")
    fix = rule.fix_for("at_end", barrier_call="torch_xla.sync()", line=cite("{0}", [11]), call="")
    assert isinstance(fix, Lines) and str(fix).endswith("(after line 11)")
    assert fix.render(lambda numbers: "cell 2:line 4").endswith("(after cell 2:line 4)")


def test_messages_are_rendered_from_the_template_and_the_arguments():
    rule = CATALOG.rule("cuda-device")
    arguments = {"device": "'cuda'", "used_on": cite(" (used on {0})", [5]), "fix": "torch_xla.device()"}
    assert render_message(rule, arguments) == "CUDA device 'cuda' (used on line 5); use torch_xla.device()"
    assert render_arguments(arguments)["used_on"] == " (used on line 5)"


def test_structured_findings_cross_process_boundaries():
    fix = Fix(cite("after {0}", [3]), (Edit(1, 0, 1, 5, '"tpu"'),), ("import torch_xla",), "unsafe")
    assert pickle.loads(pickle.dumps(fix)) == fix


def _report(*args: str) -> dict:
    code, out, err = run_tpulint("--format", "json", *args, cwd=REPO)
    assert code in (0, 1), err
    return json.loads(out)


def test_the_report_carries_arguments_and_the_fix():
    report = _report("docs/examples/seed_agent_loop.py")
    device = next(finding for finding in report["findings"] if finding["symbol"] == "cuda-device")
    assert device["arguments"]["used_on"] == " (used on lines 8, 17)"
    assert device["fix"] == {"text": "torch_xla.device()", "safety": "safe", "imports": ["import torch_xla"],
                             "edits": [{"line": 6, "column": 10, "end_line": 6, "end_column": 16, "text": "torch_xla.device()"}]}
    half = _report("docs/examples/train_ddp.py")
    autocast = next(finding for finding in half["findings"] if finding["symbol"] == "cuda-autocast")
    assert autocast["fix"]["safety"] == "unsafe"  # fp16 -> bf16 changes the numerics


def test_edits_replace_another_runtimes_strings_exactly():
    report = _report("--target", "torchtpu", "tests/functional/cuda/written_for_xla.py")
    edits = [edit for finding in report["findings"] for edit in finding["fix"]["edits"]]
    # "xla" -> "tpu" and torch_xla's calls -> TorchTPU's; the torch_xla imports stay while the
    # file still uses their names
    assert {edit["text"] for edit in edits} == {'"tpu"', 'torch.device("tpu")', "optimizer.step()",
                                                "torch.accelerator.synchronize()"}
    source = (REPO / "tests/functional/cuda/written_for_xla.py").read_text(encoding="utf-8").splitlines()
    for edit in edits:
        if edit["text"] == '"tpu"':
            assert source[edit["line"] - 1][edit["column"] - 1:edit["end_column"] - 1] == '"xla"'


def test_parallel_jobs_keep_the_structure(tmp_path):
    files = ["docs/examples/seed_agent_loop.py", "docs/examples/train_ddp.py", "docs/examples/finetune.ipynb"]
    serial, parallel = _report(*files), _report("--jobs", "2", *files)
    assert [f["message"] for f in parallel["findings"]] == [f["message"] for f in serial["findings"]]
    assert [f["fix"] for f in parallel["findings"]] == [f["fix"] for f in serial["findings"]]
    assert all("fix" in finding for finding in parallel["findings"])


def test_findings_that_start_at_one_place_keep_their_own_arguments(tmp_path, write):
    write("nested.py", "import torch\nmodel = torch.nn.Linear(2, 2).cuda().half().cuda()\n")
    code, out, err = run_tpulint("--format", "json", "nested.py", cwd=tmp_path)
    messages = sorted(f["message"] for f in json.loads(out)["findings"] if f["symbol"] == "cuda-move-method")
    assert len(messages) == 2 and messages[0] != messages[1]


def test_removal_edits_leave_a_file_that_parses(tmp_path, write):
    source = ('import torch\ntry:\n    import torch_xla\nexcept ImportError:\n    torch_xla = None\n'
              'if torch.tpu is not None:\n    os.environ["PJRT_DEVICE"] = "TPU"\nx = torch.ones(2).to("tpu")\n')
    write("guarded.py", source)
    code, out, err = run_tpulint("--format", "json", "--target", "torchtpu", "guarded.py", cwd=tmp_path)
    edits = [edit for f in json.loads(out)["findings"] for edit in f["fix"]["edits"]]
    assert len(edits) == 2
    lines = source.splitlines(keepends=True)
    for edit in sorted(edits, key=lambda e: (e["line"], e["column"]), reverse=True):
        assert edit["line"] == edit["end_line"]
        text = lines[edit["line"] - 1]
        lines[edit["line"] - 1] = text[:edit["column"] - 1] + edit["text"] + text[edit["end_column"] - 1:]
    compile("".join(lines), "guarded.py", "exec")  # `try: pass`, `if ...: pass`


def test_a_notebook_finding_names_the_lines_it_uses_by_cell(tmp_path, write):
    cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": source}
             for source in ("import torch\nfrom transformers import AutoModel\ndt = torch.float16\n",
                            "a = AutoModel.from_pretrained('m', torch_dtype=dt)\nb = AutoModel.from_pretrained('n', torch_dtype=dt)\n")]
    write("nb.ipynb", json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    code, out, err = run_tpulint("--format", "json", "nb.ipynb", cwd=tmp_path)
    half = [f for f in json.loads(out)["findings"] if f["symbol"] == "half-model-dtype"]
    assert half and all("cell 2:line" in f["message"] for f in half), [f["message"] for f in half]
