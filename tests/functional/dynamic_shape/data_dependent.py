"""Ops with data-dependent output shapes, in the step and outside it; numpy look-alikes."""
import numpy as np
import torch
import torch_xla  # torchtpu: [torch-xla-api]

device = torch_xla.device()  # torchtpu: [torch-xla-api]
model = torch.nn.Linear(8, 8).to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
lookup = torch.arange(10, device=device).nonzero()  # set-up, once: not reported


def train(loader, threshold):
    for batch in loader:
        scores = model(batch.to(device))
        positive = torch.nonzero(scores > 0)  # [data-dependent-shape]
        rows = torch.where(scores > threshold)  # [data-dependent-shape]
        kept = scores[scores > threshold]  # [data-dependent-shape]
        mask = scores < 0
        scores[mask] = 0.0  # [data-dependent-shape]
        values = scores.unique()  # [data-dependent-shape]
        chosen = torch.masked_select(scores, mask)  # [data-dependent-shape]
        counts = torch.repeat_interleave(scores, mask.long())  # [data-dependent-shape]
        static = torch.where(scores > threshold, scores, 0.0)
        filled = scores.masked_fill(mask, 0.0)
        repeated = torch.repeat_interleave(scores, 2)
        loss = (static + filled).sum() + kept.sum() + values.sum() + chosen.sum() + counts.sum() + repeated.sum()
        loss.backward()
        optimizer.step()
        torch_xla.sync()  # torchtpu: [torch-xla-api]
    return positive, rows


def numpy_look_alikes(arrays):
    for array in arrays:
        batch = torch.ones(2, 8, device=device)
        model(batch).sum().backward()
        optimizer.step()
        values = np.unique(array)
        where = np.nonzero(array > 0)
        masked = array[array > 0]
        torch_xla.sync()  # torchtpu: [torch-xla-api]
    return values, where, masked


class Router(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.gate = torch.nn.Linear(8, 4)

    def forward(self, tokens):
        chosen = self.gate(tokens).argmax(-1)
        return tokens[chosen == 0]  # [data-dependent-shape]


def after_training(scores):
    return torch.nonzero(scores)


def lowered_look_alikes(loader):
    for batch in loader:
        scores = model(batch.to(device))
        scattered = scores.masked_scatter(scores > 0, scores * 2)
        scattered.sum().backward()
        torch_xla.sync()  # torchtpu: [torch-xla-api]
