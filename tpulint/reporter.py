"""The `tpulint-sarif` pylint reporter: `pylint --load-plugins tpulint --output-format=text,tpulint-sarif:out.sarif`.

Named `tpulint-sarif`, not `sarif`: pylint has an open PR adding its own `sarif` reporter, and
register_reporter silently overwrites by name.
"""

from __future__ import annotations

from pathlib import Path

from pylint.message import Message
from pylint.reporters import BaseReporter

from tpulint.catalog import load_catalog
from tpulint.checkers.base import TARGET_OPTION, option, reported_findings
from tpulint.pipeline import summarise_run


class SarifReporter(BaseReporter):
    name = "tpulint-sarif"
    extension = "sarif"

    def __init__(self, output=None) -> None:
        super().__init__(output)
        self._files_checked: set[str] = set()

    def on_set_current_module(self, module: str, filepath: str | None) -> None:
        if filepath:
            self._files_checked.add(filepath)

    def handle_message(self, msg: Message) -> None:
        self.messages.append(msg)

    def display_messages(self, layout) -> None:
        from tpulint import sarif  # sarif_om's import costs ~0.1 s: only runs that write SARIF pay it

        catalog = load_catalog()
        target = option(self.linter, TARGET_OPTION, catalog.default_target)
        root = Path.cwd()
        summary = summarise_run(self.messages, catalog, target, root, sorted(self._files_checked),
                                reported=reported_findings(self.linter))
        self.out.write(sarif.dumps(summary, catalog, root))
        self.out.flush()

    def display_reports(self, layout) -> None:
        """pylint's text reports have no place in SARIF."""

    def _display(self, layout) -> None:
        """Nothing: display_messages writes the whole file."""
