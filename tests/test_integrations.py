"""action.yml, the workflows in docs/github.md and .pre-commit-hooks.yaml, run for real.

The action's shell steps run under bash as a runner runs them (`bash --noprofile --norc -eo
pipefail`, GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files, `${{ }}` expressions filled in only where
the runner fills them: `env:`, `with:`, `if:` and outputs). Its `uses:` steps (setup-python,
upload-sarif) cannot run here: their inputs and conditions are evaluated and checked instead.
The pre-commit hook is built by pre-commit itself from a snapshot of this repository, which
pip-installs tpulint and its dependencies from the package index.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from conftest import REPO, assert_valid_sarif
from tpulint import __version__
from tpulint.cli import parser as _parser

ACTION = REPO / "action.yml"
HOOKS = REPO / ".pre-commit-hooks.yaml"
GUIDE = REPO / "docs" / "github.md"
UPLOAD_SARIF = "github/codeql-action/upload-sarif@v4"
THIS_ACTION = f"tpulint/tpulint@v{__version__}"

GPU = 'import torch\n\nmodel = torch.nn.Linear(4, 4).to("cuda")\n'
XLA_READY = "import torch\nimport torch_xla\n\nmodel = torch.nn.Linear(4, 4).to(torch_xla.device())\n"
GPU_NOTEBOOK = json.dumps({
    "cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
               "source": ["import torch\n", "x = torch.ones(3).to(\"cuda\")"]}],
    "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                 "language_info": {"name": "python"}},
    "nbformat": 4, "nbformat_minor": 5,
}, indent=1) + "\n"

BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]  # what `shell: bash` runs
SUBPROCESS_TIMEOUT = 600


# --- a little of the runner: expressions, step outputs, shell steps -----------------------------


@dataclass
class Context:
    inputs: dict[str, str]
    steps: dict[str, dict[str, str]] = field(default_factory=dict)

    def lookup(self, reference: str) -> str:
        parts = reference.split(".")
        if parts[0] == "inputs" and len(parts) == 2:
            assert parts[1] in self.inputs, f"${{{{ {reference} }}}}: no such input in action.yml"
            return self.inputs[parts[1]]
        if parts[0] == "steps" and len(parts) == 4 and parts[2] == "outputs":
            return self.steps.get(parts[1], {}).get(parts[3], "")  # a missing output is ''
        raise AssertionError(f"the test does not know the context of ${{{{ {reference} }}}}")


_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_REFERENCE = re.compile(r"[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)+")
_TOKEN = re.compile(r"\s*('(?:[^']|'')*'|==|!=|&&|\|\||!|\(|\)|true\b|false\b|[A-Za-z_][\w.-]*)")


def substitute(value: object, context: Context) -> str:
    """A value of `env:`/`with:`/`outputs:`; the action only puts plain references in them."""
    def replace(match: re.Match[str]) -> str:
        assert _REFERENCE.fullmatch(match.group(1)), f"unexpected expression {match.group(0)}"
        return context.lookup(match.group(1))
    text = "true" if value is True else "false" if value is False else str(value)
    return _EXPRESSION.sub(replace, text)


class _Text(str):
    """A string compared the way GitHub expressions compare strings: ignoring case."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and self.casefold() == other.casefold()

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = str.__hash__


def condition(text: str | None, context: Context) -> bool:
    """An `if:` of the action (==, !=, &&, ||, !, parentheses, '...' literals, references)."""
    if text is None:
        return True
    text = _EXPRESSION.sub(r"\1", text)
    python, position = [], 0
    while position < len(text.rstrip()):
        match = _TOKEN.match(text, position)
        assert match, f"the test cannot evaluate if: {text!r} (at {text[position:]!r})"
        token, position = match.group(1), match.end()
        if token.startswith("'"):
            literal = token[1:-1].replace("''", "'")
            python.append(f"_Text({literal!r})")
        elif token in ("==", "!=", "(", ")"):
            python.append(token)
        elif token in ("&&", "||", "!"):
            python.append({"&&": " and ", "||": " or ", "!": " not "}[token])
        elif token in ("true", "false"):
            python.append(token.title())
        else:
            python.append(f"_Text({context.lookup(token)!r})")
    return bool(eval("".join(python), {"_Text": _Text, "__builtins__": {}}))  # noqa: S307 (built from checked tokens)


