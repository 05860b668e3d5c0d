"""The scanned tree, read defensively: which files a run checks, and the text of each.

This is the only module that touches the scanned tree's file system, and it assumes the tree
may be hostile (code scanning runs on strangers' pull requests) or merely odd:

- only regular files are opened, with O_NONBLOCK so that a named pipe swapped in after the
  check cannot block the run; symbolic links are followed, each real folder is searched once,
  and a link back to a folder being searched (a loop) is not followed;
- every path that cannot be checked (a dangling link, a link loop, a pipe, a socket or a device,
  a folder that cannot be listed, a file that cannot be read, an unknown `coding:` declaration,
  invalid text, NUL bytes, a file over the size limit) becomes one Notification saying which
  path and why, and the run goes on with the others. (Syntax errors and code nested too deeply
  are left to the analysis: see tpulint.bounds.)

Nothing from the tree is imported or run: files are read as bytes and parsed.
"""

from __future__ import annotations

import codecs
import errno
import fnmatch
import io
import os
import stat
import tokenize
from collections.abc import Sequence
from pathlib import Path

from tpulint.config import Config
from tpulint.estimate import Notification

SOURCE_SUFFIXES = (".py", ".ipynb")
SKIPPED_DIRECTORIES = frozenset({
    ".git", ".hg", ".svn", ".venv", "venv", "env", "__pycache__", "node_modules", "site-packages",
    ".tox", ".nox", ".mypy_cache", ".pytest_cache", "build", "dist",
})
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


def discover(paths: Sequence[str], config: Config, force_exclude: bool = False) -> tuple[list[str], list[Notification]]:
    """The source files (*.py, *.ipynb) under `paths`, as absolute paths, minus `config.exclude`
    matches, each real file once; and a Notification for every path that cannot be checked.

    A file named in `paths` is checked even when ignored, unless `force_exclude` (pre-commit
    names every staged file). Folders are searched recursively, skipping SKIPPED_DIRECTORIES and
    hidden folders. Raises nothing for anything found in the tree.
    """
    walk = _Walk(config, force_exclude)
    for raw in paths:
        walk.path(raw)
    return walk.files, walk.notifications


class _Walk:
    """One discovery: the files found so far, the notifications, and what was already seen."""

    def __init__(self, config: Config, force_exclude: bool) -> None:
        self.config = config
        self.force_exclude = force_exclude
        self.files: list[str] = []
        self.notifications: list[Notification] = []
        self._seen_files: set[tuple[int, int]] = set()
        self._seen_folders: set[tuple[int, int]] = set()

    def path(self, raw: str) -> None:
        path = Path(os.path.abspath(raw))
        try:
            status = path.stat()
        except OSError as error:
            self.notifications.append(Notification(raw, _stat_failure(path, error)))
            return
        if stat.S_ISDIR(status.st_mode):
            self._folder(path)
        elif self.force_exclude and self._ignored(path):
            return
        else:
            self._file(path, status)

    def _folder(self, top: Path) -> None:
        # Depth first with an explicit stack (no recursion a deep tree could exhaust); the
        # folders on the current path are tracked so that a link back to one is a loop.
        stack: list[tuple[Path, tuple[tuple[int, int], ...]]] = [(top, ())]
        while stack:
            folder, ancestors = stack.pop()
            try:
                status = folder.stat()
                identity = (status.st_dev, status.st_ino)
            except OSError as error:
                self._note(folder, _stat_failure(folder, error))
                continue
            if identity in ancestors:
                self._note(folder, "a symbolic link to a folder that contains it (a loop); not followed", "note")
                continue
            if identity in self._seen_folders:
                continue  # reached again through another link: searched once
            self._seen_folders.add(identity)
            entries, failure = _list(folder)
            if failure:
                self._note(folder, failure)
                continue
            subfolders = []
            for entry in entries:
                child = folder / entry.name
                if _is_folder(entry):
                    if entry.name not in SKIPPED_DIRECTORIES and not entry.name.startswith("."):
                        subfolders.append(child)
                elif entry.name.endswith(SOURCE_SUFFIXES) and not self._ignored(child):
                    self._candidate(child)
            stack.extend((child, (*ancestors, identity)) for child in reversed(subfolders))

    def _candidate(self, path: Path) -> None:
        try:
            status = path.stat()
        except OSError as error:
            self._note(path, _stat_failure(path, error))
            return
        self._file(path, status)

    def _file(self, path: Path, status: os.stat_result) -> None:
        problem = _not_a_regular_file(status)
        if problem is None and status.st_size > self.config.max_file_bytes:
            problem = (f"not analysed: {status.st_size / 1e6:.1f} MB is over the {self.config.max_file_bytes / 1e6:.1f} MB "
                       "limit (max-file-size in [tool.tpulint])")
        if problem is not None:
            self._note(path, problem, "warning" if "limit" in problem else "error")
            return
        identity = (status.st_dev, status.st_ino)
        if identity not in self._seen_files:
            self._seen_files.add(identity)
            self.files.append(str(path))

    def _ignored(self, path: Path) -> bool:
        shown = shown_path(path, self.config.root)
        return any(fnmatch.fnmatch(shown, pattern) for pattern in self.config.exclude)

    def _note(self, path: Path, message: str, level: str = "error") -> None:
        self.notifications.append(Notification(shown_path(path, self.config.root), message, level))


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
                else "no such file or directory")
    return f"not analysed: {_reason(error)}"


def _reason(error: OSError) -> str:
    return (error.strerror or str(error)).lower()


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
    with os.fdopen(descriptor, "rb") as handle:
        problem = _not_a_regular_file(os.fstat(descriptor))
        if problem is not None:
            raise Unreadable(problem)
        try:
            data = handle.read(limit + 1)
        except OSError as error:
            raise Unreadable(f"not analysed: {_reason(error)}") from None
    if len(data) > limit:
        raise Unreadable(f"not analysed: over the {limit / 1e6:.1f} MB limit (max-file-size in [tool.tpulint])")
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
