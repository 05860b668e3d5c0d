"""The scanned tree, read defensively: which files a run checks, and the text of each.

This is the only module that touches the scanned tree's file system, and it assumes the tree
may be hostile (code scanning runs on strangers' pull requests) or merely odd:

- only regular files are opened, with O_NONBLOCK so that a named pipe swapped in after the
  check cannot block the run; symbolic links are followed, each real folder is searched once,
  and a link back to a folder being searched (a loop) is not followed;
- every path that cannot be checked (a dangling link, a link loop, a pipe, a socket or a device,
  a folder that cannot be listed, a file that cannot be read, an unknown `coding:` declaration,
  invalid text, NUL bytes, a file over the size limit, a folder whose own pyproject.toml is
  wrong) becomes one Notification saying which path and why, and the run goes on with the
  others. (Syntax errors and code nested too deeply are left to the analysis: see
  tpulint.bounds.) A .gitignore that cannot be read is left aside, and a pattern in it that
  pathspec rejects is skipped, silently, as git does; patterns match in linear time (RE2).

Which files, as ruff chooses them: each folder's own configuration (`exclude`, `max-file-size`:
tpulint.config.Settings) and, inside a git repository, its ignore rules (every .gitignore from
the repository's root down, and .git/info/exclude, matched by pathspec's GitIgnoreSpec). Ignored
and excluded folders are not searched. A path named on the command line is checked even when
ignored, unless `force_exclude`.

Nothing from the tree is imported or run: files are read as bytes and parsed.
"""

from __future__ import annotations

import codecs
import errno
import io
import os
import re
import stat
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pathspec import GitIgnoreSpec

from tpulint.config import Config, ConfigError, Settings, _glob_matches
from tpulint.estimate import Notification

SOURCE_SUFFIXES = (".py", ".ipynb")
SKIPPED_DIRECTORIES = frozenset({
    ".git", ".hg", ".svn", ".venv", "venv", "env", "__pycache__", "node_modules", "site-packages",
    ".tox", ".nox", ".mypy_cache", ".pytest_cache", "build", "dist",
})
MISSING_PATH = "no such file or directory (the path does not exist)"
"""The message of the Notification for a path named on the command line that does not exist."""
_GIT_FILE_MAX_BYTES = 100_000  # a .gitignore, .git/info/exclude or .git file larger than this is not read
# Google's RE2 matches in time linear in the path: with Python's re (pathspec's "simple" backend)
# one pattern such as *a*a*a*a*a*a*a*a*b in a hostile .gitignore takes hours on a long name.
_BACKEND = "re2"
_KINDS = (
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a folder"),
)


class Unreadable(Exception):
    """A file that cannot be checked; str(error) is the reason, a clause after the path."""


# --- which files ---------------------------------------------------------------------------


def discover(paths: Sequence[str], config: Config | Settings, force_exclude: bool = False, *,
             respect_gitignore: bool = True) -> tuple[list[str], list[Notification]]:
    """The source files (*.py, *.ipynb) under `paths`, as absolute paths, each real file once; and
    a Notification for every path that cannot be checked (paths shown relative to the run's root).

    `config`: one Config for every file, or Settings, where each folder's entries are matched
    against that folder's own configuration (its `exclude` globs, relative to its root; its
    `max_file_bytes`). With `respect_gitignore`, files and folders git ignores are left out too
    (only inside a git repository, as ruff and git do). A path named in `paths` is checked even
    when excluded or ignored, unless `force_exclude` (pre-commit names every staged file). Folders
    are searched recursively, skipping SKIPPED_DIRECTORIES and hidden folders. A named path that
    does not exist gives a Notification whose message is MISSING_PATH. Raises ConfigError for a
    nearer configuration that is wrong (as the run's own would be: a usage error, not a file that
    cannot be analysed), and nothing else for anything found in the tree.
    """
    walk = _Walk(_lookup(config), force_exclude, respect_gitignore)
    for raw in paths:
        walk.path(raw)
    return walk.files, walk.notifications


