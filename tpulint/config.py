"""`[tool.tpulint]` in the nearest pyproject.toml (or the file given with --config): the run's
settings (Config), each file's settings from its own folder upward (Settings), and rule
selection by id, symbol, family or id prefix (select_rules), as ruff reads `select`/`ignore`."""

from __future__ import annotations

import difflib
import fnmatch
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

from tpulint.catalog import FAMILIES, Catalog

DEFAULT_MAX_FILE_BYTES = 5_000_000


class ConfigError(ValueError):
    """The configuration is wrong; the message says where and how."""


@dataclass(frozen=True)
class Config:
    target: str
    runtime_version: str | None = None  # the target runtime's op data version; None: the newest in rules/ops
    families: tuple[str, ...] = FAMILIES
    exclude: tuple[str, ...] = ()  # glob patterns of paths, relative to `root`
    fail_under: float | None = None
    jobs: int = 1
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    root: Path = field(default_factory=Path.cwd)
    source: Path | None = None
    rules: frozenset[str] | None = None  # the symbols select/ignore leave; None: every rule
    per_file_ignores: tuple[tuple[str, frozenset[str]], ...] = ()  # (glob relative to root, rule symbols)
    warnings: tuple[str, ...] = ()  # deprecations to print once (stderr)
    selectors: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())  # the select and ignore items, as written

    @property
    def restricted(self) -> bool:
        """Only some rules run (families, select or ignore): a summary covers only those."""
        return self.families != FAMILIES or self.rules is not None

    def runs(self, symbol: str, family: str) -> bool:
        """The rule is selected (its family and select/ignore)."""
        return family in self.families and (self.rules is None or symbol in self.rules)

    def ignored_in(self, shown_path: str) -> frozenset[str]:
        """The rule symbols per-file-ignores turn off for a file (its path relative to root, with /)."""
        return frozenset().union(*(symbols for pattern, symbols in self.per_file_ignores
                                   if _glob_matches(shown_path, pattern)))


# `torch-xla` is the older name of `runtime-version` (torch_xla was the only runtime), still read.
_KEYS = {"target", "runtime-version", "torch-xla", "families", "select", "ignore", "extend-select", "extend-ignore",
         "per-file-ignores", "exclude", "extend-exclude", "fail-under", "jobs", "max-file-size"}
_GLOB_CHARACTERS = frozenset("/*?[")


def find_pyproject(start: Path) -> Path | None:
    for directory in (start, *start.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file() and "tpulint" in _read(candidate).get("tool", {}):
            return candidate
    return None


def load(catalog: Catalog, explicit: Path | None, start: Path) -> Config:
    """Config from an explicit file (a pyproject.toml with [tool.tpulint], or a tpulint.toml),
    else from the nearest pyproject.toml that has a [tool.tpulint] table, else defaults."""
    source = explicit or find_pyproject(start)
    if source is None:
        return Config(target=catalog.default_target, root=start)
    data = _read(source)
    table = data.get("tool", {}).get("tpulint", data if explicit and source.name != "pyproject.toml" else {})
    return _from_table(catalog, table, source)


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read it ({error.strerror})") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({error})") from error


def _from_table(catalog: Catalog, table: dict[str, Any], source: Path) -> Config:
    unknown = set(table) - _KEYS
    if unknown:
        raise ConfigError(f"{source}: unknown [tool.tpulint] key(s) {sorted(unknown)}; known: {sorted(_KEYS)}")
    target = table.get("target", catalog.default_target)
    families = tuple(table.get("families", FAMILIES))
    _check_choice(source, "target", [target], catalog.targets)
    if "runtime-version" in table and "torch-xla" in table:
        raise ConfigError(f"{source}: give runtime-version or its old name torch-xla, not both")
    key = "torch-xla" if "torch-xla" in table else "runtime-version"
    runtime_version = table.get(key)
    if runtime_version is not None:
        _check_choice(source, key, [str(runtime_version)], catalog.runtime_versions(target))
    _check_choice(source, "families", families, FAMILIES)
    exclude, rule_ignores, warnings = _split_ignore(catalog, source, table)
    exclude = [*exclude, *_strings(source, table, "exclude"), *_strings(source, table, "extend-exclude")]
    extend_select = _strings(source, table, "extend-select")
    select = [*_strings(source, table, "select"), *extend_select] if "select" in table else []
    select_rules(catalog, extend_select, flags=(f"{source}: extend-select", ""))  # names checked even when unused
    ignore = [*rule_ignores, *_strings(source, table, "extend-ignore")]
    rules = _config_rules(catalog, source, select, ignore)
    return Config(
        target=target,
        runtime_version=None if runtime_version is None else str(runtime_version),
        families=families,
        exclude=tuple(exclude),
        fail_under=_number(source, table, "fail-under", None),
        jobs=int(_number(source, table, "jobs", 1)),
        max_file_bytes=int(_number(source, table, "max-file-size", DEFAULT_MAX_FILE_BYTES)),
        root=source.parent,
        source=source,
        rules=rules,
        per_file_ignores=_per_file_ignores(catalog, source, table.get("per-file-ignores", {})),
        warnings=tuple(warnings),
        selectors=(tuple(select), tuple(ignore)),
    )


