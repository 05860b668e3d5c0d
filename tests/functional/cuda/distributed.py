"""NCCL, DDP device_ids, GPU launchers, CUDA_VISIBLE_DEVICES."""
import os
import subprocess

import torch.distributed as dist
import torch.multiprocessing as mp
import torch_xla  # torchtpu: [torch-xla-api]
from torch.nn.parallel import DistributedDataParallel as DDP

os.environ["CUDA_VISIBLE_DEVICES"] = "0,1"  # [cuda-visible-devices]  # torchtpu: [cuda-visible-devices]
visible = os.environ.get("CUDA_VISIBLE_DEVICES", "")  # [cuda-visible-devices]  # torchtpu: [cuda-visible-devices]
gpus = os.getenv("CUDA_VISIBLE_DEVICES")  # [cuda-visible-devices]  # torchtpu: [cuda-visible-devices]
if "CUDA_VISIBLE_DEVICES" in os.environ:  # [cuda-visible-devices]  # torchtpu: [cuda-visible-devices]
    pass
os.environ.update(CUDA_VISIBLE_DEVICES="0")  # [cuda-visible-devices]  # torchtpu: [cuda-visible-devices]
subprocess.run(["python", "train.py"], env={"CUDA_VISIBLE_DEVICES": "1"}, check=True)  # [cuda-visible-devices]  # torchtpu: [cuda-visible-devices]


def setup(rank, world_size):
    dist.init_process_group("nccl", rank=rank, world_size=world_size)  # [nccl-backend]  # torchtpu: [nccl-backend]
    dist.init_process_group(backend="cpu:gloo,cuda:nccl")  # [nccl-backend]  # torchtpu: [nccl-backend]
    dist.new_group(backend=dist.Backend.NCCL)  # [nccl-backend]  # torchtpu: [nccl-backend]


def wrap(model, rank):
    ddp = DDP(model, device_ids=[rank], output_device=rank)  # [ddp-device-ids]  # torchtpu: [ddp-device-ids]
    return ddp, DDP(model, device_ids=None), DDP(model, gradient_as_bucket_view=True)


def main(train):
    backend = "nccl"  # [nccl-backend]  # torchtpu: [nccl-backend]
    dist.init_process_group(backend=backend)
    mp.spawn(train, args=(8,), nprocs=8)  # [gpu-process-launcher]


def ported(train):
    dist.init_process_group("xla", init_method="xla://")  # torchtpu: [torch-xla-api, torch-xla-api]
    torch_xla.launch(train)  # torchtpu: [torch-xla-api]
    if dist.get_backend() == "nccl":
        print("CUDA_VISIBLE_DEVICES is ignored")
    os.environ["TPU_VISIBLE_CHIPS"] = "0"
