import torch
from samplers import Sampler


def sample(unet, latents, n=50):
    s = Sampler(n)
    for t in s.timesteps:
        latents = s.step(unet(latents, t), t, latents)
    return latents


def main():
    from diffusers import UNet2DModel
    unet = UNet2DModel.from_pretrained("some/unet").to("cuda")
    sample(unet, torch.randn(1, 4, 64, 64, device="cuda"))
    print(Sampler(10).describe())
