"""GPU fallback branches kept behind an XLA switch: none of their CUDA code is a finding, for
any rule (issue 11). The XLA side is what runs on a TPU."""
import os

import torch
from transformers.utils import is_torch_xla_available

USE_CUDA = os.environ.get("USE_CUDA") == "1"
XLA_AVAILABLE = is_torch_xla_available()

if is_torch_xla_available():
    import torch_xla  # torchtpu: [torch-xla-api]

    device = torch_xla.device()  # torchtpu: [torch-xla-api]
else:
    device = torch.device("cuda")
    torch.backends.cudnn.benchmark = True

if USE_CUDA:
    torch.cuda.synchronize()
    x = torch.zeros(1).cuda()

if not XLA_AVAILABLE:
    scaler = torch.cuda.amp.GradScaler()
    y = torch.zeros(1, device="cuda")


def train(model, loader, opt, args):
    for batch in loader:
        loss = model(batch.to(device)).sum()
        loss.backward()
        opt.step()
        if args.gpu:
            torch.cuda.empty_cache()
        if XLA_AVAILABLE:
            torch_xla.sync()  # torchtpu: [torch-xla-api]
        else:
            torch.cuda.synchronize()


z = torch.ones(1).to("cuda" if not XLA_AVAILABLE else device)
