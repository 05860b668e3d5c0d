"""Device strings in every form, reported once at their definition."""
# Look-alikes in comments are never read: model.to("cuda")
import argparse
import logging

import torch
import torch_xla  # imported so that this file tests device strings only  # torchtpu: [torch-xla-api]

logger = logging.getLogger(__name__)

x = torch.zeros(4, device="cuda")  # [cuda-device]  # torchtpu: [cuda-device]
y = x.to("cuda:1")  # [cuda-device]  # torchtpu: [cuda-device]
z = torch.ones(4).to(device="cuda:0")  # [cuda-device]  # torchtpu: [cuda-device]
state = torch.load("ckpt.pt", map_location="cuda")  # [cuda-device]  # torchtpu: [cuda-device]
torch.set_default_device("cuda")  # [cuda-device]  # torchtpu: [cuda-device]


def per_rank(rank, tensor):
    tensor = tensor.to(f"cuda:{rank}")  # [cuda-device]  # torchtpu: [cuda-device]
    tensor = tensor.to("cuda:" + str(rank))  # [cuda-device]  # torchtpu: [cuda-device]
    tensor = tensor.to("cuda:%d" % rank)  # [cuda-device]  # torchtpu: [cuda-device]
    tensor = tensor.to("cuda:{}".format(rank))  # [cuda-device]  # torchtpu: [cuda-device]
    return tensor.to(torch.device("cuda", rank))  # [cuda-device]  # torchtpu: [cuda-device]


DEVICE = torch.device("cuda")  # [cuda-device]  # torchtpu: [cuda-device]


def train(model, batch):
    model.to(DEVICE)
    return model(batch.to(DEVICE))


def evaluate(model, batch):
    device = "cuda:0"  # [cuda-device]  # torchtpu: [cuda-device]
    model = model.to(device)
    return model(batch.to(device))


class Runner:
    def __init__(self, device="cuda"):  # [cuda-device]  # torchtpu: [cuda-device]
        self.device = device
        self.fallback = "cuda"  # [cuda-device]  # torchtpu: [cuda-device]

    def run(self, model):
        return model.to(self.device)


class Settings:  # uses no torch at all: its "cuda" is a setting's value, not a device (issue 11)
    def __init__(self, device="cuda"):
        self.device = device
        self.fallback = "cuda"


def describe():
    return {"device": "cuda", "name": "gpu"}


parser = argparse.ArgumentParser()
parser.add_argument("--device", default="cuda", choices=["cuda", "cpu", "mps"])  # [cuda-device]  # torchtpu: [cuda-device]
config = {"device": "cuda", "cuda": 4}  # [cuda-device]  # torchtpu: [cuda-device]
ALL_GPUS = ["cuda:0", "cuda:1"]  # [cuda-device, cuda-device]  # torchtpu: [cuda-device, cuda-device]
use_gpu = torch.cuda.is_available() and "cuda"  # [cuda-device, cuda-device-query]  # torchtpu: [cuda-device, cuda-device-query]


def look_alikes(device, tensor):
    """Move the tensor to "cuda" and log it: this docstring mentions cuda."""
    if device == "cuda":
        logger.info("running on cuda")
    if tensor.device.type == "cuda" or str(device).startswith("cuda"):
        print("cuda", f"cuda:{device}")
    logger.warning("cuda:0")
    kind = {"cuda": "gpu", "cpu": "host"}["cuda"]
    for backend in ("cuda", "cpu"):
        print(backend)
    match device:
        case "cuda":
            pass
    if device in ("cuda", "cuda:0"):
        raise ValueError("cuda")
    return kind, getattr(torch, "cuda"), "cudart", "cuda_graphs"


BACKEND = "cuda"


def only_compared(device):
    return device == BACKEND
