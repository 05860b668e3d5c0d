"""Integer devices that PyTorch reads as CUDA ordinals."""
import os

import torch
import torch_xla  # torchtpu: [torch-xla-api]
from transformers import pipeline

batch = torch.zeros(4).to(0)  # [cuda-device-ordinal]  # torchtpu: [cuda-device-ordinal]
other = torch.zeros(4, device=1)  # [cuda-device-ordinal]  # torchtpu: [cuda-device-ordinal]
gpu0 = torch.device(0)  # [cuda-device-ordinal]  # torchtpu: [cuda-device-ordinal]
generator = pipeline("text-generation", model="gpt2", device=0)  # [cuda-device-ordinal]  # torchtpu: [cuda-device-ordinal]
local_rank = int(os.environ["LOCAL_RANK"])
model = torch.nn.Linear(2, 2).to(local_rank)  # [cuda-device-ordinal]  # torchtpu: [cuda-device-ordinal]

on_cpu = pipeline("text-generation", model="gpt2", device=-1)
as_dtype = batch.to(torch.float16)
count = torch.zeros(4).sum(0)
moved = batch.to(torch_xla.device())  # torchtpu: [torch-xla-api]


def setup(rank):
    device = rank % torch.cuda.device_count()  # [cuda-device-ordinal]  # torchtpu: [cuda-device-ordinal]
    model = torch.nn.Linear(2, 2).to(device)
    noise = torch.randn(4, device=device)
    shards = rank % torch.cuda.device_count()  # [cuda-device-query]  # torchtpu: [cuda-device-query]
    return model, noise, shards
