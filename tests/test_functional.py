"""Functional tests: each file under tests/functional/<family>/ marks the lines that must be
reported (`# [symbol]`); lines without a mark must stay silent. The .txt beside each file pins
the exact message text."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from pylint.testutils import LintModuleTest
from pylint.testutils.functional import FunctionalTestFile
from pylint.testutils.functional import LintModuleOutputUpdate

from tpulint import view

FUNCTIONAL = Path(__file__).parent / "functional"
SHARED_RC = FUNCTIONAL / "tpulint.rc"


class TpulintTestFile(FunctionalTestFile):
    """Uses the file's own .rc if it has one, else the shared tpulint.rc."""

    @property
    def option_file(self) -> str:
        own = Path(self._directory) / f"{self.base}.rc"
        return str(own if own.exists() else SHARED_RC)


def _test_files() -> list[TpulintTestFile]:
    return [
        TpulintTestFile(str(path.parent), path.name)
        for path in sorted(FUNCTIONAL.glob("*/*.py"))
    ]


TEST_FILES = _test_files()


@pytest.mark.parametrize("test_file", TEST_FILES, ids=[f"{t._directory.split('/')[-1]}/{t.base}" for t in TEST_FILES])
def test_functional(test_file: TpulintTestFile) -> None:
    # Each functional file is a project of its own (as `tpulint file.py` makes it), not a part
    # of this repository's project.
    view.use_files([str(Path(test_file._directory, f"{test_file.base}.py"))])
    try:
        lint_test = LintModuleTest(test_file)
        lint_test.setUp()
        lint_test.runTest()
    finally:
        view.use_files(None)


def test_every_family_directory_has_tests() -> None:
    assert {path.parent.name for path in FUNCTIONAL.glob("*/*.py")} >= {"cuda"}


if __name__ == "__main__":
    # python tests/test_functional.py --update: rewrite the .txt files from the current output.
    if "--update" in sys.argv:
        for test_file in TEST_FILES:
            view.use_files([str(Path(test_file._directory, f"{test_file.base}.py"))])
            LintModuleOutputUpdate(test_file).runTest()
