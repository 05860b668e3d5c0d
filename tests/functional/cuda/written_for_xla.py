"""A script already written for PyTorch/XLA: nothing to report."""
import torch
import torch_xla  # torchtpu: [torch-xla-api]
import torch_xla.core.xla_model as xm  # torchtpu: [torch-xla-api]
import torch_xla.distributed.parallel_loader as pl  # torchtpu: [torch-xla-api]

device = torch_xla.device()  # torchtpu: [torch-xla-api]
model = torch.nn.Linear(4, 4).to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)


def train(loader):
    for x, y in pl.MpDeviceLoader(loader, device):  # torchtpu: [torch-xla-api]
        with torch.autocast("xla", dtype=torch.bfloat16):  # torchtpu: [torch-xla-api]
            loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        xm.optimizer_step(optimizer)  # torchtpu: [torch-xla-api]
    xm.wait_device_ops()  # torchtpu: [torch-xla-api]
    torch_xla.manual_seed(0)  # torchtpu: [torch-xla-api]
    return xm.get_memory_info(device)  # torchtpu: [torch-xla-api]
