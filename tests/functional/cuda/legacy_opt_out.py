"""The legacy device APIs' switch set to a false value: they still raise."""
import os

import torch

os.environ.setdefault("TORCH_TPU_ALLOW_LEGACY_DEVICE_APIS", "0")


def report():
    if torch.tpu.is_available():  # torchtpu: [legacy-tpu-device-api]
        torch.tpu.synchronize()  # torchtpu: [legacy-tpu-device-api]


def child(subprocess):
    # a child process's environment opts the child in, not this module
    subprocess.run(["python", "probe.py"], env={"TORCH_TPU_ALLOW_LEGACY_DEVICE_APIS": "1"})
    return torch.tpu.device_count()  # torchtpu: [legacy-tpu-device-api]
