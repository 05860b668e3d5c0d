import torch


class Sampler:
    def __init__(self, n):
        self.timesteps = torch.linspace(999, 0, n).long()

    def step(self, out, t, x):
        i = (self.timesteps == t).nonzero().item()
        return x - out * (i + 1) / len(self.timesteps)

    def describe(self):
        # Never called in a step: the same lookup is fine here.
        return (self.timesteps > 500).nonzero().tolist()
