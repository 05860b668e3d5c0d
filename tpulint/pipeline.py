"""The one path from pylint's messages to a Summary, shared by the `tpulint` command and the
`tpulint-sarif` pylint reporter, so both report, fingerprint and score the same way:

    messages -> findings and notifications (tpulint.findings.convert)
             -> back to their notebooks' cells (tpulint.staging.restore)
             -> fingerprints, and only the new findings given a baseline (tpulint.baseline.apply)
             -> which files use PyTorch devices, the run's notes (tpulint.inventory.survey)
             -> estimate and readiness score (tpulint.estimate.summarize)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from pylint.message import Message

from tpulint import baseline, inventory, staging
from tpulint.catalog import Catalog
from tpulint.estimate import Notification, Summary, summarize
from tpulint.findings import convert
from tpulint.model import Reported


def summarise_run(messages: Iterable[Message], catalog: Catalog, target: str, root: Path, checked: Sequence[str], *,
                  file_count: int | None = None, notifications: Sequence[Notification] = (),
                  notebooks: dict[str, staging.StagedNotebook] | None = None,
                  known: baseline.Baseline | None = None, reported: Iterable[Reported] = ()) -> Summary:
    """The run's Summary. `checked` are the files pylint read (staged copies of notebooks
    included; they must still exist); `file_count` the files the user gave (default: len(checked));
    `notifications` what the run itself found wrong before linting; `notebooks` maps each staged
    copy to its notebook; `known` is the baseline whose findings are not reported again;
    `reported` are the checkers' structured findings (checkers.base.reported_findings), whose
    arguments the messages are rendered from. Paths in the summary are relative to root."""
    findings, problems = convert(messages, catalog, target, root, reported)
    if notebooks:
        findings, problems = staging.restore(findings, problems, notebooks, root)
    findings, baseline_notes = baseline.apply(findings, known)
    device_files, notes = inventory.survey(target, checked)
    return summarize(catalog, target, findings, len(checked) if file_count is None else file_count,
                     [*notifications, *problems], device_files=device_files, notes=(*notes, *baseline_notes))
