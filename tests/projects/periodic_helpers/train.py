import torch
import torch_xla

from checks import check, save


def train(model, loader, opt, save_every=500):
    device = torch_xla.device()
    model = model.to(device)
    for step, (x, y) in enumerate(loader):
        loss = torch.nn.functional.cross_entropy(model(x.to(device)), y.to(device))
        opt.zero_grad()
        loss.backward()
        opt.step()
        check(model)
        if step % save_every == 0:
            save(model, f"ckpt-{step}.pt")
        torch_xla.sync()
