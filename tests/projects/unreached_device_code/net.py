import torch


class Net(torch.nn.Module):
    def forward(self, x):
        return torch.unique(x)