def _strings(source: Path, table: dict[str, Any], key: str) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{source}: {key} must be a list of strings")
    return value


def _split_ignore(catalog: Catalog, source: Path, table: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    """`ignore` names rules (as ruff's does); before tpulint 0.2 it held path globs, which are still
    read as `exclude` with a deprecation warning. Returns (path globs, rule items, warnings).

    Raises ConfigError when one list mixes the two, or names neither a rule nor a path."""
    items = _strings(source, table, "ignore")
    rules = [item for item in items if _names_rules(catalog, item)]
    paths = [item for item in items if item not in rules and _looks_like_path(item, source.parent)]
    unknown = [item for item in items if item not in rules and item not in paths]
    if unknown:
        _matching(catalog, unknown[0], f"{source}: ignore")  # raises, with a "did you mean"
    if rules and paths:
        raise ConfigError(f"{source}: ignore mixes rules {rules} and path patterns {paths}; "
                          "put the paths in exclude")
    if paths:
        warning = (f"{source}: `ignore` now names rules (as in ruff); read {paths} as path patterns. "
                   "Rename the key to `exclude`.")
        return paths, [], [warning]
    return [], rules, []


def _names_rules(catalog: Catalog, item: str) -> bool:
    try:
        return bool(_matching(catalog, item, "ignore"))
    except ConfigError:
        return False


def _looks_like_path(item: str, folder: Path) -> bool:
    return bool(_GLOB_CHARACTERS & set(item)) or item.endswith((".py", ".ipynb")) or (folder / item).exists()


def _config_rules(catalog: Catalog, source: Path, select: list[str], ignore: list[str]) -> frozenset[str] | None:
    return select_rules(catalog, select, ignore, flags=(f"{source}: select", f"{source}: ignore"))


def _per_file_ignores(catalog: Catalog, source: Path, table: object) -> tuple[tuple[str, frozenset[str]], ...]:
    if not isinstance(table, dict) or not all(isinstance(rules, list) and all(isinstance(r, str) for r in rules)
                                              for rules in table.values()):
        raise ConfigError(f'{source}: per-file-ignores must map path patterns to lists of rules, '
                          'e.g. {"tests/*" = ["cuda"]}')
    return tuple((pattern, frozenset().union(*(_matching(catalog, item, f"{source}: per-file-ignores {pattern!r}")
                                                for item in rules)))
                 for pattern, rules in table.items())


def _glob_matches(shown_path: str, pattern: str) -> bool:
    """fnmatch on the path relative to the configuration's folder; a pattern without / also
    matches the file's name or any folder on its way (`tests` matches tests/a/b.py)."""
    if fnmatch.fnmatch(shown_path, pattern) or fnmatch.fnmatch(shown_path, pattern.rstrip("/") + "/*"):
        return True
    return "/" not in pattern.rstrip("/") and any(fnmatch.fnmatch(part, pattern.rstrip("/"))
                                                  for part in shown_path.split("/"))


class Settings:
    """Each file's configuration, as ruff finds it: the nearest pyproject.toml with [tool.tpulint]
    from the file's own folder upward (a subproject's rules and excludes hold for its files), with
    the command line's options applied on top; one file given with --config holds for every file.

    The run-wide keys (target, runtime-version, fail-under, jobs) come from the run's own
    configuration; a nearer file that sets another target gets a warning, not a second target.
    for_folder raises ConfigError for a nearer configuration that is wrong."""

    def __init__(self, catalog: Catalog, run: Config, explicit: bool, overrides: Callable[[Config], Config]) -> None:
        self.catalog = catalog
        self.run = run
        self._explicit = explicit
        self._overrides = overrides
        self._by_source: dict[Path | None, Config] = {run.source: run}
        self._by_folder: dict[Path, Config] = {}
        self.warnings: list[str] = list(run.warnings)

    def for_path(self, path: Path) -> Config:
        """The configuration of a file (or folder: its own), path absolute."""
        return self.for_folder(path.parent if path.suffix in (".py", ".ipynb") else path)

    def for_folder(self, folder: Path) -> Config:
        if self._explicit:
            return self.run
        known = self._by_folder.get(folder)
        if known is None:
            source = find_pyproject(folder)
            known = self._by_source.get(source) if source in self._by_source else self._load(source)
            self._by_folder[folder] = known
        return known

    def _load(self, source: Path | None) -> Config:
        table = _read(source)["tool"]["tpulint"] if source is not None else {}
        nearer = _from_table(self.catalog, table, source) if source is not None else Config(target=self.run.target)
        if "target" in table and nearer.target != self.run.target:
            self.warnings.append(f"{source}: target {nearer.target!r} is not this run's ({self.run.target!r}, "
                                 f"from {self.run.source or 'the default'}); run tpulint in {source.parent} for it")
        self.warnings.extend(nearer.warnings)
        config = replace(self._overrides(nearer), target=self.run.target, runtime_version=self.run.runtime_version,
                         fail_under=self.run.fail_under, jobs=self.run.jobs, warnings=())
        self._by_source[source] = config
        return config

    @property
    def configs(self) -> list[Config]:
        """Every configuration read so far (the run's first)."""
        return list(dict.fromkeys(self._by_source.values()))


def _check_choice(source: Path, key: str, values, allowed) -> None:
    wrong = [value for value in values if value not in allowed]
    if wrong:
        raise ConfigError(f"{source}: {key} {wrong} not among {sorted(allowed)}")


def _number(source: Path, table: dict[str, Any], key: str, default):
    value = table.get(key, default)
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise ConfigError(f"{source}: {key} must be a number, not {value!r}")
    return value


def select_rules(catalog: Catalog, select: Iterable[str] = (), ignore: Iterable[str] = (),
                 flags: tuple[str, str] = ("--select", "--ignore")) -> frozenset[str] | None:
    """The rule symbols that `select` (default: every rule) minus `ignore` leave, each item being a
    rule id (E7101), a symbol (cuda-device), a family (mark-step) or an id prefix (E71, or 71 for
    every severity). None when neither names anything (every rule, as without the flags).

    Raises ConfigError naming an item that matches no rule, with the closest names."""
    select, ignore = list(select), list(ignore)
    if not select and not ignore:
        return None
    chosen = set().union(*(_matching(catalog, item, flags[0]) for item in select)) if select else {r.symbol for r in catalog.rules}
    for item in ignore:
        chosen -= _matching(catalog, item, flags[1])
    return frozenset(chosen)


def _matching(catalog: Catalog, item: str, flag: str) -> set[str]:
    name = item.strip()
    matched = {rule.symbol for rule in catalog.rules
               if name in (rule.id, rule.symbol, rule.family) or _is_id_prefix(name, rule.id)}
    if matched:
        return matched
    names = [n for rule in catalog.rules for n in (rule.id, rule.symbol)] + list(catalog.families)
    close = difflib.get_close_matches(name, names, n=3)
    hint = f"; did you mean {' or '.join(close)}?" if close else "; give a rule id (E7101), a symbol (cuda-device), a family (mark-step) or an id prefix (E71)"
    raise ConfigError(f"{flag} {name!r}: no rule, family or id prefix of that name{hint}")


def _is_id_prefix(name: str, rule_id: str) -> bool:
    """E71 is a prefix of E7101; 71 (no letter) of E7101 and W7117, as the letter is the severity."""
    if re.fullmatch(r"[A-Z]\d+", name):
        return rule_id.startswith(name)
    return bool(re.fullmatch(r"\d+", name)) and rule_id[1:].startswith(name)
