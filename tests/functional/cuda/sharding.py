"""PyTorch's FSDP and tensor parallel: a manual port to torch_xla's FSDP or SPMD."""
import torch
from torch.distributed.fsdp import FullyShardedDataParallel as FSDP
from torch.distributed.fsdp import fully_shard
from torch.distributed.tensor.parallel import ColwiseParallel, parallelize_module
from torch_xla.distributed.fsdp import XlaFullyShardedDataParallel  # torchtpu: [torch-xla-api]

model = torch.nn.Linear(4, 4)
wrapped = FSDP(model)  # [gpu-sharding-api]
fully_shard(model)  # [gpu-sharding-api]
parallelize_module(model, mesh, {"weight": ColwiseParallel()})  # [gpu-sharding-api]

ported = XlaFullyShardedDataParallel(model)  # torchtpu: [torch-xla-api]
