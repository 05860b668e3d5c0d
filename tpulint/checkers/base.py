"""What every tpulint checker shares: target selection, collect-then-emit, one edit per statement.

Findings are collected while the module is walked and emitted when it is left, because some
decisions need the whole module: a CUDA availability idiom claims the `torch.cuda.is_available()`
call inside it (one edit, not two), and the torch_xla import is needed only if a device swap was
found. State lives per module and is reset in visit_module (pylint calls open() once per run in
serial mode and once per file with -j), so nothing leaks between files and nothing unpicklable
is kept.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from astroid import nodes
from astroid.exceptions import StatementMissing
from pylint.checkers import BaseChecker
from pylint.interfaces import HIGH, INFERENCE, Confidence

from tpulint import edits as edits_module
from tpulint import isolation, loops, resolve, syntax_index, view
from tpulint.bounds import MAX_DEPTH
from tpulint.catalog import Rule, TargetProfile, load_catalog
from tpulint.model import Edit, Fix, Lines, Reported, cite, concat

TARGET_OPTION = "tpulint-target"
RUNTIME_VERSION_OPTION = "tpulint-runtime-version"
TORCH_XLA_OPTION = "tpulint-torch-xla"  # RUNTIME_VERSION_OPTION's older name, still read
IMPORT_RULE = "missing-torch-xla-import"
PARTIAL = "partially-analysed"  # a notification of the run, not a rule: see tpulint.bounds
# Modules whose missing torch_xla import has been reported by one family's checker already:
# several families' fixes need the import, and it is one edit per file.
_IMPORT_REPORTED: weakref.WeakSet = weakref.WeakSet()


@dataclass
class Finding:
    """A finding while its module is checked: the rule, the node it is reported at, the message's
    arguments by field name (Rule.fields; `fix` among them), and pylint's confidence."""

    rule: Rule
    node: nodes.NodeNG
    args: dict[str, str | Lines]
    confidence: Confidence
    end: tuple[int, int] | None = None  # where the highlighted span ends, if not at node's end
    edits: tuple[Edit, ...] = ()  # the change that makes the fix, when the checker knows it exactly
    imports: tuple[str, ...] = ()  # import statements the edits need, besides the target's device import


class TpulintOptions(BaseChecker):
    """Owns tpulint's pylint options and the `partially-analysed` notification (a file nested
    deeper than tpulint.bounds.MAX_DEPTH, whose deepest parts were cut before analysis)."""

    name = "tpulint"
    msgs: dict[str, Any] = {
        "W7001": (
            "partially analysed: %s nested more than %d levels deep; the deeper parts were left out",
            PARTIAL,
            "tpulint bounds the work per file: code nested deeper than its bound (a very long "
            "elif chain or method chain) is cut before analysis, and the rest is checked.",
        ),
    }
    options = (
        (
            TARGET_OPTION,
            {
                "default": load_catalog().default_target,
                "type": "choice",
                "choices": sorted(load_catalog().targets),
                "metavar": "<runtime>",
                "help": "TPU runtime the port targets; rules and fixes follow it.",
            },
        ),
        (
            RUNTIME_VERSION_OPTION,
            {
                "default": "",
                "type": "choice",
                "choices": sorted({version for target in load_catalog().targets
                                   for version in load_catalog().runtime_versions(target)}),
                "metavar": "<version>",
                "help": "Version of the target runtime whose measured op data the non-xla-op family uses "
                        "(default: the newest in rules/ops).",
            },
        ),
        (
            TORCH_XLA_OPTION,
            {
                "default": "",
                "type": "choice",
                "choices": sorted(load_catalog().ops),
                "metavar": "<version>",
                "help": f"The older name of --{RUNTIME_VERSION_OPTION}.",
            },
        ),
    )

    def visit_module(self, node: nodes.Module) -> None:
        lines = isolation.CUT_LINES.get(node.file or "")
        if lines:
            where = f"line {lines[0]} is" if len(lines) == 1 else f"lines {', '.join(map(str, lines))} are"
            self.add_message(PARTIAL, node=node, line=lines[0], args=(where, MAX_DEPTH))


