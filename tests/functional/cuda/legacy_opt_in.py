"""A module that opts in to TorchTPU's legacy device APIs: they warn instead of raising, so they
are no port edit. Setting the switch to 0 is no opt-in (see legacy_opt_out below)."""
import os

import torch

os.environ["TORCH_TPU_ALLOW_LEGACY_DEVICE_APIS"] = "1"


def report():
    if torch.tpu.is_available():
        torch.tpu.synchronize()
    with torch.autocast("tpu", enabled=False):  # a region kept out of autocast: no dtype needed
        return torch.tpu.device_count()
