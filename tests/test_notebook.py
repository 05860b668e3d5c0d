"""tpulint.notebook: code cells joined with a line map back to cells and .ipynb file lines."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from tpulint.notebook import CellLine, NotebookError, NotebookSource, from_text, load

PYTHON_METADATA = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python", "version": "3.11.7"},
}


def code(*lines: str) -> dict[str, object]:
    """A code cell whose source is a list of lines, as Jupyter stores it."""
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": _pieces(lines)}


def markdown(*lines: str) -> dict[str, object]:
    return {"cell_type": "markdown", "metadata": {}, "source": _pieces(lines)}


def _pieces(lines: tuple[str, ...]) -> list[str]:
    return [line + "\n" for line in lines[:-1]] + list(lines[-1:])


def notebook(*cells: dict[str, object], metadata: dict[str, object] | None = None) -> dict[str, object]:
    return {"cells": list(cells), "metadata": PYTHON_METADATA if metadata is None else metadata, "nbformat": 4, "nbformat_minor": 5}


def jupyter_text(nb: dict[str, object]) -> str:
    """What Jupyter (nbformat) writes."""
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def write(tmp_path: Path, text: str, name: str = "notebook.ipynb") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def source_lines(result: NotebookSource) -> list[str]:
    return result.source.splitlines()


def line_of(result: NotebookSource, text: str) -> int:
    """1-based line of the joined source equal to `text` (must be unique)."""
    matches = [number for number, line in enumerate(source_lines(result), 1) if line == text]
    assert len(matches) == 1, (text, matches)
    return matches[0]


def file_line_text(path: Path, number: int) -> str:
    return path.read_text(encoding="utf-8").splitlines()[number - 1]


def assert_points_at(path: Path, where: CellLine | None, text: str) -> None:
    assert where is not None
    assert json.dumps(text, ensure_ascii=False)[1:-1] in file_line_text(path, where.file_line)


# -- joining and locating ------------------------------------------------------------------------


def test_jupyter_notebook_joins_code_cells_and_maps_lines_back(tmp_path: Path) -> None:
    nb = notebook(
        markdown("# Train on GPU", "Some text."),
        code("import torch", "", "device = torch.device('cuda')"),
        {"cell_type": "raw", "metadata": {}, "source": ["raw text, not Python: (((\n"]},
        code("model = Net().to(device)", "for x in loader:", "    loss = model(x.cuda())  # ünïcode"),
    )
    path = write(tmp_path, jupyter_text(nb))
    result = load(path)

    ast.parse(result.source)
    assert result.path == str(path)
    assert result.skipped == ()
    assert source_lines(result) == [
        "import torch",
        "",
        "device = torch.device('cuda')",
        "model = Net().to(device)",
        "for x in loader:",
        "    loss = model(x.cuda())  # ünïcode",
    ]
    where = result.locate(line_of(result, "    loss = model(x.cuda())  # ünïcode"))
    assert (where.cell, where.line) == (4, 3)  # the markdown and raw cells count
    assert where.label == "cell 4:line 3"
    assert_points_at(path, where, "    loss = model(x.cuda())  # ünïcode")
    device = result.locate(3)
    assert (device.cell, device.line) == (2, 3)
    assert_points_at(path, device, "device = torch.device('cuda')")


def test_every_line_points_at_its_own_file_line(tmp_path: Path) -> None:
    nb = notebook(code("a = 1", "b = 2"), markdown("x"), code("c = 3", "if c:", "    d = 4"))
    path = write(tmp_path, jupyter_text(nb))
    result = load(path)
    for number, text in enumerate(source_lines(result), 1):
        assert_points_at(path, result.locate(number), text)
    assert [where.cell for where in result.lines] == [1, 1, 3, 3, 3]
    assert [where.line for where in result.lines] == [1, 2, 1, 2, 3]


def test_duplicate_lines_in_different_cells_map_to_different_file_lines(tmp_path: Path) -> None:
    nb = notebook(code("x = x.cuda()", "x = x.cuda()"), code("x = x.cuda()"))
    path = write(tmp_path, jupyter_text(nb))
    result = load(path)
    origins = [result.locate(number) for number in (1, 2, 3)]
    assert [(where.cell, where.line) for where in origins] == [(1, 1), (1, 2), (2, 1)]
    assert len({where.file_line for where in origins}) == 3
    for where in origins:
        assert_points_at(path, where, "x = x.cuda()")


def test_single_string_source_maps_every_line_to_the_string(tmp_path: Path) -> None:
    nb = notebook(markdown("title"), {"cell_type": "code", "metadata": {}, "outputs": [], "source": "import torch\nx = torch.ones(3).cuda()\n"})
    path = write(tmp_path, json.dumps(nb, indent=1))
    result = load(path)
    ast.parse(result.source)
    assert source_lines(result) == ["import torch", "x = torch.ones(3).cuda()"]
    first, second = result.lines
    assert (first.cell, first.line, second.cell, second.line) == (2, 1, 2, 2)
    assert first.file_line == second.file_line
    assert '"source": "import torch\\nx = torch.ones(3).cuda()\\n"' in file_line_text(path, first.file_line)


def test_minified_notebook_maps_to_file_line_one(tmp_path: Path) -> None:
    nb = notebook(code("import torch", "y = 1"), code("z = 2"))
    path = write(tmp_path, json.dumps(nb, separators=(",", ":")))
    result = load(path)
    assert source_lines(result) == ["import torch", "y = 1", "z = 2"]
    assert {where.file_line for where in result.lines} == {1}
    assert [(where.cell, where.line) for where in result.lines] == [(1, 1), (1, 2), (2, 1)]


def test_source_pieces_that_are_not_one_line_each() -> None:
    cell = {"cell_type": "code", "source": ["a = (1 +", " 2)\nb = 3\n", "c = 4\r\n", "d = 5"]}
    text = json.dumps(notebook(cell), indent=1)
    result = from_text(text)
    assert source_lines(result) == ["a = (1 + 2)", "b = 3", "c = 4", "d = 5"]
    assert [where.line for where in result.lines] == [1, 2, 3, 4]
    text_lines = text.splitlines()
    assert '"a = (1 +"' in text_lines[result.lines[0].file_line - 1]  # a line starts in its first piece
    assert '" 2)\\nb = 3\\n"' in text_lines[result.lines[1].file_line - 1]
    assert '"d = 5"' in text_lines[result.lines[3].file_line - 1]


def test_locate_outside_the_source_is_none() -> None:
    result = from_text(json.dumps(notebook(code("x = 1"))))
    assert result.locate(0) is None
    assert result.locate(2) is None
    assert result.locate(1) == CellLine(1, 1, 1)


def test_notebook_without_code_cells_is_empty() -> None:
    result = from_text(jupyter_text(notebook(markdown("only text"))))
    assert (result.source, result.lines, result.skipped) == ("", (), ())
    empty = from_text(jupyter_text(notebook()))
    assert (empty.source, empty.lines) == ("", ())


def test_empty_code_cells_add_no_lines() -> None:
    result = from_text(jupyter_text(notebook(code(), {"cell_type": "code", "source": ""}, {"cell_type": "code"}, code("x = 1"))))
    assert result.source == "x = 1\n"
    assert result.lines == (CellLine(4, 1, result.lines[0].file_line),)


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.ipynb"
    path.write_bytes(b"\xef\xbb\xbf" + jupyter_text(notebook(code("x = 1"))).encode())
    result = load(path)
    assert result.source == "x = 1\n"
    assert_points_at(path, result.locate(1), "x = 1")


# -- IPython syntax ------------------------------------------------------------------------------


def python_of(*lines: str) -> list[str]:
    result = from_text(jupyter_text(notebook(code(*lines))))
    ast.parse(result.source)
    assert len(result.lines) == len(lines)
    return source_lines(result)


def test_line_magics_and_shell_lines_become_pass_with_their_indentation() -> None:
    assert python_of(
        "%matplotlib inline",
        "!pip install torch_xla",
        "if ready:",
        "    !ls -la",
        "    %time train()",
        "    files = !ls *.pt",
        "    t = %timeit -o step()",
        "for f in files:",
        "\tprint(f)",
        "\t!echo {f}",
        "model?",
        "??torch.compile",
        "torch.cuda.is_available??",
    ) == [
        "pass",
        "pass",
        "if ready:",
        "    pass",
        "    pass",
        "    pass",
        "    pass",
        "for f in files:",
        "\tprint(f)",
        "\tpass",
        "pass",
        "pass",
        "pass",
    ]


def test_python_operators_and_strings_are_untouched() -> None:
    lines = (
        "c = a % b",
        "ok = x != y",
        "d = (a",
        "     % b)",
        "e = (a",
        "     != b)",
        "msg = 'hello!?'  # really?",
        "text = '''",
        "!not a shell line",
        "%not a magic",
        "what?",
        "'''",
        "n = 5 % 3; m = n",
        "x = 1 \\",
        "    % 2",
        'label = f"{a % b}!"',
        "q = {'a': 1}['a'] == 1",
    )
    assert python_of(*lines) == list(lines)


def test_shell_line_continued_with_backslash_is_neutralised_whole() -> None:
    assert python_of("if True:", "    !pip install \\", "        torch_xla \\", "  cloud-tpu-client", "x = 1") == [
        "if True:",
        "    pass",
        "    pass",
        "    pass",
        "x = 1",
    ]


def test_automagic_pip_install_is_neutralised() -> None:
    assert python_of("pip install torch_xla", "import torch") == ["pass", "import torch"]


def test_non_python_cell_magic_cell_is_dropped() -> None:
    result = from_text(
        jupyter_text(
            notebook(
                code("%%bash", "if [ -d data ]; then", "  ls data", "fi"),
                code("%%writefile config.yaml", "model: (", "lr: 0.1"),
                code("", "%%html", "<b>(</b>"),
                code("x = 1"),
            )
        )
    )
    ast.parse(result.source)
    assert source_lines(result)[:-1] == [""] * 10
    assert source_lines(result)[-1] == "x = 1"
    assert result.skipped == ()
    assert [where.cell for where in result.lines] == [1] * 4 + [2] * 3 + [3] * 3 + [4]


def test_writefile_of_a_python_file_keeps_the_body_as_python() -> None:
    assert python_of("%%writefile -a train.py", "import torch", "x = torch.ones(2).cuda()") == [
        "pass",
        "import torch",
        "x = torch.ones(2).cuda()",
    ]


@pytest.mark.parametrize("magic", ["%%time", "%%timeit -n 3", "%%capture output"])
def test_python_cell_magic_keeps_the_body(magic: str) -> None:
    assert python_of(magic, "y = model(x.cuda())", "!nvidia-smi", "if y:", "    %time f()") == [
        "pass",
        "y = model(x.cuda())",
        "pass",
        "if y:",
        "    pass",
    ]


def test_cell_that_is_not_python_is_blanked_and_reported() -> None:
    result = from_text(jupyter_text(notebook(code("import torch"), markdown("m"), code("x = 1", "def broken(:", "    pass"), code("y = 2"))))
    ast.parse(result.source)
    assert source_lines(result) == ["import torch", "", "", "", "y = 2"]
    assert len(result.skipped) == 1
    assert result.skipped[0].cell == 3
    assert result.skipped[0].reason.startswith("not valid Python: ")
    assert result.skipped[0].reason.endswith("(line 2)")
    assert result.locate(3) == CellLine(3, 2, result.locate(3).file_line)


def test_top_level_await_is_kept() -> None:
    assert python_of("result = await fetch()") == ["result = await fetch()"]


# -- notebooks tpulint cannot read ---------------------------------------------------------------


def error_of(text: str) -> str:
    with pytest.raises(NotebookError) as caught:
        from_text(text)
    return str(caught.value)


def test_invalid_json() -> None:
    assert error_of('{\n "cells": [\n    x\n ]\n}') == "not a Jupyter notebook: the file is not valid JSON (line 3, column 5)"
    assert error_of("") == "not a Jupyter notebook: the file is not valid JSON (line 1, column 1)"


def test_json_that_is_not_a_notebook() -> None:
    assert error_of('{"metadata": {}}') == 'not a Jupyter notebook: no "cells" list'
    assert error_of('{"cells": {}}') == 'not a Jupyter notebook: no "cells" list'
    assert error_of("[1, 2]") == "not a Jupyter notebook: the file is not a JSON object"
    assert error_of('{"cells": [{"cell_type": "code", "source": []}, 3]}') == "not a Jupyter notebook: cell 2 is not a JSON object"
    assert error_of('{"cells": [{"cell_type": "code", "source": [1]}]}') == 'not a Jupyter notebook: the "source" of cell 1 is not text'


def test_old_nbformat() -> None:
    assert error_of('{"nbformat": 3, "worksheets": [], "metadata": {}}') == "nbformat 3 notebooks are not supported"


@pytest.mark.parametrize(
    "metadata",
    [
        {"kernelspec": {"language": "R", "name": "ir"}, "language_info": {"name": "R"}},
        {"language_info": {"name": "r"}},
    ],
)
def test_not_a_python_notebook(metadata: dict[str, object]) -> None:
    assert error_of(json.dumps(notebook(code("x <- 1"), metadata=metadata))) == "not a Python notebook (language: r)"


def test_python_language_spellings_are_accepted() -> None:
    metadata = {"kernelspec": {"language": "Python"}, "language_info": {"name": "python3"}}
    assert from_text(json.dumps(notebook(code("x = 1"), metadata=metadata))).source == "x = 1\n"
    assert from_text(json.dumps(notebook(code("x = 1"), metadata={}))).source == "x = 1\n"


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.ipynb"
    path.write_bytes(jupyter_text(notebook(code("name = 'café'"))).encode("latin-1"))
    with pytest.raises(NotebookError) as caught:
        load(path)
    message = str(caught.value)
    assert message.startswith("not a Jupyter notebook: the file is not UTF-8 text (byte 0xe9 on line ")
    assert "Traceback" not in message and "\n" not in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NotebookError, match="^cannot read the file: "):
        load(tmp_path / "absent.ipynb")


def test_windows_line_endings_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "crlf.ipynb"
    path.write_bytes(jupyter_text(notebook(markdown("m"), code("a = 1", "b = a.cuda()"))).replace("\n", "\r\n").encode())
    result = load(path)
    assert source_lines(result) == ["a = 1", "b = a.cuda()"]
    assert_points_at(path, result.locate(2), "b = a.cuda()")
