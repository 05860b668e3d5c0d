"""DDP on a group started with nccl (reported there, once) or with a backend from the settings."""
import argparse

import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP


def setup(args):
    dist.init_process_group("nccl")  # [nccl-backend]  # torchtpu: [nccl-backend]
    dist.init_process_group(backend=args.dist_backend, init_method=args.dist_url)


def wrap(model):
    return DDP(model)