def force_excluded(path: str, config: Config | Settings, respect_gitignore: bool = True) -> bool:
    """Whether --force-exclude leaves out a file named `path` (which need not exist: the name
    --stdin-filename gives text read from stdin): excluded by its configuration, or ignored by git."""
    return _Walk(_lookup(config), True, respect_gitignore)._force_excluded(Path(os.path.abspath(path)), False)


def _lookup(config: Config | Settings) -> Settings | _OneConfig:
    return config if isinstance(config, Settings) else _OneConfig(config)


class _OneConfig:
    """Settings' lookup for a run with a single Config (discover's callers that pass a Config)."""

    def __init__(self, config: Config) -> None:
        self.run = config

    def for_folder(self, folder: Path) -> Config:
        return self.run


class _Walk:
    """One discovery: the files found so far, the notifications, and what was already seen."""

    def __init__(self, settings: Settings | _OneConfig, force_exclude: bool, respect_gitignore: bool) -> None:
        self.settings = settings
        self.force_exclude = force_exclude
        self.respect_gitignore = respect_gitignore
        self.files: list[str] = []
        self.notifications: list[Notification] = []
        self._seen_files: set[tuple[int, int]] = set()
        self._seen_folders: set[tuple[int, int]] = set()
        self._rules_cache: dict[Path, tuple[_Rules | None, bool]] = {}

    def path(self, raw: str) -> None:
        path = Path(os.path.abspath(raw))
        try:
            status = path.stat()
        except OSError as error:
            missing = error.errno in (errno.ENOENT, errno.ENOTDIR) and not path.is_symlink()
            self.notifications.append(Notification(raw, MISSING_PATH if missing else _stat_failure(path, error)))
            return
        if self.force_exclude and self._force_excluded(path, stat.S_ISDIR(status.st_mode)):
            return
        if stat.S_ISDIR(status.st_mode):
            self._folder(path)
            return
        self._file(path, status, self.settings.for_folder(path.parent))

    def _folder(self, top: Path) -> None:
        # Depth first with an explicit stack (no recursion a deep tree could exhaust); the
        # folders on the current path are tracked so that a link back to one is a loop.
        stack: list[tuple[Path, tuple[tuple[int, int], ...], _Rules | None]] = [(top, (), self._rules_above(top))]
        while stack:
            folder, ancestors, rules = stack.pop()
            identity = self._enter(folder, ancestors)
            if identity is None:
                continue
            entries, failure = _list(folder)
            if failure:
                self._note(folder, failure)
                continue
            config = self.settings.for_folder(folder)
            rules = self._rules_in(folder, {entry.name for entry in entries}, rules)
            subfolders = self._search(folder, entries, config, rules)
            stack.extend((child, (*ancestors, identity), rules) for child in reversed(subfolders))

    def _enter(self, folder: Path, ancestors: tuple[tuple[int, int], ...]) -> tuple[int, int] | None:
        """The folder's identity (device, inode) when it is to be searched: not searched yet and
        not a link back to one of its `ancestors`."""
        try:
            status = folder.stat()
        except OSError as error:
            self._note(folder, _stat_failure(folder, error))
            return None
        identity = (status.st_dev, status.st_ino)
        if identity in ancestors:
            self._note(folder, "a symbolic link to a folder that contains it (a loop); not followed", "note")
            return None
        if identity in self._seen_folders:
            return None  # reached again through another link: searched once
        self._seen_folders.add(identity)
        return identity

    def _search(self, folder: Path, entries: list[os.DirEntry], config: Config, rules: _Rules | None) -> list[Path]:
        """Take the folder's source files as candidates; return the subfolders to search."""
        subfolders = []
        for entry in entries:
            child = folder / entry.name
            if _is_folder(entry):
                if entry.name not in SKIPPED_DIRECTORIES and not entry.name.startswith(".") \
                        and not _left_out(child, True, config, rules):
                    subfolders.append(child)
            elif entry.name.endswith(SOURCE_SUFFIXES) and not _left_out(child, False, config, rules):
                self._candidate(child, config)
        return subfolders

    def _candidate(self, path: Path, config: Config) -> None:
        try:
            status = path.stat()
        except OSError as error:
            self._note(path, _stat_failure(path, error))
            return
        self._file(path, status, config)

    def _file(self, path: Path, status: os.stat_result, config: Config) -> None:
        problem = _not_a_regular_file(status)
        if problem is None and status.st_size > config.max_file_bytes:
            size, limit = _sizes(status.st_size, config.max_file_bytes)
            problem = f"not analysed: {size} is over the {limit} limit (max-file-size in [tool.tpulint])"
        if problem is not None:
            self._note(path, problem, "warning" if "limit" in problem else "error")
            return
        identity = (status.st_dev, status.st_ino)
        if identity not in self._seen_files:
            self._seen_files.add(identity)
            self.files.append(str(path))

    def _force_excluded(self, path: Path, is_folder: bool) -> bool:
        """A named path that the search would have left out: it or a folder above it is excluded
        by the configuration that holds where it lies (and so on up, through enclosing projects'
        configurations), or ignored by git."""
        rules, above_ignored = self._rules_for(path.parent)
        if above_ignored or (rules is not None and rules.ignores(path, is_folder)):
            return True
        current = path
        while True:
            try:
                config = self.settings.for_folder(current.parent)
            except ConfigError:
                return False  # reported when the path itself is taken
            if _excluded(current, config):
                return True
            root = Path(os.path.abspath(config.root))
            if root not in current.parents:
                return False
            current = root  # a subproject's folder: the enclosing configuration may exclude it

    def _rules_above(self, top: Path) -> _Rules | None:
        """The rules in force for a named folder's entries, before its own .gitignore. A folder
        git ignores is searched (it was named) with only the .gitignore files inside it: pathspec,
        like git, ignores whatever lies in an ignored folder, which would leave nothing."""
        rules, above_ignored = self._rules_for(top.parent)
        if rules is not None and (above_ignored or rules.ignores(top, True)):
            return _Rules(())
        return rules

    def _rules_for(self, folder: Path) -> tuple[_Rules | None, bool]:
        """The git ignore rules in force for the folder's entries (None: not in a repository, or
        not respected), and whether the folder or one above it, below the repository's root, is
        ignored."""
        known = self._rules_cache.get(folder)
        if known is None:
            root = _repository_root(folder) if self.respect_gitignore else None
            known = (None, False) if root is None else _rules_down_to(root, folder)
            self._rules_cache[folder] = known  # pre-commit names many files in few folders
        return known

    def _rules_in(self, folder: Path, names: set[str], outer: _Rules | None) -> _Rules | None:
        """The rules in force for a folder's entries, from those for its parent's."""
        if not self.respect_gitignore:
            return None
        if ".git" in names:
            return _Rules.repository(folder)  # a nested repository: its parent's rules stop here, as in git
        return outer.with_gitignore(folder) if outer is not None and ".gitignore" in names else outer

    def _note(self, path: Path, message: str, level: str = "error") -> None:
        self.notifications.append(Notification(shown_path(path, self.settings.run.root), message, level))


