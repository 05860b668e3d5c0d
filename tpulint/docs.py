"""Rule pages under docs/rules/, generated from the catalog.

    python -m tpulint.docs           # rewrite docs/rules/
    python -m tpulint.docs --check   # exit 1 if a page is out of date (the tests do this too)
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from tpulint.catalog import Catalog, Rule, TargetProfile, TargetRule, load_catalog

GENERATED = "<!-- Generated from rules/ by `python -m tpulint.docs`; edit the catalog, not this page. -->"


def render_rule_page(rule: Rule, catalog: Catalog) -> str:
    lines = [
        GENERATED,
        f"# {rule.symbol} ({rule.id})",
        "",
        f"{rule.summary}.",
        "",
        f"Family: `{rule.family}` · Mechanically fixable: {'yes' if rule.fixable else 'no'} · "
        f"Cost: {rule.cost} edit{'s' if rule.cost != 1 else ''}"
        + (f" · Needs `{catalog.profile().device_import}` in the file" if rule.requires_import else ""),
        "",
        "## Why",
        "",
        rule.rationale,
        "",
        "## Example",
        "",
        "```python",
        rule.example,
        "```",
        "",
        "## Use instead",
        "",
        "```python",
        rule.example_fixed,
        "```",
        "",
        "## Per target",
        "",
    ]
    for target_name, target in catalog.targets.items():
        lines += _target_section(rule, catalog, target_name, target.title)
    lines += _switch_table(rule, catalog)
    family = catalog.families[rule.family]
    lines += [
        "## How the claim was checked",
        "",
        "On torch 2.9.0 (PyPI's CUDA build, no NVIDIA driver: what a TPU VM has) with torch_xla 2.9.0 "
        f"and `PJRT_DEVICE=CPU`, by {_listed(family.evidence)}; the recorded output, which the checks above "
        f"name, is in {_listed(family.evidence_output)}.",
        "",
        f"Message: `{_fields_shown(rule.message)}`, where <fix> is the fix above (or the case of it that applies).",
        "",
    ]
    return "\n".join(lines)


def _switch_table(rule: Rule, catalog: Catalog) -> list[str]:
    """The [[switch]] tables the rule reports: what sets each switch, what it does, the fix."""
    switches = [switch for switch in catalog.switches if switch.rule == rule.symbol]
    if not switches:
        return []
    lines = ["## Switches reported", "", "| switch | on a TPU host | fix | measured with | checks |", "|---|---|---|---|---|"]
    for switch in switches:
        lines.append(f"| {_switch_spelling(switch)} | {switch.behaviour} | {switch.fix} | {switch.library} | "
                     f"{', '.join(f'`{name}`' for name in switch.checked)} |")
    return [*lines, ""]


def _switch_spelling(switch) -> str:
    where = (sorted(switch.calls, key=lambda name: (len(name), name))[:1] + [f".{method}()" for method in sorted(switch.methods)]
             + sorted(switch.names, key=lambda name: (len(name), name))[:1])
    shown = " / ".join(f"`{name}`" for name in where)
    if switch.mentions:
        return f"{shown} of {', '.join(f'`{name}`' for name in switch.mentions)}"
    if switch.absent:
        return f"{shown} without `{switch.keyword}=`"
    if switch.keyword or switch.position is not None:
        values = ", ".join(f"`{value!r}`" for value in switch.values) or "anything but False/None"
        unless = "".join(f" (not with `{name}` = {', '.join(f'`{value!r}`' for value in cpu)})"
                         for name, cpu in switch.unless.items())
        return f"{shown} with `{switch.keyword or f'argument {switch.position}'}` = {values}{unless}"
    return shown


def _listed(paths: tuple[str, ...]) -> str:
    return " and ".join(f"`rules/{path}`" for path in paths)


def _target_section(rule: Rule, catalog: Catalog, target_name: str, title: str) -> list[str]:
    data = rule.for_target(target_name)
    if data is None:
        return [f"### {title}", "", "Does not apply.", ""]
    severity = catalog.severities[data.severity]
    checked = ", ".join(f"`{name}`" for name in data.checked)
    return [
        f"### {title}",
        "",
        f"- Severity: **{severity.name}**: {severity.meaning} (SARIF level `{severity.sarif}`)",
        f"- Fix: {data.fix}",
        *(f"  - {variant.when}: {_with_slots_shown(variant.text, data, catalog.profiles[target_name])}"
          for variant in data.fixes.values()),
        f"- What you see at run time: {data.evidence}",
        f"- Checks run: {checked}",
        "",
    ]


def _with_slots_shown(template: str, rule: TargetRule, profile: TargetProfile) -> str:
    """A fix variant as the page shows it: another variant's text and the profile's names filled
    in, what the checker fills per finding as `<line>`."""
    def slot(match: re.Match) -> str:
        name = match.group(1)
        if name in rule.fixes:
            return _with_slots_shown(rule.fixes[name].text, rule, profile)
        return profile.fix_slots().get(name) or f"<{name.replace('_', ' ')}>"
    return re.sub(r"\{(\w+)\}", slot, template)


def _fields_shown(message: str) -> str:
    """`%(call)s moves to the GPU; use %(fix)s` -> `<call> moves to the GPU; use <fix>`."""
    return re.sub(r"%\((\w+)\)s", lambda match: f"<{match.group(1).replace('_', ' ')}>", message)


def render_index(catalog: Catalog) -> str:
    lines = [GENERATED, "# tpulint rules", ""]
    for family in catalog.families.values():
        lines += [f"## {family.name}: {family.title}", "", "| id | symbol | severity | fixable | cost | summary |",
                  "|---|---|---|---|---|---|"]
        for rule in catalog.family_rules(family.name):
            data = rule.for_target(catalog.default_target)
            lines.append(
                f"| {rule.id} | [{rule.symbol}]({rule.symbol}.md) | {data.severity} | "
                f"{'yes' if rule.fixable else 'no'} | {rule.cost} | {rule.summary} |"
            )
        lines.append("")
    return "\n".join(lines)


# How each key of a [[framework]] table of rules/frameworks.toml reads on the page.
_FRAMEWORK_KEYS = (
    ("model_bases", "model base classes"), ("pretrained", "`from_pretrained` on classes of"),
    ("factories", "calls that build a model"), ("factory_prefixes", "model builders under"),
    ("wrappers", "calls that wrap a model"), ("pipelines", "pipelines"), ("components", "pipeline components"),
    ("syncing_loaders", "loaders that cut the graph each step"),
    ("syncing_optimizers", "optimizers whose step() cuts the graph"), ("padding_collators", "collators padding to the longest item"),
)


def render_frameworks(catalog: Catalog) -> str:
    """docs/rules/frameworks.md: what rules/frameworks.toml tells the project view about libraries."""
    lines = [GENERATED, "# Libraries tpulint knows without reading them", "",
             "The project view (`tpulint/view.py`) and the loop analysis know these facts about the libraries a "
             "port uses; each was read from the library's source at the version given.", ""]
    for entry in catalog.frameworks.entries:
        lines += [f"## {entry['name']}", "", f"Read from: {entry['read_from']}.", ""]
        for key, title in _FRAMEWORK_KEYS:
            if entry.get(key):
                lines.append(f"- {title}: " + ", ".join(f"`{name}`" for name in entry[key]))
        for point in entry.get("entry_points", ()):
            given = "".join(f"; `{name}` is given {what}" for what, names in (("device tensors", point.get("tensors", ())),
                                                                              ("the model", point.get("models", ())))
                            for name in names)
            lines.append(f"- run in the step for subclasses of `{point['base']}`: "
                         + ", ".join(f"`{method}`" for method in point["methods"]) + given)
        if entry.get("places_tensors"):
            lines.append("- places tensors on the device itself: a project using it is a device project")
        lines.append("")
    return "\n".join(lines)


def expected_pages(catalog: Catalog) -> dict[str, str]:
    pages = {f"{rule.symbol}.md": render_rule_page(rule, catalog) for rule in catalog.rules}
    pages["index.md"] = render_index(catalog)
    pages["frameworks.md"] = render_frameworks(catalog)
    return pages


def stale_pages(directory: Path, catalog: Catalog) -> list[str]:
    """Pages missing, different from the catalog, or left over from a removed rule."""
    expected = expected_pages(catalog)
    stale = [name for name, text in expected.items()
             if not (directory / name).is_file() or (directory / name).read_text(encoding="utf-8") != text]
    stale += [path.name for path in directory.glob("*.md") if path.name not in expected]
    return sorted(stale)


def write_pages(directory: Path, catalog: Catalog) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    expected = expected_pages(catalog)
    for path in directory.glob("*.md"):
        if path.name not in expected:
            path.unlink()
    for name, text in expected.items():
        (directory / name).write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tpulint.docs", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report pages that are out of date")
    parser.add_argument("--directory", type=Path, default=Path("docs/rules"))
    options = parser.parse_args(argv)
    catalog = load_catalog()
    if options.check:
        stale = stale_pages(options.directory, catalog)
        for name in stale:
            print(f"out of date: {options.directory / name}")
        return 1 if stale else 0
    write_pages(options.directory, catalog)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
