"""A tensor rebuilt from itself after the iteration unpacked it fresh (`down, mid = controlnet(...)`
then `mid = torch.cat([zeros, mid])`) does not grow; modules a pipeline keeps moved to the device
(`self.unet = unet.to(device)`) are called, so they are modules, not tensors."""
import torch
import torch_xla  # torchtpu: [torch-xla-api]


class Pipe:
    def __init__(self, unet, controlnet):
        self.unet = unet.to(torch_xla.device())  # torchtpu: [torch-xla-api]
        self.controlnet = controlnet.to(torch_xla.device())  # torchtpu: [torch-xla-api]

    def __call__(self, latents, timesteps, guess_mode=True):
        for t in timesteps:  # [missing-graph-barrier]
            down, mid = self.controlnet(latents, t, return_dict=False)
            if guess_mode:
                down = [torch.cat([torch.zeros_like(d), d]) for d in down]
                mid = torch.cat([torch.zeros_like(mid), mid])
            latents = self.unet(latents, t, down, mid)
        return latents

    def accumulate(self, latents, timesteps):
        mid = torch.zeros_like(latents)
        for t in timesteps:  # [missing-graph-barrier]
            _, extra = self.controlnet(latents, t, return_dict=False)
            mid = torch.cat([mid, extra])  # [growing-tensor]  # torchtpu: [growing-tensor]
            latents = self.unet(latents, t, None, mid)
        return latents
