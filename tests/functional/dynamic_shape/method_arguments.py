"""Arguments bind to parameters as Python binds them: a staticmethod called through self gets
every argument (DiT's timestep_embedding(t, dim)), a method or classmethod all but the first."""
import math

import torch
import torch_xla  # torchtpu: [torch-xla-api]
from torch import nn


class TimestepEmbedder(nn.Module):
    def __init__(self, size=256):
        super().__init__()
        self.size = size
        self.mlp = nn.Linear(size, size)

    @staticmethod
    def embedding(t, dim, max_period=10000):
        half = dim // 2
        freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32) / half).to(t.device)
        emb = torch.cat([torch.cos(t[:, None] * freqs[None]), torch.sin(t[:, None] * freqs[None])], dim=-1)
        if dim % 2:
            emb = torch.cat([emb, torch.zeros_like(emb[:, :1])], dim=-1)
        if t.max() > max_period:  # [host-sync-in-step]
            emb = emb * 0
        return emb

    @classmethod
    def scaled(cls, t, scale):
        if scale > 1:
            return t * scale
        if t.min() < 0:  # [host-sync-in-step]
            return -t
        return t

    def shifted(self, t, shift):
        if shift:
            return t + shift
        if t.mean() > 0:  # [host-sync-in-step]
            return t
        return -t

    def forward(self, t):
        return self.mlp(self.embedding(t, self.size) + self.scaled(t, 2) + self.shifted(t, 1))


def train(loader):
    device = torch_xla.device()  # torchtpu: [torch-xla-api]
    model = TimestepEmbedder().to(device)
    opt = torch.optim.AdamW(model.parameters())
    for t in loader:  # [missing-graph-barrier]
        loss = model(t.to(device)).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
