"""The fuzzing oracle shared by tests/test_fuzz.py (bounded, in CI) and tests/fuzz/long_run.py (at scale).

What is checked. A batch of input files is written into one folder and run, each as a subprocess
with a time bound, through

* the command:  tpulint --format sarif --output OUT --no-progress --jobs 1 FOLDER
* the plugin:   python -m pylint --rcfile=EMPTY --load-plugins=tpulint --disable=all
                --enable=tpulint-cuda,... --persistent=n --output-format=text,tpulint-sarif:OUT FILES...

An input *fails* when either run shows

* ``traceback``     a Python traceback ("Traceback (most recent call last)") on stdout or stderr;
* ``crash-report``  a crash inside pylint, astroid or tpulint: F0002 astroid-error or F0001 fatal,
                    "Fatal error while checking", a crash report written to PYLINTHOME (its traceback
                    gives the exception type and the innermost tpulint frame), or a SARIF notification
                    saying the analysis failed on a file (CRASH_MARKERS);
* ``fatal-message`` any pylint fatal message in the plugin's output other than F0010 parse-error
                    (pylint's own one-line notice for a file it cannot decode, which is how the plugin
                    face reports such a file: it sets pylint's fatal bit and is not a failure);
* ``exit-code``     the command exiting other than 0, 1 or 2, or pylint's exit status carrying the
                    fatal (1) bit without a fatal message that explains it, or the usage-error (32)
                    bit, or either dying of a signal;
* ``sarif-missing`` / ``sarif-invalid``  no SARIF file, or one that is not JSON or fails
                    tests/conftest.py:assert_valid_sarif (the OASIS schema, GitHub's copy, GitHub's rules);
* ``timeout``       one file alone taking more than FILE_TIMEOUT seconds (20 s) in either tool.

A file that merely does not parse (a mutation can break the syntax) is *not* a failure: the
tools must say so in a sentence, which is exactly what they are for.

Time bounds. A file alone: FILE_TIMEOUT = 20 s per tool. A batch of n files: the watchdog
batch_timeout(n) = 60 s + 10 s x n, capped at 600 s. A batch that hits its watchdog is split
(the plugin's per-file timing log names the file it was on when killed, which is tried alone
first); only a file that exceeds FILE_TIMEOUT *alone* is reported. The plugin run also records
how long each file took (TimingReporter below, loaded as an extra pylint reporter), so a file
that takes more than FILE_TIMEOUT inside a batch that finished is re-timed alone too.

When a batch fails, failures that name their file (crash messages, SARIF notifications, crash
reports matched by content) are attributed directly; the rest are found by bisection. Each
distinct failure (kind, exception type, innermost tpulint frame) is then re-run alone and shrunk
(greedy chunk deletion of lines, many candidates checked per subprocess while the same failure
persists) and written to tests/fuzz/regressions/ with a comment header saying what failed.

Generators and mutators also live here: programs from hypothesmith's grammar/CST strategies
(optionally wrapped in PyTorch code so the checkers engage) and seeded, deterministic mutations
of real PyTorch files (lines deleted, duplicated, swapped, blocks nested deeper, expressions
wrapped in many calls/parentheses, elif chains, long method chains ending in .cuda(), odd bytes).

Keep imports at module level light: pylint imports this module in the plugin subprocess to load
TimingReporter (the folder is put on PYTHONPATH).
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import unquote

from pylint.reporters import BaseReporter

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
REGRESSIONS = HERE / "regressions"

FILE_TIMEOUT = 20.0  # seconds for one file alone, per tool
BATCH_BASE, BATCH_PER_FILE, BATCH_CAP = 60.0, 10.0, 600.0
TOOLS = ("command", "plugin")
CONFIRM_PER_SIGNATURE = 2  # per batch, inputs re-run alone for each way of failing; the rest are taken as named
PLUGIN_CHECKERS = "tpulint-cuda,tpulint-mark-step,tpulint-dynamic-shape,tpulint-non-xla-op"

# Text in a SARIF notification (or anywhere in stdout/stderr) that means pylint crashed rather than
# declined a file (case-insensitive). "not analysed: it does not parse" is fine; these are not.
CRASH_MARKERS = (
    "pylint failed on this file", "crash report", "fatal error while checking",
    "pre-filled template", "traceback (most recent call last)", "astroid-error",
    "the analysis failed on this file", "an error inside pylint",
)
_TRACEBACK = re.compile(r"^Traceback \(most recent call last\):", re.MULTILINE)
_FATAL_LINE = re.compile(r"^(?P<path>[^\n]*?):\d+:\d+: (?P<id>F\d{4}): (?P<msg>.*) \((?P<symbol>[a-z0-9-]+)\)$", re.MULTILINE)
_NODE_EXCEPTION = re.compile(
    r"^Exception on node .*? in file '(?P<path>[^'\n]+)'\n(?P<tb>Traceback \(most recent call last\):\n(?:[ \t].*\n|.*\n(?=[ \t]))*.*(?:\n|$))",
    re.MULTILINE)
_CHAIN = re.compile(r"\n\s*(?:The above exception was the direct cause of the following exception:|"
                    r"During handling of the above exception, another exception occurred:)\s*\n")
_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<func>\S+)', re.MULTILINE)


def batch_timeout(n: int) -> float:
    return min(BATCH_CAP, BATCH_BASE + BATCH_PER_FILE * n)


# --- inputs and failures ---------------------------------------------------------------------


@dataclasses.dataclass
class Input:
    name: str  # unique file stem within a campaign: [A-Za-z0-9_]
    data: bytes
    origin: str  # how it was made, for the report and the regression header


@dataclasses.dataclass
class Failure:
    tool: str
    kind: str  # traceback | crash-report | fatal-message | exit-code | sarif-missing | sarif-invalid | timeout
    file: str | None  # the input's name when the failure names its file
    detail: str
    exc: str | None = None  # root exception type, when a traceback is known
    where: str | None = None  # innermost tpulint frame (else the innermost frame): path:function
    traceback: str | None = None

    def matches(self, other: Failure) -> bool:
        """The same failure for shrinking: same tool and kind; same exception type when both are known."""
        return (self.tool, self.kind) == (other.tool, other.kind) and (
            self.exc is None or other.exc is None or self.exc == other.exc)

    @property
    def key(self) -> tuple[str, str | None, str | None]:
        """What makes two failures distinct in the report (across tools)."""
        return (self.kind, self.exc, self.where)

    def describe(self) -> str:
        parts = [f"{self.tool}: {self.kind}"]
        if self.exc:
            parts.append(self.exc)
        if self.where:
            parts.append(f"at {self.where}")
        return " ".join(parts)


@dataclasses.dataclass
class RunResult:
    tool: str
    names: list[str]
    returncode: int | None
    seconds: float
    timed_out: bool
    failures: list[Failure]
    file_times: dict[str, float]  # plugin only: seconds per input name
    last_started: str | None  # plugin only: the input being checked when the run ended or was killed
    stdout: str = ""
    stderr: str = ""


def analyse_traceback(text: str) -> tuple[str | None, str | None]:
    """(root exception type, innermost tpulint frame or else innermost frame) of a traceback text."""
    start = text.find("Traceback (most recent call last)")
    if start < 0:
        return None, None
    chunks = _CHAIN.split(text[start:])
    root = chunks[0]
    exc = None
    for line in reversed(root.strip().splitlines()):
        match = re.match(r"^([A-Za-z_][\w.]*)(?::|$)", line)
        if match and not line.startswith(("Traceback", "  ")):
            exc = match.group(1).rsplit(".", 1)[-1]
            break
    frames = list(_FRAME.finditer(root))
    ours = [f for f in frames if "/tpulint/" in f.group("file").replace("\\", "/")]
    frame = (ours or frames or [None])[-1]
    where = None
    if frame is not None:
        path = frame.group("file").replace("\\", "/")
        for marker in ("/tpulint/", "/site-packages/"):
            if marker in path:
                path = path.split(marker, 1)[1] if marker == "/site-packages/" else "tpulint/" + path.split(marker, 1)[1]
                break
        where = f"{path}:{frame.group('func')}"
    return exc, where


# --- SARIF validation (reuses tests/conftest.py) -----------------------------------------------

_conftest = None


def _load_conftest():
    global _conftest
    if _conftest is None:
        if str(REPO / "tests") not in sys.path:
            sys.path.insert(0, str(REPO / "tests"))
        module = sys.modules.get("conftest")
        if module is None or not hasattr(module, "assert_valid_sarif"):
            spec = importlib.util.spec_from_file_location("tpulint_tests_conftest", REPO / "tests" / "conftest.py")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        _conftest = module
    return _conftest


def sarif_problem(path: Path) -> tuple[str, str] | None:
    """None for a valid SARIF file, else (kind, detail)."""
    if not path.is_file():
        return "sarif-missing", f"no SARIF file at {path.name}"
    try:
        log = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        return "sarif-invalid", f"not JSON: {error}"
    try:
        _load_conftest().assert_valid_sarif(log)
    except AssertionError as error:
        return "sarif-invalid", f"schema: {str(error)[:800]}"
    except (KeyError, IndexError, TypeError) as error:
        return "sarif-invalid", f"structure: {type(error).__name__}: {error}"
    return None


def sarif_notifications(path: Path) -> list[tuple[str | None, str]]:
    """(uri or None, text) of each toolExecutionNotification, for a valid-enough SARIF file."""
    try:
        log = json.loads(path.read_text(encoding="utf-8"))
        notes = []
        for run in log.get("runs", []):
            for invocation in run.get("invocations", []) or []:
                for note in invocation.get("toolExecutionNotifications", []) or []:
                    uri = None
                    for location in note.get("locations", []) or []:
                        uri = location.get("physicalLocation", {}).get("artifactLocation", {}).get("uri") or uri
                    notes.append((uri, note.get("message", {}).get("text", "")))
        return notes
    except (OSError, ValueError, AttributeError, TypeError):
        return []


# --- the per-file timing reporter (runs inside the plugin subprocess) ------------------------------


class TimingReporter(BaseReporter):
    """Writes `monotonic-time <TAB> start|end <TAB> path` as pylint moves between files.

    pylint (jobs=1) calls on_set_current_module once per file while parsing them all, then once per
    file while checking them; a file's time is the sum of the intervals it opened. On a kill, the
    last "start" names the file pylint was on.
    """

    name = "fuzz-timing"
    extension = "tsv"

    def handle_message(self, msg) -> None:  # noqa: D102 - nothing to report
        pass

    def _log(self, event: str, path: str = "") -> None:
        self.out.write(f"{time.monotonic():.6f}\t{event}\t{path}\n")
        self.out.flush()

    def on_set_current_module(self, module: str, filepath: str | None) -> None:
        if filepath:
            self._log("start", filepath)

    def display_messages(self, layout) -> None:
        self._log("end")

    def _display(self, layout) -> None:
        pass

    def on_close(self, stats, previous_stats) -> None:
        self._log("end")


def read_timing(path: Path, killed_at: float | None = None) -> tuple[dict[str, float], str | None]:
    """(seconds per file stem, stem of the last file started) from a TimingReporter log.

    killed_at: time.monotonic() when the run was killed (the same clock across processes on
    Linux), to charge the file it was on with the time until then."""
    events = []
    try:
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) == 3:
                events.append((float(parts[0]), parts[1], Path(parts[2]).stem if parts[2] else ""))
    except (OSError, ValueError):
        return {}, None
    times: dict[str, float] = {}
    for (t0, event, stem), (t1, _, _) in zip(events, events[1:]):
        if event == "start":
            times[stem] = times.get(stem, 0.0) + (t1 - t0)
    starts = [stem for _, event, stem in events if event == "start"]
    finished = bool(events) and events[-1][1] == "end"
    if not finished and starts and killed_at is not None and events[-1][1] == "start":
        times[starts[-1]] = times.get(starts[-1], 0.0) + max(0.0, killed_at - events[-1][0])
    return times, (None if finished or not starts else starts[-1])


# --- running the tools -------------------------------------------------------------------------


def command_prefix() -> list[str]:
    """The `tpulint` console script beside this interpreter (what users run), else `python -m tpulint.cli`."""
    script = Path(sys.executable).with_name("tpulint")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "tpulint.cli"]


def _environment(pylint_home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYLINTHOME"] = str(pylint_home)  # crash reports land here (and are counted), not in ~/.cache
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]])
    env["PYTHONHASHSEED"] = "0"
    env.pop("PYTHONSTARTUP", None)
    env["NO_COLOR"] = "1"
    return env


def _parse_crash_reports(pylint_home: Path) -> list[tuple[str, str]]:
    """(file content, traceback) of every crash report pylint wrote."""
    found = []
    pattern = re.compile(
        r"When parsing the following ``a\.py``:.*?```python\n(?P<content>.*?)\n```\n\n### Command used.*?"
        r"stacktrace:\n    </summary>\n\n```python\n(?P<tb>.*?)\n```\n\n\n</details>",
        re.DOTALL,
    )
    for report in sorted(pylint_home.glob("pylint-crash-*.txt")):
        text = report.read_text(encoding="utf-8", errors="replace")
        matches = list(pattern.finditer(text))
        if matches:
            found.extend((m.group("content"), m.group("tb")) for m in matches)
        else:
            found.append(("", text))
    return found


def _normal(data: bytes) -> str:
    """A file as pylint's crash report quotes it (utf-8 text, universal newlines)."""
    return data.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")