def read_outputs(path: Path) -> dict[str, str]:
    """A GITHUB_OUTPUT file: `name=value` lines and `name<<DELIMITER` blocks."""
    outputs: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    index = 0
    while index < len(lines):
        line = lines[index]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            end = lines.index(delimiter, index + 1)
            outputs[name] = "\n".join(lines[index + 1:end])
            index = end + 1
            continue
        name, _, value = line.partition("=")
        outputs[name] = value
        index += 1
    return outputs


@dataclass
class Runner:
    """The runner's side of one job: a workspace, the step summary, temporary files."""

    root: Path

    def __post_init__(self) -> None:
        self.workspace = self.root / "workspace"
        self.temp = self.root / "runner-temp"
        self.summary = self.root / "step-summary.md"
        for folder in (self.workspace, self.temp):
            folder.mkdir(parents=True, exist_ok=True)
        self.summary.touch()
        self._outputs = 0

    def environment(self, extra: dict[str, str] | None = None, path: str | None = None) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("GITHUB_", "RUNNER_", "INPUT_", "TPULINT_", "GIT_"))}
        env.update({
            "CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_ACTION_PATH": str(REPO), "GITHUB_STEP_SUMMARY": str(self.summary),
            "RUNNER_TEMP": str(self.temp), "RUNNER_OS": "Linux",
        })
        if path is not None:
            env["PATH"] = path
        env.update(extra or {})
        return env

    def run(self, script: str, env: dict[str, str] | None = None, path: str | None = None,
            shell: list[str] | None = None) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
        """One `run:` step in the workspace; its exit status and the outputs it wrote."""
        self._outputs += 1
        script_file = self.temp / f"step-{self._outputs}.sh"
        output_file = self.temp / f"output-{self._outputs}"
        script_file.write_text(script, encoding="utf-8")
        output_file.touch()
        process = subprocess.run(
            [*(shell or BASH), str(script_file)], cwd=self.workspace, capture_output=True, text=True,
            env=self.environment({**(env or {}), "GITHUB_OUTPUT": str(output_file)}, path=path),
            timeout=SUBPROCESS_TIMEOUT,
        )
        return process, read_outputs(output_file)


def load_action() -> dict:
    return yaml.safe_load(ACTION.read_text(encoding="utf-8"))


def step(action: dict, step_id: str) -> dict:
    return next(s for s in action["runs"]["steps"] if s.get("id") == step_id)


def step_env(step_: dict, context: Context) -> dict[str, str]:
    return {name: substitute(value, context) for name, value in (step_.get("env") or {}).items()}


@dataclass
class ActionRun:
    context: Context
    processes: dict[str, subprocess.CompletedProcess[str]]
    skipped: list[str]
    uploads: list[dict[str, str]]
    failed_step: str | None
    outputs: dict[str, str]


def run_action(runner: Runner, inputs: dict[str, str] | None = None, python: str = sys.executable) -> ActionRun:
    """The composite action's steps in order, as the runner would run them in one job.

    setup-python and the install step are stood in for by outputs pointing at `python`, an
    interpreter that has tpulint (test_action_install_step runs the real install step).
    """
    action = load_action()
    given = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    unknown = set(inputs or {}) - set(given)
    assert not unknown, f"not inputs of action.yml: {unknown}"
    context = Context(inputs={**given, **(inputs or {})})
    context.steps["python"] = {"python-path": python, "python-version": "3"}
    context.steps["install"] = {"python": python, "tpulint": str(Path(python).parent / "tpulint")}
    processes, skipped, uploads, failed = {}, [], [], None
    for index, step_ in enumerate(action["runs"]["steps"]):
        name = step_.get("id") or step_.get("name") or f"step {index}"
        if failed is not None or not condition(step_.get("if"), context):
            skipped.append(name)
            continue
        if "uses" in step_:
            with_ = {key: substitute(value, context) for key, value in (step_.get("with") or {}).items()}
            if step_["uses"].startswith("github/codeql-action/upload-sarif@"):
                uploads.append({"uses": step_["uses"], **with_})
            continue
        if step_.get("id") in context.steps:  # stood in for above
            continue
        assert step_.get("shell") == "bash", f"{name}: a composite run step needs shell: bash"
        process, outputs = runner.run(step_["run"], env=step_env(step_, context))
        processes[name] = process
        if step_.get("id"):
            context.steps[step_["id"]] = outputs
        if process.returncode != 0:
            failed = name
    outputs = {name: substitute(spec["value"], context) for name, spec in action["outputs"].items()}
    return ActionRun(context, processes, skipped, uploads, failed, outputs)


