"""The command as ruff users expect it (issue 16): subcommands, rule selection on the command line
and in [tool.tpulint], `# noqa`, statistics, quiet/verbose, settings and files, colour, stdin,
each file's own configuration, and summaries that never claim more than the run proved."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import astroid
import pytest
from conftest import run_tpulint

GPU_SCRIPT = 'import torch\nmodel = torch.nn.Linear(2, 2).to("cuda")\n'
# Three blockers in one file: a device, a CUDA query that raises, and the missing torch_xla import.
THREE_BLOCKERS = 'import torch\n\ntorch.cuda.set_device(0)\nmodel = torch.nn.Linear(2, 2).to("cuda")\n'
TRAIN_LOOP = """\
import torch
model = torch.nn.Linear(2, 2).to("cuda")
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(10):
    loss = model(torch.ones(2, device="cuda")).sum()
    loss.backward()
    optimizer.step()
"""


def _json(*args: str, cwd: Path) -> dict:
    code, out, err = run_tpulint("--output-format", "json", *args, cwd=cwd)
    assert code in (0, 1), err
    return json.loads(out)


def _symbols(report: dict) -> list[str]:
    return sorted(finding["symbol"] for finding in report["findings"])


# --- subcommands ---------------------------------------------------------------------------------


def test_check_is_the_default_subcommand(tmp_path, write):
    write("gpu.py", GPU_SCRIPT)
    assert run_tpulint("check", "gpu.py", cwd=tmp_path) == run_tpulint("gpu.py", cwd=tmp_path)


def test_a_word_naming_a_subcommand_is_never_a_path(tmp_path, write):
    write("fix/gpu.py", GPU_SCRIPT)  # a folder called fix
    write("x.py", GPU_SCRIPT)
    code, out, err = run_tpulint("fix", "--diff", "x.py", cwd=tmp_path)
    assert code == 1 and out.startswith("--- a/x.py") and "fix/gpu.py" not in out
    assert "fix/gpu.py" in run_tpulint("./fix", cwd=tmp_path)[1]  # the folder, spelled as a path


def test_rule_and_its_alias_explain_and_all(tmp_path):
    code, page, _ = run_tpulint("rule", "E7101")
    assert code == 0 and "cuda-device" in page
    assert run_tpulint("explain", "cuda-device")[1] == page
    code, pages, _ = run_tpulint("rule", "--all")
    assert code == 0 and page in pages and "missing-graph-barrier" in pages


def test_version_subcommand():
    code, out, _ = run_tpulint("version")
    assert code == 0 and out.startswith("tpulint ") and out == run_tpulint("version")[1]


# --- rule selection ------------------------------------------------------------------------------


def test_select_ignore_and_their_extensions_on_the_command_line(tmp_path, write):
    write("train.py", TRAIN_LOOP)
    everything = _symbols(_json("train.py", cwd=tmp_path))
    assert "missing-graph-barrier" in everything and "cuda-device" in everything
    assert set(_symbols(_json("--select", "mark-step", "train.py", cwd=tmp_path))) == {"missing-graph-barrier"}
    assert set(_symbols(_json("--select", "E7101", "--extend-select", "W72", "train.py", cwd=tmp_path))) == {
        "cuda-device", "missing-graph-barrier"}
    assert set(everything) == {"cuda-device", "missing-graph-barrier", "missing-torch-xla-import"}
    assert set(_symbols(_json("--ignore", "cuda-device", "train.py", cwd=tmp_path))) == {
        "missing-graph-barrier", "missing-torch-xla-import"}
    assert set(_symbols(_json("--extend-ignore", "mark-step", "train.py", cwd=tmp_path))) == {
        "cuda-device", "missing-torch-xla-import"}
    # The import is an edit only for the fixes the report asks for: none is left here.
    assert _symbols(_json("--ignore", "E7101", "--extend-ignore", "W72", "train.py", cwd=tmp_path)) == []


def test_select_and_ignore_in_the_configuration(tmp_path, write):
    write("pyproject.toml", '[tool.tpulint]\nselect = ["cuda"]\nignore = ["E7122"]\nextend-select = ["W7201"]\n')
    write("train.py", TRAIN_LOOP)
    symbols = set(_symbols(_json("train.py", cwd=tmp_path)))
    assert "missing-graph-barrier" in symbols and "cuda-device" in symbols
    assert "missing-torch-xla-import" not in symbols and all(not s.startswith("unpadded") for s in symbols)


def test_per_file_ignores(tmp_path, write):
    write("pyproject.toml", '[tool.tpulint]\nper-file-ignores = {"tests/*" = ["cuda"], "gen_*.py" = ["E7122"]}\n')
    write("tests/test_gpu.py", GPU_SCRIPT)
    write("pkg/gen_model.py", GPU_SCRIPT)
    write("train.py", GPU_SCRIPT)
    findings = _json(".", cwd=tmp_path)["findings"]
    assert sorted((f["path"], f["symbol"]) for f in findings) == [
        ("pkg/gen_model.py", "cuda-device"),
        ("train.py", "cuda-device"), ("train.py", "missing-torch-xla-import")]


@pytest.mark.parametrize(("args", "config", "expected"), [
    (["--select", "cuda-devise"], "", "--select 'cuda-devise': no rule, family or id prefix of that name; did you mean cuda-device"),
    (["--extend-ignore", "mark-stap"], "", "did you mean mark-step"),
    ([], 'select = ["E7199"]', "select 'E7199'"),
    ([], 'per-file-ignores = {"t/*" = ["cudaa"]}', "did you mean cuda"),
])
def test_an_unknown_rule_is_a_configuration_error(tmp_path, write, args, config, expected):
    write("pyproject.toml", f"[tool.tpulint]\n{config}\n")
    write("gpu.py", GPU_SCRIPT)
    code, out, err = run_tpulint(*args, "gpu.py", cwd=tmp_path)
    assert (code, out) == (2, "") and expected in err and "Traceback" not in err


def test_old_ignore_globs_still_exclude_with_a_deprecation_warning(tmp_path, write):
    write("pyproject.toml", '[tool.tpulint]\nignore = ["generated/*"]\n')
    write("generated/gpu.py", GPU_SCRIPT)
    write("src/gpu.py", GPU_SCRIPT)
    code, out, err = run_tpulint("--output-format", "json", ".", cwd=tmp_path)
    assert {f["path"] for f in json.loads(out)["findings"]} == {"src/gpu.py"}
    assert "`ignore` now names rules" in err and "Rename the key to `exclude`" in err


def test_ignore_mixing_rules_and_paths_is_an_error(tmp_path, write):
    write("pyproject.toml", '[tool.tpulint]\nignore = ["W7117", "tests/*"]\n')
    write("gpu.py", GPU_SCRIPT)
    code, out, err = run_tpulint("gpu.py", cwd=tmp_path)
    assert (code, out) == (2, "") and "mixes rules ['W7117'] and path patterns ['tests/*']" in err


def test_exclude_and_extend_exclude(tmp_path, write):
    write("pyproject.toml", '[tool.tpulint]\nexclude = ["a/*"]\nextend-exclude = ["b"]\n')
    for name in ("a/x.py", "b/c/y.py", "src/z.py"):
        write(name, GPU_SCRIPT)
    assert run_tpulint("--show-files", ".", cwd=tmp_path)[1] == "src/z.py\n"


def test_gitignore_is_honoured_unless_told_not_to(tmp_path, write):
    (tmp_path / ".git").mkdir()
    write(".gitignore", "generated/\n*_pb2.py\n")
    for name in ("generated/x.py", "api_pb2.py", "src/model.py"):
        write(name, GPU_SCRIPT)
    assert run_tpulint("--show-files", cwd=tmp_path)[1] == "src/model.py\n"
    assert run_tpulint("--show-files", "--no-respect-gitignore", cwd=tmp_path)[1] == (
        "api_pb2.py\ngenerated/x.py\nsrc/model.py\n")
    assert run_tpulint("--show-files", "api_pb2.py", cwd=tmp_path)[1] == "api_pb2.py\n"  # named: checked
    assert run_tpulint("--show-files", "--force-exclude", "api_pb2.py", cwd=tmp_path)[1] == ""


# --- # noqa ----------------------------------------------------------------------------------------


def test_noqa_suppresses_on_its_line_and_counts_as_suppressed(tmp_path, write):
    write("train.py", THREE_BLOCKERS.replace('.to("cuda")', '.to("cuda")  # noqa: E7101')
          .replace("set_device(0)", "set_device(0)  # NOQA"))
    report = _json("train.py", cwd=tmp_path)
    assert _symbols(report) == ["missing-torch-xla-import"]
    assert report["summary"]["suppressed"] == 2
    assert report["summary"]["estimated_changes"]["required"] == 1  # suppressed findings are not estimated
    statistics = json.loads(run_tpulint("--statistics", "--output-format", "json", "train.py", cwd=tmp_path)[1])
    assert {row["symbol"]: (row["count"], row["suppressed"]) for row in statistics} == {
        "missing-torch-xla-import": (1, 0), "cuda-device": (0, 1), "cuda-device-query": (0, 1)}


def test_noqa_for_another_rule_or_inside_a_string_does_not_suppress(tmp_path, write):
    write("train.py", 'import torch\nmodel = torch.nn.Linear(2, 2).to("cuda")  # noqa: W7117, pin-memory\n'
          'note = "# noqa"; other = torch.ones(1).to("cuda")\n')
    assert _symbols(_json("train.py", cwd=tmp_path)).count("cuda-device") == 2


def test_noqa_by_symbol(tmp_path, write):
    write("train.py", 'import torch\nmodel = torch.nn.Linear(2, 2).to("cuda")  # noqa:cuda-device\n')
    assert "cuda-device" not in _symbols(_json("train.py", cwd=tmp_path))


# --- reporting options -------------------------------------------------------------------------


def test_statistics_text(tmp_path, write):
    write("a.py", GPU_SCRIPT)
    write("b.py", GPU_SCRIPT)
    code, out, _ = run_tpulint("--statistics", ".", cwd=tmp_path)
    assert code == 1
    assert out.splitlines()[0].split()[:3] == ["2", "E7101", "cuda-device"] and "(2 fixable)" in out.splitlines()[0]


def test_exit_zero(tmp_path, write):
    write("gpu.py", GPU_SCRIPT)
    assert run_tpulint("--exit-zero", "gpu.py", cwd=tmp_path)[0] == 0
    assert run_tpulint("--exit-zero", "missing.py", cwd=tmp_path)[0] == 2  # usage errors still fail


def test_quiet_prints_findings_only_and_verbose_says_what_was_read(tmp_path, write):
    write("pyproject.toml", '[tool.tpulint]\nignore = ["old/*"]\n')
    write("gpu.py", GPU_SCRIPT)
    code, out, err = run_tpulint("-q", "gpu.py", cwd=tmp_path)
    assert code == 1 and err == "" and "Readiness" not in out and out.count("\n") == 2
    code, out, err = run_tpulint("-v", "gpu.py", cwd=tmp_path)
    assert f"project root {tmp_path}" in err and "gpu.py" in err and "pyproject.toml" in err
    assert "configuration" not in out


def test_show_settings_and_show_files_do_no_work(tmp_path, write):
    write("pyproject.toml", '[tool.tpulint]\nselect = ["cuda"]\nper-file-ignores = {"t/*" = ["E7101"]}\n')
    write("gpu.py", GPU_SCRIPT)
    write("t/x.py", GPU_SCRIPT)
    code, out, _ = run_tpulint("--show-settings", "--extend-ignore", "W7117", cwd=tmp_path)
    assert code == 0 and f"configuration file: {tmp_path / 'pyproject.toml'}" in out
    assert "select: cuda" in out and "ignore: W7117" in out and "t/* = ['cuda-device']" in out
    assert "E7101" in out and "W7201" not in out.split("rules:")[1].splitlines()[0]
    assert run_tpulint("--show-files", cwd=tmp_path) == (0, "gpu.py\nt/x.py\n", "")


def test_format_is_still_read(tmp_path, write):
    write("gpu.py", GPU_SCRIPT)
    assert run_tpulint("--format", "json", "gpu.py", cwd=tmp_path) == run_tpulint("--output-format", "json", "gpu.py", cwd=tmp_path)


def _with_terminal(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True
    monkeypatch.setattr(sys, "stdout", Terminal())


@pytest.mark.parametrize(("flag", "environment", "coloured"), [
    ("always", {}, True), ("never", {"FORCE_COLOR": "1"}, False), ("auto", {}, False),
    ("auto", {"FORCE_COLOR": "1"}, True), ("always", {"NO_COLOR": "1"}, True),
])
def test_colour(tmp_path, write, monkeypatch, flag, environment, coloured):
    for name in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    write("gpu.py", GPU_SCRIPT)
    out = run_tpulint("--color", flag, "gpu.py", cwd=tmp_path)[1]
    assert ("\x1b[" in out) == coloured
    if coloured:
        assert "\x1b[1;31mE7101\x1b[0m" in out


def test_colour_auto_on_a_terminal_unless_no_color(tmp_path, write, monkeypatch):
    from tpulint import cli
    write("gpu.py", GPU_SCRIPT)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    options = cli.parser().parse_args(["gpu.py"])
    _with_terminal(monkeypatch)
    assert cli._colour(options)
    monkeypatch.setenv("NO_COLOR", "1")
    assert not cli._colour(options)


# --- stdin ---------------------------------------------------------------------------------------


def _stdin(monkeypatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode()), encoding="utf-8"))


def test_stdin_with_a_file_name(tmp_path, write, monkeypatch):
    write("pyproject.toml", '[tool.tpulint]\nper-file-ignores = {"tests/*" = ["E7122"]}\n')
    _stdin(monkeypatch, GPU_SCRIPT)
    code, out, _ = run_tpulint("-", "--stdin-filename", "tests/test_x.py", cwd=tmp_path)
    assert code == 1 and out.startswith("tests/test_x.py:2:")
    assert "E7101" in out and "E7122" not in out  # configured as the file it names
    _stdin(monkeypatch, GPU_SCRIPT)
    assert run_tpulint("-", cwd=tmp_path)[1].startswith("-:")


def test_fix_from_stdin_prints_the_fixed_source(tmp_path, monkeypatch):
    _stdin(monkeypatch, GPU_SCRIPT)
    code, out, err = run_tpulint("fix", "-", "--stdin-filename", "train.py", cwd=tmp_path)
    assert "torch_xla.device()" in out and '"cuda"' not in out and "import torch_xla" in out
    assert "Readiness" in err and not (tmp_path / "train.py").exists()


# --- each file's own configuration -------------------------------------------------------------


def test_the_configuration_is_found_from_each_files_folder(tmp_path, write):
    write("pyproject.toml", "[tool.tpulint]\n")
    write("services/a/pyproject.toml", '[tool.tpulint]\nselect = ["E7122"]\nexclude = ["gen"]\n')
    write("services/a/gpu.py", GPU_SCRIPT)
    write("services/a/gen/gpu.py", GPU_SCRIPT)
    write("main.py", GPU_SCRIPT)
    findings = _json(".", cwd=tmp_path)["findings"]
    assert sorted((f["path"], f["symbol"]) for f in findings) == [
        ("main.py", "cuda-device"), ("main.py", "missing-torch-xla-import"),
        ("services/a/gpu.py", "missing-torch-xla-import")]


def test_a_nearer_configuration_cannot_change_the_target(tmp_path, write):
    write("sub/pyproject.toml", '[tool.tpulint]\ntarget = "torchtpu"\n')
    write("sub/gpu.py", GPU_SCRIPT)
    code, out, err = run_tpulint("--output-format", "json", ".", cwd=tmp_path)
    assert json.loads(out)["target"] == "torch_xla" and "target 'torchtpu' is not this run's" in err


def test_paths_are_relative_to_the_working_folder(tmp_path, write):
    write("pyproject.toml", "[tool.tpulint]\n")
    write("src/pkg/gpu.py", GPU_SCRIPT)
    assert run_tpulint(".", cwd=tmp_path / "src")[1].startswith("pkg/gpu.py:1:1: E7122")


# --- truthful summaries --------------------------------------------------------------------------


def test_a_run_that_analysed_nothing_says_so_and_fails(tmp_path, write):
    write("broken.py", "def broken(:\n")
    code, out, _ = run_tpulint("--fail-under", "0", "broken.py", cwd=tmp_path)
    assert code == 1 and "no port needed" not in out
    assert "Readiness: not known — none of the 1 file could be analysed" in out


def test_a_baseline_hides_findings_but_not_from_the_score(tmp_path, write):
    write("train.py", THREE_BLOCKERS)
    run_tpulint("--write-baseline", "base.json", "train.py", cwd=tmp_path)
    code, out, _ = run_tpulint("--baseline", "base.json", "--fail-under", "90", "train.py", cwd=tmp_path)
    unbaselined = run_tpulint("train.py", cwd=tmp_path)[1]
    score = unbaselined.split("Readiness for PyTorch/XLA 2.9: ")[1].split("/100")[0]
    assert code == 1  # the port still has to be made
    assert f"Readiness for PyTorch/XLA 2.9: {score}/100" in out and "100/100" not in out
    assert "whole code with 3 findings the baseline hides" in out
    assert "Estimated changes: 3 (" in out


def test_a_restricted_run_does_not_claim_ready(tmp_path, write):
    write("train.py", THREE_BLOCKERS)
    for args in (["--families", "mark-step"], ["--select", "W7201"], ["--ignore", "cuda"]):
        code, out, _ = run_tpulint(*args, "train.py", cwd=tmp_path)
        readiness = next(line for line in out.splitlines() if line.startswith("Readiness"))
        assert "(ready)" not in readiness and "not assessed — only the selected rules" in readiness
        report = _json(*args, "train.py", cwd=tmp_path)
        assert report["summary"]["readiness_band"] == "selected rules only" and report["summary"]["rules_scope"]


def test_errors_go_to_stderr_and_stdout_carries_only_the_report(tmp_path, write):
    write("pyproject.toml", '[tool.tpulint]\nignore = ["old/*"]\n')
    write("gpu.py", GPU_SCRIPT)
    code, out, err = run_tpulint("--output-format", "json", "gpu.py", cwd=tmp_path)
    json.loads(out)
    assert "warning" in err


def test_an_output_that_fails_while_written_is_one_line_and_exit_2(tmp_path, write):
    write("gpu.py", GPU_SCRIPT)
    code, out, err = run_tpulint("-o", "/dev/full", "gpu.py", cwd=tmp_path)
    assert code == 2 and err.startswith("tpulint: /dev/full: cannot be written") and "Traceback" not in err


# --- the README -------------------------------------------------------------------------------


def test_the_readme_command_reference_is_generated_from_the_parser():
    from tpulint import command_reference
    readme = command_reference.README.read_text(encoding="utf-8")
    assert command_reference.updated(readme) == readme, "run `python -m tpulint.command_reference`"
    assert "| `--statistics` |" in readme and "| `--stdin-filename PATH` |" in readme


# --- the result cache on the command line --------------------------------------------------------


def _linted_files(monkeypatch) -> list[str]:
    from tpulint import analysis
    linted: list[str] = []
    original = analysis._run_pylint

    def counted(files, *args):
        linted.extend(Path(path).name for path in files)
        return original(files, *args)

    monkeypatch.setattr(analysis, "_run_pylint", counted)
    return linted


def test_a_rerun_reads_the_cache_beside_the_configuration(tmp_path, write, monkeypatch):
    write("pyproject.toml", "[tool.tpulint]\n")
    write("src/a.py", GPU_SCRIPT)
    write("src/b.py", GPU_SCRIPT)
    cold = run_tpulint(".", cwd=tmp_path / "src")
    assert (tmp_path / ".tpulint_cache" / ".gitignore").is_file()
    linted = _linted_files(monkeypatch)
    assert run_tpulint(".", cwd=tmp_path / "src") == cold and linted == []
    write("src/b.py", GPU_SCRIPT + "y = torch.ones(1).cuda()\n")
    astroid.MANAGER.clear_cache()  # this process parsed b.py before (a real re-run is a new process)
    warm = run_tpulint("--output-format", "json", ".", cwd=tmp_path / "src")[1]
    assert linted == ["b.py"] and len(json.loads(warm)["findings"]) == 5


def test_no_cache_reads_and_writes_nothing(tmp_path, write, monkeypatch):
    write("gpu.py", GPU_SCRIPT)
    run_tpulint("--no-cache", "gpu.py", cwd=tmp_path)
    assert not (tmp_path / ".tpulint_cache").exists()
    run_tpulint("gpu.py", cwd=tmp_path)
    linted = _linted_files(monkeypatch)
    run_tpulint("--no-cache", "gpu.py", cwd=tmp_path)
    assert linted == ["gpu.py"]


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_the_cache_folder_can_be_chosen(tmp_path, write, monkeypatch, how):
    write("gpu.py", GPU_SCRIPT)
    chosen = tmp_path / "elsewhere"
    if how == "flag":
        run_tpulint("--cache-dir", str(chosen), "gpu.py", cwd=tmp_path)
    else:
        monkeypatch.setenv("TPULINT_CACHE_DIR", str(chosen))
        run_tpulint("gpu.py", cwd=tmp_path)
    assert not (tmp_path / ".tpulint_cache").exists()
    assert any(path.name.startswith("results-") for path in chosen.iterdir())


# --- what a new user found (issue 16's review) -----------------------------------------------------


def test_the_most_specific_selector_decides_and_ignore_wins_ties(tmp_path, write):
    write("train.py", THREE_BLOCKERS)
    assert _symbols(_json("--select", "E7101", "--ignore", "cuda", "train.py", cwd=tmp_path)) == ["cuda-device"]
    one_way = _json("--ignore", "E7122", "--extend-select", "E7122", "train.py", cwd=tmp_path)
    other_way = _json("--extend-select", "E7122", "--ignore", "E7122", "train.py", cwd=tmp_path)
    assert one_way == other_way and "missing-torch-xla-import" not in _symbols(one_way)
    assert _symbols(_json("--select", "e7101", "train.py", cwd=tmp_path)) == ["cuda-device"]  # any case
    assert _symbols(_json("--select", "ALL", "train.py", cwd=tmp_path)) == _symbols(_json("train.py", cwd=tmp_path))
    write("pyproject.toml", '[tool.tpulint]\nignore = ["cuda"]\n')
    assert _symbols(_json("--select", "E7101", "train.py", cwd=tmp_path)) == ["cuda-device"]


@pytest.mark.parametrize("args", [["--families", "mark-step", "--select", "cuda"], ["--ignore", "ALL"]])
def test_a_selection_that_leaves_no_rule_is_an_error(tmp_path, write, args):
    write("gpu.py", GPU_SCRIPT)
    code, out, err = run_tpulint(*args, "gpu.py", cwd=tmp_path)
    assert (code, out) == (2, "") and "no rule is left to run" in err


def test_an_empty_cache_dir_is_an_error_and_a_chosen_folder_is_never_told_to_ignore_itself(tmp_path, write):
    write("gpu.py", GPU_SCRIPT)
    assert run_tpulint("--cache-dir", "", "gpu.py", cwd=tmp_path)[0] == 2
    run_tpulint("--cache-dir", ".", "gpu.py", cwd=tmp_path)
    assert not (tmp_path / ".gitignore").exists()
    assert run_tpulint("--show-files", cwd=tmp_path)[1] == "gpu.py\n"


def test_stdin_filename_alone_reads_stdin_and_with_paths_is_an_error(tmp_path, write, monkeypatch):
    write("other.py", GPU_SCRIPT)
    _stdin(monkeypatch, GPU_SCRIPT)
    code, out, _ = run_tpulint("--stdin-filename", "src/h.py", "-q", cwd=tmp_path)
    assert code == 1 and {line.split(":")[0] for line in out.splitlines()} == {"src/h.py"}
    code, out, err = run_tpulint("--stdin-filename", "src/h.py", "other.py", cwd=tmp_path)
    assert (code, out) == (2, "") and "--stdin-filename" in err


def test_force_exclude_applies_to_the_stdin_filename(tmp_path, write, monkeypatch):
    write("pyproject.toml", '[tool.tpulint]\nexclude = ["gen/*"]\n')
    _stdin(monkeypatch, GPU_SCRIPT)
    assert run_tpulint("-", "--force-exclude", "--stdin-filename", "gen/x.py", cwd=tmp_path) == (0, "", "")
    _stdin(monkeypatch, GPU_SCRIPT)
    assert run_tpulint("-", "--stdin-filename", "gen/x.py", cwd=tmp_path)[0] == 1


def test_fix_diff_of_stdin_names_the_stdin_filename(tmp_path, monkeypatch):
    _stdin(monkeypatch, GPU_SCRIPT)
    code, out, _ = run_tpulint("fix", "--diff", "-", "--stdin-filename", "src/train.py", cwd=tmp_path)
    assert code == 1 and out.startswith("--- a/src/train.py\n+++ b/src/train.py\n") and "+import torch_xla" in out


def test_show_settings_for_a_path_in_a_subproject(tmp_path, write):
    write("pyproject.toml", "[tool.tpulint]\n")
    write("src/pyproject.toml", '[tool.tpulint]\nselect = ["mark-step"]\n')
    write("src/pkg/train.py", TRAIN_LOOP)
    out = run_tpulint("--show-settings", "src/pkg/train.py", cwd=tmp_path)[1]
    assert f"configuration file: {tmp_path / 'src' / 'pyproject.toml'}" in out and "select: mark-step" in out


def test_a_subprojects_selection_is_named_as_such_in_the_summary(tmp_path, write):
    write("pyproject.toml", "[tool.tpulint]\n")
    write("src/pyproject.toml", '[tool.tpulint]\nselect = ["mark-step"]\n')
    write("src/train.py", TRAIN_LOOP)
    write("tests/gpu.py", GPU_SCRIPT)
    readiness = next(line for line in run_tpulint(".", cwd=tmp_path)[1].splitlines() if line.startswith("Readiness"))
    assert "the selected rules (in src: select mark-step; all rules elsewhere)" in readiness


def test_a_report_file_is_never_coloured_unless_asked(tmp_path, write, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    write("gpu.py", GPU_SCRIPT)
    run_tpulint("-o", "report.txt", "gpu.py", cwd=tmp_path)
    assert "\x1b[" not in (tmp_path / "report.txt").read_text(encoding="utf-8")
    run_tpulint("--color", "always", "-o", "report.txt", "gpu.py", cwd=tmp_path)
    assert "\x1b[" in (tmp_path / "report.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("config", ["selct = 1", 'select = ["cuda-devce"]', "jobs = -5", 'max-file-size = "x"', "[oops"])
def test_a_wrong_subproject_configuration_is_a_configuration_error(tmp_path, write, config):
    write("pyproject.toml", "[tool.tpulint]\n")
    write("sub/pyproject.toml", f"[tool.tpulint]\n{config}\n")
    write("sub/gpu.py", GPU_SCRIPT)
    code, out, err = run_tpulint(".", cwd=tmp_path)
    assert (code, out) == (2, "") and "sub/pyproject.toml" in err and "Traceback" not in err


def test_help_subcommand_and_statistics_formats(tmp_path, write):
    code, out, _ = run_tpulint("help")
    assert code == 0 and out.startswith("usage: tpulint check")
    write("gpu.py", GPU_SCRIPT)
    code, out, err = run_tpulint("--statistics", "--output-format", "sarif", "gpu.py", cwd=tmp_path)
    assert (code, out) == (2, "") and "--statistics writes text or json" in err
