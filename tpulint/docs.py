"""Rule pages under docs/rules/, generated from the catalog.

    python -m tpulint.docs           # rewrite docs/rules/
    python -m tpulint.docs --check   # exit 1 if a page is out of date (the tests do this too)
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from tpulint.catalog import Catalog, Rule, TargetProfile, TargetRule, by_target, load_catalog

GENERATED = "<!-- Generated from rules/ by `python -m tpulint.docs`; edit the catalog, not this page. -->"


def render_rule_page(rule: Rule, catalog: Catalog) -> str:
    lines = [
        GENERATED,
        f"# {rule.symbol} ({rule.id})",
        "",
        f"{rule.summary}.",
        "",
        f"Family: `{rule.family}` · Mechanically fixable: {'yes' if rule.fixable else 'no'} · "
        f"Cost: {rule.cost} edit{'s' if rule.cost != 1 else ''}",
        "",
        "## Why",
        "",
        *_why_lines(rule, catalog),
        "## Example",
        "",
        "```python",
        rule.example,
        "```",
        "",
        "## Use instead",
        "",
    ]
    for target_name, target in catalog.targets.items():
        if rule.for_target(target_name):
            lines += [f"On {target.title}:", "", "```python", rule.example_fixed_for(target_name), "```", ""]
    lines += ["## Per target", ""]
    for target_name, target in catalog.targets.items():
        lines += _target_section(rule, catalog, target_name, target.title)
    lines += _switch_table(rule, catalog)
    lines += ["## How the claims were checked", ""]
    for target_name, target in catalog.targets.items():
        if rule.for_target(target_name):
            lines += [_how_checked(rule, catalog, target_name), ""]
    lines += [
        *_message_lines(rule, catalog),
        "",
    ]
    return "\n".join(lines)


def _switch_table(rule: Rule, catalog: Catalog) -> list[str]:
    """The [[switch]] tables the rule reports: what sets each switch, what it does, the fix."""
    switches = [switch for switch in catalog.switches if switch.rule == rule.symbol]
    if not switches:
        return []
    lines = ["## Switches reported", "", "| switch | target | on a TPU host | fix | measured with | checks |",
             "|---|---|---|---|---|---|"]
    for switch in switches:
        for target in switch.targets(t for t in catalog.targets if rule.for_target(t)):
            lines.append(f"| {_switch_spelling(switch)} | {target} | {by_target(switch.behaviour, target)} | "
                         f"{by_target(switch.fix, target)} | {switch.library} | "
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


def _why_lines(rule: Rule, catalog: Catalog) -> list[str]:
    """The rationale; one per target where a target words it in its own terms."""
    own = {name: rule.rationale_for(name) for name in catalog.targets if rule.for_target(name)}
    if len(set(own.values())) <= 1:
        return [next(iter(own.values()), rule.rationale), ""]
    return [line for name, text in own.items() for line in (f"On {catalog.targets[name].title}:", "", text, "")]


def _how_checked(rule: Rule, catalog: Catalog, target_name: str) -> str:
    """How a target's claims were established: run (torch_xla on the CPU) or read (TorchTPU)."""
    target = catalog.targets[target_name]
    if target.runnable:
        family = catalog.families[rule.family]
        return (f"{target.title}: on torch 2.9.0 (PyPI's CUDA build, no NVIDIA driver: what a TPU VM has) with "
                f"torch_xla 2.9.0 and `PJRT_DEVICE=CPU`, by {_listed(family.evidence)}; the recorded output, which "
                f"the checks above name, is in {_listed(family.evidence_output)}.")
    return (f"{target.title}: not run. The runtime cannot execute an op without a TPU, tpulint's machines have "
            "none, and forcing its device makes libtpu contact Google's metadata server. The claims are read from "
            f"the wheel and the documentation ({catalog.profiles[target_name].read_from}); the sources above say where.")


def _listed(paths: tuple[str, ...]) -> str:
    return " and ".join(f"`rules/{path}`" for path in paths)


def _target_section(rule: Rule, catalog: Catalog, target_name: str, title: str) -> list[str]:
    data = rule.for_target(target_name)
    if data is None:
        return [f"### {title}", "", f"Does not apply: {rule.not_for[target_name]}", ""]
    severity = catalog.severities[data.severity]
    profile = catalog.profiles[target_name]
    lines = [
        f"### {title}",
        "",
        f"- Severity: **{severity.name}**: {severity.meaning} (SARIF level `{severity.sarif}`)",
        f"- Fix: {data.fix}",
        *(f"  - {variant.when}: {_with_slots_shown(variant.text, data, profile)}" for variant in data.fixes.values()),
    ]
    if rule.requires_import and profile.device_import:
        lines.append(f"- Needs `{profile.device_import}` in the file")
    if catalog.targets[target_name].runnable:
        lines += [f"- What you see at run time: {data.evidence}",
                  f"- Checks run: {', '.join(f'`{name}`' for name in data.checked)}"]
    else:
        lines += [f"- What the wheel shows: {data.evidence}",
                  f"- Sources: {'; '.join(data.source)}"]
    return [*lines, ""]


def _with_slots_shown(template: str, rule: TargetRule, profile: TargetProfile) -> str:
    """A fix variant as the page shows it: another variant's text and the profile's names filled
    in, what the checker fills per finding as `<line>`."""
    def slot(match: re.Match) -> str:
        name = match.group(1)
        if name in rule.fixes:
            return _with_slots_shown(rule.fixes[name].text, rule, profile)
        return profile.fix_slots().get(name) or f"<{name.replace('_', ' ')}>"
    return re.sub(r"\{(\w+)\}", slot, template)


def _fields_shown(message: str, phrases: dict[str, str] | None = None) -> str:
    """`%(call)s moves to the GPU; use %(fix)s` -> `<call> moves to the GPU; use <fix>`, with a
    target's phrases (TargetRule.phrases) filled in."""
    phrases = phrases or {}
    return re.sub(r"%\((\w+)\)s", lambda match: phrases.get(match.group(1), f"<{match.group(1).replace('_', ' ')}>"), message)


def _message_lines(rule: Rule, catalog: Catalog) -> list[str]:
    """The message template as each target shows it; one line when they read the same."""
    shown = {name: _fields_shown(rule.message, data.phrases) for name, data in rule.targets.items()}
    if len(set(shown.values())) == 1:
        return [f"Message: `{next(iter(shown.values()))}`, where <fix> is the fix above (or the case of it that applies)."]
    return [f"Message on {catalog.targets[name].title}: `{text}`." for name, text in shown.items()]


def render_index(catalog: Catalog) -> str:
    lines = [GENERATED, "# tpulint rules", ""]
    for family in catalog.families.values():
        targets = list(catalog.targets)
        lines += [f"## {family.name}: {family.title}", "",
                  f"| id | symbol | {' | '.join(targets)} | fixable | cost | summary |",
                  "|---|---|" + "---|" * len(targets) + "---|---|---|"]
        for rule in catalog.family_rules(family.name):
            severities = " | ".join(data.severity if (data := rule.for_target(name)) else "—" for name in targets)
            lines.append(
                f"| {rule.id} | [{rule.symbol}]({rule.symbol}.md) | {severities} | "
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
