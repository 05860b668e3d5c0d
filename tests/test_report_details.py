"""Issue 16, truthful summaries: quoted code is cut between tokens, every alias a fix names comes
with its import, the output formats agree on each finding's span, and a file that cannot be
analysed is counted once."""

from __future__ import annotations

import io
import json
import tokenize

import astroid
import pytest
from conftest import run_tpulint

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