@pytest.fixture
def runner(tmp_path) -> Runner:
    return Runner(tmp_path)


# --- action.yml ---------------------------------------------------------------------------------


def test_action_metadata():
    action = load_action()
    assert action["runs"]["using"] == "composite"
    assert action["name"] and action["description"]
    assert action["branding"]["icon"] and action["branding"]["color"]
    inputs = action["inputs"]
    assert {name: str(spec.get("default")) for name, spec in inputs.items()} == {
        "paths": ".", "args": "", "sarif-file": "tpulint.sarif", "python-version": "3.12",
        "upload": "true", "category": "tpulint", "fail-on-findings": "false",
    }
    assert all(spec.get("description") for spec in inputs.values())
    assert set(action["outputs"]) == {"sarif-file", "exit-code"}
    assert all(spec.get("description") and spec.get("value") for spec in action["outputs"].values())

    setup = step(action, "python")
    assert setup["uses"] == "actions/setup-python@v6"
    assert setup["with"]["python-version"] == "${{ inputs.python-version }}"
    assert setup["with"]["update-environment"] is False  # the job's own Python stays on PATH
    install = step(action, "install")["run"]
    assert '"$GITHUB_ACTION_PATH"' in install and "pip install" in install
    uploads = [s for s in action["runs"]["steps"] if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    assert len(uploads) == 1
    assert uploads[0]["uses"] == UPLOAD_SARIF
    assert uploads[0]["with"]["category"] == "${{ inputs.category }}"


def test_action_scripts_take_inputs_only_from_env():
    """No `${{ }}` inside a script: a value with shell syntax in it must stay a value."""
    for step_ in load_action()["runs"]["steps"]:
        if "run" in step_:
            assert "${{" not in step_["run"], f"{step_.get('name')}: expression inside run:"


def test_action_never_imports_from_the_scanned_repository(runner):
    """A repository that holds tpulint/, pylint.py or astroid.py must not have them run."""
    marker = "open('PWNED', 'w').close()\n"
    (runner.workspace / "tpulint").mkdir()
    (runner.workspace / "tpulint" / "__init__.py").write_text(marker, encoding="utf-8")
    for name in ("pylint.py", "astroid.py", "sarif_om.py", "json.py", "sitecustomize.py"):
        (runner.workspace / name).write_text(marker, encoding="utf-8")
    (runner.workspace / "gpu.py").write_text(GPU, encoding="utf-8")
    run = run_action(runner)
    assert run.failed_step is None, run.processes
    assert not (runner.workspace / "PWNED").exists()
    assert run.outputs["exit-code"] == "1"


def test_action_reports_findings_without_failing(runner):
    (runner.workspace / "gpu.py").write_text(GPU, encoding="utf-8")
    run = run_action(runner)

    assert run.failed_step is None, run.processes
    tpulint = run.context.steps["tpulint"]
    assert tpulint == {"exit-code": "1", "sarif-file": "tpulint.sarif", "written": "true"}
    assert run.outputs == {"exit-code": "1", "sarif-file": "tpulint.sarif"}
    log = run.processes["tpulint"].stdout
    assert "tpulint --format sarif --output tpulint.sarif --summary-markdown" in log
    assert "gpu.py:3: E7101" in log and "readiness 67/100" in log

    sarif = json.loads((runner.workspace / "tpulint.sarif").read_text(encoding="utf-8"))
    assert_valid_sarif(sarif)
    results = sarif["runs"][0]["results"]
    assert {r["ruleId"] for r in results} == {"E7101", "E7122"}
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results} == {"gpu.py"}

    summary = runner.summary.read_text(encoding="utf-8")
    assert summary.startswith("## tpulint: readiness for")
    assert "`gpu.py`" in summary and "cuda-device" in summary

    assert run.uploads == [{"uses": UPLOAD_SARIF, "sarif_file": "tpulint.sarif", "category": "tpulint"}]
    gate = run.processes["Check tpulint's exit code"]
    assert gate.returncode == 0 and "fail-on-findings is false" in gate.stdout


