"""A checkpoint converter that never moves anything to a device nor runs a model there: its
inference_mode is CPU code, so nothing to change (the same switch in device code is reported,
see library_switches.py)."""
import json

import torch


@torch.inference_mode()
def convert(checkpoint, out):
    state = torch.load(checkpoint, map_location="cpu", mmap=True)
    renamed = {name.replace("model.", ""): value for name, value in state.items()}
    torch.save(renamed, out)
    json.dump(sorted(renamed), open(f"{out}.json", "w"))
