"""PyTorch/XLA's canonical loops: the MpDeviceLoader syncs every step however the loop reaches it
(enumerate, zip, tqdm, a variable, a helper that builds it). Issue 11's precision cases; the same
loops over a plain DataLoader still need a barrier."""
import torch
import torch_xla  # torchtpu: [torch-xla-api]
import torch_xla.core.xla_model as xm  # torchtpu: [torch-xla-api]
import torch_xla.distributed.parallel_loader as pl  # torchtpu: [torch-xla-api]
from tqdm import tqdm


def make_loader(loader, device):
    return pl.MpDeviceLoader(loader, device)  # torchtpu: [torch-xla-api]


def accumulate(model, loader, opt, accum=4):
    device = torch_xla.device()  # torchtpu: [torch-xla-api]
    for i, (x, y) in enumerate(pl.MpDeviceLoader(loader, device)):  # torchtpu: [torch-xla-api]
        loss = torch.nn.functional.cross_entropy(model(x), y) / accum
        loss.backward()
        if (i + 1) % accum == 0:
            xm.optimizer_step(opt)  # torchtpu: [torch-xla-api]
            opt.zero_grad()


def through_helper(model, loader, opt):
    train_loader = make_loader(loader, torch_xla.device())  # torchtpu: [torch-xla-api]
    for step, (x, y) in enumerate(tqdm(train_loader)):
        torch.nn.functional.cross_entropy(model(x), y).backward()
        xm.optimizer_step(opt)  # torchtpu: [torch-xla-api]


def zipped(model, loader, opt):
    for batch, _ in zip(pl.MpDeviceLoader(loader, torch_xla.device()), range(100)):  # torchtpu: [torch-xla-api, torch-xla-api]
        model(batch).sum().backward()
        xm.optimizer_step(opt)  # torchtpu: [torch-xla-api]


def plain(model, loader, opt):
    device = torch_xla.device()  # torchtpu: [torch-xla-api]
    for i, (x, y) in enumerate(loader):  # [missing-graph-barrier]
        torch.nn.functional.cross_entropy(model(x.to(device)), y.to(device)).backward()
        opt.step()
