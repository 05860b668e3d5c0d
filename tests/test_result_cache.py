"""The result cache (tpulint.result_cache) and batched lint (tpulint.analysis): a re-run on an
unchanged tree runs no pylint, an edit re-checks what depends on it, and neither changes a finding."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from conftest import REPO, working_directory

from tpulint import analysis, result_cache
from tpulint.catalog import load_catalog
from tpulint.config import Config
from tpulint.sources import discover

PROJECTS = REPO / "tests" / "projects"
STEP_CALL = "latents = s.step(unet(latents, t), t, latents)"


def _copy(tmp_path: Path, name: str = "schedulers") -> Path:
    copy = tmp_path / name
    shutil.copytree(PROJECTS / name, copy, ignore=shutil.ignore_patterns(".tpulint_cache"))
    return copy


def _findings(root: Path, **keywords) -> set[tuple]:
    """(file name, line, symbol, message, uncertain) of each finding of a run on root's files."""
    catalog = load_catalog()
    config = Config(target=keywords.pop("target", catalog.default_target), root=root)
    files, notifications = discover([str(root)], config)
    with working_directory(root):
        summary = analysis.analyse(files, notifications, config, catalog, **keywords)
    return {(Path(f.path).name, f.line, f.rule.symbol, f.message, f.uncertain) for f in summary.findings}


class _CountedRuns:
    """Counts the files each pylint run of analysis is given."""

    def __init__(self, monkeypatch) -> None:
        self.files: list[list[str]] = []
        original = analysis._run_pylint

        def counted(files, *args):
            self.files.append(list(files))
            return original(files, *args)

        monkeypatch.setattr(analysis, "_run_pylint", counted)

    def linted(self) -> set[str]:
        return {Path(path).name for files in self.files for path in files}


def test_an_unchanged_rerun_reads_every_result_and_runs_no_pylint(tmp_path, monkeypatch):
    project = _copy(tmp_path)
    cold = _findings(project)
    runs = _CountedRuns(monkeypatch)
    assert _findings(project) == cold
    assert runs.files == []
    assert ("samplers.py", 9, "host-sync-in-step") in {finding[:3] for finding in cold}


def test_an_edited_helper_changes_the_finding_in_the_file_that_did_not_change(tmp_path, monkeypatch):
    """pipe.py's loop calls Sampler.step (samplers.py): its `.item()` is in the step. With the
    call gone, samplers.py's text is the same but its finding must go, as a run without cache says."""
    project = _copy(tmp_path)
    assert ("samplers.py", 9, "host-sync-in-step") in {finding[:3] for finding in _findings(project)}
    pipe = project / "pipe.py"
    pipe.write_text(pipe.read_text(encoding="utf-8").replace(STEP_CALL, "latents = unet(latents, t)"), encoding="utf-8")
    runs = _CountedRuns(monkeypatch)
    warm = _findings(project)
    assert runs.linted() == {"pipe.py", "samplers.py"}
    assert ("samplers.py", 9, "host-sync-in-step") not in {finding[:3] for finding in warm}
    assert warm == _findings(project, use_cache=False)


def test_an_edit_rechecks_only_the_files_whose_answers_changed(tmp_path, monkeypatch):
    project = _copy(tmp_path, "steps_across_files")
    _findings(project)
    main = project / "main.py"
    main.write_text(main.read_text(encoding="utf-8") + "\n\ndef report(x):\n    return x\n", encoding="utf-8")
    runs = _CountedRuns(monkeypatch)
    warm = _findings(project)
    assert runs.linted() == {"main.py"}
    assert warm == _findings(project, use_cache=False)


