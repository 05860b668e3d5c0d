"""Loader facts travel with the loader (issue 11): built in main() and iterated by the training
loop of the function it is passed to."""
import torch
import torch_xla  # torchtpu: [torch-xla-api]
from torch.utils.data import DataLoader

device = torch_xla.device()  # torchtpu: [torch-xla-api]


def train(model, loader, opt):
    for step, (x, y) in enumerate(loader):
        loss = torch.nn.functional.mse_loss(model(x.to(device)), y.to(device))
        loss.backward()
        opt.step()
        torch_xla.sync()  # torchtpu: [torch-xla-api]


def evaluate(model, loader):
    for x, _ in loader:  # no backward pass: evaluation keeps its last, short batch
        model(x.to(device))
        torch_xla.sync()  # torchtpu: [torch-xla-api]


def main(dataset):
    model = torch.nn.Linear(2, 2).to(device)
    opt = torch.optim.SGD(model.parameters(), 0.1)
    loader = DataLoader(dataset, batch_size=32, shuffle=True)  # [unpadded-input]  # torchtpu: [unpadded-input]
    train(model, loader, opt)
    train(model, loader=DataLoader(dataset, batch_size=8), opt=opt)  # [unpadded-input]  # torchtpu: [unpadded-input]
    train(model, DataLoader(dataset, batch_size=8, drop_last=True), opt)
    evaluate(model, DataLoader(dataset, batch_size=64))
