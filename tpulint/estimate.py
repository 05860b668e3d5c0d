"""Findings -> change estimate and readiness score. Both models are versioned; docs/scoring.md
explains them, and changing a number here is a deliberate, documented change."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from tpulint.catalog import Catalog, Rule, Severity
from tpulint.model import Edit, Fix

ESTIMATE_MODEL = {"name": "tpulint-estimate", "version": "2"}
SCORE_MODEL = {"name": "tpulint-score", "version": "2"}

# Penalty (sum of severity weights) at which a file scores 50.
HALF_SCORE_PENALTY = 40
BANDS = ((90, "ready"), (60, "small port"), (30, "moderate port"), (0, "major port"))
# The band of a project none of whose files uses PyTorch devices (its score is None).
NO_PORT_BAND = "no port needed"
# No file could be analysed: there is no verdict at all.
NOTHING_ANALYSED_BAND = "not analysed"
# Only some rules ran (--select, --families, ...): the score covers those rules, so no band is claimed.
SELECTED_RULES_BAND = "selected rules only"


@dataclass(frozen=True)
class Finding:
    """One message, resolved against the catalog for the selected target."""

    rule: Rule
    severity: Severity
    path: str  # repository-relative, POSIX
    abspath: str
    line: int
    column: int  # 0-based, UTF-8 bytes (pylint's)
    end_line: int | None
    end_column: int | None
    message: str
    # The checker inferred it (pylint confidence other than HIGH): the edit may not be needed.
    uncertain: bool = False
    cell: str | None = None  # in a notebook: "cell 3:line 2" (line is then the .ipynb's line)
    fingerprint: str = ""  # tpulint.baseline's: survives edits above the line
    baseline_state: str | None = None  # SARIF baselineState when a baseline was given: "new"
    # The message's arguments by field name (model.Lines for those naming lines) and the fix, as
    # the checker emitted them: message is rendered from these and the rule's template.
    arguments: dict = field(default_factory=dict, compare=False, hash=False)
    fix: Fix | None = field(default=None, compare=False, hash=False)
    # In a notebook, the fix's edits as positions in its joined code cells (tpulint.fix_notebook
    # moves them into the cells); fix.edits is then empty, as its positions are not the file's.
    staged_edits: tuple[Edit, ...] = field(default=(), compare=False, hash=False)


@dataclass(frozen=True)
class Notification:
    """A file tpulint could not analyse, or another problem with the run itself."""

    path: str
    message: str
    level: str = "error"


@dataclass(frozen=True)
class Estimate:
    """Distinct edits. `required` counts every required edit, certain or not, and is split into
    `fixable` + `manual`; `uncertain` of them rest on an inference, so the range is
    `required - uncertain` (low) to `required` (high). `optional` clean-ups are not in the range."""

    required: int
    fixable: int
    manual: int
    optional: int
    uncertain: int = 0

    @property
    def low(self) -> int:
        return self.required - self.uncertain

    @property
    def high(self) -> int:
        return self.required

    @property
    def range_text(self) -> str:
        return str(self.low) if self.low == self.high else f"{self.low}–{self.high}"

    def as_dict(self) -> dict[str, object]:
        return {
            "required": self.required,
            "fixable": self.fixable,
            "manual": self.manual,
            "optional": self.optional,
            "uncertain": self.uncertain,
            "range": [self.low, self.high],
        }


@dataclass(frozen=True)
class FileReport:
    path: str
    findings: tuple[Finding, ...]
    score: int
    band: str
    estimate: Estimate


@dataclass(frozen=True)
class Summary:
    target: str
    files: tuple[FileReport, ...]  # the files with findings, by path
    files_checked: int
    score: int | None  # None: no file uses PyTorch devices, so there is nothing to port
    band: str
    estimate: Estimate
    by_family: dict[str, int]
    by_severity: dict[str, int]
    notifications: tuple[Notification, ...] = field(default=())
    notes: tuple[str, ...] = field(default=())  # advice for the whole run (e.g. what to install)
    device_files: int | None = None  # checked files that import a PyTorch library; None: not known
    # Findings a baseline knows: not listed in `files`, but in the score, estimate and counts,
    # which describe the whole code (the port still has to be made).
    known: int = 0
    suppressed: tuple[Finding, ...] = field(default=())  # silenced by `# noqa`: in no count but their own
    scope: str | None = None  # only some rules ran ("families cuda; select E71"): no readiness verdict
    analysed: int | None = None  # files analysed at least in part; 0: nothing could be, so no verdict

    @property
    def nothing_analysed(self) -> bool:
        return self.analysed == 0

    @property
    def findings(self) -> list[Finding]:
        return [finding for report in self.files for finding in report.findings]

    def most_work(self, count: int = 5) -> list[FileReport]:
        """The files that need most work: largest estimate first, then lowest score, then path."""
        ranked = sorted(self.files, key=lambda r: (-r.estimate.required, -r.estimate.optional, r.score, r.path))
        return ranked[:count]


@dataclass
class _Edit:
    cost: int
    required: bool
    fixable: bool
    uncertain: bool


def edits(findings: Iterable[Finding]) -> list[_Edit]:
    """One edit per line and kind (required or optional), costed at its dearest finding; the edit
    is mechanical only if every finding on it is, uncertain only if every finding on it is.
    Inserted lines (rules with `inserts_line`) are edits of their own."""
    merged: dict[tuple[str, int, bool, str], _Edit] = {}
    for finding in findings:
        required = finding.severity.required
        own = finding.rule.symbol if finding.rule.inserts_line else ""
        key = (finding.path, finding.line, required, own)
        edit = merged.get(key)
        if edit is None:
            merged[key] = _Edit(finding.rule.cost, required, _mechanical(finding), finding.uncertain)
        else:
            edit.cost = max(edit.cost, finding.rule.cost)
            edit.fixable = edit.fixable and _mechanical(finding)
            edit.uncertain = edit.uncertain and finding.uncertain
    return list(merged.values())


def estimate(findings: Iterable[Finding]) -> Estimate:
    """Distinct edits: see edits() and docs/scoring.md."""
    items = edits(findings)
    required = [e for e in items if e.required]
    return Estimate(
        required=sum(e.cost for e in required),
        fixable=sum(e.cost for e in required if e.fixable),
        manual=sum(e.cost for e in required if not e.fixable),
        optional=sum(e.cost for e in items if not e.required),
        uncertain=sum(e.cost for e in required if e.uncertain),
    )


def score_for_penalty(penalty: float) -> int:
    return round(100 * HALF_SCORE_PENALTY / (HALF_SCORE_PENALTY + penalty))


def band_for(score: int | None) -> str:
    if score is None:
        return NO_PORT_BAND
    return next(name for floor, name in BANDS if score >= floor)


def summarize(
    catalog: Catalog,
    target: str,
    findings: Iterable[Finding],
    files_checked: int,
    notifications: Iterable[Notification] = (),
    *,
    device_files: int | None = None,
    notes: Iterable[str] = (),
    known: Iterable[Finding] = (),
    suppressed: Iterable[Finding] = (),
    scope: str | None = None,
    analysed: int | None = None,
) -> Summary:
    """`findings` are the ones to list; `known` those a baseline hides, which still count in the
    score, estimate and counts; `suppressed` those a `# noqa` silenced, which count nowhere.
    device_files: how many checked files import a PyTorch library (None if not known). A
    project without findings scores 100 if any does, and None ("no port needed") if none does;
    when no file could be analysed the score is None too, and the band says so. `analysed`: the
    files analysed at least in part (default: files_checked less those with an error notification)."""
    notifications = tuple(notifications)
    findings, known = list(findings), list(known)
    reports = _file_reports(findings)
    all_findings = [*findings, *known]
    if analysed is None:
        analysed = files_checked - len({note.path for note in notifications if note.level == "error"})
    score: int | None
    if analysed <= 0 and files_checked:
        score, band = None, NOTHING_ANALYSED_BAND
    elif not all_findings and device_files == 0:
        score, band = None, NO_PORT_BAND
    else:
        scored_files = len({finding.path for finding in all_findings})
        penalty_per_file = sum(f.severity.weight for f in all_findings) / max(1, scored_files)
        score = score_for_penalty(penalty_per_file)
        band = band_for(score) if scope is None else SELECTED_RULES_BAND
    return Summary(
        target=target,
        files=reports,
        files_checked=files_checked,
        score=score,
        band=band,
        estimate=estimate(all_findings),
        by_family=_ordered_counts(Counter(f.rule.family for f in all_findings), catalog.families),
        by_severity=_ordered_counts(Counter(f.severity.name for f in all_findings), catalog.severities),
        notifications=notifications,
        notes=tuple(notes),
        device_files=device_files,
        known=len(known),
        suppressed=tuple(suppressed),
        scope=scope,
        analysed=max(0, analysed),
    )


def _file_reports(findings: Iterable[Finding]) -> tuple[FileReport, ...]:
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.path, []).append(finding)
    return tuple(_file_report(path, items) for path, items in sorted(by_path.items()))


def _file_report(path: str, findings: list[Finding]) -> FileReport:
    ordered = tuple(sorted(findings, key=lambda f: (f.line, f.column)))
    score = score_for_penalty(sum(f.severity.weight for f in ordered))
    return FileReport(path, ordered, score, band_for(score), estimate(ordered))


def _ordered_counts(counts: Counter, order: Iterable[str]) -> dict[str, int]:
    return {name: counts[name] for name in order if counts[name]}


def _mechanical(finding: Finding) -> bool:
    """The rule's fix is mechanical, or this finding carries the exact edit (`tpulint fix` makes it)."""
    return finding.rule.fixable or bool(finding.fix and (finding.fix.edits or finding.staged_edits))
