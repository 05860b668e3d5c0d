"""Loops in a model class's own methods: sampling loops are step loops; loops over layers in
forward (and the methods forward calls) are part of one forward pass. Batches drawn with next()
from an accelerate-prepared loader sync like a `for` over it."""
# pylint: disable=missing-torch-xla-import,cuda-device
import torch
from accelerate import Accelerator
from torch import nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])
        self.shared = nn.Linear(4, 4)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        for _ in range(2):
            x = self.shared(x)
        return self.refine(x)

    def refine(self, x):
        for _ in range(2):  # called from forward: one forward pass
            x = self.shared(x)
        return x


class Diffusion(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model
        self.num_timesteps = 1000

    def p_sample(self, x, t):
        return x - self.model(x, t)

    @torch.no_grad()
    def p_sample_loop(self, shape):
        img = torch.randn(shape, device="cuda")
        for t in reversed(range(0, self.num_timesteps)):  # [missing-graph-barrier]
            img = self.p_sample(img, t)
        return img

    @torch.no_grad()
    def direct_loop(self, img):
        for t in range(10):  # [missing-graph-barrier]
            img = self.model(img, t)
        return img

    def forward(self, x):
        return self.model(x, 0)


def cycle(dl):
    while True:
        for data in dl:
            yield data


class Trainer:
    def __init__(self, model, dl, raw):
        self.accelerator = Accelerator()
        self.model = model
        self.opt = torch.optim.Adam(model.parameters())
        dl = self.accelerator.prepare(dl)
        self.dl = cycle(dl)
        self.raw = cycle(raw)
        self.model, self.opt = self.accelerator.prepare(self.model, self.opt)

    def train(self, steps):
        for _ in range(steps):
            data = next(self.dl).to("cuda")
            loss = self.model(data)
            self.accelerator.backward(loss)
            self.opt.step()
            self.opt.zero_grad()

    def train_unprepared(self, steps):
        for _ in range(steps):  # [missing-graph-barrier]
            data = next(self.raw).to("cuda")
            loss = self.model(data)
            self.accelerator.backward(loss)
            self.opt.step()
            self.opt.zero_grad()
