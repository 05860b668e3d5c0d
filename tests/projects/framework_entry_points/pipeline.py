import torch
from diffusers import DiffusionPipeline


class TinyPipeline(DiffusionPipeline):
    def __init__(self, unet, scheduler):
        super().__init__()
        self.register_modules(unet=unet, scheduler=scheduler)

    @torch.no_grad()
    def __call__(self, steps=50):
        latents = torch.randn(1, 4, 64, 64)
        self.scheduler.set_timesteps(steps)
        for t in self.scheduler.timesteps:
            noise = self.unet(latents, t).sample
            latents = self.scheduler.step(noise, t, latents).prev_sample
        return latents
