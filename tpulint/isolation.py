"""What keeps pylint and astroid safe and deterministic on a scanned tree that may be hostile.

tpulint runs in code scanning on strangers' pull requests, in jobs that hold tokens. pylint
and astroid were written for trusted code, and three of their habits matter there:

- **Imports.** While it lints, pylint puts the scanned folders at the front of `sys.path`, and
  astroid imports C extensions named like standard-library modules to read them. A file in the
  tree named like a module the analysis imports lazily (`difflib.py`), or an extension named
  `audioop.cpython-311-x86_64-linux-gnu.so`, would then run. `trusted_imports()` installs a
  finder first on `sys.meta_path` that resolves every import against the `sys.path` entries
  that existed when tpulint was registered (never the current folder): an import can no longer
  reach into the tree, and astroid reads the real standard-library module instead.
- **Module names.** astroid caches modules by name for the whole process, so two projects'
  `model.py` were one module and one project's findings changed with what else was scanned.
  `_module_for_context` checks a cached project module against what the importing file's own
  folder resolves to and builds the right one when they differ.
- **Depth.** astroid builds trees recursively; `tpulint.bounds` cuts what is nested deeper than
  its bound as astroid parses, and the cut is recorded here for the `partially-analysed`
  notification.
- **Pragmas.** pylint looks for `# pylint: disable=` in every comment with a regular expression
  that backtracks: one 12 kB comment (a file whose lines end in a lone CR is one line to the
  tokenizer) took over a minute, in pylint alone. `_PragmaSearch` answers at once for a comment
  that cannot hold a pragma and searches a long one only from the `#` that starts the pragma.
- **Line ends.** pylint's tokenizer splits lines at LF only; a file whose lines end in a lone CR
  (CPython's own parser reads them) crashed it with IndentationError: `_tokens_by_python_lines`.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import io
import os
import sys
import sysconfig
import threading
import tokenize
from collections.abc import Callable, Iterator

import astroid.builder
import pylint.lint.message_state_handler
import pylint.utils.utils
from astroid.manager import AstroidManager

from tpulint import bounds

_trusted_path: tuple[str, ...] = ()
_local = threading.local()
NESTED_TOO_DEEPLY = "nested too deeply for Python's own parser"
CUT_LINES: dict[str, tuple[int, ...]] = {}
"""Absolute path -> the lines where bounds.bound cut a module astroid built from that file."""


def install(sys_path: list[str] | None = None) -> None:
    """Record the import path to trust (`sys.path` now, less the current folder) and patch
    astroid's parse and module cache. Idempotent; called from the plugin's register()."""
    global _trusted_path
    if not _trusted_path:
        cwd = os.getcwd()
        entries = sys.path if sys_path is None else sys_path
        _trusted_path = tuple(entry for entry in entries if entry and os.path.abspath(entry) != cwd)
    if not getattr(astroid.builder._parse_string, "_tpulint", False):
        astroid.builder._parse_string = _bounded_parse(astroid.builder._parse_string)
        astroid.builder.AstroidBuilder._data_build = _remember_path(astroid.builder.AstroidBuilder._data_build)
        AstroidManager.ast_from_module_name = _module_for_context(AstroidManager.ast_from_module_name)
        handler = pylint.lint.message_state_handler
        handler.OPTION_PO = _PragmaSearch(handler.OPTION_PO)
        # pylint's linter calls it as pylint.utils.utils.tokenize_module.
        pylint.utils.utils.tokenize_module = _tokens_by_python_lines(pylint.utils.utils.tokenize_module)


def _tokens_by_python_lines(tokenize_module):
    """pylint tokenizes each file with the tokenize module, which splits lines at LF only: a file
    whose lines end in a lone CR (which CPython reads as lines) is one line to it, and nested
    blocks there raise IndentationError (a crash report). Such a file is tokenized with its
    lines ended by LF instead: the same lines, the same numbers."""

    def tokens(node):
        with node.stream() as stream:
            data = stream.read()
        text = data.decode(node.file_encoding or "utf-8", errors="replace")
        if "\r" not in text.replace("\r\n", ""):
            return tokenize_module(node)
        lines = io.StringIO(text.replace("\r\n", "\n").replace("\r", "\n"))
        return list(tokenize.generate_tokens(lines.readline))

    return tokens


class _PragmaSearch:
    """pylint's pragma pattern (OPTION_PO), searched in linear time. Its `.search(comment)` finds
    what the pattern finds in any comment whose pragma starts within PRAGMA_WINDOW characters of
    the `#` before it (every real one)."""

    PRAGMA_WINDOW = 2000

    def __init__(self, pattern) -> None:
        self.pattern = pattern

    def search(self, comment: str, *args):
        found = comment.find("pylint:")
        if found < 0:
            return None
        if len(comment) <= self.PRAGMA_WINDOW or args:
            return self.pattern.search(comment, *args)
        start = comment.rfind("#", 0, found)
        return self.pattern.search(comment[max(start, 0):][: self.PRAGMA_WINDOW])

    def __getattr__(self, name):
        return getattr(self.pattern, name)


# --- imports -------------------------------------------------------------------------------


class TrustedImportFinder(importlib.abc.MetaPathFinder):
    """First on sys.meta_path: every import resolves against `trusted` entries only (builtin
    and frozen modules and other installed finders as usual). A module found nowhere else
    raises ModuleNotFoundError rather than fall through to a scanned folder."""

    def __init__(self, trusted: tuple[str, ...]) -> None:
        self.trusted = trusted
        self._roots = tuple(os.path.realpath(entry) for entry in trusted)

    def find_spec(self, name, path=None, target=None):
        for finder in (importlib.machinery.BuiltinImporter, importlib.machinery.FrozenImporter):
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                return spec
        search = list(self.trusted) if path is None else [entry for entry in path if self._is_trusted(entry)]
        spec = importlib.machinery.PathFinder.find_spec(name, search, target)
        if spec is not None:
            return spec
        for finder in sys.meta_path:
            if finder is self or finder is importlib.machinery.PathFinder or isinstance(finder, TrustedImportFinder):
                continue
            if finder in (importlib.machinery.BuiltinImporter, importlib.machinery.FrozenImporter):
                continue
            spec = getattr(finder, "find_spec", lambda *_: None)(name, path, target)
            if spec is not None:
                return spec
        raise ModuleNotFoundError(f"No module named {name!r} (tpulint imports nothing from the scanned tree)", name=name)

    def _is_trusted(self, entry: str) -> bool:
        real = os.path.realpath(entry)
        return any(real == root or real.startswith(root + os.sep) for root in self._roots)


def guard_imports() -> bool:
    """Put the finder first on sys.meta_path (the checkers' open()); False if it already was,
    or before install()."""
    if not _trusted_path or any(isinstance(finder, TrustedImportFinder) for finder in sys.meta_path):
        return False
    sys.meta_path.insert(0, TrustedImportFinder(_trusted_path))
    return True


def release_imports() -> None:
    """Remove the finder (the checkers' close())."""
    sys.meta_path[:] = [finder for finder in sys.meta_path if not isinstance(finder, TrustedImportFinder)]


@contextlib.contextmanager
def trusted_imports() -> Iterator[None]:
    """guard_imports() for the duration of a block (the command's whole pylint run)."""
    guarded = guard_imports()
    try:
        yield
    finally:
        if guarded:
            release_imports()


# --- astroid's parse and module cache ------------------------------------------------------


_before_parse: Callable[[str, str], None] | None = None


def call_before_parse(hook: Callable[[str, str], None] | None) -> None:
    """While set, hook(path, text) runs before the depth check of each file astroid parses (the
    checkers build the project view there: its summaries say which texts are shallow)."""
    global _before_parse
    _before_parse = hook


def _bounded_parse(parse):
    def bounded_parse(data, type_comments=True, modname=None):
        try:
            parsed = parse(data, type_comments, modname)
        except RecursionError:  # CPython's own limit; astroid expects a SyntaxError
            raise SyntaxError(NESTED_TOO_DEEPLY) from None
        tree = parsed[0] if isinstance(parsed, tuple) else parsed  # astroid < 4.1: (tree, parser module)
        path = getattr(_local, "path", None)
        if isinstance(data, str):
            if _before_parse is not None and path:
                _before_parse(path, data)
            if bounds.known_shallow(data):
                return parsed  # measured when the project view summarised the same text
        cut = bounds.bound(tree, data) if bounds.may_exceed(tree, data) else None
        if cut is None:
            return parsed
        if path is not None:
            CUT_LINES[os.path.abspath(path)] = cut.lines
        return parse(cut.text, type_comments, modname)

    bounded_parse._tpulint = True
    return bounded_parse


def _remember_path(data_build):
    def data_build_remembering_path(self, data, modname, path):
        previous, _local.path = getattr(_local, "path", None), path
        try:
            return data_build(self, data, modname, path)
        finally:
            _local.path = previous

    return data_build_remembering_path


_INSTALLED = tuple(
    os.path.realpath(path) + os.sep
    for key in ("stdlib", "platstdlib", "purelib", "platlib")
    if (path := sysconfig.get_paths().get(key))
)


def _module_for_context(ast_from_module_name):
    def module_for_context(self, modname, context_file=None, use_cache=True):
        cached = self.astroid_cache.get(modname) if use_cache and modname else None
        if cached is None or not context_file or not cached.file or installed(cached.file):
            return ast_from_module_name(self, modname, context_file, use_cache)
        try:
            location = self.file_from_module_name(modname, context_file).location
        except Exception:  # astroid's own lookup failed: let it report that as it would
            return ast_from_module_name(self, modname, context_file, use_cache)
        if not location or os.path.abspath(location) == os.path.abspath(cached.file):
            return cached
        return _module_built_from(self, modname, os.path.abspath(location))

    return module_for_context


_BY_FILE: dict[str, object] = {}


def _module_built_from(manager: AstroidManager, modname: str, location: str):
    """The module built from `location`, cached by file (astroid's cache keeps the first module
    of each name)."""
    module = _BY_FILE.get(location)
    if module is None:
        module = _BY_FILE[location] = manager.ast_from_file(location, modname, fallback=False)
    return module


def installed(path: str) -> bool:
    """The file lies in the standard library or site-packages (not the scanned project)."""
    return os.path.realpath(path).startswith(_INSTALLED)
