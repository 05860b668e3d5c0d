"""torch.accelerator does not know XLA: on a torch_xla host it means CUDA."""
import torch
import torch_xla  # torchtpu: [torch-xla-api]

use_accel = torch.accelerator.is_available()  # [accelerator-api]
print(torch.accelerator.device_count())  # [accelerator-api]
torch.accelerator.synchronize()  # [accelerator-api]
acc = torch.accelerator.current_accelerator()  # [accelerator-api]
other = torch.device("cuda" if torch.accelerator.is_available() else "cpu")  # [cuda-availability-fallback]  # torchtpu: [cuda-device]
third = torch.accelerator.current_accelerator() if torch.accelerator.is_available() else "cpu"  # [cuda-availability-fallback]

if use_accel and torch.accelerator.is_available():  # [cuda-availability-fallback]
    device = torch.accelerator.current_accelerator()
else:
    device = torch.device("cpu")
ported = torch_xla.device()  # torchtpu: [torch-xla-api]