def _left_out(path: Path, is_folder: bool, config: Config, rules: _Rules | None) -> bool:
    return _excluded(path, config) or (rules is not None and rules.ignores(path, is_folder))


def _excluded(path: Path, config: Config) -> bool:
    """`config.exclude` matches the path: relative to `config.root`, with /; a path outside the
    root by its name alone (`*_pb2.py`, `tests`). See tpulint.config._glob_matches."""
    if not config.exclude:
        return False
    try:
        shown = path.relative_to(os.path.abspath(config.root)).as_posix()
    except ValueError:
        shown = path.name
    if shown == ".":
        return False  # the configuration's own folder
    return any(_glob_matches(shown, pattern) for pattern in config.exclude)


# --- git's ignore rules --------------------------------------------------------------------


@dataclass(frozen=True)
class _Rules:
    """The ignore rules in force in one folder of a git repository: (folder, patterns) from
    .git/info/exclude and the root's .gitignore down to the folder's own .gitignore.

    As gitignore(5) says, a pattern is relative to the folder of the file that holds it, a
    nearer file overrides a farther one, .gitignore files override info/exclude, and within one
    file the last matching pattern decides."""

    levels: tuple[tuple[Path, GitIgnoreSpec], ...]

    @classmethod
    def repository(cls, root: Path) -> _Rules:
        """The rules at the root of the repository whose working tree is `root`."""
        git_directory = _git_directory(root)
        exclude = None if git_directory is None else _read_patterns(git_directory / "info" / "exclude")
        return cls(() if exclude is None else ((root, exclude),)).with_gitignore(root)

    def with_gitignore(self, folder: Path) -> _Rules:
        """These rules, then those of `folder`/.gitignore (when it can be read)."""
        patterns = _read_patterns(folder / ".gitignore")
        return self if patterns is None else _Rules((*self.levels, (folder, patterns)))

    def ignores(self, path: Path, is_folder: bool) -> bool:
        for base, patterns in reversed(self.levels):
            try:
                relative = path.relative_to(base).as_posix()
            except ValueError:
                continue
            decision = patterns.check_file(_matchable(relative) + "/" if is_folder else _matchable(relative)).include
            if decision is not None:
                return decision
        return False


