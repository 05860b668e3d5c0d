"""Microsoft's SARIF validator (`@microsoft/sarif-multitool`, rule kinds Sarif + Ghas) finds no error
in the SARIF the `tpulint` command writes.

The npm package is installed on first use into `<repo>/.cache/sarif-multitool` (which ignores
itself for git); set SARIF_MULTITOOL to a `Sarif.Multitool` binary to use another copy. The
platform binary is called directly: the package's `bin.js` spawns it through a shell without
quoting, which cuts `"Sarif;Ghas"` at the `;`. Its exit code is 0 even when it reports errors, so
the tests read its report (itself SARIF). If the validator cannot be installed or run, the tests
fail with the reason; they never pass quietly without it.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import platform
import re
import shutil
import stat
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from conftest import REPO, run_tpulint

VERSION = "5.7.0"
CACHE = REPO / ".cache" / "sarif-multitool"
RULE_KINDS = "Sarif;Ghas"
GPU_SCRIPT = 'import torch\nmodel = torch.nn.Linear(2, 2).to("cuda")\ntorch.cuda.synchronize()\n'
# SARIF2006 (note level) HTTP-GETs $schema and every rule's helpUri: without network it only
# costs time (about 7 s a file instead of 1.5 s) and it can never report more than a note.
CONFIGURATION = """<?xml version="1.0" encoding="utf-8"?>
<Properties>
  <Properties Key="SARIF2006.UrisShouldBeReachable.Options">
    <Property Key="RuleEnabled" Value="Disabled" Type="Driver.RuleEnabledState" />
  </Properties>
