"""Ops whose TorchTPU kernel status differs from torch_xla's lowering: median raises on TorchTPU
(no kernel); nonzero, unique, bincount, FFT and grid_sample have TorchTPU kernels, though
torch_xla runs them on the CPU."""
import torch  # [missing-torch-xla-import]
import torch.nn.functional as F


class Model(torch.nn.Module):
    def forward(self, x, grid):
        centre = x.median()  # [cpu-fallback-op]  # torchtpu: [missing-tpu-kernel]
        spectrum = torch.fft.rfft(x)  # [cpu-fallback-op]
        warped = F.grid_sample(x, grid, align_corners=False)  # [cpu-fallback-op]
        counts = torch.bincount(x.long().flatten())  # [cpu-fallback-op]
        factor = torch.linalg.cholesky(x @ x.mT)  # [cpu-fallback-op]  # torchtpu: [missing-tpu-kernel]
        cholesky = torch.cholesky(x @ x.mT)  # torchtpu: [missing-tpu-kernel]
        smooth = F.interpolate(x, scale_factor=0.5, mode="bilinear", antialias=True)  # [cpu-fallback-op]  # torchtpu: [missing-tpu-kernel]
        sharp = F.interpolate(x, scale_factor=0.5, mode="bilinear")
        noise = torch.poisson(x.abs())  # [cpu-fallback-op]  # torchtpu: [missing-tpu-kernel]
        return centre, spectrum, warped, counts, factor, cholesky, smooth, sharp, noise


model = Model().to("cuda")  # [cuda-device]  # torchtpu: [cuda-device]
