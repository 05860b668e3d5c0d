"""Issue 16, truthful summaries: quoted code is cut between tokens, every alias a fix names comes
with its import, the output formats agree on each finding's span, and a file that cannot be
analysed is counted once."""

from __future__ import annotations

import io
import json
import re
import tokenize
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import astroid
import pytest
from conftest import REPO, run_tpulint

from tpulint.estimate import Notification
from tpulint.findings import unanalysed_paths
from tpulint.resolve import ELLIPSIS, shortened_code, shown

# --- quoted code is cut between tokens --------------------------------------------------------

LONG_CODE = [
    'torch.compile(model, mode="max-autotune-no-cudagraphs", fullgraph=True)',
    "torch.nn.functional.scaled_dot_product_attention(query, key, value, is_causal=True)",
    'torch.device(f"cuda:{local_rank_of_this_process_on_the_host}")',
    "total_tokens_seen_so_far + 123456789012345678901234567890",
    'x.to("cuda", non_blocking=True, memory_format=torch.channels_last)',
]


def _tokens(text: str) -> list[str]:
    """text's tokens, up to the end of a prefix whose brackets are still open."""
    found = []
    try:
        found.extend(token.string for token in tokenize.generate_tokens(io.StringIO(text).readline))
    except tokenize.TokenError:
        pass  # EOF in a multi-line statement: the tokens before it were all read
    return [token for token in found if token.strip()]


@pytest.mark.parametrize("code", LONG_CODE)
@pytest.mark.parametrize("limit", [12, 20, 30, 40, 60])
def test_cut_code_is_whole_tokens_then_one_ellipsis(code, limit):
    text = shortened_code(code, limit)
    if len(code) <= limit:
        assert text == code
        return
    assert text.endswith(ELLIPSIS) and "..." not in text
    kept = text[: -len(ELLIPSIS)]
    assert code.startswith(kept)
    whole = _tokens(code)
    assert _tokens(kept.rstrip()) == whole[: len(_tokens(kept.rstrip()))]  # no token is cut
    assert len(text) <= limit or len(_tokens(kept)) == 1  # only a first token too long overruns


def test_a_string_literal_is_never_cut():
    assert shortened_code('open("a/very/long/path/to/some/checkpoint.pt")', 20) == "open(…"


def test_shown_shortens_a_nodes_source():
    node = astroid.extract_node("torch.nn.functional.scaled_dot_product_attention(q, k, v)")
    assert shown(node, 30) == "torch.nn.functional.…"
    assert shown(node, 80) == node.as_string()


def test_messages_quote_cut_code_with_the_ellipsis(tmp_path, write):
    write("long.py", "import torch\n\nmodel = torch.nn.Linear(4, 4)\n"
                     'compiled = torch.compile(model, mode="max-autotune-no-cudagraphs", fullgraph=True)\n')
    code, out, err = run_tpulint("--format", "json", "long.py", cwd=tmp_path)
    messages = [finding["message"] for finding in json.loads(out)["findings"]]
    assert "torch.compile(model, mode=… compiles with inductor" in " ".join(messages), messages
    assert not any("..." in message for message in messages), messages


# --- every alias a fix names comes with its import --------------------------------------------

# The conventional module aliases of PyTorch/XLA and PyTorch code; the rules' examples add theirs.
CONVENTIONAL_ALIASES = {"xm", "xr", "pl", "met", "xs", "xu", "xmp", "xp", "dist", "mp", "F", "nn", "np", "bnb"}
# Keys whose text is prose for the rule's page, not what a finding tells the user to do.
PROSE_KEYS = {"example", "example_fixed", "rationale", "evidence", "summary", "source", "read_from", "when",
              "checked", "provenance", "not_for", "reason", "title", "message", "meaning", "date", "method",
              "record", "derived", "traced_with"}
IMPORTED_AS = re.compile(r"^\s*(?:from\s+[\w.]+\s+)?import\s+[\w.]+\s+as\s+(\w+)", re.MULTILINE)


def _toml_files() -> list[Path]:
    return sorted([*(REPO / "rules").glob("*.toml"), *(REPO / "rules" / "ops").glob("*.toml")])


def _aliases() -> set[str]:
    """CONVENTIONAL_ALIASES and every `import a.b as c` alias the rules' examples use."""
    found = set(CONVENTIONAL_ALIASES)
    for path in _toml_files():
        found.update(IMPORTED_AS.findall(path.read_text(encoding="utf-8")))
    return found


ALIASES = _aliases()
ALIAS_USE = re.compile(rf"(?<![\w.])({'|'.join(sorted(ALIASES))})\.\w")


def unimported_aliases(text: str, imports: tuple[str, ...] | list[str] = ()) -> set[str]:
    """The module aliases text uses (`xm.mark_step`) that neither text itself nor imports bind
    with `import ... as <alias>`."""
    bound = {alias for statement in (text, *imports) for alias in re.findall(r"\bas\s+(\w+)", statement)}
    return {alias for alias in ALIAS_USE.findall(text) if alias not in bound}


