"""Which checked files use PyTorch devices, and what the whole run should be told (notes): a
regular expression over each file's text, not a second parse. Shared by the command and the
pylint reporter, so both score a project without device code as needing no port."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

DEVICE_LIBRARIES = ("torch_xla", "torch", "transformers", "vllm", "accelerate", "lightning", "pytorch_lightning",
                    "diffusers", "deepspeed")
_IMPORT = re.compile(rf"^[ \t]*(?:from|import)[ \t]+({'|'.join(DEVICE_LIBRARIES)})\b", re.MULTILINE)
# vLLM's TPU support is a platform plugin it picks up by itself, per target runtime.
VLLM_PLUGIN = {"torch_xla": "vllm-tpu", "torchtpu": "vllm-torchtpu"}


def imported_libraries(path: str) -> frozenset[str]:
    """The PyTorch libraries (DEVICE_LIBRARIES) a file imports; empty if it cannot be read."""
    try:
        text = Path(path).read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return frozenset()
    return frozenset(_IMPORT.findall(text))


def notes_for(target: str, libraries: set[str]) -> tuple[str, ...]:
    notes = []
    if "vllm" in libraries:
        plugin = VLLM_PLUGIN.get(target, VLLM_PLUGIN["torch_xla"])
        notes.append(f"vLLM runs on TPU through its TPU platform plugin: `pip install {plugin}` "
                     "(no code change beyond the GPU-only options reported)")
    return tuple(notes)


def survey(target: str, paths: Iterable[str]) -> tuple[int, tuple[str, ...]]:
    """(how many of the files import a PyTorch library, the notes for the run)."""
    imports = [imported_libraries(path) for path in paths]
    return sum(1 for found in imports if found), notes_for(target, set().union(*imports))
