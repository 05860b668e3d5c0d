import torch
import torch_xla

from model import Net


@torch.inference_mode()
def run(x):
    model = Net().to(torch_xla.device())
    return model(x.to(torch_xla.device()))