class FamilyChecker(BaseChecker):
    """Base of the one-per-family checkers. Subclasses set `family` and `name`."""

    family = ""

    def __init__(self, linter) -> None:
        super().__init__(linter)
        self._findings: list[Finding] = []
        self._claimed: set[nodes.NodeNG] = set()
        self.reported: list[Reported] = []  # the run's findings with their structure (model.Reported)

    @property
    def catalog(self):
        return load_catalog()

    def open(self) -> None:
        """While pylint lints (and builds the modules it lints), imports stay out of the tree;
        project views kept from an earlier run in this process are checked against the disk, and
        built before astroid parses the files (not for a buffer from stdin: its view differs)."""
        isolation.guard_imports()
        self.reported = []
        view.new_run()
        isolation.call_before_parse(None if self.linter.config.from_stdin else _view_before_parse)

    def close(self) -> None:
        isolation.release_imports()
        isolation.call_before_parse(None)

    @property
    def target(self) -> str:
        return option(self.linter, TARGET_OPTION, self.catalog.default_target)

    @property
    def profile(self) -> TargetProfile:
        """The selected target's runtime profile (rules/targets/<target>.toml)."""
        return self.catalog.profile(self.target)

    def visit_module(self, node: nodes.Module) -> None:
        self._findings = []
        self._claimed = set()
        # astroid caches modules across runs; every checker's visit_module precedes every
        # other hook of the same walk, so forgetting here is safe.
        _IMPORT_REPORTED.discard(node)
        loops.forget_walks()
        self._module = node
        self._shared_state: loops.ModuleState | None = None
        # Only names bound by imports can resolve to torch.*: everything else is skipped cheaply.
        self._resolvable = resolve.import_bound_names(node)
        self._index = syntax_index.start(node, collecting=self.notes_calls)

    notes_calls = False
    """The family's visit_call notes each call in tpulint.syntax_index (with its import hooks)."""

    @property
    def shared(self) -> loops.ModuleState:
        """Fetched on first use after visit_module, when every family has forgotten the old state."""
        if self._shared_state is None:
            self._shared_state = loops.module_state(self._module)
        return self._shared_state

    def visit_import(self, node: nodes.Import) -> None:
        self._index.add(node)
        self._resolvable |= resolve.imported_names(node)
        self.on_import(node)

    def visit_importfrom(self, node: nodes.ImportFrom) -> None:
        self._index.add(node)
        self._resolvable |= resolve.imported_names(node)
        self.on_import(node)

    def visit_if(self, node: nodes.If) -> None:
        self._index.add(node)

    def visit_ifexp(self, node: nodes.IfExp) -> None:
        self._index.add(node)

    def on_import(self, node: nodes.Import | nodes.ImportFrom) -> None:
        """A family's look at an import statement, either kind (default: none)."""

    def qualified(self, node: nodes.NodeNG) -> str | None:
        """resolve.qualified_name, skipping at once what cannot come from an import."""
        if resolve.root_name(node) not in self._resolvable:
            return None
        shared = self.shared
        if node not in shared.qualified_names:
            shared.qualified_names[node] = resolve.qualified_name(node, cache=shared.origins)
        return shared.qualified_names[node]

    def leave_module(self, node: nodes.Module) -> None:
        syntax_index.finish(node)
        self.analyse_module(node)
        for finding in self.findings_to_emit(node):
            end_line, end_column = finding.end or (None, None)
            self.add_message(
                finding.rule.symbol, node=finding.node, args=finding.args, confidence=finding.confidence,
                end_lineno=end_line, end_col_offset=end_column,
            )
            self.reported.append(self._structured(finding, node.file))
        self._findings = []
        self._claimed = set()

    def _structured(self, finding: Finding, path: str | None) -> Reported:
        """The finding as the report will see it, keyed like the pylint message it became."""
        node, rule = finding.node, finding.rule
        end_line, end_column = finding.end or (node.end_lineno, node.end_col_offset)
        needs_import = rule.requires_import or rule.symbol == IMPORT_RULE
        imports = (self.profile.device_import,) if needs_import and self.profile.device_import else ()
        fix = Fix(finding.args["fix"], finding.edits, (*imports, *finding.imports), rule.fix_safety)
        return Reported(rule.symbol, os.path.abspath(path or ""), node.fromlineno or 0, node.col_offset or 0,
                        end_line, end_column, dict(finding.args), finding.confidence != HIGH, fix)

    def get_map_data(self) -> list[Reported]:
        """With --jobs, each worker's findings travel back to the main process (pylint's map/reduce)."""
        return self.reported

    def reduce_map_data(self, linter, data: list[list[Reported]]) -> None:
        self.reported = [finding for part in data for finding in part]

    def analyse_module(self, node: nodes.Module) -> None:
        """A family's look at the whole module once pylint has walked it, before its findings
        are emitted (default: none; the hooks found everything)."""

    def fix_for(self, symbol: str, variant: str, **fields: object) -> str | Lines | None:
        """A rule's fix variant for the selected target, from rules/ (TargetRule.fix_for), or
        None when the rule does not apply to the target or has no such variant there."""
        target_rule = self.catalog.rule(symbol).for_target(self.target)
        if target_rule is None or variant not in target_rule.fixes:
            return None
        return target_rule.fix_for(variant, **{**self.profile.fix_slots(), **fields})

    def report(self, symbol: str, node: nodes.NodeNG, args: tuple[Any, ...] | dict[str, Any] = (), *,
               fix: str | Lines | None = None, confidence: Confidence = HIGH,
               edits: tuple[Edit, ...] = (), imports: tuple[str, ...] = ()) -> Finding | None:
        """Record a finding. args fill the rule's message fields but `fix` (Rule.fields), by name
        or in order; the fix defaults to the target's fix.

        Returns None when the rule does not apply to the selected target. Raises ValueError when
        args do not fill the message's fields."""
        rule = self.catalog.rule(symbol)
        target_rule = rule.for_target(self.target)
        if target_rule is None or self._in_gpu_fallback(node):
            return None
        fix = fix or target_rule.fix
        if getattr(self, "_judging_unseen", False):
            confidence = INFERENCE  # counted in the estimate's upper end only
        reach = self.step_context(node)
        if reach is not None:
            fix = concat([fix, f" ({reach.describe()})"])
        if edits and not edits_module.makes_device_edits(node.root()):
            edits = ()  # an RPC program: which process owns the device is a person's design
        finding = Finding(rule, node, rule.arguments(args, fix, target_rule.phrases), confidence, edits=edits,
                          imports=imports if edits else ())
        self._findings.append(finding)
        return finding

    def step_context(self, node: nodes.NodeNG) -> view.Reach | None:
        """How the project's step reaches node when its own module does not show it (default: not asked)."""
        return None

    def _in_gpu_fallback(self, node: nodes.NodeNG) -> bool:
        """Code that never runs on a TPU host needs no edit: no rule reports under a run-time
        GPU check (`if x.type == "cuda":`, `if torch.cuda.is_available():` around a call), nor
        in the GPU path kept behind an XLA switch (see _behind_xla_switch)."""
        return resolve.in_runtime_gpu_guard(node) or self._behind_xla_switch(node)

    def _behind_xla_switch(self, node: nodes.NodeNG) -> bool:
        """In a module that has an XLA path, code behind a switch that runs only without XLA (the
        `else` of `if is_torch_xla_available():`, `if USE_CUDA:`, `if not XLA_AVAILABLE:`)."""
        return loops.has_xla_path(self._module) and resolve.in_gpu_only_branch(node)

    def claim(self, node: nodes.NodeNG | None) -> None:
        """Another finding already covers node's edit: never report it on its own."""
        if node is not None:
            self._claimed.add(node)

    def findings_to_emit(self, module: nodes.Module) -> list[Finding]:
        """Unclaimed findings, one per rule and statement (several on one statement are one edit),
        led by the torch_xla import when a fix needs it and the file lacks it."""
        emitted: list[Finding] = []
        seen: set[tuple[str, int]] = set()
        for finding in sorted(self._findings, key=lambda f: (f.node.lineno or 0, f.node.col_offset or 0)):
            if finding.node in self._claimed:
                continue
            key = (finding.rule.symbol, id(self.edit_site(finding.node)))
            if key not in seen:
                seen.add(key)
                emitted.append(finding)
        emitted = self.refine(emitted)
        # Only an edit the report asks for needs the import: not one whose message is disabled.
        needing = [finding for finding in emitted if finding.rule.requires_import
                   and self.linter.is_message_enabled(finding.rule.symbol, finding.node.fromlineno)]
        if needing and module not in _IMPORT_REPORTED and not resolve.imports_torch_xla(module):
            finding = self.report(IMPORT_RULE, _import_site(module), (cite("{0}", [needing[0].node.lineno]),))
            if finding is not None:
                _IMPORT_REPORTED.add(module)
                emitted.insert(0, finding)
        return emitted

    def edit_site(self, node: nodes.NodeNG) -> nodes.NodeNG:
        """What one edit covers: findings of one rule on the same site are one finding. By default
        a statement (`x.item() + y.item()` in one step is one host-sync edit)."""
        return _statement_of(node)

    def refine(self, findings: list[Finding]) -> list[Finding]:
        """A family's last word on its module's findings (default: keep them all)."""
        return findings


