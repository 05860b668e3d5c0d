"""Scanning a hostile or broken tree: nothing in it runs, no file stops the others, the work per
file is bounded, and the results do not depend on what else was scanned (issue 10).

The command and the plugin run as subprocesses here, as in code scanning: whatever a vector
would execute must not reach this test process, and a marker file written by it is the proof.
"""

from __future__ import annotations

import ast
import re
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest
from conftest import REPO, assert_valid_sarif

from tpulint import bounds
from tpulint.cli import main

BIN = Path(sys.executable).parent
TPULINT = str(BIN / "tpulint")
GPU = 'import torch\nmodel = torch.nn.Linear(2, 2).to("cuda")\n'
MARKER = "PWNED"
WRITES_MARKER = f"open({MARKER!r}, 'w').close()"


def _tpulint(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([TPULINT, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def _pylint(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    rcfile = cwd.parent / f"{cwd.name}-empty.toml"
    rcfile.write_text("", encoding="utf-8")
    return subprocess.run(
        [str(BIN / "pylint"), f"--rcfile={rcfile}", "--load-plugins=tpulint", "--disable=all",
         "--enable=tpulint-cuda,tpulint-mark-step,tpulint-dynamic-shape,tpulint-non-xla-op", "--persistent=n", *args],
        cwd=cwd, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )


def _no_marker(tree: Path) -> None:
    assert not list(tree.rglob(MARKER)), "code from the scanned tree ran"


def _no_traceback(done: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
    assert "crash report" not in done.stdout + done.stderr


# --- nothing from the tree runs --------------------------------------------------------------

OPTION_NAMES = [
    f"--init-hook={WRITES_MARKER}#.py",
    "--load-plugins=evil.py",
    "--rcfile=evil.py",
    "-j0.py",
    "-rf.py",
    "--output-format=json.py",
]


@pytest.mark.parametrize("name", OPTION_NAMES)
def test_a_file_named_like_an_option_is_a_file(tmp_path, name):
    (tmp_path / "evil.py").write_text(f"{WRITES_MARKER}\n[tool.pylint.main]\ninit-hook = \"{WRITES_MARKER}\"\n", encoding="utf-8")
    (tmp_path / name).write_text(GPU, encoding="utf-8")
    done = _tpulint("--format", "json", ".", cwd=tmp_path)
    _no_marker(tmp_path)
    _no_traceback(done)
    assert done.returncode == 1, done.stderr
    paths = {finding["path"] for finding in json.loads(done.stdout)["findings"]}
    assert name in paths


def test_a_file_named_like_an_option_is_a_file_on_the_command_line_after_double_dash(tmp_path):
    """pre-commit passes file names after its args; the hook's args end with `--`."""
    name = f"--init-hook={WRITES_MARKER}#.py"
    (tmp_path / name).write_text(GPU, encoding="utf-8")
    done = _tpulint("--format", "json", "--", name, cwd=tmp_path)
    _no_marker(tmp_path)
    assert done.returncode == 1, done.stderr
    assert [f["path"] for f in json.loads(done.stdout)["findings"]] == [name, name]


def test_the_pre_commit_hook_ends_its_options():
    hooks = (REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    assert "args: [--force-exclude, --]" in hooks


def test_the_action_runs_the_installed_command_not_python_dash_m():
    """`python -m` puts the workspace (the scanned repository) first on sys.path: a `tpulint/`
    or `pylint.py` there would be imported instead of the real one."""
    lines = (REPO / "action.yml").read_text(encoding="utf-8").splitlines()
    code = [line for line in lines if not line.strip().startswith("#")]
    assert not [line for line in code if "-m tpulint" in line]
    assert any('"$TPULINT" "$@"' in line for line in code)


def _compile_extension(folder: Path, name: str, marker: Path) -> None:
    compiler = shutil.which("cc") or shutil.which("gcc")
    assert compiler, "a C compiler is needed to build the hostile extension module of this test"
    source = folder / "evil.c"
    source.write_text(
        "#include <Python.h>\n#include <stdio.h>\n"
        f"static struct PyModuleDef def = {{PyModuleDef_HEAD_INIT, \"{name}\", NULL, -1, NULL}};\n"
        f"PyMODINIT_FUNC PyInit_{name}(void) {{ FILE *f = fopen(\"{marker}\", \"w\"); if (f) fclose(f);"
        " return PyModule_Create(&def); }\n",
        encoding="utf-8",
    )
    target = folder / f"{name}{sysconfig.get_config_var('EXT_SUFFIX')}"
    subprocess.run([compiler, "-shared", "-fPIC", f"-I{sysconfig.get_paths()['include']}", "-o", str(target), str(source)],
                   check=True, capture_output=True)
    source.unlink()


def _stdlib_extension_name() -> str:
    """A standard-library extension module this Python has (astroid loads those by default)."""
    for name in ("audioop", "_bz2", "_lzma", "mmap", "_csv", "termios", "resource", "grp"):
        spec = __import__("importlib.util").util.find_spec(name)
        if spec is not None and spec.origin and spec.origin.endswith(sysconfig.get_config_var("EXT_SUFFIX")):
            return name
    pytest.fail("no standard-library extension module found to impersonate")


@pytest.mark.parametrize("face", ["command", "plugin"])
def test_an_extension_module_in_the_tree_is_never_loaded(tmp_path, face):
    name = _stdlib_extension_name()
    project = tmp_path / "project"
    project.mkdir()
    marker = tmp_path / MARKER
    _compile_extension(project, name, marker)
    (project / "use.py").write_text(
        f"import torch\nimport {name}\nx = {name}.compress(b'x')\ny = torch.zeros(1).cuda()\n", encoding="utf-8")
    done = _tpulint(".", cwd=project) if face == "command" else _pylint("use.py", cwd=project)
    assert not marker.exists(), "the extension module's init function ran"
    assert "cuda-move-method" in done.stdout or "E7103" in done.stdout, done.stdout + done.stderr


ASTROID_PROBE = """
import sys, astroid
from pylint.lint import PyLinter
folder, name, guarded = sys.argv[1], sys.argv[2], sys.argv[3] == "guarded"
if guarded:
    import tpulint
    from tpulint import isolation
    tpulint.register(PyLinter())
    isolation.guard_imports()
sys.path.insert(0, folder)  # as pylint does while it lints the folder
module = astroid.MANAGER.ast_from_module_name(name, context_file=folder + "/use.py")
print(module.file)
"""


@pytest.mark.parametrize("guarded", [False, True])
def test_astroid_loads_a_stdlib_named_extension_only_without_the_guard(tmp_path, guarded):
    """The vector itself, at the place it happens: astroid imports a C extension named like a
    standard-library module to read it. Unguarded (pylint alone) the tree's copy runs; with
    tpulint registered, the real standard-library module is read instead."""
    name = _stdlib_extension_name()
    marker = tmp_path / MARKER
    _compile_extension(tmp_path, name, marker)
    (tmp_path / "use.py").write_text(f"import {name}\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", ASTROID_PROBE, str(tmp_path), name, "guarded" if guarded else "plain"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert marker.exists() is not guarded, done.stdout + done.stderr


@pytest.mark.parametrize("face", ["command", "plugin"])
def test_a_module_named_like_one_the_analysis_imports_is_never_imported(tmp_path, face):
    """pylint puts the scanned folders first on sys.path; lazy imports must not reach them."""
    for name in ("difflib", "dill", "tomllib", "sarif_om", "json", "fnmatch", "textwrap", "csv", "sitecustomize",
                 "usercustomize", "conftest", "setup", "tpulint", "astroid", "pylint"):
        (tmp_path / f"{name}.py").write_text(f"{WRITES_MARKER}\n", encoding="utf-8")
    (tmp_path / "evil.pth").write_text(f"import os; {WRITES_MARKER}\n", encoding="utf-8")
    (tmp_path / "side_effect.py").write_text(f"{WRITES_MARKER}\nimport torch\nnet = torch.nn.Linear(1, 1)\n", encoding="utf-8")
    (tmp_path / "train.py").write_text(
        "import torch\nimport side_effect\nimport difflib\nmodel = side_effect.net.cuda()\n"
        "difflib.SequenceMatcher(None, 'a', 'b').ratio()\n", encoding="utf-8")
    if face == "command":
        done = _tpulint("--format", "sarif", "--jobs", "2", ".", cwd=tmp_path)
        assert_valid_sarif(json.loads(done.stdout))
    else:
        done = _pylint("--jobs=2", "train.py", "side_effect.py", cwd=tmp_path)
    _no_marker(tmp_path)
    assert "cuda-move-method" in done.stdout or "E7103" in done.stdout, done.stdout + done.stderr


def test_a_hostile_pylint_configuration_in_the_tree_is_not_read(tmp_path):
    for name, text in {
        "pylintrc": f"[MAIN]\ninit-hook={WRITES_MARKER}\n",
        ".pylintrc": f"[MAIN]\ninit-hook={WRITES_MARKER}\n",
        "setup.cfg": f"[pylint.main]\ninit-hook={WRITES_MARKER}\n",
        "pyproject.toml": f'[tool.pylint.main]\ninit-hook = "{WRITES_MARKER}"\n',
    }.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "gpu.py").write_text(GPU, encoding="utf-8")
    done = _tpulint(".", cwd=tmp_path)
    _no_marker(tmp_path)
    assert "E7101" in done.stdout


# --- one bad file never stops the others -----------------------------------------------------


def _bad_tree(tmp_path: Path) -> dict[str, str]:
    """Files that cannot be checked, each with the reason the report must give."""
    (tmp_path / "gpu.py").write_text(GPU, encoding="utf-8")
    (tmp_path / "dangling.py").symlink_to(tmp_path / "nowhere.py")
    (tmp_path / "loop_a.py").symlink_to(tmp_path / "loop_b.py")
    (tmp_path / "loop_b.py").symlink_to(tmp_path / "loop_a.py")
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "back").symlink_to(tmp_path / "folder")
    os.mkfifo(tmp_path / "pipe.py")
    (tmp_path / "klingon.py").write_text("# -*- coding: klingon -*-\nx = 1\n", encoding="utf-8")
    (tmp_path / "latin1.py").write_bytes(b'x = "caf\xe9"\n')
    (tmp_path / "declared.py").write_bytes(b'# -*- coding: ascii -*-\nx = "caf\xc3\xa9"\n')
    (tmp_path / "nul.py").write_bytes(b"x = 1\x00\n")
    (tmp_path / "parens.py").write_text("x = " + "(" * 250 + "1" + ")" * 250 + "\n", encoding="utf-8")
    (tmp_path / "unary.py").write_text("x = " + "-" * 5000 + "1\n", encoding="utf-8")
    (tmp_path / "broken.ipynb").write_text("{not json", encoding="utf-8")
    return {
        "dangling.py": "a symbolic link to a path that does not exist",
        "loop_a.py": "a symbolic link loop",
        "loop_b.py": "a symbolic link loop",
        "folder/back": "a loop",
        "pipe.py": "a named pipe",
        "klingon.py": "'klingon', an encoding Python does not know",
        "latin1.py": "not valid UTF-8 (byte 0xe9 on line 1)",
        "declared.py": "not valid ascii (byte 0xc3 on line 2)",
        "nul.py": "NUL bytes",
        "parens.py": "nested too deeply for Python's own parser",
        "unary.py": "nested too deeply for Python's own parser",
        "broken.ipynb": "not valid JSON",
    }


def test_every_unreadable_path_gets_one_line_and_the_rest_is_checked(tmp_path):
    expected = _bad_tree(tmp_path)
    done = _tpulint(".", cwd=tmp_path, timeout=60)
    _no_traceback(done)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    for path, reason in expected.items():
        said = [line for line in lines if line.startswith(f"{path}: ")]
        assert len(said) == 1 and reason in said[0], (path, done.stdout)
    assert "gpu.py:2:34: E7101 cuda-device" in done.stdout
    assert "could not be analysed" in done.stdout  # the score says it does not cover them


def test_unreadable_paths_are_sarif_notifications(tmp_path):
    expected = _bad_tree(tmp_path)
    done = _tpulint("--format", "sarif", ".", cwd=tmp_path, timeout=60)
    log = json.loads(done.stdout)
    assert_valid_sarif(log)
    notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    uris = {note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for note in notes}
    assert uris == set(expected)


def test_an_unreadable_folder_and_file_are_reported_not_skipped(tmp_path, monkeypatch):
    """CI runs as root, which reads everything: the refusals are simulated where tpulint lists a
    folder and opens a file."""
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "x.py").write_text(GPU, encoding="utf-8")
    (tmp_path / "secret.py").write_text(GPU, encoding="utf-8")
    (tmp_path / "gpu.py").write_text(GPU, encoding="utf-8")
    real_scandir, real_open = os.scandir, os.open

    def refusing_scandir(path="."):
        if isinstance(path, (str, Path)) and Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    def refusing_open(path, flags, *args, **kwargs):
        if isinstance(path, (str, Path)) and Path(path).name == "secret.py":
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", refusing_scandir)
    monkeypatch.setattr(os, "open", refusing_open)
    monkeypatch.chdir(tmp_path)
    code = main(["--format", "json", "--output", str(tmp_path / "out.json"), "."])
    report = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert code == 1
    assert {"path": "locked", "level": "error", "message": "folder not searched: permission denied"} in report["notifications"]
    assert {"path": "secret.py", "level": "error", "message": "not analysed: permission denied"} in report["notifications"]
    assert {f["path"] for f in report["findings"]} == {"gpu.py"}


def test_each_real_file_is_checked_once_through_links(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "gpu.py").write_text(GPU, encoding="utf-8")
    (tmp_path / "alias").symlink_to(tmp_path / "src")
    (tmp_path / "same.py").symlink_to(tmp_path / "src" / "gpu.py")
    done = _tpulint("--format", "json", ".", cwd=tmp_path)
    findings = json.loads(done.stdout)["findings"]
    assert len([f for f in findings if f["symbol"] == "cuda-device"]) == 1


@pytest.mark.parametrize("face", ["command", "plugin"])
def test_lines_ended_by_a_lone_cr_are_checked_where_they_are(tmp_path, face):
    """CPython reads CR-only line ends; pylint's tokenizer sees one line (and crashed on nested
    blocks, or spent minutes in its pragma search). Findings keep their lines and the path."""
    (tmp_path / "mac.py").write_bytes(b'import torch\rx = torch.zeros(1).cuda()\rif x:\r  y = "cuda"\r'
                                      + b"class C:\r    def f(self):\r        try:\r            pass\r"
                                      + b"        except Exception:\r            pass\r" + b"# a comment" * 1000 + b"\r")
    done = _tpulint("mac.py", cwd=tmp_path, timeout=60) if face == "command" else _pylint("mac.py", cwd=tmp_path)
    _no_traceback(done)
    assert re.search(r"^mac.py:2:\d+: E7103", done.stdout, re.MULTILINE), done.stdout
    assert re.search(r"^mac.py:4:\d+: E7101", done.stdout, re.MULTILINE), done.stdout


# --- output paths are checked before any work ------------------------------------------------


@pytest.mark.parametrize("flag", ["--output", "--summary-markdown", "--write-baseline"])
def test_an_output_in_a_missing_folder_is_a_usage_error(tmp_path, flag):
    (tmp_path / "gpu.py").write_text(GPU, encoding="utf-8")
    done = _tpulint(flag, "missing/x.out", ".", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == f"tpulint: {flag} missing/x.out: the folder missing does not exist"
    assert done.stdout == ""


def test_an_output_that_is_a_folder_is_a_usage_error(tmp_path):
    (tmp_path / "gpu.py").write_text(GPU, encoding="utf-8")
    done = _tpulint("--output", ".", ".", cwd=tmp_path)
    assert done.returncode == 2 and "is a folder" in done.stderr


# --- bounded work per file -------------------------------------------------------------------

DEEP = {
    "elif_chain.py": (
        "import torch\nmodel = torch.nn.Linear(2, 2).cuda()\nfor i in range(10):\n    x = torch.zeros(2).cuda()\n"
        "    if i == 0:\n        y = model(x)\n"
        + "".join(f"    elif i == {k}:\n        y = model(x)\n" for k in range(1, 400))
        + "    y.sum().backward()\n"
    ),
    "call_chain.py": "import torch\nx = torch.zeros(1)" + ".float()" * 185 + ".cuda()\n",
    "long_chain.py": "import torch\nx = torch.zeros(1)" + ".float()" * 400 + ".cuda()\n",
    "binop.py": "import torch\nx = " + " + ".join(["torch.ones(1)"] * 600) + "\ny = torch.zeros(1).cuda()\n",
    "nested_lists.py": "import torch\nx = " + "[" * 180 + "1" + "]" * 180 + "\ny = torch.zeros(1).cuda()\n",
    "deep_fstring.py": 'import torch\nx = f"{' + "[" * 150 + "1" + "]" * 150 + '}"\ny = torch.zeros(1).cuda()\n',
}


@pytest.mark.parametrize("name", sorted(DEEP))
@pytest.mark.parametrize("face", ["command", "plugin"])
def test_deep_code_is_partially_analysed_in_bounded_time(tmp_path, name, face):
    (tmp_path / name).write_text(DEEP[name], encoding="utf-8")
    started = time.monotonic()
    done = _tpulint(name, cwd=tmp_path, timeout=60) if face == "command" else _pylint("--enable=tpulint", name, cwd=tmp_path)
    assert time.monotonic() - started < 30
    _no_traceback(done)
    assert "partially analysed" in done.stdout, done.stdout
    assert "cuda-move-method" in done.stdout  # the rest of the file is still checked


def test_a_text_the_project_view_measured_is_not_measured_again_when_astroid_parses_it(tmp_path, monkeypatch):
    """pylint parses every file before it checks any: the view of a PyTorch file's project is built
    first, and astroid's parse of each text the view measured shallow skips the depth check (it
    was about 2 % of a run). A file of a project with no PyTorch file is measured as before."""
    import contextlib
    import io
    from pylint.lint import Run
    texts = {"torch_project/a.py": "import torch\nx = torch.zeros(1).cuda()\n",
             "torch_project/b.py": "import torch\ny = torch.ones(1).cuda()\n",
             "torch_project/plain.py": "x = 1\n", "other/c.py": "x = 2\n"}
    for name, text in texts.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).parent.joinpath("pyproject.toml").write_text("", encoding="utf-8")
        (tmp_path / name).write_text(text, encoding="utf-8")
    measured = []
    real = bounds.may_exceed
    monkeypatch.setattr(bounds, "may_exceed", lambda tree, text: measured.append(text) or real(tree, text))
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        Run(["--rcfile=/dev/null", "--persistent=n", "--load-plugins=tpulint", "--disable=all",
             "--enable=tpulint-cuda,tpulint-mark-step,tpulint-dynamic-shape,tpulint-non-xla-op",
             *(str(tmp_path / name) for name in texts)], exit=False)
    # astroid also parses code of its own (its brain's): only the scanned texts count here.
    assert [text for text in measured if text in texts.values()] == ["x = 2\n"]
    assert output.getvalue().count("cuda-move-method") == 2


NESTING_KINDS = {
    "elif": lambda n: "if i == 0:\n    y = 0\n" + "".join(f"elif i == {k}:\n    y = {k}\n" for k in range(1, n)),
    "method_chain": lambda n: "x = torch.zeros(1)" + ".float()" * n + "\n",
    "binop": lambda n: "x = " + " + ".join(["t"] * n) + "\n",
    "lists": lambda n: "x = " + "[" * n + "1" + "]" * n + "\n",
    "unary": lambda n: "x = " + "-" * n + "1\n",
    "calls": lambda n: "x = " + "f(" * n + "1" + ")" * n + "\n",
    "subscripts": lambda n: "x = a" + "[0]" * n + "\n",
    "attributes": lambda n: "x = a" + ".b" * n + "\n",
    "fstring": lambda n: 'x = f"{' + "[" * n + "1" + "]" * n + '}"\n',
    "lambdas": lambda n: "x = " + "lambda: " * n + "1\n",
    "comprehensions": lambda n: "x = " + "[" * n + "y" + " for y in z]" * n + "\n",
}


def _deepest_below(make, limit: int) -> str:
    """make(n) for the largest n whose tree is at most `limit` levels deep."""
    n = 1
    while bounds.depth(ast.parse(make(n + 1))) <= limit:
        n += 1
    return make(n)


@pytest.mark.parametrize("kind", sorted(NESTING_KINDS))
def test_every_kind_of_nesting_up_to_the_bound_is_analysed_whole(tmp_path, kind):
    body = _deepest_below(NESTING_KINDS[kind], bounds.MAX_DEPTH)
    (tmp_path / "deep.py").write_text("import torch\ny = torch.zeros(1).cuda()\n" + body, encoding="utf-8")
    done = _tpulint("deep.py", cwd=tmp_path, timeout=60)
    _no_traceback(done)
    assert "analysed" not in done.stdout.replace("analysed files", ""), done.stdout
    assert re.search(r"^deep.py:2:\d+: E7103 cuda-move-method", done.stdout, re.MULTILINE), done.stdout


@pytest.mark.parametrize("limit", [5, 20, 60, bounds.MAX_DEPTH])
def test_the_cheap_depth_check_agrees_with_the_exact_one(monkeypatch, limit):
    monkeypatch.setattr(bounds, "MAX_DEPTH", limit)
    texts = [path.read_text(encoding="utf-8") for path in (REPO / "tpulint").rglob("*.py")]
    texts += [make(n) for make in NESTING_KINDS.values() for n in (3, limit // 2, limit + 2)]
    for text in texts:
        tree = ast.parse(text)
        assert bounds.may_exceed(tree, text) == (bounds.depth(tree) > limit), text[:80]


def test_the_bound_is_far_above_real_code():
    """The deepest real file measured (diffusers' attention_processor.py) nests 52 levels."""
    depths = []
    for path in REPO.rglob("*.py"):
        if ".venv" in path.parts or "regressions" in path.parts:  # the fuzzer's inputs are broken on purpose
            continue
        depths.append(bounds.depth(ast.parse(path.read_bytes())))
    assert len(depths) > 50 and max(depths) < bounds.MAX_DEPTH // 2


def test_a_cut_keeps_every_line_where_it_was():
    text = "x = 1\ny = " + "[" * 150 + "\n2" + "]" * 150 + "\nz = torch.zeros(1).cuda()\n"
    cut = bounds.bound(ast.parse(text), text)
    assert cut is not None and cut.text.count("\n") == text.count("\n")
    assert cut.text.splitlines()[3] == "z = torch.zeros(1).cuda()"
    assert bounds.depth(ast.parse(cut.text)) <= bounds.MAX_DEPTH + 1


def test_a_minified_notebook_costs_no_more_than_an_indented_one(tmp_path):
    """A one-line notebook puts every finding on line 1 of the .ipynb: fingerprinting that line
    once per finding made it six times slower than the same notebook indented."""
    output = {"output_type": "stream", "name": "stdout", "text": ["x" * 50 + "\n"] * 50}
    cells = [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [output],
              "source": [f"x{i} = torch.zeros(1).cuda()\n" for i in range(20)]} for _ in range(150)]
    notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    timings = {}
    for name, text in (("indented", json.dumps(notebook, indent=1)), ("minified", json.dumps(notebook))):
        (tmp_path / name).mkdir()
        (tmp_path / name / "nb.ipynb").write_text(text, encoding="utf-8")
        started = time.perf_counter()
        done = _tpulint("--format", "sarif", name, cwd=tmp_path)
        timings[name] = time.perf_counter() - started
        assert len(json.loads(done.stdout)["runs"][0]["results"]) == 3001
    assert timings["minified"] < 1.5 * timings["indented"] + 1.0, timings


def test_fingerprints_of_a_line_with_thousands_of_findings_are_linear(tmp_path):
    line = "x = [" + ", ".join(["torch.zeros(1).cuda()"] * 2000) + "]\n"
    timings = []
    for count in (1000, 2000):
        (tmp_path / "many.py").write_text("import torch\n" + line.replace(
            ", ".join(["torch.zeros(1).cuda()"] * 2000), ", ".join(["torch.zeros(1).cuda()"] * count)), encoding="utf-8")
        started = time.perf_counter()
        done = _tpulint("--format", "sarif", "many.py", cwd=tmp_path)
        timings.append(time.perf_counter() - started)
        assert_valid_sarif(json.loads(done.stdout))
    assert timings[1] < 3.0 * timings[0], timings


# --- deterministic ---------------------------------------------------------------------------


def _two_projects(tmp_path: Path) -> None:
    for project, device in (("a", '"cuda"'), ("b", '"cpu"')):
        folder = tmp_path / project
        folder.mkdir()
        (folder / "model.py").write_text(
            f"import torch\nDEVICE = {device}\nclass Net(torch.nn.Module):\n    def forward(self, x):\n        return x\n",
            encoding="utf-8")
        (folder / "sample.py").write_text(
            "import torch\nfrom model import Net, DEVICE\nnet = Net().to(DEVICE)\nopt = torch.optim.SGD(net.parameters(), 0.1)\n"
            "for x in range(3):\n    loss = net(torch.ones(1, device=DEVICE)).sum()\n    loss.backward()\n    opt.step()\n",
            encoding="utf-8")


def _findings(done: subprocess.CompletedProcess, prefix: str) -> list[str]:
    return sorted(line for line in done.stdout.splitlines() if line.startswith(prefix))


def test_a_files_findings_do_not_depend_on_what_else_was_scanned(tmp_path):
    _two_projects(tmp_path)
    alone = _findings(_tpulint("a", cwd=tmp_path), "a/sample.py")
    assert alone, "a/sample.py has findings of its own"
    for order in (["b", "a"], ["a", "b"], ["b/model.py", "b/sample.py", "a"]):
        for jobs in ("1", "2"):
            assert _findings(_tpulint("--jobs", jobs, *order, cwd=tmp_path), "a/sample.py") == alone, (order, jobs)


CACHE_PROBE = """
import sys, astroid
from pylint.lint import PyLinter
root, isolated = sys.argv[1], sys.argv[2] == "isolated"
if isolated:
    import tpulint
    tpulint.register(PyLinter())
for project in ("b", "a"):
    module = astroid.MANAGER.ast_from_module_name("model", context_file=f"{root}/{project}/sample.py")
    print(project, module.file)
"""


@pytest.mark.parametrize("isolated", [False, True])
def test_modules_of_two_projects_never_share_a_cache_entry(tmp_path, isolated):
    """astroid caches modules by name for the process: b/model.py answered a/sample.py's
    `import model`. With tpulint registered each file gets its own project's module."""
    _two_projects(tmp_path)
    done = subprocess.run([sys.executable, "-c", CACHE_PROBE, str(tmp_path), "isolated" if isolated else "plain"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    answers = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    assert answers["b"] == str(tmp_path / "b" / "model.py")
    assert (answers["a"] == str(tmp_path / "a" / "model.py")) is isolated


def test_the_device_work_named_in_a_message_is_chosen_by_position():
    from tpulint.checkers.mark_step import _work
    from tpulint.loops import LoopVerdict
    import astroid as _astroid

    loop = _astroid.extract_node("for i in x:\n    loss = model(x).sum() + other(x)\n")
    call_nodes = list(loop.body[0].value.nodes_of_class(_astroid.nodes.Call))
    texts = {str(_work(LoopVerdict(loop, order, []))) for order in (call_nodes, call_nodes[::-1])}
    assert texts == {"model(x).sum() on line 2"}


def test_two_runs_give_identical_bytes(tmp_path):
    (tmp_path / "train.py").write_text(
        "import torch\nmodel = torch.nn.Linear(2, 2).cuda()\nopt = torch.optim.SGD(model.parameters(), 0.1)\n"
        "for i in range(10):\n    x = torch.zeros(2).cuda()\n    loss = model(x).sum()\n    loss.backward()\n"
        "    opt.step()\n    opt.zero_grad()\n    sched = torch.optim.lr_scheduler.StepLR(opt, 1)\n    sched.step()\n",
        encoding="utf-8")
    outputs = {_tpulint("--format", "sarif", ".", cwd=tmp_path).stdout for _ in range(3)}
    hashed = {subprocess.run([sys.executable, "-c", "import sys; print(hash('x'))"], capture_output=True, text=True,
                             env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    assert len(hashed) == 2  # string hashing really differs between the runs below
    for seed in ("1", "2", "3"):
        outputs.add(subprocess.run([TPULINT, "--format", "sarif", "."], cwd=tmp_path, capture_output=True, text=True,
                                   env={**os.environ, "PYTHONHASHSEED": seed}).stdout)
    assert len(outputs) == 1
