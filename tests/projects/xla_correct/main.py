import torch
import torch_xla
from torch.utils.data import DataLoader, TensorDataset

from train import train


def main():
    model = torch.nn.Linear(8, 2).to(torch_xla.device())
    data = TensorDataset(torch.randn(64, 8), torch.randint(0, 2, (64,)))
    loader = DataLoader(data, batch_size=16, drop_last=True)
    train(model, loader, torch.optim.SGD(model.parameters(), lr=0.1))