def test_action_fails_on_findings_when_asked_after_uploading(runner):
    (runner.workspace / "gpu.py").write_text(GPU, encoding="utf-8")
    run = run_action(runner, {"fail-on-findings": "true"})

    assert run.failed_step == "Check tpulint's exit code"
    assert run.processes["tpulint"].returncode == 0
    assert run.uploads, "the results are uploaded before the job fails"
    assert "::error title=tpulint::" in run.processes["Check tpulint's exit code"].stdout
    assert run.outputs["exit-code"] == "1"


def test_action_passes_clean_code_with_its_inputs(runner):
    """paths split on whitespace, a sarif-file in a new folder, upload off, a category."""
    source = runner.workspace / "src"
    source.mkdir()
    (source / "model.py").write_text(XLA_READY, encoding="utf-8")
    (source / "other.py").write_text("print('hello')\n", encoding="utf-8")
    (runner.workspace / "gpu.py").write_text(GPU, encoding="utf-8")  # not in paths
    run = run_action(runner, {
        "paths": "src/model.py\n  src/other.py", "sarif-file": "reports/tpulint.sarif",
        "upload": "false", "fail-on-findings": "true", "args": "--families cuda,mark-step --no-progress",
    })

    assert run.failed_step is None, run.processes
    assert run.outputs == {"exit-code": "0", "sarif-file": "reports/tpulint.sarif"}
    assert "tpulint --families cuda,mark-step --no-progress --format sarif" in run.processes["tpulint"].stdout
    sarif = json.loads((runner.workspace / "reports" / "tpulint.sarif").read_text(encoding="utf-8"))
    assert_valid_sarif(sarif)
    assert sarif["runs"][0]["results"] == []
    assert sarif["runs"][0]["properties"]["filesChecked"] == 2  # src/model.py and src/other.py, not gpu.py
    assert run.uploads == [] and "Upload tpulint results to code scanning" in run.skipped
    assert "nothing to change" in run.processes["Check tpulint's exit code"].stdout

    run = run_action(runner, {"paths": "src", "category": "tpulint-src"})
    assert run.uploads == [{"uses": UPLOAD_SARIF, "sarif_file": "tpulint.sarif", "category": "tpulint-src"}]


def test_action_always_fails_on_a_usage_error(runner):
    (runner.workspace / "gpu.py").write_text(GPU, encoding="utf-8")
    (runner.workspace / "tpulint.sarif").write_text("stale", encoding="utf-8")
    run = run_action(runner, {"args": "--families no-such-family"})

    assert run.context.steps["tpulint"]["exit-code"] == "2"
    assert run.context.steps["tpulint"]["written"] == "false"
    assert not (runner.workspace / "tpulint.sarif").exists(), "a stale report must not be uploaded"
    assert "--families 'no-such-family'" in run.processes["tpulint"].stderr
    assert run.uploads == []
    assert run.failed_step == "Check tpulint's exit code"
    assert "exit code 2" in run.processes["Check tpulint's exit code"].stdout


def test_action_inputs_are_not_shell_code(runner):
    (runner.workspace / "gpu.py").write_text(GPU, encoding="utf-8")
    hostile = "$(touch pwned-1) `touch pwned-2`; touch pwned-3 && touch pwned-4 *"
    run = run_action(runner, {"args": hostile, "paths": "gpu.py $(touch pwned-5)", "sarif-file": "x;touch pwned-6"})

    assert not list(runner.workspace.glob("pwned*")) and not list(runner.root.glob("pwned*"))
    assert run.context.steps["tpulint"]["exit-code"] == "2"  # argparse: unknown arguments
    assert run.failed_step == "Check tpulint's exit code"


@pytest.mark.parametrize(("code", "written", "fail_on_findings", "fails"), [
    ("0", "true", "false", False),
    ("0", "true", "true", False),
    ("1", "true", "false", False),
    ("1", "true", "true", True),
    ("1", "true", "True", True),
    ("1", "false", "false", True),   # exit 1 without a report: tpulint crashed
    ("2", "false", "false", True),
    ("2", "true", "false", True),
    ("", "", "false", True),         # the tpulint step never reported
    ("137", "false", "false", True),
])
def test_action_gate(runner, code, written, fail_on_findings, fails):
    action = load_action()
    gate = action["runs"]["steps"][-1]
    context = Context(inputs={"fail-on-findings": fail_on_findings},
                      steps={"tpulint": {"exit-code": code, "written": written}})
    process, _ = runner.run(gate["run"], env=step_env(gate, context))
    assert (process.returncode != 0) == fails, process.stdout


