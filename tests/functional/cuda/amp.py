"""CUDA mixed precision: autocast, GradScaler, fp16 on XLA."""
import torch
import torch_xla  # torchtpu: [torch-xla-api]
from torch.cuda.amp import GradScaler, autocast

scaler = GradScaler()  # [cuda-grad-scaler]  # torchtpu: [cuda-grad-scaler]
scaler2 = torch.amp.GradScaler("cuda")  # [cuda-grad-scaler]  # torchtpu: [cuda-grad-scaler]
scaler3 = torch.cuda.amp.GradScaler(enabled=True)  # [cuda-grad-scaler]  # torchtpu: [cuda-grad-scaler]
scaler4 = torch.GradScaler()  # [cuda-grad-scaler]  # torchtpu: [cuda-grad-scaler]


def step(model, x):
    with autocast():  # [cuda-autocast]  # torchtpu: [cuda-autocast]
        a = model(x)
    with torch.autocast("cuda", dtype=torch.float16):  # [cuda-autocast]  # torchtpu: [cuda-autocast]
        b = model(x)
    with torch.amp.autocast(device_type="cuda"):  # [cuda-autocast]  # torchtpu: [cuda-autocast]
        c = model(x)
    with torch.autocast("cuda", enabled=False):  # [cuda-autocast]  # torchtpu: [cuda-autocast]
        c = c.float() @ c.float()
    with torch.autocast("xla", dtype=torch.float16):  # [xla-autocast-half]  # torchtpu: [torch-xla-api]
        d = model(x)
    return a, b, c, d


@torch.cuda.amp.custom_fwd  # [cuda-autocast]  # torchtpu: [cuda-autocast]
def forward(ctx, x):
    return x


def ported(model, x):
    with torch.autocast("xla", dtype=torch.bfloat16):  # torchtpu: [torch-xla-api]
        out = model(x)
    with torch.autocast(device_type="cpu"):
        out = model(out)
    disabled = GradScaler(enabled=False)
    return out, disabled, torch.amp.GradScaler("xla")  # torchtpu: [torch-xla-api]


@autocast(enabled=False)  # [cuda-autocast]  # torchtpu: [cuda-autocast]
def full_precision(x):
    return x @ x