def run_tool(tool: str, folder: Path, names: Sequence[str], timeout: float) -> RunResult:
    """Run one tool over folder/src/<name>.py for every name; collect failures."""
    work = folder
    src = work / "src"
    sarif = work / f"{tool}.sarif"
    home = work / f"pylint-home-{tool}"
    timing = work / "timing.tsv"
    for leftover in (sarif, timing):
        leftover.unlink(missing_ok=True)
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir()
    if tool == "command":
        argv = [*command_prefix(), "--format", "sarif", "--output", str(sarif), "--no-progress", "--jobs", "1", "src"]
    else:
        rcfile = work / "empty.toml"
        rcfile.write_text("", encoding="utf-8")
        argv = [sys.executable, "-m", "pylint", f"--rcfile={rcfile}", "--load-plugins=tpulint", "--disable=all",
                f"--enable={PLUGIN_CHECKERS}", "--persistent=n",
                f"--output-format=text,tpulint-sarif:{sarif},harness.TimingReporter:{timing}",
                *[f"src/{name}.py" for name in names]]
    started = time.monotonic()
    timed_out = False
    try:
        proc = subprocess.run(argv, cwd=work, env=_environment(home), capture_output=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
        returncode, out, err = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as expired:
        timed_out, returncode = True, None
        out, err = expired.stdout or b"", expired.stderr or b""
    seconds = time.monotonic() - started
    stdout = out.decode("utf-8", errors="replace")
    stderr = err.decode("utf-8", errors="replace")
    file_times, last = read_timing(timing, time.monotonic() if timed_out else None) if tool == "plugin" else ({}, None)
    known = set(names)
    by_content: dict[str, list[str]] = {}
    for name in names:
        by_content.setdefault(_normal((src / f"{name}.py").read_bytes()), []).append(name)

    failures: list[Failure] = []

    def add(kind: str, file: str | None, detail: str, tb: str | None = None) -> None:
        exc, where = analyse_traceback(tb) if tb else (None, None)
        detail = detail.replace(str(work.resolve()), "<batch>").replace(str(work), "<batch>")
        failures.append(Failure(tool, kind, file, detail[:4000], exc, where, tb))

    def stem(path: str | None) -> str | None:
        if not path:
            return None
        candidate = Path(unquote(path.replace("file://", ""))).stem
        return candidate if candidate in known else None

    alone = names[0] if len(names) == 1 else None
    walker: dict[str | None, str] = {}
    if timed_out:
        add("timeout", alone, f"killed after {seconds:.1f} s (bound {timeout:.0f} s for {len(names)} file(s))"
            + (f"; it was on {last}" if last else ""))
    for stream, text in (("stderr", stderr), ("stdout", stdout)):
        # pylint's AST walker prints "Exception on node <...> in file 'PATH'" and the traceback to
        # stderr before reporting astroid-error: that traceback names its file.
        rest = text
        for match in _NODE_EXCEPTION.finditer(text):
            walker.setdefault(stem(match.group("path")) or alone, match.group("tb"))
            rest = rest.replace(match.group(0), "")
        match = _TRACEBACK.search(rest)
        if match:
            add("traceback", alone, f"traceback on {stream}: " + rest[match.start():][-1500:], rest[match.start():])
    # Crash messages name their file: pylint's text output (plugin) and the SARIF notifications.
    crashed: dict[str | None, Failure] = {}
    fatal_messages = False
    for match in _FATAL_LINE.finditer(stdout):
        owner = stem(match.group("path")) or alone
        if owner in crashed:
            continue
        if match.group("symbol") in ("astroid-error", "fatal") or "fatal error while checking" in match.group("msg").lower():
            add("crash-report", owner, f"{match.group('id')} ({match.group('symbol')}): {match.group('msg')}")
            crashed[owner] = failures[-1]
        elif match.group("symbol") == "parse-error":
            # pylint's own one-line notice for a file it cannot decode (the command says the
            # same as a notification): a clear sentence, not a crash; it sets pylint's fatal bit.
            fatal_messages = True
        else:  # other fatal messages: pylint's fatal exit bit
            add("fatal-message", owner, f"{match.group('id')} ({match.group('symbol')}): {match.group('msg')}")
            failures[-1].exc = match.group("symbol")
            fatal_messages = True
    problem = None if timed_out else sarif_problem(sarif)
    if not timed_out and problem is None:
        for uri, text in sarif_notifications(sarif):
            if any(marker in text.lower() for marker in CRASH_MARKERS):
                owner = stem(uri) or stem(text.split(": ", 1)[0]) or alone
                if owner not in crashed:
                    add("crash-report", owner, f"SARIF notification: {text}")
                    crashed[owner] = failures[-1]
    # pylint's crash reports (in PYLINTHOME) hold the traceback; matched to the file by its content.
    for content, tb in _parse_crash_reports(home):
        owners = by_content.get(content) or by_content.get(content + "\n") or []
        owner = owners[0] if owners else alone
        exc, where = analyse_traceback(tb)
        if owner in crashed:
            crashed[owner].exc, crashed[owner].where, crashed[owner].traceback = exc, where, tb
            crashed[owner].detail = (crashed[owner].detail + "\n" + tb[-1500:])[:4000]
        elif owner is not None or not crashed:
            add("crash-report", owner, f"pylint crash report ({exc or 'unknown exception'}): {tb[-1500:]}", tb)
            crashed[owner] = failures[-1]
    for owner, tb in walker.items():
        exc, where = analyse_traceback(tb)
        if owner in crashed:  # the same crash pylint then reported: keep one failure, with the traceback
            if crashed[owner].exc is None:
                crashed[owner].exc, crashed[owner].where, crashed[owner].traceback = exc, where, tb
        else:
            add("traceback", owner, f"traceback on stderr (pylint's AST walker): {tb[-1500:]}", tb)
    if not timed_out:
        if tool == "command" and returncode not in (0, 1, 2):
            add("exit-code", alone, f"exit code {returncode}; stderr: {stderr[-800:]}")
        if tool == "plugin":
            signal_or_usage = returncode < 0 or returncode > 63 or returncode & 32
            if signal_or_usage or (returncode & 1 and not crashed and not fatal_messages):
                add("exit-code", alone, f"pylint exit status {returncode} (fatal/usage bit or signal); "
                    f"stderr: {stderr[-800:]}")
        if problem:
            add(problem[0], alone, problem[1])
    return RunResult(tool, list(names), returncode, seconds, timed_out, failures, file_times, last, stdout, stderr)


def check_batch(inputs: Sequence[Input], tools: Sequence[str] = TOOLS, workdir: Path | None = None,
                timeout: float | None = None) -> list[RunResult]:
    """Write the inputs into a fresh folder and run each tool over it once."""
    base = Path(tempfile.mkdtemp(prefix="tpulint-fuzz-", dir=workdir))
    try:
        src = base / "src"
        src.mkdir()
        for item in inputs:
            (src / f"{item.name}.py").write_bytes(item.data)
        names = [item.name for item in inputs]
        limit = timeout if timeout is not None else (FILE_TIMEOUT if len(names) == 1 else batch_timeout(len(names)))
        return [run_tool(tool, base, names, limit) for tool in tools]
    finally:
        shutil.rmtree(base, ignore_errors=True)


# --- from a failing batch to the failing files -----------------------------------------------------


@dataclasses.dataclass
class Found:
    """Failures of one input checked alone (or of a set of inputs that fail only together)."""
    names: list[str]
    failures: list[Failure]


def locate(inputs: Sequence[Input], results: list[RunResult], workdir: Path | None = None,
           deadline: float | None = None) -> list[Found]:
    """The inputs behind a batch's failures, each confirmed alone; bisection for failures that name no file."""
    by_name = {item.name: item for item in inputs}
    if len(inputs) == 1:  # the batch was this input alone, with the bound for one file
        failures = [f for r in results for f in r.failures]
        return [Found([inputs[0].name], failures)] if failures else []
    found: list[Found] = []
    suspects: dict[str, set[str]] = {}  # name -> tools to confirm with
    unexplained_tools: set[str] = set()
    for result in results:
        for failure in result.failures:
            if failure.file in by_name:
                suspects.setdefault(failure.file, set()).add(result.tool)
            else:
                unexplained_tools.add(result.tool)
        if result.timed_out and result.last_started in by_name:
            suspects.setdefault(result.last_started, set()).add(result.tool)
        for name, seconds in result.file_times.items():
            if seconds > FILE_TIMEOUT and name in by_name:
                suspects.setdefault(name, set()).add(result.tool)
    confirmed: set[str] = set()
    named: dict[str, list[Failure]] = {}
    for result in results:
        for failure in result.failures:
            if failure.file in by_name:
                named.setdefault(failure.file, []).append(failure)
    tried: dict[tuple, int] = {}
    for name in sorted(suspects):
        if deadline is not None and time.monotonic() > deadline:
            break
        signature = tuple(sorted({(f.tool, f.kind, f.exc or "") for f in named.get(name, [])}))
        if signature and tried.get(signature, 0) >= CONFIRM_PER_SIGNATURE:
            # Many inputs failing the same way (one bug): take the batch's word for the rest.
            found.append(Found([name], named[name]))
            confirmed.add(name)
            continue
        tried[signature] = tried.get(signature, 0) + 1
        alone = check_batch([by_name[name]], TOOLS, workdir)
        failures = [f for r in alone for f in r.failures]
        if failures:
            found.append(Found([name], failures))
            confirmed.add(name)
        else:
            unexplained_tools |= suspects[name]
    if not unexplained_tools and all(not r.timed_out or r.last_started in confirmed for r in results):
        return found
    # Something failed without naming a file (or the batch timed out on no confirmed culprit):
    # re-run the rest, and bisect while it still fails.
    rest = [item for item in inputs if item.name not in confirmed]
    tools = sorted(unexplained_tools | {r.tool for r in results if r.timed_out}) or list(TOOLS)
    found.extend(_bisect(rest, tools, workdir, deadline, first=True))
    return found


def _bisect(inputs: list[Input], tools: Sequence[str], workdir: Path | None, deadline: float | None,
            first: bool = False) -> list[Found]:
    if not inputs or (deadline is not None and time.monotonic() > deadline):
        return []
    results = check_batch(inputs, tools, workdir)
    if not any(r.failures for r in results):
        return []
    if len(inputs) == 1:
        return [Found([inputs[0].name], [f for r in results for f in r.failures])]
    attributable = all(f.file for r in results for f in r.failures) and not any(r.timed_out for r in results)
    if attributable and not first:
        return locate(inputs, results, workdir, deadline)
    middle = len(inputs) // 2
    halves = [_bisect(inputs[:middle], tools, workdir, deadline), _bisect(inputs[middle:], tools, workdir, deadline)]
    if not halves[0] and not halves[1]:
        # Fails together, not apart (files that import each other, or a batch-size effect).
        return [Found([item.name for item in inputs], [f for r in results for f in r.failures])]
    return halves[0] + halves[1]


# --- shrinking -------------------------------------------------------------------------------------


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def _reproduces(candidates: list[bytes], target: Failure, workdir: Path | None, stop: float) -> list[bool]:
    """Which candidates show the target failure: one subprocess for all when failures name their file."""
    if not candidates:
        return []
    batched = target.kind == "crash-report" and target.tool in TOOLS
    if batched and len(candidates) > 1:
        chunks, current, size = [], [], 0
        for index, data in enumerate(candidates):
            if current and (size + len(data) > 2_000_000 or len(current) >= 64):
                chunks.append(current)
                current, size = [], 0
            current.append(index)
            size += len(data)
        if current:
            chunks.append(current)
        verdict = [False] * len(candidates)
        for chunk in chunks:
            if time.monotonic() > stop:
                break
            inputs = [Input(f"c{index:05d}", candidates[index], "") for index in chunk]
            (result,) = check_batch(inputs, [target.tool], workdir)
            if result.timed_out or any(f.file is None for f in result.failures):
                # Not attributable this time: fall back to one at a time for this chunk.
                for index in chunk:
                    if time.monotonic() > stop:
                        break
                    verdict[index] = _reproduces([candidates[index]], target, workdir, stop)[0]
                    if verdict[index]:
                        break
                continue
            for f in result.failures:
                if f.file and target.matches(f):
                    verdict[int(f.file[1:])] = True
        return verdict
    verdict = []
    for data in candidates:
        if time.monotonic() > stop:
            verdict.append(False)
            continue
        (result,) = check_batch([Input("c00000", data, "")], [target.tool], workdir)
        hit = any(target.matches(f) for f in result.failures)
        verdict.append(hit)
        if hit:
            verdict.extend([False] * (len(candidates) - len(verdict)))
            break
    return verdict


def shrink(data: bytes, target: Failure, budget: float, workdir: Path | None = None) -> bytes:
    """Delete chunks of lines (halves, quarters, ... single lines) while `target` persists."""
    stop = time.monotonic() + budget
    lines = _lines(data)
    chunk = max(1, len(lines) // 2)
    while chunk >= 1 and lines and time.monotonic() < stop:
        starts = list(range(0, len(lines), chunk))
        candidates = [b"".join(lines[:s] + lines[s + chunk:]) for s in starts]
        verdict = _reproduces(candidates, target, workdir, stop)
        winners = [s for s, ok in zip(starts, verdict) if ok]
        if not winners:
            if chunk == 1:
                break
            chunk = max(1, chunk // 2)
            continue
        if len(winners) > 1:
            keep = [line for i, line in enumerate(lines) if not any(s <= i < s + chunk for s in winners)]
            if _reproduces([b"".join(keep)], target, workdir, stop)[0]:
                lines = keep
                chunk = min(chunk, max(1, len(lines) // 2))
                continue
        s = winners[0]
        lines = lines[:s] + lines[s + chunk:]
        chunk = min(chunk, max(1, len(lines) // 2))
    # Last, try each line stripped of trailing spaces/comments is overkill; whitespace-only lines go.
    return b"".join(lines)


# --- campaigns: batches in, distinct minimal failures out ----------------------------------------


@dataclasses.dataclass
class Case:
    """One distinct failure: its first input, the minimal input, and how many inputs showed it."""
    key: tuple
    failure: Failure
    tools: set[str]
    names: list[str]
    origin: str
    original: bytes
    minimal: bytes | None = None
    count: int = 1
    regression: str | None = None
    reproduced_alone: bool = True

    def summary(self) -> str:
        kind, exc, where = self.key
        head = f"{kind}{' ' + exc if exc else ''}{' at ' + where if where else ''} [{', '.join(sorted(self.tools))}]"
        return f"{head}: {self.count} input(s), first {self.names} ({self.origin})"

    def report(self, max_lines: int = 40) -> str:
        data = self.minimal if self.minimal is not None else self.original
        text = data.decode("utf-8", errors="replace").splitlines()
        shown = "\n".join(f"    | {line!r}"[:200] if not line.isprintable() else f"    | {line}"[:200] for line in text[:max_lines])
        more = f"\n    | ... {len(text) - max_lines} more lines" if len(text) > max_lines else ""
        label = "minimal input" if self.minimal is not None else "input (not shrunk)"
        detail = self.failure.detail.strip().splitlines()
        detail_text = "\n".join("    " + line for line in detail[-12:])
        saved = f"\n  saved as {self.regression}" if self.regression else ("\n  (no longer failed when saving: not kept)" if self.regression == "" else "")
        return f"- {self.summary()}\n  detail:\n{detail_text}\n  {label} ({len(text)} lines):\n{shown}{more}{saved}"


@dataclasses.dataclass
class CampaignReport:
    inputs: int = 0
    failing_inputs: int = 0
    batches: int = 0
    cases: list[Case] = dataclasses.field(default_factory=list)
    counts: dict[str, int] = dataclasses.field(default_factory=dict)  # failing inputs per kind
    slowest: tuple[str, float, str] | None = None  # (name, seconds in the plugin, origin)
    slowest_command_batch: tuple[float, int] | None = None  # (seconds, files)
    tool_seconds: dict[str, float] = dataclasses.field(default_factory=dict)
    wall: float = 0.0
    skipped_batches: int = 0
    file_times: dict[str, float] = dataclasses.field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return bool(self.cases)

    def as_dict(self) -> dict:
        return {
            "inputs": self.inputs, "failing_inputs": self.failing_inputs, "batches": self.batches,
            "skipped_batches": self.skipped_batches, "failing_inputs_per_kind": self.counts,
            "slowest_file": None if self.slowest is None else
            {"name": self.slowest[0], "seconds": round(self.slowest[1], 3), "origin": self.slowest[2]},
            "slowest_command_batch": None if self.slowest_command_batch is None else
            {"seconds": round(self.slowest_command_batch[0], 2), "files": self.slowest_command_batch[1]},
            "tool_seconds": {k: round(v, 1) for k, v in self.tool_seconds.items()},
            "wall_seconds": round(self.wall, 1),
            "distinct_failures": [
                {"kind": c.key[0], "exception": c.key[1], "where": c.key[2], "tools": sorted(c.tools),
                 "inputs": c.count, "first": c.names, "origin": c.origin, "reproduced_alone": c.reproduced_alone,
                 "detail": c.failure.detail[-1500:],
                 "minimal_input": (c.minimal if c.minimal is not None else c.original).decode("utf-8", "replace")[:20000],
                 "shrunk": c.minimal is not None, "regression": c.regression}
                for c in self.cases
            ],
        }


# A crash usually brings its consequences (pylint's fatal exit bit, no or broken SARIF): the report
# keeps, per tool and input, the failure that comes first here.
PRIORITY = ("crash-report", "traceback", "timeout", "fatal-message", "exit-code", "sarif-invalid", "sarif-missing")


def primary_failures(failures: Iterable[Failure]) -> list[Failure]:
    """Per tool, the failure that explains the others (a traceback over the exit code it caused)."""
    best: dict[str, Failure] = {}
    rank = lambda f: PRIORITY.index(f.kind) if f.kind in PRIORITY else len(PRIORITY)  # noqa: E731
    for failure in failures:
        if failure.tool not in best or rank(failure) < rank(best[failure.tool]):
            best[failure.tool] = failure
    return list(best.values())


def run_campaign(inputs: Sequence[Input], *, batch_size: int = 40, workers: int = 2, shrink_budget: float = 60.0,
                 shrink_total: float = 300.0, deadline: float | None = None, workdir: Path | None = None,
                 regressions: Path | None = None, progress: Callable[[str], None] | None = None) -> CampaignReport:
    """Check every input with both tools in batches; locate, deduplicate, shrink and save failures.

    deadline: time.monotonic() after which no new batch starts (the rest are counted as skipped)
    and locating stops; shrink_budget: seconds per distinct failure; shrink_total: for all of them.
    """
    started = time.monotonic()
    report = CampaignReport(inputs=len(inputs))
    by_name = {item.name: item for item in inputs}
    assert len(by_name) == len(inputs), "input names must be unique"
    batches = [list(inputs[i:i + batch_size]) for i in range(0, len(inputs), batch_size)]
    failing_batches: list[tuple[list[Input], list[RunResult]]] = []

    def one(batch: list[Input]):
        if deadline is not None and time.monotonic() > deadline:
            return batch, None
        return batch, check_batch(batch, TOOLS, workdir)

    done = 0
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for batch, results in pool.map(one, batches):
            done += 1
            if results is None:
                report.skipped_batches += 1
                continue
            report.batches += 1
            for result in results:
                report.tool_seconds[result.tool] = report.tool_seconds.get(result.tool, 0.0) + result.seconds
                if result.tool == "command" and (report.slowest_command_batch is None or result.seconds > report.slowest_command_batch[0]):
                    report.slowest_command_batch = (result.seconds, len(batch))
                for name, seconds in result.file_times.items():
                    report.file_times[name] = seconds
                    if report.slowest is None or seconds > report.slowest[1]:
                        report.slowest = (name, seconds, by_name[name].origin if name in by_name else "")
            if any(r.failures or r.timed_out for r in results):
                failing_batches.append((batch, results))
            if progress and (done % 10 == 0 or done == len(batches)):
                progress(f"{done}/{len(batches)} batches, {len(failing_batches)} failing, "
                         f"{time.monotonic() - started:.0f} s")

    # Locate the failing inputs, each confirmed alone.
    located: list[Found] = []
    for batch, results in failing_batches:
        if deadline is None or time.monotonic() < deadline:
            located.extend(locate(batch, results, workdir, deadline))
        else:
            # Out of time: keep what the batch itself said, unconfirmed.
            for result in results:
                for failure in result.failures:
                    located.append(Found([failure.file] if failure.file else [i.name for i in batch], [failure]))
    seen_inputs: set[tuple[str, ...]] = set()
    cases: dict[tuple, Case] = {}
    for found in located:
        names = tuple(found.names)
        if names in seen_inputs:
            continue
        seen_inputs.add(names)
        report.failing_inputs += len(names)
        primary = primary_failures(found.failures)
        top = min(primary, key=lambda f: PRIORITY.index(f.kind) if f.kind in PRIORITY else len(PRIORITY))
        report.counts[top.kind] = report.counts.get(top.kind, 0) + 1
        for failure in primary:
            key = failure.key
            if key in cases:
                case = cases[key]
                case.tools.add(failure.tool)
                if tuple(case.names) != names:
                    case.count += 1
                continue
            first = by_name[names[0]]
            data = first.data if len(names) == 1 else b"".join(
                b"# ---- " + n.encode() + b".py ----\n" + by_name[n].data + b"\n" for n in names)
            cases[key] = Case(key, failure, {failure.tool}, list(names), first.origin if len(names) == 1 else
                              "together: " + "; ".join(by_name[n].origin for n in names), data,
                              reproduced_alone=len(names) == 1)
    report.cases = sorted(cases.values(), key=lambda c: (-c.count, c.key[0], c.key[1] or "", c.key[2] or ""))

    # Shrink one input per distinct failure, preferring the plugin (its failures name their file).
    shrink_stop = time.monotonic() + shrink_total
    for case in report.cases:
        remaining = shrink_stop - time.monotonic()
        if len(case.names) != 1 or remaining <= 1 or shrink_budget <= 0:
            continue
        target = case.failure
        if "plugin" in case.tools and target.tool != "plugin":
            target = dataclasses.replace(target, tool="plugin")
        if target.kind == "timeout":
            budget = min(remaining, shrink_budget, 4 * FILE_TIMEOUT)
        else:
            budget = min(remaining, shrink_budget)
        try:
            case.minimal = shrink(case.original, target, budget, workdir)
        except Exception as error:  # a bug in the shrinker must not hide the failure
            if progress:
                progress(f"shrinking failed: {error!r}")
            case.minimal = None
        if progress:
            progress(f"shrunk {case.summary()} to {len(_lines(case.minimal or case.original))} lines")
    if regressions is not None:
        for case in report.cases:
            if len(case.names) == 1:
                case.regression = save_regression(case, regressions, workdir) or ""
    report.wall = time.monotonic() - started
    return report


# --- regression files ------------------------------------------------------------------------------


def _header(case: Case) -> bytes:
    detail = " ".join(case.failure.detail.split())[:300]
    lines = [
        "# tpulint fuzz regression (tests/fuzz/harness.py); tests/test_fuzz.py requires it to pass the oracle.",
        f"# failed: {case.key[0]}{' ' + case.key[1] if case.key[1] else ''}"
        f"{' at ' + case.key[2] if case.key[2] else ''} in {', '.join(sorted(case.tools))}",
        f"# detail: {detail}",
        f"# origin: {' '.join(case.origin.split())[:300]}",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8", errors="replace")


def save_regression(case: Case, directory: Path, workdir: Path | None = None) -> str | None:
    """Write the minimal input with a comment header (or footer, or bare: the first that still
    fails); write nothing when none fails any more."""
    data = case.minimal if case.minimal is not None else case.original
    kind, exc, _ = case.key
    digest = hashlib.sha1(data).hexdigest()[:10]
    stem = re.sub(r"[^a-z0-9_]+", "_", f"{kind}_{exc or 'none'}".lower()).strip("_")
    directory.mkdir(parents=True, exist_ok=True)
    existing = [p for p in directory.glob(f"*_{digest}.py")]
    if existing:
        return str(existing[0])
    path = directory / f"{stem}_{digest}.py"
    header = _header(case)
    target = case.failure
    variants = [header + data, data + (b"\n" if data and not data.endswith(b"\n") else b"") + header, data]
    for variant in variants:
        (result,) = check_batch([Input("r00000", variant, "")], [target.tool], workdir)
        if any(target.matches(f) for f in result.failures):
            path.write_bytes(variant)
            return str(path)
    return None  # it no longer fails (flaky, or the code changed during the run): nothing to keep


def regression_inputs(directory: Path = REGRESSIONS) -> list[Input]:
    return [Input(re.sub(r"\W", "_", p.stem), p.read_bytes(), f"regression {p.name}")
            for p in sorted(directory.glob("*.py"))]


# --- mutated real files ----------------------------------------------------------------------------

SEED_GLOBS = ("docs/examples/*.py", "tests/functional/**/*.py", "tests/seed_examples/*.py")


def seed_files(root: Path = REPO) -> list[Path]:
    """The PyTorch files that ship in the repository: the seeds for mutation in CI."""
    return sorted({p for pattern in SEED_GLOBS for p in root.glob(pattern) if p.is_file()})


_INDENT = re.compile(rb"^[ \t]*")
_ASSIGN = re.compile(rb"^(?P<indent>[ \t]*)(?P<target>[A-Za-z_][\w.]*(?:\[[^\]\n]*\])?)\s*=\s*(?P<value>[^=\n].*?)\s*(?P<eol>\r?\n?)$")


def _indent_of(line: bytes) -> bytes:
    return _INDENT.match(line).group(0)


def _code_lines(lines: list[bytes]) -> list[int]:
    return [i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith(b"#")]


def _pick(lines: list[bytes], rng: random.Random) -> int | None:
    code = _code_lines(lines)
    return rng.choice(code) if code else None


def _nl(lines: list[bytes]) -> bytes:
    return b"\r\n" if lines and lines[0].endswith(b"\r\n") else b"\n"


def mut_delete(lines, rng):
    i = _pick(lines, rng)
    if i is not None:
        del lines[i:i + rng.choice([1, 1, 1, 2, 5])]
    return "delete"


def mut_duplicate(lines, rng):
    i = _pick(lines, rng)
    if i is not None:
        times = rng.choice([1, 1, 2, 10, 200])
        lines[i:i + 1] = [lines[i]] * (times + 1)
        return f"duplicate x{times}"
    return "duplicate"


def mut_swap(lines, rng):
    code = _code_lines(lines)
    if len(code) >= 2:
        i = rng.choice(code)
        j = (code[min(code.index(i) + 1, len(code) - 1)] if rng.random() < 0.5 else rng.choice(code))
        lines[i], lines[j] = lines[j], lines[i]
    return "swap"


_HEADERS = [b"if True:", b"for _ in x:", b"with x:", b"while x:", b"try:", b"def f():", b"class C:",
            b"async def g():", b"if torch.cuda.is_available():", b"for batch in loader:", b"with torch.no_grad():"]


def mut_nest(lines, rng):
    """Indent a run of statements under `depth` block headers (depth up to ~100: the tokenizer's limit)."""
    i = _pick(lines, rng)
    if i is None:
        return "nest"
    indent = _indent_of(lines[i])
    j = i + 1
    while j < len(lines) and (not lines[j].strip() or len(_indent_of(lines[j])) > len(indent)
                              or (lines[j].startswith(indent) and rng.random() < 0.3)):
        j += 1
    depth = rng.choice([1, 1, 2, 3, 5, 10, 20, 40, 60, 90, 99])
    nl = _nl(lines)
    headers, closers = [], []
    for level in range(depth):
        pad = indent + b"    " * level
        header = rng.choice(_HEADERS)
        headers.append(pad + header + nl)
        if header == b"try:":
            closers.insert(0, pad + b"except Exception:" + nl + pad + b"    pass" + nl)
    extra = b"    " * depth
    body = [extra + line if line.strip() else line for line in lines[i:j]]
    lines[i:j] = headers + body + closers
    return f"nest x{depth}"


_WRAPS = [(b"(", b")"), (b"f(", b")"), (b"torch.tensor(", b")"), (b"[", b"][0]"), (b"g(x, ", b", y=1)"),
          (b"(", b").cuda()"), (b"-(", b")"), (b"not (", b")"), (b"lambda: (", b")"), (b"{1: ", b"}[1]")]


def mut_wrap(lines, rng):
    """Wrap a right-hand side (or a fresh expression) in many calls / parentheses."""
    depth = rng.choice([2, 5, 20, 50, 100, 150, 190, 250, 1000])
    candidates = [i for i in _code_lines(lines) if _ASSIGN.match(lines[i]) and lines[i].count(b"(") == lines[i].count(b")")
                  and not lines[i].rstrip().endswith((b"\\", b",", b"(", b"[", b"{", b":"))]
    mix = rng.random() < 0.5
    left, right = rng.choice(_WRAPS)
    def wrap(value: bytes) -> bytes:
        for _ in range(depth):
            l, r = rng.choice(_WRAPS) if mix else (left, right)
            value = l + value + r
        return value
    if candidates and rng.random() < 0.8:
        i = rng.choice(candidates)
        m = _ASSIGN.match(lines[i])
        lines[i] = m.group("indent") + m.group("target") + b" = " + wrap(m.group("value")) + (m.group("eol") or b"\n")
    else:
        lines.append(b"y = " + wrap(b"torch.zeros(3).cuda()") + b"\n")
    return f"wrap x{depth}"


_CONDS = [b"torch.cuda.is_available()", b"step % 10 == 0", b"x.device.type == 'cuda'", b"loss.item() > 0",
          b"i == %d", b"rank == %d", b"torch.cuda.device_count() > %d"]
_BODIES = [b"x = x.cuda()", b"device = 'cuda:%d'", b"xm.mark_step()", b"print(loss.item())", b"pass",
           b"y = torch.nonzero(x)", b"model.to(%d)", b"optimizer.step()"]


def mut_elif(lines, rng):
    """Insert an if/elif chain (up to thousands of branches) at some statement's indentation."""
    n = rng.choice([2, 10, 100, 500, 1000, 3000])
    i = _pick(lines, rng)
    indent = _indent_of(lines[i]) if i is not None else b""
    nl = _nl(lines)
    out = []
    for k in range(n):
        cond = rng.choice(_CONDS).replace(b"%d", str(k).encode())
        body = rng.choice(_BODIES).replace(b"%d", str(k % 8).encode())
        out.append(indent + (b"if " if k == 0 else b"elif ") + cond + b":" + nl + indent + b"    " + body + nl)
    if rng.random() < 0.5:
        out.append(indent + b"else:" + nl + indent + b"    x = x.to('cuda')" + nl)
    at = i if i is not None else len(lines)
    lines[at:at] = out
    return f"elif x{n}"


_METHODS = [b".float()", b".to(device)", b".view(-1)", b".contiguous()", b".detach()", b".clone()", b".half()",
            b".to('cuda')", b".cpu()", b".reshape(2, -1)", b".nonzero()", b".item", b"[0]", b".sum(dim=0)"]


def mut_chain(lines, rng):
    """A long method chain ending in .cuda(), inserted at some statement's indentation."""
    n = rng.choice([1, 5, 30, 100, 500, 1000, 3000])
    i = _pick(lines, rng)
    indent = _indent_of(lines[i]) if i is not None else b""
    chain = b"".join(rng.choice(_METHODS) for _ in range(n))
    line = indent + b"y = torch.zeros(4)" + chain + b".cuda()" + _nl(lines)
    at = i if i is not None else len(lines)
    lines[at:at] = [line]
    return f"chain x{n}"


def mut_truncate(lines, rng):
    if lines:
        cut = rng.randrange(len(lines))
        if rng.random() < 0.5 and lines[cut]:
            lines[cut] = lines[cut][: rng.randrange(len(lines[cut]) + 1)]
        del lines[cut + 1:]
    return "truncate"


def mut_device(lines, rng):
    """Make device code: 'cpu' -> 'cuda', or .cuda() appended to some call."""
    code = [i for i in _code_lines(lines) if b")" in lines[i]]
    if code:
        i = rng.choice(code)
        line = lines[i].replace(b"'cpu'", b"'cuda'").replace(b'"cpu"', b'"cuda:0"')
        if line == lines[i]:
            k = line.rfind(b")")
            line = line[:k + 1] + b".cuda()" + line[k + 1:]
        lines[i] = line
    return "device"


def mut_bytes(lines, rng):
    """Odd bytes: BOM, CRLF / CR line ends, form feeds, tabs, NUL, invalid UTF-8, a latin-1 coding line."""
    choice = rng.choice(["bom", "crlf", "cr", "formfeed", "tabs", "nul", "badutf8", "latin1", "unicode", "noeol"])
    if choice == "bom" and lines:
        lines[0] = b"\xef\xbb\xbf" + lines[0]
    elif choice == "crlf":
        lines[:] = [l[:-1] + b"\r\n" if l.endswith(b"\n") and not l.endswith(b"\r\n") else l for l in lines]
    elif choice == "cr":
        lines[:] = [l[:-1] + b"\r" if l.endswith(b"\n") and not l.endswith(b"\r\n") else l for l in lines]
    elif choice == "formfeed":
        i = rng.randrange(len(lines) + 1)
        lines.insert(i, b"\x0c\n")
    elif choice == "tabs":
        lines[:] = [l.replace(b"    ", b"\t", 1) if rng.random() < 0.3 else l for l in lines]
    elif choice == "nul":
        i = rng.randrange(len(lines) + 1)
        lines.insert(i, b"x = 1  # \x00\n")
    elif choice == "badutf8":
        i = rng.randrange(len(lines) + 1)
        lines.insert(i, b"# caf\xe9 \xff\xfe\n")
    elif choice == "latin1":
        lines.insert(0, b"# -*- coding: latin-1 -*-\n")
        lines.append(b"s = 'caf\xe9'\n")
    elif choice == "unicode":
        lines.append("\u00e9t\u00e9 = torch.zeros(2).to('cuda')  # \u202e\u2028 \U0001F600\n".encode("utf-8"))
    elif choice == "noeol" and lines:
        lines[-1] = lines[-1].rstrip(b"\r\n")
    return f"bytes:{choice}"


MUTATORS: dict[str, tuple[Callable, float]] = {
    "delete": (mut_delete, 3), "duplicate": (mut_duplicate, 3), "swap": (mut_swap, 3), "nest": (mut_nest, 3),
    "wrap": (mut_wrap, 2), "elif": (mut_elif, 1.5), "chain": (mut_chain, 1.5), "truncate": (mut_truncate, 0.5),
    "device": (mut_device, 1), "bytes": (mut_bytes, 1),
}


def mutate(data: bytes, rng: random.Random, steps: int | None = None) -> tuple[bytes, list[str]]:
    """1-3 random mutations (weighted), deterministic for a given rng state."""
    lines = _lines(data)
    names = list(MUTATORS)
    weights = [MUTATORS[n][1] for n in names]
    done = []
    for _ in range(steps or rng.choice([1, 1, 2, 3])):
        name = rng.choices(names, weights)[0]
        done.append(MUTATORS[name][0](lines, rng))
    return b"".join(lines), done


def safe_stem(path: Path) -> str:
    return re.sub(r"\W", "_", path.stem)[:40]


def mutated_inputs(files: Sequence[Path], count: int, seed: int, root: Path | None = None,
                   prefix: str = "m") -> list[Input]:
    """`count` mutations of the files, cycling through them; deterministic in (seed, index)."""
    out = []
    for index in range(count):
        path = files[index % len(files)]
        rng = random.Random(f"{seed}:{index}:{path.name}")
        mutated, steps = mutate(path.read_bytes(), rng)
        shown = _shown(path, root)
        out.append(Input(f"{prefix}{index:05d}_{safe_stem(path)}", mutated, f"{shown} mutated ({', '.join(steps)}; seed {seed}, index {index})"))
    return out


def _shown(path: Path, root: Path | None) -> str:
    for base in (root, REPO):
        if base is not None:
            try:
                return path.resolve().relative_to(base.resolve()).as_posix()
            except ValueError:
                pass
    return str(path)


# --- generated programs ---------------------------------------------------------------------------

PRELUDE = [
    "import torch",
    "import torch.nn as nn",
    "import torch_xla.core.xla_model as xm",
    'device = torch.device("cuda" if torch.cuda.is_available() else "cpu")',
    "model = nn.Linear(4, 4).cuda()",
    'x = torch.zeros(3, device="cuda:0")',
    "optimizer = torch.optim.SGD(model.parameters(), lr=0.1)",
    "y = x[x > 0]",
]
LOOP = (
    "def train(loader, model, optimizer):\n"
    "    for step, batch in enumerate(loader):\n"
    "        batch = batch.to(device)\n"
    "{body}"
    "        loss = model(batch).sum()\n"
    "        loss.backward()\n"
    "        optimizer.step()\n"
    "        print(loss.item())\n"
)
EXPRESSION_TEMPLATES = [
    "import torch\nx = torch.zeros(3).to({e})\n",
    "import torch\ndevice = torch.device({e})\nmodel = model.to(device)\n",
    "import torch\nfor batch in {e}:\n    out = model(batch.cuda())\n    out.sum().backward()\n    opt.step()\n",
    "import torch\ny = x[{e}]\nz = torch.nonzero({e})\nif ({e}).item():\n    pass\n",
    "import torch\ndef f(x={e}):\n    return x.cuda({e})\n",
    "import torch\nwith torch.autocast({e}):\n    y = torch.ones({e}, device={e})\n",
    "import torch\nimport torch_xla.core.xla_model as xm\nwhile {e}:\n    loss = step({e})\n    xm.mark_step()\n",
]


def _collect(strategy, n: int, seed: int, rounds: int = 4) -> list[str]:
    """Draw n examples of a hypothesis strategy, deterministically for a seed, without any database."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed

    import warnings

    drawn: list[str] = []
    seen: set[str] = set()

    def run(round_seed: int, wanted: int) -> None:
        @hypothesis_seed(round_seed)
        @settings(max_examples=wanted, database=None, deadline=None, suppress_health_check=list(HealthCheck),
                  phases=[Phase.generate], derandomize=False, print_blob=False)
        @given(strategy)
        def draw(example):
            if example not in seen and len(drawn) < n:
                seen.add(example)
                drawn.append(example)

        draw()

    # hypothesis may stop before max_examples (it saw the same example again); draw again with
    # the next seeds until n distinct examples are in.
    for attempt in range(rounds):
        if len(drawn) >= n:
            break
        with warnings.catch_warnings():  # hypothesmith compiles what it draws: SyntaxWarnings galore
            warnings.simplefilter("ignore", SyntaxWarning)
            run(seed * 1000 + attempt, n - len(drawn) + (n - len(drawn)) // 4)
    return drawn


def _compiles(text: str) -> bool:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(text, "<fuzz>", "exec", dont_inherit=True)
            return True
        except (SyntaxError, ValueError, MemoryError, RecursionError, OverflowError):
            return False


def _indent(text: str, pad: str) -> str:
    return "".join(pad + line if line.strip() else line for line in text.splitlines(keepends=True))


def _expressions(programs: Iterable[str], rng: random.Random) -> list[str]:
    """Expressions found in generated programs (the grammar's expressions, reused in templates)."""
    import ast

    found = []
    for program in programs:
        try:
            tree = ast.parse(program)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.expr) and not isinstance(node, (ast.Name, ast.Constant)) or (
                    isinstance(node, ast.Constant) and rng.random() < 0.05):
                segment = ast.get_source_segment(program, node)
                if segment and len(segment) < 400:
                    found.append(segment)
    return found


def generated_programs(n: int, seed: int, node_fraction: float = 0.1, expr_fraction: float = 0.2,
                       torch_fraction: float = 0.5, prefix: str = "g") -> list[Input]:
    """n programs: hypothesmith.from_grammar() (most), hypothesmith.from_node(), and expressions
    taken from grammar programs placed in PyTorch templates. torch_fraction of the whole programs
    get a PyTorch prelude or are placed in a training loop so the checkers engage. Deterministic
    for a seed (and a hypothesis/hypothesmith version)."""
    import hypothesmith

    n_node = int(n * node_fraction)
    n_expr = int(n * expr_fraction)
    n_grammar = n - n_node - n_expr
    rng = random.Random(f"generated:{seed}")
    made: list[tuple[str, str]] = []
    grammar = _collect(hypothesmith.from_grammar(), n_grammar, seed)
    nodes: list[str] = []
    if n_node:
        try:
            nodes = _collect(hypothesmith.from_node(), n_node, seed + 1, rounds=2)
        except Exception as error:  # pragma: no cover - from_node needs libcst; fall back to the grammar
            print(f"hypothesmith.from_node() unavailable ({error!r}); using from_grammar()", file=sys.stderr)
    if len(nodes) < n_node:  # from_node is slow and repeats itself: top up from the grammar
        grammar += _collect(hypothesmith.from_grammar(), n_grammar + n_node - len(nodes), seed + 7)[n_grammar:]
    for source, programs in (("from_grammar", grammar), ("from_node", nodes)):
        for k, program in enumerate(programs):
            roll = rng.random()
            text, how = program, "as is"
            if roll < torch_fraction / 2:
                prelude = "\n".join(rng.sample(PRELUDE, rng.randint(2, len(PRELUDE)))) + "\n"
                candidate = prelude + program
                if _compiles(candidate):
                    text, how = candidate, "after a torch prelude"
            elif roll < torch_fraction:
                candidate = "import torch\n" + LOOP.format(body=_indent(program if program.endswith("\n") else program + "\n", "        "))
                if _compiles(candidate):
                    text, how = candidate, "inside a training loop"
            made.append((f"hypothesmith.{source}() #{k} (seed {seed}), {how}", text))
    pool = _expressions(grammar + nodes, rng) or ["x"]
    extra = 0
    while len(made) < n and extra < 10 * n:
        extra += 1
        template = rng.choice(EXPRESSION_TEMPLATES)
        text = template.format(e="(" + rng.choice(pool) + ")")
        if not _compiles(text):
            text = template.format(e="(" + " ".join(rng.choice(pool).split()) + ")")
            if not _compiles(text):
                continue
        made.append((f"an expression from hypothesmith.from_grammar() (seed {seed}) in a PyTorch template", text))
    return [Input(f"{prefix}{i:05d}", text.encode("utf-8", errors="surrogatepass"), origin)
            for i, (origin, text) in enumerate(made)]


def format_report(report: CampaignReport, title: str) -> str:
    lines = [f"{title}: {report.inputs} inputs in {report.batches} batches ({report.skipped_batches} skipped), "
             f"{report.failing_inputs} failing, {len(report.cases)} distinct failures, {report.wall:.0f} s"]
    if report.slowest:
        lines.append(f"slowest file in the plugin: {report.slowest[0]} {report.slowest[1]:.2f} s ({report.slowest[2]})")
    lines.extend(case.report() for case in report.cases)
    return "\n".join(lines)