def test_action_install_step(runner):
    """The real install step: a virtual environment in RUNNER_TEMP, tpulint pip-installed into
    it from GITHUB_ACTION_PATH (this repository); then the tpulint step runs with it."""
    action = load_action()
    install = step(action, "install")
    context = Context(inputs={}, steps={"python": {"python-path": sys.executable}})
    started = time.monotonic()
    process, outputs = runner.run(install["run"], env=step_env(install, context))
    assert process.returncode == 0, (
        "the action's install step failed (it pip-installs this repository and its dependencies "
        f"from the package index):\n{process.stdout}\n{process.stderr}")
    python = Path(outputs["python"])
    assert python.is_relative_to(runner.temp) and python.exists()
    assert f"tpulint {__version__}" in process.stdout
    print(f"install step: {time.monotonic() - started:.1f} s")

    (runner.workspace / "gpu.py").write_text(GPU, encoding="utf-8")
    run = run_action(runner, python=str(python))
    assert run.outputs["exit-code"] == "1" and run.failed_step is None
    assert_valid_sarif(json.loads((runner.workspace / "tpulint.sarif").read_text(encoding="utf-8")))


# --- docs/github.md -----------------------------------------------------------------------------


def guide_blocks(language: str) -> list[str]:
    text = GUIDE.read_text(encoding="utf-8")
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def guide_yaml() -> list[object]:
    return [yaml.safe_load(block) for block in guide_blocks("yaml")]


def guide_workflows() -> list[dict]:
    workflows = [data for data in guide_yaml() if isinstance(data, dict) and "jobs" in data]
    assert len(workflows) == 2, "docs/github.md: the workflow with the action and the one without"
    return workflows


def workflow_steps(workflow: dict) -> list[dict]:
    (job,) = workflow["jobs"].values()
    return job["steps"]


def guide_steps() -> list[dict]:
    """Every step in the guide: in the workflows and in the snippets (lists of steps)."""
    steps = []
    for data in guide_yaml():
        if isinstance(data, dict) and "jobs" in data:
            steps += workflow_steps(data)
        elif isinstance(data, list) and all(isinstance(item, dict) and ("uses" in item or "run" in item) for item in data):
            steps += data
    return steps


def tpulint_command(line: str):
    """A `tpulint ...` command line of the guide, parsed by the command's own parser."""
    command = line.split("||")[0]
    words = shlex.split(command)
    assert words[0] == "tpulint", line
    return _parser().parse_args(words[1:])