class StepFamilyChecker(FamilyChecker):
    """Base of the families that judge what runs in the step: collects the module's loops and
    notes whether it moves anything to a device at all (a module that never does is CPU code)."""

    def visit_module(self, node: nodes.Module) -> None:
        super().visit_module(node)
        self._loops: list[nodes.For | nodes.While] = []
        self._probe = loops.DeviceCode(node, self.qualified, on_device=True)
        self._steps: loops.StepScopes | None = None
        self._judging_unseen = False

    def step_context(self, node: nodes.NodeNG) -> view.Reach | view.Unseen | None:
        if self._steps is None:
            return None
        return view.UNSEEN if self._judging_unseen else self._steps.via(node)

    def judge_in_step(self, candidates: list, judge: Callable[[nodes.NodeNG], None]) -> None:
        """Judge what runs in the step; then, with INFERENCE confidence, what runs in device
        code no step of the project is seen to reach (loops.StepScopes.unreached_device_function)."""
        steps = self._steps
        unseen = []
        for candidate in candidates:
            if steps.contains(candidate) or candidate in steps.loops:
                judge(candidate)
            elif steps.unreached_device_function(candidate):
                unseen.append(candidate)
        self._judging_unseen = True
        try:
            for candidate in unseen:
                judge(candidate)
        finally:
            self._judging_unseen = False

    def visit_for(self, node: nodes.For) -> None:
        self._loops.append(node)

    def visit_while(self, node: nodes.While) -> None:
        self._loops.append(node)

    notes_calls = True

    def visit_call(self, node: nodes.Call) -> None:
        self._index.add(node)
        shared = self.shared
        if shared.on_device or shared.last_probed is node:
            return  # settled, or another family just looked at this call
        shared.last_probed = node
        if self._probe.moves_to_device(node):
            shared.on_device = True

    def device_code(self, module: nodes.Module) -> loops.DeviceCode | None:
        """The module's shared loop analysis, or None for CPU code: a module that moves nothing to
        a device, unless its project places something on one (or uses a framework that does) and
        the module is device code there (view.ProjectView.has_device_code), even with no import
        of its own (a helper file whose functions only call methods of what the step passes)."""
        if not self.shared.on_device:
            project = view.for_file(module.file, getattr(module, "file_bytes", None))
            if (project is None or not project.is_device_project
                    or not project.has_device_code(os.path.abspath(module.file))):
                return None
        return loops.shared_device_code(module, self.qualified)


