import torch

from net import Net


def demo():
    model = Net().cuda()
    print(model(torch.randn(2, 4, device="cuda")))
