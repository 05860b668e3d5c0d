"""A helper the step loop calls every N steps or once (`if step % save_every == 0: save(...)`)
is not part of every step; one it calls every step is."""
import torch
import torch_xla  # torchtpu: [torch-xla-api]


def save(model, path):
    weights = model.weight
    if weights.detach().abs().max() > 1e3:
        print("large weights")
    torch.save(weights, path)


def check(model):
    weights = model.weight
    if weights.detach().abs().max() > 1e3:  # [host-sync-in-step]
        print("large weights")


def log_norm(model):
    weights = model.weight
    return weights.detach().norm().item()  # [host-sync-in-step]


def train(model, loader, opt, save_every=500):
    device = torch_xla.device()  # torchtpu: [torch-xla-api]
    model = model.to(device)
    for step, (x, y) in enumerate(loader):
        loss = torch.nn.functional.cross_entropy(model(x.to(device)), y.to(device))
        opt.zero_grad()
        loss.backward()
        opt.step()
        norm = log_norm(model)
        check(model)
        if step % save_every == 0:
            save(model, f"ckpt-{step}.pt")
        if step == 0:
            save(model, "first.pt")
        torch_xla.sync()  # torchtpu: [torch-xla-api]
    return norm
