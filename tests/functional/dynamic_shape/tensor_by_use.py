"""A value taken out of something tpulint cannot see into (a dict of losses from a library call)
is a tensor when the step calls a tensor-only method on it (`loss.backward()`)."""
import torch
import torch_xla  # torchtpu: [torch-xla-api]


def train(model, diffusion, loader, opt, log_every=100):
    device = torch_xla.device()  # torchtpu: [torch-xla-api]
    model = model.to(device)
    for x, y in loader:  # [missing-graph-barrier]
        losses = diffusion.training_losses(model, x.to(device), y.to(device))
        loss = losses["loss"].mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        running = loss.item()  # [host-sync-in-step]
        stats = diffusion.stats(x)
        scale = stats["scale"]
        if scale > 1:
            print(scale.item(), running)
