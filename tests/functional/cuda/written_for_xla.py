"""A script already written for PyTorch/XLA: nothing to report."""
import torch
import torch_xla
import torch_xla.core.xla_model as xm
import torch_xla.distributed.parallel_loader as pl

device = torch_xla.device()
model = torch.nn.Linear(4, 4).to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)


def train(loader):
    for x, y in pl.MpDeviceLoader(loader, device):
        with torch.autocast("xla", dtype=torch.bfloat16):
            loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        xm.optimizer_step(optimizer)
    xm.wait_device_ops()
    torch_xla.manual_seed(0)
    return xm.get_memory_info(device)
