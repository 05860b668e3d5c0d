"""A name rebound to a Python value read off a tensor (`pos = pos.item()`) is that value where
the rebinding always runs first; the tensor bindings before it do not reach."""
import torch
import torch_xla  # torchtpu: [torch-xla-api]


def generate(model, tokens, steps, speculative=True):
    device = tokens.device
    pos = torch.tensor([tokens.shape[-1]], device=device)
    if speculative:
        pos = pos.item()  # once per generate(), before its decode loop
        while pos < steps:  # [missing-graph-barrier]
            tokens = model(tokens, torch.tensor([pos], device=device)).argmax(-1)
            pos = pos + 1
    else:
        for _ in range(steps):  # [missing-graph-barrier]
            tokens = model(tokens, pos).argmax(-1)
            if pos > steps:  # [host-sync-in-step]
                break
            pos = pos + 1
    return tokens


def benchmark(model, prompts):
    device = torch_xla.device()  # torchtpu: [torch-xla-api]
    model = model.to(device)
    for prompt in prompts:  # generate() loops over its own steps: this loop is not one
        generate(model, prompt.to(device), 64)
