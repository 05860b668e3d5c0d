"""Shared helpers: run the command in-process, validate SARIF against both schemas."""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path

import jsonschema
import pytest

from tpulint.cli import main

REPO = Path(__file__).resolve().parent.parent
SARIF_DIR = REPO / "tests" / "sarif"
SCHEMA_OASIS = SARIF_DIR / "sarif-schema-2.1.0.json"
SCHEMA_GITHUB = SARIF_DIR / "sarif-schema-2.1.0.codeql-action.json"


@contextlib.contextmanager
def working_directory(path: Path):
    previous = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def run_tpulint(*args: str, cwd: Path | None = None) -> tuple[int, str, str]:
    """Run `tpulint ARGS` in-process; returns (exit code, stdout, stderr)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with working_directory(cwd or Path.cwd()), contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            code = main(list(args))
        except SystemExit as stop:  # argparse errors
            code = stop.code
    return code, stdout.getvalue(), stderr.getvalue()


def _validators():
    if not SCHEMA_OASIS.is_file():
        pytest.fail(f"the SARIF schemas are missing: expected them in {SARIF_DIR}")
    oasis = json.loads(SCHEMA_OASIS.read_text(encoding="utf-8"))
    github = json.loads(SCHEMA_GITHUB.read_text(encoding="utf-8"))
    return (
        jsonschema.Draft4Validator(oasis, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER),
        jsonschema.Draft202012Validator(github),
    )


def assert_valid_sarif(log: dict) -> None:
    """Valid against the OASIS schema and GitHub's copy, and within GitHub's extra rules."""
    for validator in _validators():
        errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
        assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])
    assert len(log["runs"]) == 1
    run = log["runs"][0]
    assert isinstance(run["results"], list)
    for result in run["results"]:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert not uri.startswith(("./", "/")) and "\\" not in uri, uri
        assert "level" in result and result["ruleIndex"] >= 0
        assert "primaryLocationLineHash" not in result.get("partialFingerprints", {})
        assert "suppressions" not in result


@pytest.fixture
def write(tmp_path):
    """write("name.py", source) -> path under tmp_path."""

    def _write(name: str, text: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return _write
