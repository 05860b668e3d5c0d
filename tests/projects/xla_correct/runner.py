import torch, torch_xla
from loaders import device_loader

class Runner:
    def __init__(self, loader):
        self.loader = device_loader(loader, torch_xla.device())

    def fit(self, model, opt):
        for x, y in self.loader:
            loss = torch.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()

def run(loader):
    model = torch.nn.Linear(4, 2).to(torch_xla.device())
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for x, y in device_loader(loader, torch_xla.device()):
        model(x).sum().backward()
        opt.step()
    Runner(loader).fit(model, opt)
