"""What pylint is given: each file is first read through tpulint.sources (regular files only; a
file that cannot be decoded is a notification, not a crash), .py files are then passed on by
path, and each .ipynb's code cells are written as one Python file in a scratch folder. pylint
checks them together, and a notebook's findings are moved back to it: shown at `cell N:line L`,
located in the .ipynb at the line holding that source line (where a GitHub annotation lands).
Columns are dropped: in the .ipynb the line is a JSON string."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from tpulint import notebook, sources
from tpulint.config import DEFAULT_MAX_FILE_BYTES
from tpulint.estimate import Finding, Notification
from tpulint.findings import relative_path, render_message
from tpulint.model import render_arguments


@dataclass(frozen=True)
class StagedNotebook:
    path: Path  # the .ipynb
    staged: Path  # its Python text in the scratch folder
    source: notebook.NotebookSource


def is_notebook(path: str | Path) -> bool:
    return str(path).endswith(notebook.NOTEBOOK_SUFFIX)


def stage(paths: list[str], scratch: Path, root: Path, max_bytes: int = DEFAULT_MAX_FILE_BYTES,
          ) -> tuple[list[str], dict[str, StagedNotebook], list[Notification]]:
    """The files for pylint (absolute paths; notebooks replaced by their staged text), the staged
    notebooks by their staged file's absolute path, and notifications for files, notebooks or
    cells not analysed."""
    files: list[str] = []
    staged: dict[str, StagedNotebook] = {}
    notifications: list[Notification] = []
    for index, raw in enumerate(paths):
        shown = relative_path(raw, root)
        try:
            data = sources.read_bytes(raw, max_bytes)
            if not is_notebook(raw):
                sources.decode_python(data)
                files.append(str(Path(raw).resolve()))
                continue
            source = notebook.from_bytes(data, raw)
        except sources.Unreadable as error:
            notifications.append(Notification(shown, str(error)))
            continue
        except notebook.NotebookError as error:
            notifications.append(Notification(shown, f"not analysed: {error}"))
            continue
        notifications += [Notification(shown, f"cell {cell.cell} not analysed: {cell.reason}", level="warning")
                          for cell in source.skipped]
        target = scratch / str(index) / (Path(raw).stem + ".py")
        target.parent.mkdir(parents=True)
        target.write_text(source.source, encoding="utf-8")
        files.append(str(target))
        staged[str(target.resolve())] = StagedNotebook(Path(raw).resolve(), target, source)
    return files, staged, notifications


def restore(findings: list[Finding], notifications: list[Notification], staged: dict[str, StagedNotebook],
            root: Path) -> tuple[list[Finding], list[Notification]]:
    """Findings and notifications of staged files, moved back to their notebooks."""
    if not staged:
        return findings, notifications
    by_shown = {relative_path(str(item.staged), root): item for item in staged.values()}
    restored = [_to_notebook(finding, staged.get(str(Path(finding.abspath).resolve())), root) for finding in findings]
    moved = [replace(note, path=relative_path(str(by_shown[note.path].path), root)) if note.path in by_shown else note
             for note in notifications]
    return restored, moved


def _to_notebook(finding: Finding, item: StagedNotebook | None, root: Path) -> Finding:
    if item is None:
        return finding
    where = item.source.locate(finding.line)
    # The lines the message names are lines of the joined text, which mean nothing in a
    # notebook: its arguments are rendered with each named as its cell and line. The fix's edits
    # are positions in the joined text too: the notebook finding keeps them apart (staged_edits).
    label = partial(_cells, item.source)
    arguments = render_arguments(finding.arguments, label)
    fix = finding.fix and replace(finding.fix, text=arguments.get("fix", ""), edits=())
    return replace(
        finding,
        path=relative_path(str(item.path), root),
        abspath=str(item.path),
        line=where.file_line if where else 1,
        column=0,
        end_line=None,
        end_column=None,
        cell=where.label if where else "cell ?",
        message=render_message(finding.rule, arguments) if arguments else finding.message,
        arguments=arguments,
        fix=fix,
        staged_edits=finding.fix.edits if finding.fix else (),
    )


def _cells(source: notebook.NotebookSource, numbers: Sequence[int]) -> str:
    """Lines of the joined text as the notebook's: `cell 3:line 2, cell 4:line 1`."""
    labels = []
    for number in numbers:
        where = source.locate(number)
        labels.append(where.label if where else f"line {number}")
    return ", ".join(labels)