def _fix_texts(value: Any, where: str = "") -> Iterator[tuple[str, str, tuple[str, ...]]]:
    """(where, text, imports) for every string of a rules table a finding may show, with the
    imports a `rewrite` (an exact edit) has in its `rewrite_imports`."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from _fix_texts(item, f"{where}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            if key in PROSE_KEYS or key == "rewrite_imports":
                continue
            if key == "rewrite" and isinstance(item, dict):
                for target, text in item.items():
                    yield f"{where}.rewrite.{target}", text, tuple(value.get("rewrite_imports", {}).get(target, ()))
                continue
            yield from _fix_texts(item, f"{where}.{key}")
    elif isinstance(value, str):
        yield where, value, ()


@pytest.mark.parametrize("path", [path for path in _toml_files() if path.parent.name == "rules"], ids=lambda p: p.name)
def test_every_alias_a_rules_fix_names_comes_with_its_import(path):
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    problems = [f"{where}: {text!r} names {sorted(missing)}" for where, text, imports in _fix_texts(data)
                if (missing := unimported_aliases(text, imports))]
    assert not problems, "\n".join(problems)


def test_every_alias_an_op_alternative_names_comes_with_its_import():
    problems = [f"{path.name}{where}: {text!r}" for path in _toml_files() if path.parent.name == "ops"
                for where, text, imports in _fix_texts(tomllib.loads(path.read_text(encoding="utf-8")))
                if unimported_aliases(text, imports)]
    assert not problems, "\n".join(problems)


FUNCTIONAL_FILES = sorted((REPO / "tests" / "functional").glob("*/*.py"))


@pytest.fixture(scope="module", params=["torch_xla", "torchtpu"])
def functional_report(request) -> dict:
    """The JSON report of the functional corpus on one target."""
    code, out, err = run_tpulint("--format", "json", "--target", request.param, *map(str, FUNCTIONAL_FILES), cwd=REPO)
    assert code in (0, 1), err
    return json.loads(out)


def test_every_alias_a_findings_fix_names_comes_with_its_import(functional_report):
    """Advice names the import, an edit's fix carries it, or the user's file already binds it
    (a fix that quotes the user's own `xm.optimizer_step` call)."""
    problems = []
    for finding in functional_report["findings"]:
        fix = finding.get("fix")
        if fix is None:
            continue
        bound = set(IMPORTED_AS.findall((REPO / finding["path"]).read_text(encoding="utf-8")))
        for text in (fix["text"], *(edit["text"] for edit in fix["edits"])):
            missing = unimported_aliases(text, fix["imports"]) - bound
            if missing:
                problems.append(f"{finding['path']}:{finding['line']} {finding['symbol']}: {text!r} names {sorted(missing)}")
    assert not problems, "\n".join(problems)


# --- the output formats agree on each finding's span ------------------------------------------

SPAN_CORPUS = [*FUNCTIONAL_FILES, *sorted((REPO / "docs" / "examples").glob("*.py"))]
# Lines whose UTF-8 bytes, characters and UTF-16 units differ, in each encoding form Python reads.
UNUSUAL_FILES = {
    "emoji.py": 'import torch\ns = "\U0001F600"; x = torch.randn(3, device="cuda")\n'.encode(),
    "accents.py": 'import torch\r\ns = "\u00e9\u00e9"; x = torch.randn(3, device="cuda")\r\n'.encode(),
    "bom.py": '\ufeffimport torch\nx = torch.randn(3, device="cuda")  # \u00e9\n'.encode(),
    "latin.py": '# -*- coding: latin-1 -*-\nimport torch\ns = "\u00e9\u00e9\u00e9"; x = torch.randn(3, device="cuda")\n'.encode("latin-1"),
    "span.py": 'import torch\nx = torch.randn(\n    3, device="cuda:" + str(1))  # \u00e9\ny = x.to("cuda",\n non_blocking=True)\n'.encode(),
}


def _utf16_column(path: Path, line: int, json_column: int) -> int:
    """The JSON report's column (1-based, UTF-8 bytes, pylint's) as SARIF and GitHub count it
    (1-based, UTF-16 code units), on the line as Python reads the file (its encoding, its BOM)."""
    with tokenize.open(path) as source:
        text = source.readlines()[line - 1].encode("utf-8")
    return len(text[: json_column - 1].decode("utf-8").encode("utf-16-le")) // 2 + 1


def _reports(cwd: Path, *args: str) -> tuple[list[dict], dict[str, dict], list[dict[str, str]]]:
    """(JSON findings, SARIF results by fingerprint, GitHub annotations' properties) of one run."""
    outputs = {}
    for output_format in ("json", "sarif", "github"):
        code, out, err = run_tpulint("--format", output_format, *args, cwd=cwd)
        assert code in (0, 1), err
        outputs[output_format] = out
    results = json.loads(outputs["sarif"])["runs"][0]["results"]
    annotations = [dict(item.split("=", 1) for item in line.split(" ", 1)[1].split("::", 1)[0].split(","))
                   for line in outputs["github"].splitlines()
                   if line.startswith(("::error ", "::warning ", "::notice ")) and "title=tpulint" not in line]
    return (json.loads(outputs["json"])["findings"],
            {result["partialFingerprints"]["tpulintFingerprint/v1"]: result for result in results}, annotations)


def _expected_span(finding: dict, cwd: Path) -> dict[str, int]:
    """The finding's span in SARIF's terms (1-based UTF-16 columns, end exclusive): line always;
    column outside a notebook; the end when the span is not empty."""
    line = finding["line"]
    if "cell" in finding:
        return {"line": line}  # a column would point into the notebook's JSON
    path = cwd / finding["path"]
    span = {"line": line, "column": _utf16_column(path, line, finding["column"])}
    if finding["end_line"] is not None and finding["end_column"] is not None and finding["end_line"] >= line:
        end_column = _utf16_column(path, finding["end_line"], finding["end_column"])
        if finding["end_line"] > line or end_column > span["column"]:
            span.update(end_line=finding["end_line"], end_column=end_column)
    return span


def span_disagreements(finding: dict, result: dict, annotation: dict[str, str], cwd: Path) -> list[str]:
    """How a SARIF result's region and a GitHub annotation (whose endColumn is inclusive and
    which takes columns on a one-line span only) disagree with the JSON finding's span."""
    expected = _expected_span(finding, cwd)
    region = result["locations"][0]["physicalLocation"]["region"]
    names = {"startLine": "line", "startColumn": "column", "endLine": "end_line", "endColumn": "end_column"}
    sarif = {names[key]: value for key, value in region.items() if key in names}
    github = {"line": int(annotation["line"])}
    if "col" in annotation:
        github["column"] = int(annotation["col"])
    if "endColumn" in annotation:
        github.update(end_line=int(annotation["endLine"]), end_column=int(annotation["endColumn"]) + 1)
    elif "endLine" in annotation and int(annotation["endLine"]) != github["line"]:
        github["end_line"] = int(annotation["endLine"])
    multi_line = expected.get("end_line", expected["line"]) > expected["line"]
    wanted = {"line": expected["line"], "end_line": expected["end_line"]} if multi_line else expected
    return [f"{name} {found} != {wanted}" for name, found, wanted in
            (("sarif", sarif, expected), ("github", github, wanted)) if found != wanted]


def _span_problems(cwd: Path, *args: str) -> list[str]:
    findings, results, annotations = _reports(cwd, *args)
    assert len(findings) == len(annotations) == len(results)
    return [f"{finding['path']}:{finding['line']} {finding['symbol']}: {problem}"
            for finding, annotation in zip(findings, annotations)
            for problem in span_disagreements(finding, results[finding["fingerprint"]], annotation, cwd)]


@pytest.mark.parametrize("target", ["torch_xla", "torchtpu"])
def test_json_sarif_and_github_agree_on_every_findings_span(target):
    problems = _span_problems(REPO, "--target", target, *map(str, SPAN_CORPUS), "docs/examples/finetune.ipynb")
    assert not problems, "\n".join(problems[:20])


def test_spans_agree_on_lines_of_other_widths_and_encodings(tmp_path, write):
    for name, data in UNUSUAL_FILES.items():
        write(name, data)
    problems = _span_problems(tmp_path, *UNUSUAL_FILES)
    assert not problems, "\n".join(problems)


# --- a file that cannot be analysed is counted once -------------------------------------------


def _notebook(*sources: str) -> str:
    cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": [source]}
             for source in sources]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def test_each_path_is_counted_once_however_many_notifications_name_it():
    notes = [Notification("nb.ipynb", "cell 2 not analysed: ...", level="warning"),
             Notification("nb.ipynb", "cell 3 not analysed: ...", level="warning"),
             Notification("deep.py", "partially analysed: ...", level="warning"),
             Notification("bad.py", "not analysed: ..."), Notification("bad.py", "partially analysed: ...", level="warning")]
    assert unanalysed_paths(notes) == (1, 2)


def test_a_notebook_with_two_bad_cells_is_one_partly_analysed_file(tmp_path, write):
    write("nb.ipynb", _notebook("import torch\n", "def f(:\n", "def g(:\n", 'x = torch.randn(3, device="cuda")\n'))
    write("bad.py", "def f(:\n")
    _, text, _ = run_tpulint("--format", "text", ".", cwd=tmp_path)
    assert "Files: 2 scanned, 1 with findings, 1 not analysed, 1 partly or not analysed by a limit" in text, text
    _, markdown, _ = run_tpulint("--format", "markdown", ".", cwd=tmp_path)
    assert "2 files not analysed" not in markdown and "3 files" not in markdown, markdown
