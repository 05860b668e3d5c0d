"""DDP where no code of the project starts a process group: a launcher or library does."""
import torch
from torch.nn.parallel import DistributedDataParallel


def wrap(model, rank):
    return DistributedDataParallel(model.to(rank))  # [ddp-without-xla-group]
