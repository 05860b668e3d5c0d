"""Which checked files use PyTorch devices, and what the whole run should be told (notes): a
regular expression over each file's text, not a second parse. Shared by the command and the
pylint reporter, so both score a project without device code as needing no port."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from tpulint.catalog import load_catalog

# The target runtimes' packages (rules/targets/) and the libraries that run PyTorch on a device.
DEVICE_LIBRARIES = (*sorted({profile.package for profile in load_catalog().profiles.values()}),
                    "torch", "transformers", "vllm", "accelerate", "lightning", "pytorch_lightning",
                    "diffusers", "deepspeed")
_IMPORT = re.compile(rf"^[ \t]*(?:from|import)[ \t]+({'|'.join(DEVICE_LIBRARIES)})\b", re.MULTILINE)


def imported_libraries(path: str) -> frozenset[str]:
    """The PyTorch libraries (DEVICE_LIBRARIES) a file imports; empty if it cannot be read."""
    try:
        text = Path(path).read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return frozenset()
    return frozenset(_IMPORT.findall(text))


def notes_for(target: str, libraries: set[str]) -> tuple[str, ...]:
    """What the run should be told about the libraries its files import (vLLM's TPU plugin for
    the target, from its profile). Raises KeyError for an unknown target."""
    notes = []
    if "vllm" in libraries:
        plugin = load_catalog().profile(target).vllm_package  # vLLM picks its TPU platform plugin up by itself
        notes.append(f"vLLM runs on TPU through its TPU platform plugin: `pip install {plugin}` "
                     "(no code change beyond the GPU-only options reported)")
    return tuple(notes)


def survey(target: str, paths: Iterable[str]) -> tuple[int, tuple[str, ...]]:
    """(how many of the files import a PyTorch library, the notes for the run)."""
    imports = [imported_libraries(path) for path in paths]
    return sum(1 for found in imports if found), notes_for(target, set().union(*imports))
