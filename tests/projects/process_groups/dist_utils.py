import os

import torch.distributed as dist


def init_distributed():
    backend = "gloo"
    dist.init_process_group(backend=backend, rank=int(os.environ["RANK"]), world_size=int(os.environ["WORLD_SIZE"]))
