"""Findings -> change estimate and readiness score. Both models are versioned; docs/scoring.md
explains them, and changing a number here is a deliberate, documented change."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from tpulint.catalog import Catalog, Rule, Severity

ESTIMATE_MODEL = {"name": "tpulint-estimate", "version": "1"}
SCORE_MODEL = {"name": "tpulint-score", "version": "1"}

# Penalty (sum of severity weights) at which a file scores 50.
HALF_SCORE_PENALTY = 40
BANDS = ((90, "ready"), (60, "small port"), (30, "moderate port"), (0, "major port"))


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


@dataclass(frozen=True)
class Notification:
    """A file tpulint could not analyse, or another problem with the run itself."""

    path: str
    message: str
    level: str = "error"


@dataclass(frozen=True)
class Estimate:
    required: int
    fixable: int
    manual: int
    optional: int

    @property
    def low(self) -> int:
        return self.required

    @property
    def high(self) -> int:
        return self.required + self.optional

    def as_dict(self) -> dict[str, object]:
        return {
            "required": self.required,
            "fixable": self.fixable,
            "manual": self.manual,
            "optional": self.optional,
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
    files: tuple[FileReport, ...]
    files_checked: int
    score: int
    band: str
    estimate: Estimate
    by_family: dict[str, int]
    by_severity: dict[str, int]
    notifications: tuple[Notification, ...] = field(default=())

    @property
    def findings(self) -> list[Finding]:
        return [finding for report in self.files for finding in report.findings]


def estimate(findings: Iterable[Finding]) -> Estimate:
    """Distinct edits: findings on one line are one edit, costed at the dearest of them."""
    dearest: dict[tuple[str, int, bool], Finding] = {}
    for finding in findings:
        key = (finding.path, finding.line, finding.severity.required)
        kept = dearest.get(key)
        if kept is None or finding.rule.cost > kept.rule.cost:
            dearest[key] = finding
    required = [f for f in dearest.values() if f.severity.required]
    optional = [f for f in dearest.values() if not f.severity.required]
    return Estimate(
        required=sum(f.rule.cost for f in required),
        fixable=sum(f.rule.cost for f in required if f.rule.fixable),
        manual=sum(f.rule.cost for f in required if not f.rule.fixable),
        optional=sum(f.rule.cost for f in optional),
    )


def score_for_penalty(penalty: float) -> int:
    return round(100 * HALF_SCORE_PENALTY / (HALF_SCORE_PENALTY + penalty))


def band_for(score: int) -> str:
    return next(name for floor, name in BANDS if score >= floor)


def summarize(
    catalog: Catalog,
    target: str,
    findings: Iterable[Finding],
    files_checked: int,
    notifications: Iterable[Notification] = (),
) -> Summary:
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.path, []).append(finding)
    reports = tuple(_file_report(path, items) for path, items in sorted(by_path.items()))
    all_findings = [finding for report in reports for finding in report.findings]
    penalty_per_file = sum(f.severity.weight for f in all_findings) / max(1, len(reports))
    score = score_for_penalty(penalty_per_file)
    return Summary(
        target=target,
        files=reports,
        files_checked=files_checked,
        score=score,
        band=band_for(score),
        estimate=estimate(all_findings),
        by_family=_ordered_counts(Counter(f.rule.family for f in all_findings), catalog.families),
        by_severity=_ordered_counts(Counter(f.severity.name for f in all_findings), catalog.severities),
        notifications=tuple(notifications),
    )


def _file_report(path: str, findings: list[Finding]) -> FileReport:
    ordered = tuple(sorted(findings, key=lambda f: (f.line, f.column)))
    score = score_for_penalty(sum(f.severity.weight for f in ordered))
    return FileReport(path, ordered, score, band_for(score), estimate(ordered))


def _ordered_counts(counts: Counter, order: Iterable[str]) -> dict[str, int]:
    return {name: counts[name] for name in order if counts[name]}