def _view_before_parse(path: str, text: str) -> None:
    """pylint parses every file before it checks any; the view of a PyTorch file's project is
    built first (once per run), so the parse skips the depth check of every text the view's
    summaries measured shallow (tpulint.bounds.known_shallow). Not for installed libraries'
    modules astroid parses to infer, nor for files outside the command's run."""
    if "torch" in text and view.in_run(path) and not isolation.installed(path):
        view.for_file(path)


def option(linter, name: str, default: str) -> str:
    """A tpulint pylint option's value (pylint stores `tpulint-target` as `tpulint_target`)."""
    return getattr(linter.config, name.replace("-", "_"), default)


def header_end(node: nodes.For | nodes.While) -> tuple[int, int]:
    """End of a loop's first line (`for x in xs` / `while cond`): a loop is reported there, not
    over its whole body, so an annotation lands on the line to change."""
    head = node.iter if isinstance(node, nodes.For) else node.test
    if head.end_lineno == node.lineno and head.end_col_offset is not None:
        return node.lineno, head.end_col_offset
    return node.lineno, node.col_offset + len("while" if isinstance(node, nodes.While) else "for")


def _import_site(module: nodes.Module) -> nodes.NodeNG:
    imports = [stmt for stmt in module.body if isinstance(stmt, (nodes.Import, nodes.ImportFrom))]
    return imports[0] if imports else module.body[0]


def _statement_of(node: nodes.NodeNG) -> nodes.NodeNG:
    try:
        return node.statement()
    except StatementMissing:
        return node


def reported_findings(linter) -> list[Reported]:
    """Every finding tpulint's checkers emitted in the linter's last run, with its structure."""
    return [finding for checker in linter.get_checkers() if isinstance(checker, FamilyChecker)
            for finding in checker.reported]