def _rules_down_to(root: Path, folder: Path) -> tuple[_Rules, bool]:
    """The rules in force for `folder`'s entries, read from the repository's `root` down, and
    whether a folder on the way (below root, `folder` included) is ignored."""
    rules, ignored, current = _Rules.repository(root), False, root
    for part in folder.relative_to(root).parts:
        current = current / part
        ignored = ignored or rules.ignores(current, True)
        rules = rules.with_gitignore(current)
    return rules, ignored


def _repository_root(folder: Path) -> Path | None:
    """The nearest folder from `folder` upward that holds `.git` (a folder, or a file for a
    worktree or submodule); None outside a repository."""
    for candidate in (folder, *folder.parents):
        if os.path.lexists(candidate / ".git"):
            return candidate
    return None


def _git_directory(root: Path) -> Path | None:
    """The repository's common git directory, which holds info/exclude: root/.git, or for a
    worktree or submodule the one its `.git` file names (`gitdir: ...`, then `commondir`, as
    gitrepository-layout(5) describes). None when it cannot be read."""
    dot_git = root / ".git"
    if dot_git.is_dir():
        return dot_git
    pointer = _read_text(dot_git)
    if pointer is None or not pointer.startswith("gitdir:"):
        return None
    directory = root / pointer.removeprefix("gitdir:").strip()
    common = _read_text(directory / "commondir")
    return directory / common.strip() if common else directory


def _read_patterns(path: Path) -> GitIgnoreSpec | None:
    """The patterns of a gitignore-format file; None when it is absent or cannot be read."""
    text = _read_text(path, "replace")
    if text is None:
        return None
    # Split on newlines only (str.splitlines would split on form feeds too; pathspec drops a
    # line's trailing \r); git skips a byte-order mark.
    lines = text.removeprefix("\ufeff").split("\n")
    try:
        return GitIgnoreSpec.from_lines(lines, backend=_BACKEND)
    except (ValueError, re.error):  # a pattern pathspec rejects: git skips it, and keeps the others
        return GitIgnoreSpec([pattern for line in lines for pattern in _patterns(line)], backend=_BACKEND)


def _patterns(line: str) -> list:
    try:
        return list(GitIgnoreSpec.from_lines([line], backend="simple").patterns)
    except (ValueError, re.error):
        return []


def _read_text(path: Path, errors: str = "surrogateescape") -> str | None:
    """A small regular file's text, its bytes that are not UTF-8 decoded as `errors` says
    (surrogateescape: as Python decodes file names)."""
    try:
        return read_bytes(str(path), _GIT_FILE_MAX_BYTES).decode("utf-8", errors)
    except Unreadable:
        return None


def _matchable(relative: str) -> str:
    """A path as RE2 can take it: bytes that are not UTF-8 (surrogates in a Python file name,
    which RE2 refuses) become U+FFFD, as in patterns read with errors="replace"."""
    return os.fsencode(relative).decode("utf-8", "replace")


# --- the file system's answers -------------------------------------------------------------


def _list(folder: Path) -> tuple[list[os.DirEntry], str | None]:
    try:
        with os.scandir(folder) as entries:
            return sorted(entries, key=lambda entry: entry.name), None
    except OSError as error:
        return [], f"folder not searched: {_reason(error)}"


