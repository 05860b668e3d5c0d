"""Fixes applied to source text by span: the edits, each needed import once, a result that parses."""

from __future__ import annotations

import json

import pytest
from conftest import run_tpulint

from tpulint.fix import FixError, apply
from tpulint.model import Edit


def test_edits_are_applied_by_span_in_utf8_columns_keeping_everything_else():
    text = 'import torch\nx = "é"; y = torch.ones(2).to("xla")  # keep me\n'
    column = len('x = "é"; y = torch.ones(2).to('.encode("utf-8"))
    fixed = apply(text, [Edit(2, column, 2, column + 5, '"tpu"')])
    assert fixed.text == 'import torch\nx = "é"; y = torch.ones(2).to("tpu")  # keep me\n'


def test_each_import_is_added_once_after_the_import_block():
    text = '"""Doc."""\nimport os\nimport torch\n\nx = torch.ones(2)\n'
    fixed = apply(text, [], ["import torch_xla", "import torch_xla", "import os"])
    assert fixed.text == '"""Doc."""\nimport os\nimport torch\nimport torch_xla\n\nx = torch.ones(2)\n'
    assert apply(fixed.text, [], ["import torch_xla"]).text == fixed.text


def test_an_import_goes_after_the_docstring_when_there_is_no_import():
    assert apply('"""Doc."""\nx = 1\n', [], ["import torch_xla"]).text == '"""Doc."""\nimport torch_xla\nx = 1\n'
    assert apply("x = 1", [], ["import torch_xla"]).text == "import torch_xla\nx = 1"


def test_overlapping_edits_keep_the_first_in_source_order():
    text = "a = b.cuda().cuda()\n"
    first, inner = Edit(1, 4, 1, 19, "c"), Edit(1, 5, 1, 12, "d")
    fixed = apply(text, [inner, first, first])
    assert fixed.text == "a = c\n" and fixed.skipped == (inner,)


def test_a_result_that_does_not_parse_is_refused():
    with pytest.raises(FixError, match="does not parse"):
        apply("if x:\n    import torch_xla\n", [Edit(2, 4, 2, 20, "")])
    with pytest.raises(FixError, match="line 9"):
        apply("x = 1\n", [Edit(9, 0, 9, 1, "")])


def test_the_edits_of_a_torchtpu_report_make_the_port(tmp_path, write):
    source = ('import os\nimport torch\ntry:\n    import torch_xla\nexcept ImportError:\n    pass\n'
              'os.environ["PJRT_DEVICE"] = "TPU"\nmodel = torch.nn.Linear(2, 2).to("xla:0")\n'
              'torch.distributed.init_process_group("xla")\n')
    write("port.py", source)
    code, out, err = run_tpulint("--format", "json", "--target", "torchtpu", "port.py", cwd=tmp_path)
    findings = json.loads(out)["findings"]
    edits = [Edit(e["line"], e["column"] - 1, e["end_line"], e["end_column"] - 1, e["text"])
             for f in findings for e in f["fix"]["edits"]]
    assert len(edits) == 4
    fixed = apply(source, edits).text
    assert "try:\n    pass\n" in fixed and '"tpu:0"' not in fixed and '.to("tpu")' in fixed
    write("ported.py", fixed)  # a new name: astroid keeps the first parse of a path for the process
    code, out, err = run_tpulint("--format", "json", "--target", "torchtpu", "ported.py", cwd=tmp_path)
    assert [f for f in json.loads(out)["findings"] if f["fix"]["edits"]] == []
