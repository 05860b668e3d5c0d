"""A device value's fix depends on where it goes: a device type string parameter takes "xla"."""
import torch  # [missing-torch-xla-import]
from torch import nn

device_type = "cuda"  # [cuda-device]  # torchtpu: [cuda-device]
with torch.autocast(device_type=device_type, dtype=torch.bfloat16):
    pass
scaler = torch.amp.GradScaler(device_type)

device = "cuda"  # [cuda-device]  # torchtpu: [cuda-device]
model = nn.Linear(2, 2).to(device)
with torch.autocast(device_type=device, dtype=torch.bfloat16):
    model(torch.ones(2, device=device))

target = "cuda"  # [cuda-device]  # torchtpu: [cuda-device]
batch = torch.ones(2).to(target)
