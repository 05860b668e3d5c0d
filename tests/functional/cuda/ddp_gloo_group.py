"""DDP in a project whose process group is gloo: XLA tensors need the "xla" group."""
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP

BACKEND = "gloo"


def setup(rank, world_size):
    dist.init_process_group(BACKEND, rank=rank, world_size=world_size)


def wrap(model):
    ddp = DDP(model)  # [ddp-without-xla-group]
    return ddp, torch.nn.parallel.DistributedDataParallel(model, gradient_as_bucket_view=True)  # [ddp-without-xla-group]


def data_parallel(model):
    return torch.nn.DataParallel(model)
