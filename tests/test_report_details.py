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


@pytest.mark.xfail(strict=True, reason="rules/ops alternatives name F. (asked for: torch.nn.functional.)")
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
