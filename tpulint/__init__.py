"""tpulint: find what in PyTorch GPU code must change to run well on Google TPUs.

A pylint plugin (`pylint --load-plugins tpulint`) with one checker per rule family, a SARIF
reporter (`--output-format=tpulint-sarif:out.sarif`), and the `tpulint` command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:  # pragma: no cover
    from pylint.lint import PyLinter


def register(linter: PyLinter) -> None:
    """pylint's plugin entry point."""
    from tpulint import isolation
    from tpulint.checkers.base import TpulintOptions
    from tpulint.checkers.cuda import CudaChecker
    from tpulint.checkers.dynamic_shape import DynamicShapeChecker
    from tpulint.checkers.mark_step import MarkStepChecker
    from tpulint.checkers.non_xla_op import NonXlaOpChecker
    from tpulint.reporter import SarifReporter

    isolation.install()
    linter.register_checker(TpulintOptions(linter))
    linter.register_checker(CudaChecker(linter))
    linter.register_checker(MarkStepChecker(linter))
    linter.register_checker(DynamicShapeChecker(linter))
    linter.register_checker(NonXlaOpChecker(linter))
    linter.register_reporter(SarifReporter)
