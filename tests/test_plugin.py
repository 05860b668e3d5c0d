"""The plugin inside pylint as users and IDEs run it: -j 2, --from-stdin (VS Code), pragmas."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

GPU_SCRIPT = 'import torch\nmodel = torch.nn.Linear(2, 2).to("cuda")\n'


def _pylint(*args: str, cwd, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pylint", *args], cwd=cwd, input=stdin,
                          capture_output=True, text=True, check=False)


def test_parallel_jobs_report_what_a_serial_run_reports(tmp_path, write):
    for index in range(6):
        write(f"m{index}.py", GPU_SCRIPT if index % 2 else "import torch_xla\nx = 1\n")
    args = ["--load-plugins=tpulint", "--disable=all", "--enable=tpulint-cuda", "--output-format=json2"]
    serial = json.loads(_pylint(*args, ".", cwd=tmp_path).stdout)["messages"]
    parallel = json.loads(_pylint(*args, "-j", "2", ".", cwd=tmp_path).stdout)["messages"]
    key = lambda m: (m["path"], m["line"], m["symbol"])  # noqa: E731
    assert sorted(map(key, parallel)) == sorted(map(key, serial))
    assert len(serial) == 6


def test_vscode_from_stdin_reads_the_buffer_not_the_disk(tmp_path, write):
    """The VS Code extension: `pylint --reports=n --output-format=json2 ... --from-stdin PATH`."""
    path = write("edited.py", "import torch_xla\n")  # on disk: nothing to report
    done = _pylint("--reports=n", "--output-format=json2", "--load-plugins=tpulint", "--from-stdin", str(path),
                   cwd=tmp_path, stdin=GPU_SCRIPT)
    report = json.loads(done.stdout)  # stdout must be pure JSON: the plugin prints nothing itself
    symbols = [m["symbol"] for m in report["messages"] if m["messageId"].startswith(("E71", "W71"))]
    assert symbols == ["missing-torch-xla-import", "cuda-device"]


def test_pragmas_disable_a_finding(tmp_path, write):
    write("gpu.py", 'import torch_xla\nx = "cuda"  # pylint: disable=cuda-device\ny = "cuda"\n')
    done = _pylint("--load-plugins=tpulint", "--disable=all", "--enable=tpulint-cuda", "--output-format=json2", "gpu.py",
                   cwd=tmp_path)
    assert [m["line"] for m in json.loads(done.stdout)["messages"]] == [3]


def test_target_option_is_a_pylint_option(tmp_path, write):
    write("gpu.py", GPU_SCRIPT)
    done = _pylint("--load-plugins=tpulint", "--tpulint-target=nowhere", "gpu.py", cwd=tmp_path)
    assert done.returncode == 2 and "invalid choice: 'nowhere'" in done.stderr
    assert "tpulint-target" in _pylint("--load-plugins=tpulint", "--help", cwd=tmp_path).stdout


@pytest.mark.parametrize("option", ["--tpulint-runtime-version", "--tpulint-torch-xla"])
def test_runtime_version_option_and_its_older_name_are_pylint_options(tmp_path, write, option):
    write("gpu.py", GPU_SCRIPT)
    assert _pylint("--load-plugins=tpulint", f"{option}=2.9", "gpu.py", cwd=tmp_path).returncode != 2
    done = _pylint("--load-plugins=tpulint", f"{option}=0.0", "gpu.py", cwd=tmp_path)
    assert done.returncode == 2 and "invalid choice: '0.0'" in done.stderr


def test_the_torch_xla_import_is_asked_for_only_by_an_edit_the_report_asks_for(tmp_path, write):
    """A disabled finding (pragma or --disable) needs no import: the import finding goes with it."""
    write("pragma.py", 'import torch\nx = torch.zeros(3).cuda()  # pylint: disable=cuda-move-method\n')
    write("flag.py", 'import torch\nx = torch.zeros(3).cuda()\n')
    args = ["--load-plugins=tpulint", "--disable=all", "--enable=tpulint-cuda", "--output-format=json2"]
    pragma = json.loads(_pylint(*args, "pragma.py", cwd=tmp_path).stdout)["messages"]
    disabled = json.loads(_pylint(*args, "--disable=cuda-move-method", "flag.py", cwd=tmp_path).stdout)["messages"]
    enabled = json.loads(_pylint(*args, "flag.py", cwd=tmp_path).stdout)["messages"]
    assert pragma == [] and disabled == []
    assert [m["symbol"] for m in enabled] == ["missing-torch-xla-import", "cuda-move-method"]
