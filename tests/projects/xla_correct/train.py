import torch, torch_xla, torch_xla.core.xla_model as xm, torch_xla.distributed.parallel_loader as pl


def train(model, loader, opt, accum=4):
    device = torch_xla.device()
    for i, (x, y) in enumerate(pl.MpDeviceLoader(loader, device)):
        loss = torch.nn.functional.cross_entropy(model(x), y) / accum
        loss.backward()
        if (i + 1) % accum == 0:
            xm.optimizer_step(opt)
            opt.zero_grad()
