"""`[tool.tpulint]` in the nearest pyproject.toml (or the file given with --config)."""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
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
    ignore: tuple[str, ...] = ()
    fail_under: float | None = None
    jobs: int = 1
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    root: Path = field(default_factory=Path.cwd)
    source: Path | None = None
    rules: frozenset[str] | None = None  # the symbols --select/--ignore leave; None: every rule


# `torch-xla` is the older name of `runtime-version` (torch_xla was the only runtime), still read.
_KEYS = {"target", "runtime-version", "torch-xla", "families", "ignore", "fail-under", "jobs", "max-file-size"}


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
    ignore = table.get("ignore", [])
    if not isinstance(ignore, list) or not all(isinstance(item, str) for item in ignore):
        raise ConfigError(f"{source}: ignore must be a list of glob patterns")
    return Config(
        target=target,
        runtime_version=None if runtime_version is None else str(runtime_version),
        families=families,
        ignore=tuple(ignore),
        fail_under=_number(source, table, "fail-under", None),
        jobs=int(_number(source, table, "jobs", 1)),
        max_file_bytes=int(_number(source, table, "max-file-size", DEFAULT_MAX_FILE_BYTES)),
        root=source.parent,
        source=source,
    )


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
