"""The one path from pylint's messages to a Summary, shared by the `tpulint` command and the
`tpulint-sarif` pylint reporter, so both report, fingerprint and score the same way:

    messages -> findings and notifications (tpulint.findings.convert)
             -> `# noqa` comments set aside as suppressed (tpulint.suppression)
             -> back to their notebooks' cells (tpulint.staging.restore)
             -> only the rules each file's configuration selects (`selected`)
             -> fingerprints, and given a baseline the known ones set aside (tpulint.baseline.apply)
             -> which files use PyTorch devices, the run's notes (tpulint.inventory.survey)
             -> estimate and readiness score (tpulint.estimate.summarize)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from pylint.message import Message

from tpulint import baseline, inventory, staging, suppression
from tpulint.catalog import Catalog
from tpulint.estimate import Finding, Notification, Summary, summarize
from tpulint.findings import convert
from tpulint.model import Reported


def summarise_run(messages: Iterable[Message], catalog: Catalog, target: str, root: Path, checked: Sequence[str], *,
                  file_count: int | None = None, notifications: Sequence[Notification] = (),
                  notebooks: dict[str, staging.StagedNotebook] | None = None,
                  known: baseline.Baseline | None = None, reported: Iterable[Reported] = (),
                  selected: Callable[[Finding], bool] | None = None, scope: str | None = None) -> Summary:
    """The run's Summary. `checked` are the files pylint read (staged copies of notebooks
    included; they must still exist); `file_count` the files the user gave (default: len(checked));
    `notifications` what the run itself found wrong before linting; `notebooks` maps each staged
    copy to its notebook; `known` is the baseline whose findings are not reported again;
    `reported` are the checkers' structured findings (checkers.base.reported_findings), whose
    arguments the messages are rendered from; `selected` keeps a finding its file's configuration
    selects (per-file-ignores, a subproject's select); `scope` says which rules ran when not all
    did. Paths in the summary are relative to root.

    The score and estimate describe the whole code: findings a baseline knows count in them
    (they are only not listed); findings a `# noqa` silences count nowhere but in `suppressed`."""
    findings, problems = convert(messages, catalog, target, root, reported)
    findings, suppressed = suppression.split(findings, _sources(findings))
    if notebooks:
        findings, problems = staging.restore(findings, problems, notebooks, root)
        suppressed, _ = staging.restore(suppressed, [], notebooks, root)
    if selected is not None:
        findings, suppressed = [f for f in findings if selected(f)], [f for f in suppressed if selected(f)]
    findings, baseline_notes = baseline.apply(findings, known)
    shown = [finding for finding in findings if finding.baseline_state != "unchanged"]
    hidden = [finding for finding in findings if finding.baseline_state == "unchanged"]
    device_files, notes = inventory.survey(target, checked)
    unanalysed = {problem.path for problem in problems if problem.level == "error"}
    return summarize(catalog, target, shown, len(checked) if file_count is None else file_count,
                     [*notifications, *problems], device_files=device_files, notes=(*notes, *baseline_notes),
                     known=hidden, suppressed=suppressed, scope=scope, analysed=len(checked) - len(unanalysed))


def _sources(findings: Sequence[Finding]) -> dict[str, bytes]:
    """The text each finding's line numbers refer to, by Finding.path (unreadable: left out)."""
    texts = {}
    for path, abspath in {finding.path: finding.abspath for finding in findings}.items():
        try:
            texts[path] = Path(abspath).read_bytes()
        except OSError:
            continue
    return texts
