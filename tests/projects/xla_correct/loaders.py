import torch_xla.distributed.parallel_loader as pl

def device_loader(loader, device):
    return pl.MpDeviceLoader(loader, device)
