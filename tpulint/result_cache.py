"""Each file's results kept between runs, so a re-run on an unchanged tree runs no pylint at all.

Modelled on ruff's `.ruff_cache`: `<cache folder>/results-<run key>/<path hash>.bin` holds, for
one file, its pylint messages and structured findings (model.Reported) and what they depend on:

- the run key (`run_key`): tpulint's code and rules, the versions of Python, pylint and astroid,
  a stamp of the installed packages astroid infers through, the working folder, and the pylint
  arguments that select the findings (target, runtime version, the enabled rules);
- the file's content, and the content of every project file astroid may have read while checking
  it: the transitive closure of the files it imports (as the project view resolves them) and of
  the project modules astroid looked up while checking it (`Recorder.lookups`);
- every question the file's checks asked the project view (tpulint.view), with a digest of the
  answer (`Recorder.queries`). When the project changed (another view key) the questions are
  asked again of the new view (`still_valid`): a helper edited in one file changes whether a loop
  in another is a step, and only the files whose answers changed are checked again.

The scanned tree is hostile: an entry is read only if it carries a MAC under this machine's secret
(view._machine_secret, kept outside any tree), and is unpickled with only the classes results are
made of. Nothing is written under site-packages. Any I/O error means no cache, never an error.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import hmac
import io
import os
import pickle
import shutil
import sys
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path

import astroid
import pylint
from astroid.manager import AstroidManager

from tpulint import __version__, isolation, user_cache, view
from tpulint.catalog import default_rules_dir

RESULTS_PREFIX = "results-"
FOLDERS_KEPT = 4  # run keys whose entries stay: a few configurations or versions used in turn
MAX_ENTRY_BYTES = 64_000_000
_MAC_BYTES = 16
_FORMAT = b"tpulint-results-1"

# The project view's questions the checkers ask (view.ProjectView), and its attributes read.
QUERIES = frozenset({"values", "reach", "has_device_code", "unused", "star_origin", "star_library_names",
                     "related_files", "process_group_inits", "module_path", "loader_loops", "is_model",
                     "entry_parameter", "entry_methods", "effect", "collate_padding", "class_kind"})
PROPERTIES = frozenset({"is_device_project", "root"})


# --- what every entry depends on -----------------------------------------------------------


def run_key(pylint_arguments: list[str]) -> str:
    """Key of one configuration's results (32 hex digits). pylint_arguments: the run's arguments
    without its files and rcfile (the enabled rules, target and runtime version are among them)."""
    digest = hashlib.blake2b(digest_size=16)
    for part in (_FORMAT.decode(), code_hash(), sys.version, pylint.__version__, astroid.__version__,
                 environment_stamp(), os.getcwd(), *pylint_arguments):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    return digest.hexdigest()


@lru_cache(maxsize=1)
def code_hash() -> str:
    """Hash of tpulint's version, every module of the package and every file of its rules folder:
    any change to what makes findings starts a new set of entries."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{__version__}\0{view.code_key()}\0".encode())
    package = Path(__file__).parent
    for folder in (package, default_rules_dir()):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(f"{path.relative_to(folder)}\0".encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def environment_stamp() -> str:
    """The modification times of the import path's installed-package folders (site-packages and
    the standard library): installing, upgrading or removing a package changes its folder, and
    astroid infers through installed libraries. Other entries (the working folder, a checkout on
    PYTHONPATH) change with every edit and are left out."""
    stamps = []
    for entry in sys.path:
        if entry and (view.installed_location(Path(entry)) or isolation.installed(entry)):
            try:
                stamps.append(f"{entry}:{os.stat(entry).st_mtime_ns}")
            except OSError:
                stamps.append(f"{entry}:-")
    return "\n".join(stamps)


# --- digests of the view's answers ---------------------------------------------------------


class Uncacheable(Exception):
    """An answer with no stable spelling (an object printed by its address): the file asking is not cached."""


def canonical(value) -> str:
    """A spelling of an answer that is the same for equal answers in any run: sets sorted,
    dataclasses by their fields. Raises Uncacheable for anything else."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return repr(value)
    if isinstance(value, (set, frozenset)):
        return "{" + ",".join(sorted(canonical(item) for item in value)) + "}"
    if isinstance(value, (list, tuple)):
        return "(" + ",".join(canonical(item) for item in value) + ")"
    if isinstance(value, dict):
        return "{" + ",".join(sorted(f"{canonical(key)}:{canonical(item)}" for key, item in value.items())) + "}"
    if isinstance(value, Path):
        return repr(str(value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = ",".join(canonical(getattr(value, name.name)) for name in dataclasses.fields(value))
        return f"{type(value).__name__}({fields})"
    raise Uncacheable(type(value).__name__)


def digest(value) -> bytes:
    """8 bytes that stand for canonical(value). Raises Uncacheable like canonical."""
    return hashlib.blake2b(canonical(value).encode("utf-8", "surrogateescape"), digest_size=8).digest()


def answer(project: view.ProjectView, question: tuple):
    """What project answers to a recorded question (name, args, keyword items)."""
    name, args, keywords = question
    if name == "files":
        return project.files.get(args[0])
    if name in PROPERTIES:
        return getattr(project, name)
    if name not in QUERIES:
        raise Uncacheable(name)
    return getattr(project, name)(*args, **dict(keywords))


# --- recording what a file's checks ask ----------------------------------------------------


class Recorder:
    """While pylint checks, the questions each file asks the project view and the project modules
    astroid looks up for it.

    current() is the file being checked (pylint's linter.current_file); queries maps path ->
    {(name, args, keyword items): digest}, lookups maps path -> set of project paths astroid built
    or fetched while checking it, uncacheable holds the files whose answers cannot be recorded."""

    def __init__(self, current: Callable[[], str | None], run_files: frozenset[str]) -> None:
        self.current = current
        self.run_files = run_files
        self.queries: dict[str, dict[tuple, bytes]] = {}
        self.lookups: dict[str, set[str]] = {}
        self.uncacheable: set[str] = set()
        self._proxies: dict[int, tuple[view.ProjectView, RecordingView]] = {}

    def wrap(self, project: view.ProjectView) -> RecordingView:
        """The recording proxy of a view (one per view)."""
        known = self._proxies.get(id(project))
        if known is None or known[0] is not project:
            known = self._proxies[id(project)] = (project, RecordingView(project, self))
        return known[1]

    def note(self, question: tuple, value) -> None:
        path = self._current_path()
        if path is None:
            return
        try:
            found = digest(value)
            log = self.queries.setdefault(path, {})
            if log.setdefault(question, found) != found:
                self.uncacheable.add(path)  # two answers to one question: it depends on the order asked
        except (Uncacheable, TypeError, RecursionError):
            self.uncacheable.add(path)

    def note_module(self, module_file: str | None) -> None:
        path = self._current_path()
        if path is None or not module_file:
            return
        found = os.path.abspath(module_file)
        if found != path and found in self.run_files:
            self.lookups.setdefault(path, set()).add(found)

    def _current_path(self) -> str | None:
        current = self.current()
        return os.path.abspath(current) if current else None


class RecordingView:
    """A ProjectView that tells its Recorder each question asked and the answer's digest."""

    __slots__ = ("_project", "_recorder")

    def __init__(self, project: view.ProjectView, recorder: Recorder) -> None:
        self._project = project
        self._recorder = recorder

    def __getattr__(self, name: str):
        value = getattr(self._project, name)
        if name in QUERIES:
            return _RecordingMethod(value, name, self._recorder)
        if name in PROPERTIES:
            self._recorder.note((name, (), ()), value)
        elif name == "files":
            return _RecordingFiles(value, self._recorder)
        return value


class _RecordingMethod:
    __slots__ = ("_method", "_name", "_recorder")

    def __init__(self, method, name: str, recorder: Recorder) -> None:
        self._method, self._name, self._recorder = method, name, recorder

    def __call__(self, *args, **keywords):
        found = self._method(*args, **keywords)
        self._recorder.note((self._name, args, tuple(sorted(keywords.items()))), found)
        return found


class _RecordingFiles:
    """view.files, read path by path (`project.files.get(path, {})`): each path read is a question."""

    __slots__ = ("_files", "_recorder")

    def __init__(self, files: dict, recorder: Recorder) -> None:
        self._files, self._recorder = files, recorder

    def get(self, path, default=None):
        found = self._files.get(path)
        self._recorder.note(("files", (path,), ()), found)
        return default if found is None else found

    def __getitem__(self, path):
        found = self.get(path)
        if found is None:
            raise KeyError(path)
        return found

    def __contains__(self, path) -> bool:
        return self.get(path) is not None

    def __getattr__(self, name: str):
        self._recorder.uncacheable.add(self._recorder._current_path() or "")  # reads the whole project
        return getattr(self._files, name)


@contextlib.contextmanager
def recording(recorder: Recorder | None) -> Iterator[None]:
    """While the block runs, for_file hands out recorder's proxies and astroid's module lookups are
    noted; nothing when recorder is None."""
    if recorder is None:
        yield
        return
    original = AstroidManager.ast_from_module_name

    def looked_up(manager, modname, context_file=None, use_cache=True):
        module = original(manager, modname, context_file, use_cache)
        recorder.note_module(getattr(module, "file", None))
        return module

    AstroidManager.ast_from_module_name = looked_up
    view.record_queries(recorder)
    try:
        yield
    finally:
        view.record_queries(None)
        AstroidManager.ast_from_module_name = original


# --- dependencies --------------------------------------------------------------------------


def dependencies(path: str, project: view.ProjectView, lookups: Callable[[str], set[str]],
                 memo: dict[str, frozenset[str]]) -> frozenset[str]:
    """The project files whose content a file's results may depend on through astroid: the
    transitive closure of what it imports and what astroid looked up for it (lookups(path)),
    the file itself left out. memo: path -> its direct edges, shared between calls of one run."""
    def edges(source: str) -> frozenset[str]:
        if source not in memo:
            memo[source] = frozenset(project.imported_files(source)) | frozenset(lookups(source))
        return memo[source]

    found, frontier = {path}, [path]
    while frontier:
        source = frontier.pop()
        for target in edges(source):
            if target not in found:
                found.add(target)
                frontier.append(target)
    found.discard(path)
    return frozenset(found)


def still_valid(entry: dict, path: str, project: view.ProjectView, fresh: Callable[[], view.ProjectView]) -> bool:
    """entry's results are what checking path in this project would give: the same content, the
    same content of every dependency, and the same answer to every question it asked (asked
    again, of fresh() - a view with no answers memoised - only when the project changed)."""
    keys = project.content_keys
    if entry.get("content") != keys.get(path) or keys.get(path) is None:
        return False
    if any(keys.get(other) != key for other, key in entry.get("deps", {}).items()):
        return False
    if entry.get("project") == project.key and entry.get("root") == str(project.root):
        return True
    replay = fresh()
    try:
        return all(digest(answer(replay, question)) == found for question, found in entry.get("queries", {}).items())
    except Exception:  # a question the view no longer answers the same way: check the file again
        return False


# --- the entries on disk -------------------------------------------------------------------


class ResultStore:
    """Entries of one run key in `<folder>/results-<key>/`. Never raises: with no usable folder
    (None, unwritable, under site-packages, no machine secret) nothing is read or kept."""

    def __init__(self, folder: Path | None, key: str) -> None:
        self.secret = view._machine_secret()
        self.folder = None
        if folder is not None and self.secret is not None and not view.installed_location(folder):
            self.folder = folder / f"{RESULTS_PREFIX}{key[:24]}"
        self._made = False

    def read(self, path: str) -> dict | None:
        """The entry kept for path (an absolute path), or None: absent, unreadable, not signed by
        this machine, or not an entry."""
        if self.folder is None:
            return None
        try:
            with open(self.folder / _entry_name(path), "rb") as handle:
                data = handle.read(MAX_ENTRY_BYTES)
        except OSError:
            return None
        mac, payload = data[:_MAC_BYTES], data[_MAC_BYTES:]
        if not hmac.compare_digest(mac, self._mac(payload)):
            return None
        try:
            entry = _RestrictedUnpickler(io.BytesIO(payload)).load()
        except Exception:  # a truncated or foreign payload that still carried a valid MAC: ignore it
            return None
        return entry if isinstance(entry, dict) and entry.get("path") == path else None

    def write(self, path: str, entry: dict) -> None:
        """Keep entry for path; on the first write of a run, remove all but the newest
        FOLDERS_KEPT folders of other run keys."""
        if self.folder is None:
            return
        try:
            if not self._made:
                self._make_folder()
            payload = pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)
            user_cache.write_atomically(self.folder / _entry_name(path), self._mac(payload) + payload)
        except (OSError, pickle.PicklingError, TypeError, AttributeError, RecursionError):
            self.folder = None  # read-only tree, full disk, odd object: go on without a cache

    def _make_folder(self) -> None:
        view.make_cache_folder(self.folder.parent)
        self.folder.mkdir(exist_ok=True)
        os.utime(self.folder)  # newest: the folders pruned are the ones not used for longest
        others = sorted((other for other in self.folder.parent.glob(f"{RESULTS_PREFIX}*") if other != self.folder),
                        key=_modified, reverse=True)
        for stale in others[FOLDERS_KEPT - 1:]:
            shutil.rmtree(stale, ignore_errors=True)
        self._made = True

    def _mac(self, payload: bytes) -> bytes:
        return hashlib.blake2b(payload, key=self.secret, digest_size=_MAC_BYTES).digest()


def _entry_name(path: str) -> str:
    return hashlib.blake2b(path.encode("utf-8", "surrogateescape"), digest_size=16).hexdigest() + ".bin"


def _modified(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


# The classes an entry is made of: pylint's Message and Confidence, tpulint.model's findings.
_ALLOWED_CLASSES = {
    "builtins": frozenset({"set", "frozenset", "tuple", "list", "dict", "bytes", "str", "int"}),
    "pylint.message.message": frozenset({"Message"}),
    "pylint.interfaces": frozenset({"Confidence"}),
    "tpulint.model": None,  # the classes defined there: plain records
}


class _RestrictedUnpickler(pickle.Unpickler):
    """Unpickles only _ALLOWED_CLASSES: even a signed entry cannot name code to run."""

    def find_class(self, module: str, name: str):
        allowed = _ALLOWED_CLASSES.get(module, frozenset())
        if allowed is not None and name not in allowed:
            raise pickle.UnpicklingError(f"{module}.{name} is not part of a result")
        found = super().find_class(module, name)
        if allowed is None and not (isinstance(found, type) and found.__module__ == module):
            raise pickle.UnpicklingError(f"{module}.{name} is not part of a result")
        return found
