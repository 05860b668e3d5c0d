"""A file that imports no PyTorch library: its "cuda" strings are settings, not devices (issue 11)."""
import json

DEFAULTS = {"device": "cuda", "lr": 0.1}


class Config:
    device = "cuda"

    def __init__(self, device="cuda"):
        self.device = device


def write(path):
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"accelerator": "cuda"}, handle)
