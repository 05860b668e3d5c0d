import torch
from torch.nn.parallel import DistributedDataParallel as DDP

from dist_utils import init_distributed


def main(model):
    init_distributed()
    return DDP(model, gradient_as_bucket_view=True)