def test_another_target_or_rule_set_is_not_answered_from_the_cache(tmp_path, monkeypatch):
    project = _copy(tmp_path)
    _findings(project)
    other = next(target for target in sorted(load_catalog().targets) if target != load_catalog().default_target)
    runs = _CountedRuns(monkeypatch)
    other_findings = _findings(project, target=other)
    assert runs.linted() == {"pipe.py", "samplers.py"}
    assert other_findings == _findings(project, target=other, use_cache=False)
    catalog = load_catalog()
    narrow = Config(target=catalog.default_target, root=project, rules=frozenset({"cuda-device"}))
    assert result_cache.run_key(analysis.pylint_arguments([], narrow, catalog, "")) != result_cache.run_key(
        analysis.pylint_arguments([], Config(target=catalog.default_target, root=project), catalog, ""))


def test_a_tampered_entry_is_ignored_and_the_file_checked_again(tmp_path, monkeypatch):
    project = _copy(tmp_path)
    cold = _findings(project)
    entries = list((project / ".tpulint_cache").glob("results-*/*.bin"))
    assert len(entries) == 2
    for entry in entries:
        data = bytearray(entry.read_bytes())
        data[-5] ^= 0xFF  # a payload changed after it was signed
        entry.write_bytes(bytes(data))
    (entries[0].parent / "garbage.bin").write_bytes(b"not an entry")
    runs = _CountedRuns(monkeypatch)
    assert _findings(project) == cold
    assert runs.linted() == {"pipe.py", "samplers.py"}


def test_an_entry_signed_but_naming_other_code_is_refused(tmp_path):
    store = result_cache.ResultStore(tmp_path, "k" * 32)
    path = str(tmp_path / "a.py")
    store.write(path, {"path": path, "payload": os.system})  # a function: never part of a result
    assert store.read(path) is None


def test_an_unwritable_cache_folder_means_no_cache_and_the_same_findings(tmp_path, monkeypatch):
    project = _copy(tmp_path)
    expected = _findings(project, use_cache=False)

    def refused(*args, **keywords):
        raise PermissionError("read-only file system")

    monkeypatch.setattr(result_cache.user_cache, "write_atomically", refused)
    monkeypatch.setattr(Path, "mkdir", refused)
    assert _findings(project) == expected
    assert not list(project.rglob("*.bin"))


def test_a_cache_folder_that_is_a_file_means_no_cache_and_the_same_findings(tmp_path):
    project = _copy(tmp_path)
    expected = _findings(project, use_cache=False)
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder would be", encoding="utf-8")
    assert _findings(project, cache_dir=blocker) == expected


def test_the_cache_folder_can_be_named(tmp_path, monkeypatch):
    project = _copy(tmp_path)
    cache = tmp_path / "elsewhere"
    cold = _findings(project, cache_dir=str(cache))  # as the command line gives it
    assert list(cache.glob("results-*/*.bin")) and (cache / ".gitignore").is_file()
    assert not (project / ".tpulint_cache").exists()
    runs = _CountedRuns(monkeypatch)
    assert _findings(project, cache_dir=cache) == cold
    assert runs.files == []


def test_without_the_cache_nothing_is_written(tmp_path):
    project = _copy(tmp_path)
    before = sorted(path.relative_to(tmp_path) for path in tmp_path.rglob("*"))
    _findings(project, use_cache=False)
    assert sorted(path.relative_to(tmp_path) for path in tmp_path.rglob("*")) == before


def test_batches_give_the_findings_of_one_run(tmp_path, monkeypatch):
    project = _copy(tmp_path, "models_across_files")
    one = _findings(project, use_cache=False, batch_files=0)
    runs = _CountedRuns(monkeypatch)
    assert _findings(project, use_cache=False, batch_files=1) == one
    assert len(runs.files) == len(list(project.rglob("*.py"))) > 1
    assert any(finding[0] == "train.py" for finding in one)


def test_folders_of_other_configurations_are_pruned(tmp_path):
    for number in range(result_cache.FOLDERS_KEPT + 3):
        store = result_cache.ResultStore(tmp_path, f"{number:02d}".ljust(32, "0"))
        store.write(str(tmp_path / "a.py"), {"path": str(tmp_path / "a.py")})
    assert len(list(tmp_path.glob(f"{result_cache.RESULTS_PREFIX}*"))) == result_cache.FOLDERS_KEPT