@pytest.mark.parametrize("index", [0, 1])
def test_guide_workflow(index):
    workflow = guide_workflows()[index]
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert {"push", "pull_request"} <= set(triggers)
    assert workflow["permissions"]["security-events"] == "write"
    assert workflow["permissions"]["contents"] == "read"
    steps = workflow_steps(workflow)
    assert steps[0]["uses"].startswith("actions/checkout@")
    if index == 0:
        (action_step,) = [s for s in steps if s.get("uses", "").startswith("tpulint/tpulint@")]
        assert action_step["uses"] == THIS_ACTION
        return
    (upload,) = [s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    assert upload["uses"] == UPLOAD_SARIF
    assert upload["with"]["category"] == "tpulint"
    (command,) = [s["run"] for s in steps if s.get("run", "").startswith("tpulint ")]
    options = tpulint_command(command)
    assert options.format == "sarif"
    assert str(options.output) == upload["with"]["sarif_file"]
    assert options.summary_markdown == Path("$GITHUB_STEP_SUMMARY")
    (setup,) = [s for s in steps if s.get("uses", "").startswith("actions/setup-python@")]
    assert setup["uses"] == step(load_action(), "python")["uses"]


def test_guide_manual_workflow_runs(runner, tmp_path):
    """The run steps of the workflow without the action (less the pip install: tpulint is
    installed here), with `run:`'s default shell, in a workspace holding GPU code."""
    steps = workflow_steps(guide_workflows()[1])
    scripts = [s["run"] for s in steps if "run" in s and not s["run"].lstrip().startswith("pip install")]
    assert scripts
    (runner.workspace / "gpu.py").write_text(GPU, encoding="utf-8")
    tools = str(Path(sys.executable).parent)
    path = os.pathsep.join([tools, os.environ.get("PATH", "")])
    default_shell = ["bash", "-e"]  # run: without shell: on Linux
    for script in scripts:
        process, _ = runner.run(script, path=path, shell=default_shell)
        assert process.returncode == 0, (script, process.stdout, process.stderr)
    sarif = json.loads((runner.workspace / "tpulint.sarif").read_text(encoding="utf-8"))
    assert_valid_sarif(sarif)
    assert sarif["runs"][0]["results"]
    assert "## tpulint: readiness for" in runner.summary.read_text(encoding="utf-8")

    # `|| [ $? -eq 1 ]`: findings pass, a usage error fails the step.
    fake = tmp_path / "fake-bin"
    fake.mkdir()
    (fake / "tpulint").write_text("#!/bin/sh\nexit 2\n", encoding="utf-8")
    (fake / "tpulint").chmod(0o755)
    (command,) = [s for s in scripts if s.startswith("tpulint ")]
    process, _ = runner.run(command, path=os.pathsep.join([str(fake), path]), shell=default_shell)
    assert process.returncode != 0


def test_guide_steps_use_the_action_as_defined():
    """Every `uses: tpulint/tpulint@...` names this version and only inputs action.yml has."""
    inputs = set(load_action()["inputs"])
    uses = [s for s in guide_steps() if s.get("uses", "").startswith("tpulint/tpulint@")]
    assert len(uses) >= 3
    for step_ in uses:
        assert step_["uses"] == THIS_ACTION
        assert set(step_.get("with") or {}) <= inputs, step_
    for step_ in guide_steps():
        if step_.get("uses", "").startswith("github/codeql-action/"):
            assert step_["uses"] == UPLOAD_SARIF


def test_guide_command_lines_parse():
    lines = [s["run"] for s in guide_steps() if s.get("run", "").startswith("tpulint ")]
    for block in guide_blocks("sh"):
        lines += [line for line in block.splitlines() if line.startswith("tpulint ")]
    lines += re.findall(r"`(tpulint --[^`]*)`", GUIDE.read_text(encoding="utf-8"))
    formats = {tpulint_command(line).format for line in lines}
    assert {"sarif", "github", "markdown"} <= formats
    baselines = [tpulint_command(line) for line in lines if "baseline" in line]
    assert any(o.write_baseline for o in baselines) and any(o.baseline for o in baselines)


def test_guide_documents_every_input_with_its_default():
    rows = dict(re.findall(r"^\| `([\w-]+)` \| ([^|]*) \|", GUIDE.read_text(encoding="utf-8"), flags=re.MULTILINE))
    for name, spec in load_action()["inputs"].items():
        assert name in rows, f"docs/github.md: no row for the input {name}"
        default = str(spec.get("default", ""))
        assert rows[name].strip() == (f"`{default}`" if default else "(empty)"), name


def test_guide_pre_commit_config():
    (config,) = [data for data in guide_yaml() if isinstance(data, dict) and "repos" in data]
    (repo,) = config["repos"]
    assert repo["repo"] == "https://github.com/tpulint/tpulint"
    assert repo["rev"] == f"v{__version__}"
    (hook,) = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert [h["id"] for h in repo["hooks"]] == [hook["id"]]


# --- .pre-commit-hooks.yaml ---------------------------------------------------------------------


def test_hook_definition():
    (hook,) = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert hook["id"] == "tpulint" and hook["entry"] == "tpulint"
    assert hook["language"] == "python"
    assert hook["types_or"] == ["python", "jupyter"]
    assert hook["require_serial"] is True
    assert hook.get("pass_filenames", True) is True
    assert hook["name"] and hook["description"]


def _git(*args: str, cwd: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update({
        "GIT_AUTHOR_NAME": "tpulint tests", "GIT_AUTHOR_EMAIL": "tests@tpulint.invalid",
        "GIT_COMMITTER_NAME": "tpulint tests", "GIT_COMMITTER_EMAIL": "tests@tpulint.invalid",
        "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
        "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
    })
    subprocess.run(["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
                   cwd=cwd, env=env, check=True, capture_output=True, timeout=SUBPROCESS_TIMEOUT)


@pytest.fixture(scope="module")
def hook_repository(tmp_path_factory) -> Path:
    """This repository as it would be committed now (tracked and new files, not ignored ones):
    pre-commit installs a hook repository from a commit, and try-repo on a working tree with
    uncommitted changes only takes tracked files."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, capture_output=True, check=True, timeout=SUBPROCESS_TIMEOUT).stdout
    snapshot = tmp_path_factory.mktemp("hook-repository")
    for name in filter(None, listed.decode("utf-8").split("\0")):
        source = REPO / name
        if source.is_file():
            (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, snapshot / name)
    assert (snapshot / ".pre-commit-hooks.yaml").is_file()
    _git("init", "-q", cwd=snapshot)
    _git("add", "-A", cwd=snapshot)
    _git("commit", "-q", "-m", "snapshot", cwd=snapshot)
    return snapshot


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def project(tmp_path) -> Path:
    """A user's repository with GPU code, a GPU notebook, XLA-ready code and a text file."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "gpu.py").write_text(GPU, encoding="utf-8")
    (project / "gpu.ipynb").write_text(GPU_NOTEBOOK, encoding="utf-8")
    (project / "xla.py").write_text(XLA_READY, encoding="utf-8")
    (project / "notes.md").write_text("Moving to TPU: .to('cuda') becomes torch_xla.device().\n", encoding="utf-8")
    _git("init", "-q", cwd=project)
    _git("add", "-A", cwd=project)
    return project


def pre_commit(project: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """pre-commit ARGS in the project; fails the test if pre-commit could not build the hook."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("GIT_", "PRE_COMMIT"))}
    env["PRE_COMMIT_HOME"] = str(home)
    started = time.monotonic()
    process = subprocess.run(
        [sys.executable, "-m", "pre_commit", *args], cwd=project, env=env, capture_output=True, text=True,
        timeout=SUBPROCESS_TIMEOUT,
    )
    print(f"pre-commit {' '.join(args)}: {time.monotonic() - started:.1f} s")
    output = process.stdout + process.stderr
    if process.returncode not in (0, 1) or "An error has occurred" in output:
        log = home / "pre-commit.log"
        pytest.fail(
            "pre-commit could not build or run the tpulint hook (it pip-installs this repository and "
            f"its dependencies from the package index); exit {process.returncode}:\n{output}\n"
            + (log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""))
    return process


def assert_hook_failed_on_gpu_code(process: subprocess.CompletedProcess[str]) -> None:
    output = process.stdout
    assert process.returncode == 1, output
    assert re.search(r"^tpulint\.+Failed$", output, flags=re.MULTILINE), output
    assert "- hook id: tpulint" in output
    assert "gpu.py:3:34: E7101 cuda-device" in output
    assert re.search(r"^gpu\.ipynb:.* E7101 cuda-device", output, flags=re.MULTILINE), output
    assert "Files: 2 scanned, 2 with findings" in output


def test_pre_commit_try_repo(hook_repository, project, pre_commit_home):
    """`pre-commit try-repo` builds the hook from the repository (in a store of its own, so
    always from scratch) and runs it on the files named."""
    process = pre_commit(project, pre_commit_home, "try-repo", str(hook_repository), "tpulint",
                         "--color=never", "--verbose", "--files", "gpu.py", "gpu.ipynb")
    assert_hook_failed_on_gpu_code(process)


def test_pre_commit_documented_config(hook_repository, project, pre_commit_home):
    """The configuration docs/github.md shows, pointed at the snapshot of this repository."""
    (config,) = [data for data in guide_yaml() if isinstance(data, dict) and "repos" in data]
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=hook_repository, capture_output=True, text=True,
                          check=True, timeout=SUBPROCESS_TIMEOUT).stdout.strip()
    config["repos"][0].update(repo=str(hook_repository), rev=head)
    (project / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    _git("add", ".pre-commit-config.yaml", cwd=project)

    # notes.md is not Python: types_or keeps it from tpulint (which would report it unparsable).
    process = pre_commit(project, pre_commit_home, "run", "--color=never", "--verbose", "--files", "xla.py", "notes.md")
    assert process.returncode == 0, process.stdout + process.stderr
    assert re.search(r"^tpulint\.+Passed$", process.stdout, flags=re.MULTILINE), process.stdout
    assert "Files: 1 scanned, 0 with findings" in process.stdout

    process = pre_commit(project, pre_commit_home, "run", "--color=never", "--verbose", "--files", "gpu.py", "gpu.ipynb")
    assert_hook_failed_on_gpu_code(process)

    process = pre_commit(project, pre_commit_home, "run", "--color=never", "--files", "notes.md")
    assert process.returncode == 0 and re.search(r"^tpulint\.+\(no files to check\)Skipped$", process.stdout,
                                                 flags=re.MULTILINE), process.stdout
