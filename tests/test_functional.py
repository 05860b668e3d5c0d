"""Functional tests: every file under tests/functional/<family>/ runs once per target.

For the default target (torch_xla) the lines that must be reported carry pylint's marks
(`# [symbol]`); for another target, marks name it (`# torchtpu: [symbol]`). Lines without a mark
for a target must stay silent on it. Beside each file, <base>.txt pins the default target's exact
output and <base>.<target>.txt the other target's."""

from __future__ import annotations

import csv
import re
import sys
from collections import Counter
from pathlib import Path

import pytest
from pylint.testutils import LintModuleTest
from pylint.testutils.functional import FunctionalTestFile
from pylint.testutils.functional import LintModuleOutputUpdate
from pylint.testutils.output_line import OutputLine

from tpulint import view
from tpulint.catalog import load_catalog

FUNCTIONAL = Path(__file__).parent / "functional"
SHARED_RC = FUNCTIONAL / "tpulint.rc"
CATALOG = load_catalog()
TARGETS = [CATALOG.default_target, *sorted(set(CATALOG.targets) - {CATALOG.default_target})]


def target_marks(text: str, target: str) -> Counter:
    """{(line, symbol): count} of the `# <target>: [symbol, ...]` marks of a source text."""
    mark = re.compile(rf"#\s*{re.escape(target)}:\s*\[([a-z\-, ]+)\]")
    found: Counter = Counter()
    for number, line in enumerate(text.splitlines(), start=1):
        for symbols in mark.findall(line):
            found.update((number, symbol.strip()) for symbol in symbols.split(","))
    return found


class TpulintTestFile(FunctionalTestFile):
    """Uses the file's own .rc if it has one, else the shared tpulint.rc; its expected output is
    <base>.txt for the default target and <base>.<target>.txt for another."""

    def __init__(self, directory: str, filename: str, target: str) -> None:
        super().__init__(directory, filename)
        self.target = target

    @property
    def option_file(self) -> str:
        own = Path(self._directory) / f"{self.base}.rc"
        return str(own if own.exists() else SHARED_RC)

    @property
    def expected_output(self) -> str:
        if self.target == CATALOG.default_target:
            return super().expected_output
        return str(Path(self._directory) / f"{self.base}.{self.target}.txt")


class TargetLintModuleTest(LintModuleTest):
    """LintModuleTest with the file's target selected; for a target other than the default the
    expected messages are the file's `# <target>: [...]` marks."""

    def setUp(self) -> None:
        super().setUp()
        self._linter.config.tpulint_target = self._test_file.target

    def _get_expected(self):
        if self._test_file.target == CATALOG.default_target:
            return super()._get_expected()
        with self._open_source_file() as source:
            expected_messages = target_marks(source.read(), self._test_file.target)
        with self._open_expected_file() as expected:
            output = [OutputLine.from_csv(row, self._check_end_position) for row in csv.reader(expected, "test")]
        return expected_messages, output


class TargetOutputUpdate(LintModuleOutputUpdate, TargetLintModuleTest):
    """--update: rewrites each target's pinned output from the current messages (an empty file
    for a target on which the file must stay silent: every target's output is pinned)."""

    def _check_output_text(self, expected_messages, expected_output, actual_output) -> None:
        if actual_output or self._test_file.target == CATALOG.default_target:
            super()._check_output_text(expected_messages, expected_output, actual_output)
        else:
            Path(self._test_file.expected_output).write_text("", encoding="utf-8")


def _test_files() -> list[TpulintTestFile]:
    return [TpulintTestFile(str(path.parent), path.name, target)
            for path in sorted(FUNCTIONAL.glob("*/*.py")) for target in TARGETS]


TEST_FILES = _test_files()


def _run(test: LintModuleTest, test_file: TpulintTestFile) -> None:
    # Each functional file is a project of its own (as `tpulint file.py` makes it), not a part
    # of this repository's project.
    view.use_files([str(Path(test_file._directory, f"{test_file.base}.py"))])
    try:
        test.setUp()
        test.runTest()
    finally:
        view.use_files(None)


@pytest.mark.parametrize("test_file", TEST_FILES,
                         ids=[f"{t._directory.split('/')[-1]}/{t.base}[{t.target}]" for t in TEST_FILES])
def test_functional(test_file: TpulintTestFile) -> None:
    _run(TargetLintModuleTest(test_file), test_file)


def test_every_family_directory_has_tests() -> None:
    assert {path.parent.name for path in FUNCTIONAL.glob("*/*.py")} >= {"cuda"}


def test_every_file_pins_its_output_for_every_target() -> None:
    missing = [f"{path.relative_to(FUNCTIONAL)} ({target})" for path in FUNCTIONAL.glob("*/*.py")
               for target in TARGETS[1:] if not path.with_suffix(f".{target}.txt").exists()]
    assert missing == []


def test_target_marks_are_read_per_target() -> None:
    text = 'x = 1  # [cuda-device]  # torchtpu: [cuda-device, torch-xla-api]\ny = 2\nz = 3  # other: [a]\n'
    assert target_marks(text, "torchtpu") == Counter({(1, "cuda-device"): 1, (1, "torch-xla-api"): 1})
    assert target_marks(text, "missing") == Counter()


if __name__ == "__main__":
    # python tests/test_functional.py --update: rewrite every target's .txt from the current output.
    if "--update" in sys.argv:
        for test_file in TEST_FILES:
            _run(TargetOutputUpdate(test_file), test_file)
