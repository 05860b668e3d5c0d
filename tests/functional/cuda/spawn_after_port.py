"""mp.spawn in a module that already runs on torch_xla (as `tpulint fix` leaves a GPU script): the
workers use the TPU, and mp.spawn does not give each its own device, torch_xla.launch does."""
import torch
import torch.multiprocessing as mp
import torch_xla  # torchtpu: [torch-xla-api]


def train(rank, world_size):
    model = torch.nn.Linear(2, 2).to(torch_xla.device())  # torchtpu: [torch-xla-api]
    return model


if __name__ == "__main__":
    mp.spawn(train, args=(2,), nprocs=2, join=True)  # [gpu-process-launcher]