def _is_folder(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()  # follows a link; a dangling or looping link is a file here
    except OSError:
        return False


def _not_a_regular_file(status: os.stat_result) -> str | None:
    if stat.S_ISREG(status.st_mode):
        return None
    kind = next((name for test, name in _KINDS if test(status.st_mode)), "not a regular file")
    return f"not analysed: {kind}, not a file"


def _stat_failure(path: Path, error: OSError) -> str:
    if error.errno == errno.ELOOP:
        return "not analysed: a symbolic link loop"
    if error.errno == errno.ENOENT:
        return ("not analysed: a symbolic link to a path that does not exist" if path.is_symlink()
                else "not analysed: it no longer exists (removed during the run)")
    return f"not analysed: {_reason(error)}"


def _reason(error: OSError) -> str:
    return (error.strerror or str(error)).lower()


def _size(count: int, decimals: int = 1) -> str:
    """A byte count in B under 1 kB, else in kB or MB (decimal units) with `decimals` places."""
    if count < 1000:
        return f"{count} B"
    in_megabytes = round(count / 10 ** 3, decimals) >= 1000  # not "1000.0 kB"
    scale, unit = (10 ** 6, "MB") if in_megabytes else (10 ** 3, "kB")
    return f"{count / scale:.{decimals}f} {unit}"


def _sizes(size: int, limit: int) -> tuple[str, str]:
    """`size` and `limit` (size > limit) with the fewest decimals, one at least, that tell them
    apart: six places of MB are bytes, so two different counts always differ."""
    for decimals in range(1, 7):
        shown = _size(size, decimals), _size(limit, decimals)
        if shown[0] != shown[1]:
            break
    return shown


def shown_path(path: Path, root: Path) -> str:
    """`path` relative to `root` in POSIX form, or absolute when it lies outside root."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(Path(os.path.abspath(root))).as_posix()
    except ValueError:
        return absolute.as_posix()


# --- reading one file ----------------------------------------------------------------------


def read_bytes(path: str, limit: int) -> bytes:
    """The bytes of the regular file at `path` (at most `limit` + 1 are read).

    Raises Unreadable when it is not a regular file when opened (a pipe swapped in after
    discovery), cannot be opened or read, or is over `limit` bytes.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as error:
        raise Unreadable(_stat_failure(Path(path), error)) from None
    problem = _not_a_regular_file(os.fstat(descriptor))
    if problem is not None:
        os.close(descriptor)  # before fdopen, which refuses a folder with an exception of its own
        raise Unreadable(problem)
    with os.fdopen(descriptor, "rb") as handle:
        try:
            data = handle.read(limit + 1)
        except OSError as error:
            raise Unreadable(f"not analysed: {_reason(error)}") from None
    if len(data) > limit:
        raise Unreadable(f"not analysed: over the {_size(limit)} limit (max-file-size in [tool.tpulint])")
    return data


def decode_python(data: bytes) -> str:
    """Decode Python source as the interpreter would (PEP 263 `coding:` line, BOM, else UTF-8).

    Raises Unreadable for NUL bytes, an unknown or contradictory encoding declaration, and
    bytes that are not valid in the file's encoding (the message names the line).
    """
    if b"\x00" in data:
        raise Unreadable("not analysed: the file contains NUL bytes (is it Python source?)")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        problem = _encoding_problem(str(error))
        if problem is not None:
            raise Unreadable(f"not analysed: {problem}") from None
        encoding = "utf-8"  # undeclared and not UTF-8 in the first lines: decoding says where
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        name = codecs.lookup(encoding).name
        shown = "UTF-8" if name in ("utf-8", "utf-8-sig") else name
        raise Unreadable(f"not analysed: the file is not valid {shown} "
                         f"(byte 0x{data[error.start]:02x} on line {line})") from None
    return text.removeprefix("\ufeff")


def _encoding_problem(message: str) -> str | None:
    # tokenize's messages: "unknown encoding: klingon", "encoding problem: utf-8" (a BOM with
    # another declaration), "invalid or missing encoding declaration for ...".
    if message.startswith("unknown encoding"):
        declared = message.split(":", 1)[1].strip()
        return f"its coding declaration names {declared!r}, an encoding Python does not know"
    if message.startswith("encoding problem"):
        return "its coding declaration contradicts its UTF-8 byte-order mark"
    return None
