"""A callback annotated `Callable[[int, torch.Tensor], None]` takes tensors, it is not one: calling
it every tile is no device work (a tensor parameter called would read as a module)."""
from typing import Callable, Optional

import torch
import torch_xla  # torchtpu: [torch-xla-api]


def upscale(tiles, callback: Optional[Callable[[int, torch.Tensor], None]] = None):
    done = 0
    for tile in tiles:
        done += 1
        if callback is not None:
            callback(done, tile)
    return done


def denoise(model, latents: torch.Tensor, steps: int, callback: Callable[[int, torch.Tensor], None]):
    model = model.to(torch_xla.device())  # torchtpu: [torch-xla-api]
    for step in range(steps):  # [missing-graph-barrier]
        latents = model(latents)
        callback(step, latents)
    return latents
