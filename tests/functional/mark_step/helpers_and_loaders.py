"""What already syncs: helpers, MpDeviceLoader, compiled steps, frameworks; and host loops."""
import json

import numpy as np
import torch
import torch_xla  # torchtpu: [torch-xla-api]
import torch_xla.distributed.parallel_loader as pl  # torchtpu: [torch-xla-api]
from accelerate import Accelerator

device = torch_xla.device()  # torchtpu: [torch-xla-api]
model = torch.nn.Linear(8, 2).to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)


def train_step(batch):
    loss = model(batch).sum()
    loss.backward()
    optimizer.step()


def synced_step(batch):
    train_step(batch)
    torch_xla.sync()  # torchtpu: [torch-xla-api]


def calls_a_helper_that_does_work(loader):
    for batch in loader:  # [missing-graph-barrier]
        train_step(batch.to(device))


def calls_a_helper_that_syncs(loader):
    for batch in loader:
        synced_step(batch.to(device))


def mp_device_loader(loader):
    for batch in pl.MpDeviceLoader(loader, device):  # torchtpu: [torch-xla-api]
        train_step(batch)


def per_device_loader(loader):
    parallel = pl.ParallelLoader(loader, [device])  # torchtpu: [torch-xla-api]
    for batch in parallel.per_device_loader(device):
        train_step(batch)


@torch_xla.compile  # torchtpu: [torch-xla-api]
def compiled_step(batch):
    train_step(batch)


def compiled(loader):
    for batch in loader:
        compiled_step(batch.to(device))
    step = torch_xla.compile(train_step)  # torchtpu: [torch-xla-api]
    for batch in loader:
        step(batch.to(device))


def accelerate_loop(loader):
    accelerator = Accelerator()
    prepared_model, prepared_optimizer, prepared_loader = accelerator.prepare(model, optimizer, loader)
    for batch in prepared_loader:
        loss = prepared_model(batch).sum()
        accelerator.backward(loss)
        prepared_optimizer.step()


def host_loops(paths, rows):
    totals = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            totals.append(len(json.load(handle)))
    for row in np.asarray(rows):
        totals.append(float(row.sum()))
    for index in range(10):
        totals.append(index * 2)
    return totals


class Trainer:
    def __init__(self, network):
        self.model = network.to(device)
        self.optimizer = torch.optim.Adam(self.model.parameters())

    def fit(self, loader):
        for batch in loader:  # [missing-graph-barrier]
            self.step(batch)

    def fit_synced(self, loader):
        for batch in loader:
            self.step(batch)
            torch_xla.sync()  # torchtpu: [torch-xla-api]

    def step(self, batch):
        loss = self.model(batch.to(device)).mean()
        loss.backward()
        self.optimizer.step()