</Properties>
"""


def _unavailable(why: str) -> None:
    pytest.fail(
        f"Microsoft's SARIF validator is NOT AVAILABLE: {why}\n" + "!" * 78 + "\n"
        "tpulint's SARIF was NOT validated against the SARIF spec's and GitHub's rules.\n"
        f"Install it with `npm install --prefix {CACHE} @microsoft/sarif-multitool@{VERSION}` (needs node/npm\n"
        "and the npm registry), or point SARIF_MULTITOOL at a Sarif.Multitool binary.\n" + "!" * 78,
        pytrace=False,
    )


def _platform_binary(prefix: Path) -> Path:
    system, machine = sys.platform, platform.machine().lower()
    if system.startswith("linux") and machine in {"x86_64", "amd64"}:
        package, name = "sarif-multitool-linux", "Sarif.Multitool"
    elif system == "darwin":
        package, name = "sarif-multitool-darwin", "Sarif.Multitool"
    elif system == "win32":
        package, name = "sarif-multitool-win32", "Sarif.Multitool.exe"
    else:
        _unavailable(f"@microsoft/sarif-multitool ships no binary for {system}/{machine} (only linux-x64, darwin, win32).")
    return prefix / "node_modules" / "@microsoft" / package / name


@contextlib.contextmanager
def _install_lock():
    """Two test sessions installing into the same folder at once would corrupt it."""
    CACHE.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # Windows: no concurrent sessions to guard against here
        yield
        return
    with open(CACHE / ".lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _install() -> Path:
    binary = _platform_binary(CACHE)
    marker = CACHE / f".installed-{VERSION}"
    with _install_lock():
        (CACHE / ".gitignore").write_text("# created by tests/test_sarif_validator.py\n*\n", encoding="utf-8")
        if not (marker.is_file() and binary.is_file()):
            npm = shutil.which("npm")
            if npm is None:
                _unavailable("`npm` is not on PATH (Node.js 18+ with npm is needed to install the validator).")
            command = [
                npm, "install", "--prefix", str(CACHE), "--no-audit", "--no-fund", "--loglevel=error",
                f"@microsoft/sarif-multitool@{VERSION}", f"@microsoft/{binary.parent.name}@{VERSION}",
            ]
            done = _run(command, timeout=900)
            if isinstance(done, str):
                _unavailable(f"`{' '.join(command)}` could not run: {done}")
            if done.returncode != 0 or not binary.is_file():
                _unavailable(
                    f"`{' '.join(command)}` failed (exit {done.returncode}); expected {binary}.\n"
                    f"{(done.stdout + done.stderr)[-3000:]}"
                )
            marker.write_text(f"{VERSION}\n", encoding="utf-8")
        # npm 11 does not run the package's postinstall (`chmod u+x`) unless allowed, so do it here.
        mode = binary.stat().st_mode
        if not mode & stat.S_IXUSR:
            binary.chmod(mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return binary


def _run(command: list[str], timeout: int) -> subprocess.CompletedProcess | str:
    """The finished process, or why it could not be started."""
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False, env=_environment())
    except (OSError, subprocess.TimeoutExpired) as problem:
        return str(problem)


def _environment() -> dict[str, str]:
    # The self-contained .NET binary otherwise needs libicu at run time.
    return {**os.environ, "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT": "1", "DOTNET_CLI_TELEMETRY_OPTOUT": "1"}


@pytest.fixture(scope="session")
def multitool() -> Path:
    binary = Path(os.environ["SARIF_MULTITOOL"]) if os.environ.get("SARIF_MULTITOOL") else _install()
    done = _run([str(binary), "--version"], timeout=120)
    if isinstance(done, str):
        _unavailable(f"{binary} does not run: {done}")
    if done.returncode != 0 or "SARIF Multitool" not in done.stdout + done.stderr:
        _unavailable(f"{binary} --version failed (exit {done.returncode}):\n{(done.stdout + done.stderr)[-3000:]}")
    return binary


@pytest.fixture(scope="session")
def configuration(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sarif-multitool") / "validation.xml"
    path.write_text(CONFIGURATION, encoding="utf-8")
    return path


@pytest.fixture
def validate(multitool, configuration, tmp_path_factory):
    """validate(sarif_log) -> (errors, warnings), each a list of "RULE: message" lines."""

    def _validate(log: dict) -> tuple[list[str], list[str]]:
        target = tmp_path_factory.mktemp("validate") / "input.sarif"
        target.write_text(json.dumps(log, indent=2, ensure_ascii=False), encoding="utf-8")
        report = target.with_name("report.sarif")
        report.unlink(missing_ok=True)  # the validator will not overwrite without --log ForceOverwrite
        command = [str(multitool), "validate", "--rule-kind", RULE_KINDS, "--level", "Error;Warning",
                   "-c", str(configuration), "-o", str(report), str(target)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False, env=_environment())
        if done.returncode != 0 or not report.is_file():
            pytest.fail(f"the validator did not run (exit {done.returncode}): {' '.join(command)}\n"
                        f"{(done.stdout + done.stderr)[-3000:]}", pytrace=False)
        return _findings(json.loads(report.read_text(encoding="utf-8-sig")))

    return _validate


def _findings(report: dict) -> tuple[list[str], list[str]]:
    errors: list[str] = []
    warned: list[str] = []
    for run in report["runs"]:
        rules = {rule["id"]: rule for rule in run["tool"]["driver"].get("rules", [])}
        for result in run.get("results", []):
            level = result.get("level", "warning")
            line = f"{result.get('ruleId')}: {_message(result, rules)}"
            if level == "error":
                errors.append(line)
            elif level == "warning":
                warned.append(line)
        for invocation in run.get("invocations", []):
            if not invocation.get("executionSuccessful", True):
                errors.append("the validator's run was not successful")
            for note in invocation.get("toolExecutionNotifications", []) + invocation.get("toolConfigurationNotifications", []):
                if note.get("level", "warning") == "error":
                    errors.append(f"validator notification: {note['message'].get('text')}")
    return errors, warned


def _message(result: dict, rules: dict) -> str:
    """The validator writes messages as id + arguments; its rules hold the templates ({0}, {1}, ...)."""
    message = result.get("message", {})
    if "text" in message:
        return message["text"]
    arguments = message.get("arguments", [])
    rule = rules.get(result.get("ruleId"), {})
    template = rule.get("messageStrings", {}).get(message.get("id"), {}).get("text")
    if template is None:
        return f"{message.get('id')} {arguments}"
    return re.sub(r"\{(\d+)\}", lambda m: arguments[int(m[1])] if int(m[1]) < len(arguments) else m[0], template)


def _assert_clean(validate, log: dict) -> None:
    errors, warned = validate(log)
    for line in warned:
        warnings.warn(f"SARIF validator warning: {line}", stacklevel=2)
    assert not errors, "the SARIF validator reports errors:\n" + "\n".join(errors)


def _sarif(*args: str, cwd: Path) -> dict:
    code, out, err = run_tpulint("--format", "sarif", *args, cwd=cwd)
    assert code in (0, 1), err
    return json.loads(out)


def test_the_shipped_examples(validate):
    log = _sarif("docs/examples", cwd=REPO)
    assert log["runs"][0]["results"]
    _assert_clean(validate, log)


def test_findings_and_files_that_could_not_be_analysed(validate, tmp_path, write):
    write("src/gpu.py", GPU_SCRIPT)
    write("src/with space é.py", GPU_SCRIPT)  # the URI must be percent-encoded to be a valid reference
    write("src/broken.py", "def broken(:\n    pass\n")
    write("src/latin1.py", b"# caf\xe9\nimport torch\nx = torch.zeros(2)\n")
    (tmp_path / "dangling.py").symlink_to(tmp_path / "missing.py")
    log = _sarif("src", "dangling.py", cwd=tmp_path)
    run = log["runs"][0]
    assert len(run["results"]) == 6
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert len(notes) == 3 and {note["level"] for note in notes} == {"error"}
    _assert_clean(validate, log)


def test_a_notebook_checked_against_a_baseline(validate, tmp_path, write):
    """Results located by .ipynb line only, with partialFingerprints and baselineState."""
    notebook = (REPO / "docs" / "examples" / "finetune.ipynb").read_text(encoding="utf-8")
    write("finetune.ipynb", notebook)
    assert run_tpulint("--write-baseline", "baseline.json", "finetune.ipynb", cwd=tmp_path)[0] == 0
    write("train.py", GPU_SCRIPT)
    log = _sarif("--baseline", "baseline.json", ".", cwd=tmp_path)
    results = log["runs"][0]["results"]
    assert results and {r["baselineState"] for r in results} == {"new"}
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results} == {"train.py"}
    _assert_clean(validate, log)
    _assert_clean(validate, _sarif("finetune.ipynb", cwd=tmp_path))


def test_a_run_without_findings(validate, tmp_path, write):
    write("clean.py", "import torch\nx = torch.zeros(2)\n")
    log = _sarif(".", cwd=tmp_path)
    assert log["runs"][0]["results"] == []
    _assert_clean(validate, log)


def _without_driver_name(log: dict) -> None:
    del log["runs"][0]["tool"]["driver"]["name"]


def _result_of_an_undeclared_rule(log: dict) -> None:
    run = log["runs"][0]
    result = run["results"][0]
    result["ruleId"], result["ruleIndex"] = "E7999", len(run["tool"]["driver"]["rules"])


def _unencoded_uri(log: dict) -> None:
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = "my dir/gpu.py"


@pytest.mark.parametrize(("breakage", "rule"), [
    (_without_driver_name, "JSON1002"),  # a required property is missing
    (_result_of_an_undeclared_rule, "SARIF1009"),  # the result's rule is not among the rules
    (_unencoded_uri, "SARIF1002"),  # a file name with a space, as tpulint wrote it before percent-encoding
])
def test_the_validator_catches_a_broken_log(validate, tmp_path, write, breakage, rule):
    """Proves the plumbing: a broken log yields error-level findings that the tests read."""
    write("gpu.py", GPU_SCRIPT)
    log = _sarif(".", cwd=tmp_path)
    broken = copy.deepcopy(log)
    breakage(broken)
    errors, _ = validate(broken)
    assert any(line.startswith(f"{rule}: ") for line in errors), errors


def test_results_with_fixes(validate, tmp_path, write):
    """A TorchTPU port of torch_xla code: its exact edits are SARIF fixes, valid for both tools."""
    write("ported.py", 'import torch\nimport torch_xla\nx = torch.ones(2).to("xla")\n'
                       'torch.distributed.init_process_group("xla")\n')
    log = _sarif("--target", "torchtpu", "ported.py", cwd=tmp_path)
    fixes = [fix for result in log["runs"][0]["results"] for fix in result.get("fixes", ())]
    assert len(fixes) == 3
    replaced = {r.get("insertedContent", {}).get("text", "") for fix in fixes
                for change in fix["artifactChanges"] for r in change["replacements"]}
    assert replaced == {"", '"tpu"', '"tpu_dist"'}
    _assert_clean(validate, log)
