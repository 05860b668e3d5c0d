"""Which files discovery takes (issue 16): git's ignore rules, each folder's own configuration,
the size-limit message and a missing path. Trees are built under tmp_path; a `.git` folder is
all discovery needs to see a repository, and one test checks the answers against git itself."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tpulint import sources
from tpulint.catalog import load_catalog
from tpulint.config import Config, ConfigError, Settings, load
from tpulint.sources import MISSING_PATH, discover


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _repository(root: Path, files: dict[str, str]) -> Path:
    (root / ".git" / "info").mkdir(parents=True)
    return _tree(root, files)


def _found(root: Path, paths=(".",), config: Config | Settings | None = None, **options) -> set[str]:
    files, notifications = _discover(root, paths, config, **options)
    assert not notifications, notifications
    return files


def _discover(root: Path, paths=(".",), config: Config | Settings | None = None, **options):
    config = config or Config(target="tpu", root=root)
    files, notifications = discover([str(root / path) for path in paths], config, **options)
    return {Path(file).relative_to(root).as_posix() for file in files}, notifications


def _settings(root: Path) -> Settings:
    catalog = load_catalog()
    return Settings(catalog, load(catalog, None, root), explicit=False, overrides=lambda config: config)


@pytest.fixture
def listed(monkeypatch):
    """The folders discovery lists, in order."""
    folders: list[str] = []
    original = sources._list

    def spy(folder):
        folders.append(folder.name)
        return original(folder)

    monkeypatch.setattr(sources, "_list", spy)
    return folders


# --- git's ignore rules --------------------------------------------------------------------

NESTED = {
    ".gitignore": "gen*/\n/top_only.py\n*_pb2.py\ndocs/**/conf.py\n",
    "top_only.py": "", "sub/top_only.py": "",             # anchored: only at the root
    "generated/model.py": "", "gen_model.py": "",           # dir-only: the folder, not the file
    "pkg/.gitignore": "!keep_pb2.py\nlocal.py\n",
    "pkg/keep_pb2.py": "", "pkg/other_pb2.py": "",          # a nearer file re-includes one
    "pkg/local.py": "", "local.py": "",                     # relative to pkg/ only
    "docs/a/b/conf.py": "", "docs/conf_test.py": "",
    "train.py": "",
}
NESTED_KEPT = {"sub/top_only.py", "gen_model.py", "pkg/keep_pb2.py", "local.py", "docs/conf_test.py", "train.py"}


def test_nested_gitignores_with_negation_dir_only_anchored_and_double_star(tmp_path):
    assert _found(_repository(tmp_path, NESTED)) == NESTED_KEPT


def test_an_ignored_folder_is_not_searched(tmp_path, listed):
    _found(_repository(tmp_path, NESTED))
    assert "generated" not in listed and "pkg" in listed


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_the_rules_agree_with_git_check_ignore(tmp_path):
    _tree(tmp_path, NESTED)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    candidates = [name for name in NESTED if name.endswith(".py")]
    checked = subprocess.run(["git", "-C", str(tmp_path), "check-ignore", *candidates],
                             capture_output=True, text=True, check=False)
    assert checked.returncode in (0, 1), checked.stderr
    assert set(candidates) - set(checked.stdout.split()) == NESTED_KEPT == _found(tmp_path)


def test_info_exclude_applies_and_a_gitignore_overrides_it(tmp_path):
    _repository(tmp_path, {".git/info/exclude": "scratch_*.py\n", ".gitignore": "!scratch_keep.py\n",
                           "scratch_a.py": "", "scratch_keep.py": "", "train.py": ""})
    assert _found(tmp_path) == {"scratch_keep.py", "train.py"}


def test_a_worktree_reads_the_common_info_exclude(tmp_path):
    common = tmp_path / "store" / ".git"
    (common / "worktrees" / "wt").mkdir(parents=True)
    (common / "worktrees" / "wt" / "commondir").write_text("../..\n")
    (common / "info").mkdir()
    (common / "info" / "exclude").write_text("scratch.py\n")
    pointer = f"gitdir: {common / 'worktrees' / 'wt'}\n"
    work = _tree(tmp_path / "wt", {".git": pointer, "scratch.py": "", "train.py": ""})
    assert _found(work) == {"train.py"}


def test_a_named_ignored_file_is_checked_unless_force_exclude(tmp_path):
    _repository(tmp_path, NESTED)
    named = ("top_only.py", "generated/model.py", "train.py")
    assert _found(tmp_path, named) == set(named)
    assert _found(tmp_path, named, force_exclude=True) == {"train.py"}


def test_a_named_ignored_folder_is_searched_with_the_rules_inside_it(tmp_path):
    _repository(tmp_path, {**NESTED, "generated/.gitignore": "local.py\n", "generated/local.py": ""})
    assert _found(tmp_path, ["generated"]) == {"generated/model.py"}
    assert _found(tmp_path, ["generated"], force_exclude=True) == set()


def test_respect_gitignore_false_takes_every_file(tmp_path):
    _repository(tmp_path, NESTED)
    assert _found(tmp_path, respect_gitignore=False) == {name for name in NESTED if name.endswith(".py")}


def test_outside_a_repository_gitignore_files_do_not_apply_as_in_ruff(tmp_path):
    _tree(tmp_path, {".gitignore": "ignored.py\n", "ignored.py": "", "nested/.gitignore": "x.py\n",
                     "nested/x.py": ""})
    assert _found(tmp_path) == {"ignored.py", "nested/x.py"}
    (tmp_path / "nested" / ".git").mkdir()  # a repository found while searching: its rules apply
    assert _found(tmp_path) == {"ignored.py"}


def test_a_nested_repository_is_not_ruled_by_its_parents_gitignore(tmp_path):
    _repository(tmp_path, {".gitignore": "vendor_*.py\n", "vendor_a.py": "", "sub/vendor_b.py": ""})
    (tmp_path / "sub" / ".git").mkdir()
    assert _found(tmp_path) == {"sub/vendor_b.py"}


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _folder(path: Path) -> None:
    path.mkdir()


def _dangling(path: Path) -> None:
    path.symlink_to(path.parent / "nowhere")


def _binary(path: Path) -> None:
    path.write_bytes(b"\xff\xfe\x00junk\nignored.py\n")


@pytest.mark.parametrize("make", [_fifo, _folder, _dangling, _binary], ids=lambda make: make.__name__)
def test_a_gitignore_that_cannot_be_read_is_left_aside_silently(tmp_path, make):
    _repository(tmp_path, {"ignored.py": "", "train.py": "", "sub/.gitignore": "train.py\n", "sub/train.py": ""})
    make(tmp_path / ".gitignore")
    found = _found(tmp_path)
    assert found >= {"train.py", "ignored.py" if make is not _binary else "train.py"} and "sub/train.py" not in found


def test_a_gitignore_with_a_pattern_git_rejects_keeps_its_other_patterns(tmp_path):
    _repository(tmp_path, {".gitignore": "[z-a]\n!\n\\\nignored.py\n", "ignored.py": "", "train.py": ""})
    assert _found(tmp_path) == {"train.py"}


def test_a_gitignore_written_on_windows_applies(tmp_path):
    _repository(tmp_path, {".gitignore": "\ufeffignored.py\r\nother.py\r\n", "ignored.py": "", "other.py": "",
                           "train.py": ""})
    assert _found(tmp_path) == {"train.py"}


# --- each folder's own configuration -------------------------------------------------------


def test_a_nested_pyproject_excludes_in_its_own_folder_only(tmp_path, listed):
    _tree(tmp_path, {
        "pyproject.toml": '[tool.tpulint]\nexclude = ["generated"]\n',
        "sub/pyproject.toml": '[tool.tpulint]\nexclude = ["fixtures/*", "slow"]\n',
        "sub/fixtures/gpu.py": "", "sub/slow/deep/gpu.py": "", "sub/train.py": "", "sub/generated/a.py": "",
        "fixtures/gpu.py": "", "generated/model.py": "", "train.py": "",
    })
    found = _found(tmp_path, config=_settings(tmp_path))
    assert found == {"sub/train.py", "sub/generated/a.py", "fixtures/gpu.py", "train.py"}
    assert "slow" not in listed and "fixtures" in listed


def test_a_nested_pyproject_sets_its_own_size_limit(tmp_path):
    _tree(tmp_path, {"pyproject.toml": "[tool.tpulint]\n", "sub/pyproject.toml": "[tool.tpulint]\nmax-file-size = 10\n",
                     "sub/big.py": "x = 1\n" * 3, "big.py": "x = 1\n" * 3})
    found, notifications = _discover(tmp_path, config=_settings(tmp_path))
    assert found == {"big.py"}
    assert [(n.path, n.message) for n in notifications] == [
        ("sub/big.py", "not analysed: 18 B is over the 10 B limit (max-file-size in [tool.tpulint])")]


def test_a_wrong_nested_pyproject_is_a_configuration_error(tmp_path):
    # As the run's own configuration would be (exit 2 on the command line), not a folder left out.
    _tree(tmp_path, {"pyproject.toml": "[tool.tpulint]\n", "sub/pyproject.toml": "[tool.tpulint]\nnonsense = 1\n",
                     "sub/a.py": "", "train.py": ""})
    with pytest.raises(ConfigError, match="nonsense"):
        _discover(tmp_path, config=_settings(tmp_path))


def test_force_exclude_applies_the_enclosing_projects_exclude_to_a_subproject(tmp_path):
    _tree(tmp_path, {"pyproject.toml": '[tool.tpulint]\nexclude = ["vendored"]\n',
                     "vendored/lib/pyproject.toml": "[tool.tpulint]\n", "vendored/lib/a.py": ""})
    assert _found(tmp_path, ["vendored/lib/a.py"], config=_settings(tmp_path)) == {"vendored/lib/a.py"}
    assert _found(tmp_path, ["vendored/lib/a.py"], config=_settings(tmp_path), force_exclude=True) == set()


def test_a_pattern_without_a_slash_matches_a_name_at_any_depth(tmp_path, listed):
    _tree(tmp_path, {"a/b/model_pb2.py": "", "a/tests/c/test_x.py": "", "a/tests_util.py": "", "a/b/train.py": ""})
    config = Config(target="tpu", root=tmp_path, exclude=("*_pb2.py", "tests"))
    assert _found(tmp_path, config=config) == {"a/tests_util.py", "a/b/train.py"}
    assert "tests" not in listed


def test_a_plain_config_outside_its_root_matches_names_only(tmp_path):
    _tree(tmp_path, {"tests/elsewhere/x.py": "", "tests/elsewhere/y_pb2.py": ""})
    config = Config(target="tpu", root=tmp_path / "project", exclude=("tests", "*_pb2.py"))
    assert _found(tmp_path, ["tests/elsewhere"], config=config) == {"tests/elsewhere/x.py"}


# --- messages ------------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "limit", "shown"), [
    (6000, 1000, "6.0 kB is over the 1.0 kB limit"),
    (1001, 1000, "1.001 kB is over the 1.000 kB limit"),
    (5_000_001, 5_000_000, "5.000001 MB is over the 5.000000 MB limit"),
    (5_100_000, 5_000_000, "5.1 MB is over the 5.0 MB limit"),
    (1500, 999, "1.5 kB is over the 999 B limit"),
    (999_999, 999_000, "1.0 MB is over the 999.0 kB limit"),
])
def test_sizes_are_shown_precisely_enough_to_differ(tmp_path, size, limit, shown):
    (tmp_path / "big.py").write_bytes(b"#" * size)
    _, notifications = _discover(tmp_path, config=Config(target="tpu", root=tmp_path, max_file_bytes=limit))
    assert [n.message for n in notifications] == [f"not analysed: {shown} (max-file-size in [tool.tpulint])"]


def test_a_missing_named_path_says_it_does_not_exist(tmp_path):
    (tmp_path / "train.py").write_text("")
    found, notifications = _discover(tmp_path, ["train.py", "nowhere.py", "train.py/inside.py"])
    assert found == {"train.py"}
    assert [n.message for n in notifications] == [MISSING_PATH, MISSING_PATH]
    assert "does not exist" in MISSING_PATH


def test_a_backtracking_pattern_in_a_hostile_gitignore_takes_no_time(tmp_path):
    # With Python's re this one check takes seconds (about 60**6 / 6! steps), and longer
    # names or more stars take hours: pathspec matches with RE2 here, in linear time.
    _repository(tmp_path, {".gitignore": "*a" * 6 + "*b\n", "a" * 64 + ".py": ""})
    started = time.perf_counter()
    assert _found(tmp_path) == {"a" * 64 + ".py"}
    assert time.perf_counter() - started < 1


def test_names_and_patterns_that_are_not_utf8_are_matched_without_error(tmp_path):
    _repository(tmp_path, {"train.py": ""})
    (tmp_path / ".gitignore").write_bytes(b"\xff_ignored.py\n")
    for name in (b"\xff_ignored.py", b"\xfe_kept.py"):
        (tmp_path / os.fsdecode(name)).write_text("")
    assert _found(tmp_path) == {"train.py", os.fsdecode(b"\xfe_kept.py")}
