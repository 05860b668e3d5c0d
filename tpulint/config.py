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
    select = extended(_strings(source, table, "select"), _strings(source, table, "extend-select"))
    ignore = [*rule_ignores, *_strings(source, table, "extend-ignore")]
    rules = _config_rules(catalog, source, select, ignore)
    return Config(
        target=target,
        runtime_version=None if runtime_version is None else str(runtime_version),
        families=families,
        exclude=tuple(exclude),
        fail_under=_number(source, table, "fail-under", None),
        jobs=_count(source, table, "jobs", 1, minimum=0),
        max_file_bytes=_count(source, table, "max-file-size", DEFAULT_MAX_FILE_BYTES, minimum=1),
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
    return any(_specificity(item.strip(), rule) >= 0 for rule in catalog.rules)


def _looks_like_path(item: str, folder: Path) -> bool:
    return bool(_GLOB_CHARACTERS & set(item)) or item.endswith((".py", ".ipynb")) or (folder / item).exists()


def _config_rules(catalog: Catalog, source: Path, select: list[str], ignore: list[str]) -> frozenset[str] | None:
    return select_rules(catalog, select, ignore, flags=(f"{source}: select", f"{source}: ignore"))


def _per_file_ignores(catalog: Catalog, source: Path, table: object) -> tuple[tuple[str, frozenset[str]], ...]:
    if not isinstance(table, dict) or not all(isinstance(rules, list) and all(isinstance(r, str) for r in rules)
                                              for rules in table.values()):
        raise ConfigError(f'{source}: per-file-ignores must map path patterns to lists of rules, '
                          'e.g. {"tests/*" = ["cuda"]}')
    return tuple((pattern, frozenset().union(*(set(_matching(catalog, item, f"{source}: per-file-ignores {pattern!r}"))
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
        self._nearest: dict[Path, Path | None] = {}  # folder -> its nearest pyproject.toml with [tool.tpulint]
        self._tables: dict[Path, dict] = {}  # that file -> its [tool.tpulint] table, each file parsed once
        self.warnings: list[str] = list(run.warnings)

    def for_path(self, path: Path) -> Config:
        """The configuration of a file (or folder: its own), path absolute."""
        return self.for_folder(path.parent if path.suffix in (".py", ".ipynb") else path)

    def for_folder(self, folder: Path) -> Config:
        if self._explicit:
            return self.run
        known = self._by_folder.get(folder)
        if known is None:
            source = self._nearest_source(folder)
            known = self._by_source.get(source) if source in self._by_source else self._load(source)
            self._by_folder[folder] = known
        return known

    def _nearest_source(self, folder: Path) -> Path | None:
        """find_pyproject(folder), each folder's answer kept: a tree's folders share their parents'
        answer instead of parsing every pyproject.toml above them again."""
        if folder not in self._nearest:
            candidate = folder / "pyproject.toml"
            table = _read(candidate).get("tool", {}).get("tpulint") if candidate.is_file() else None
            if table is not None:
                self._tables[candidate] = table
                self._nearest[folder] = candidate
            else:
                self._nearest[folder] = None if folder.parent == folder else self._nearest_source(folder.parent)
        return self._nearest[folder]

    def _load(self, source: Path | None) -> Config:
        table = self._tables[source] if source is not None else {}
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


def _count(source: Path, table: dict[str, Any], key: str, default: int, minimum: int) -> int:
    value = _number(source, table, key, default)
    if value != int(value) or value < minimum:
        raise ConfigError(f"{source}: {key} must be a whole number of at least {minimum}, not {value!r}")
    return int(value)


def select_rules(catalog: Catalog, select: Iterable[str] = (), ignore: Iterable[str] = (),
                 flags: tuple[str, str] = ("--select", "--ignore")) -> frozenset[str] | None:
    """The rule symbols that `select` (default: every rule) and `ignore` leave, each item being
    ALL, a rule id (E7101, any case), a symbol (cuda-device), a family (mark-step) or an id
    prefix (E71, or 71 for every severity). None when neither names anything (every rule).

    As in ruff, the most specific item that matches a rule decides (an id or symbol over a
    prefix, a longer prefix over a shorter one, a prefix over a family, a family over ALL), and
    `ignore` wins between items as specific as each other: `--select E7101 --ignore cuda` keeps
    E7101, whatever the order the options came in.
    (https://docs.astral.sh/ruff/settings/#lint_select)

    Raises ConfigError naming an item that matches no rule, with the closest names."""
    select, ignore = list(select), list(ignore)
    if not select and not ignore:
        return None
    selected = _specificities(catalog, select or [ALL], flags[0])
    ignored = _specificities(catalog, ignore, flags[1])
    return frozenset(rule.symbol for rule in catalog.rules
                     if selected.get(rule.symbol, -1) > ignored.get(rule.symbol, -1))


ALL = "ALL"


def extended(select: list[str], extend: list[str]) -> list[str]:
    """select with extend-select's items added (to ALL when select names nothing)."""
    return [*(select or [ALL]), *extend] if extend else select


def _specificities(catalog: Catalog, items: Iterable[str], flag: str) -> dict[str, int]:
    """symbol -> how specific the most specific item matching it is."""
    found: dict[str, int] = {}
    for item in items:
        for symbol, specificity in _matching(catalog, item, flag).items():
            found[symbol] = max(found.get(symbol, -1), specificity)
    return found


def _matching(catalog: Catalog, item: str, flag: str) -> dict[str, int]:
    """symbol -> specificity of item for each rule item matches. Raises ConfigError when none."""
    name = item.strip()
    matched = {rule.symbol: _specificity(name, rule) for rule in catalog.rules}
    matched = {symbol: specificity for symbol, specificity in matched.items() if specificity >= 0}
    if matched:
        return matched
    names = [n for rule in catalog.rules for n in (rule.id, rule.symbol)] + list(catalog.families)
    close = difflib.get_close_matches(name, names, n=3) or difflib.get_close_matches(name.upper(), names, n=3)
    hint = f"; did you mean {' or '.join(close)}?" if close else "; give a rule id (E7101), a symbol (cuda-device), a family (mark-step), an id prefix (E71) or ALL"
    raise ConfigError(f"{flag} {name!r}: no rule, family or id prefix of that name{hint}")


def _specificity(name: str, rule) -> int:
    """How specifically name selects rule: -1 not at all, 0 ALL, 1 its family, 2 + the prefix's
    length for an id prefix, 100 its id or symbol."""
    if name.upper() == rule.id or name.lower() == rule.symbol:
        return 100
    if _is_id_prefix(name.upper(), rule.id):
        return 2 + len(name)
    if name.lower() == rule.family:
        return 1
    return 0 if name.upper() == ALL else -1


def _is_id_prefix(name: str, rule_id: str) -> bool:
    """E71 is a prefix of E7101; 71 (no letter) of E7101 and W7117, as the letter is the severity."""
    if re.fullmatch(r"[A-Z]\d+", name):
        return rule_id.startswith(name)
    return bool(re.fullmatch(r"\d+", name)) and rule_id[1:].startswith(name)
