"""torch.accelerator does not know XLA: on a torch_xla host it means CUDA."""
import torch
import torch_xla

use_accel = torch.accelerator.is_available()  # [accelerator-api]
if use_accel:
    device = torch.accelerator.current_accelerator()  # [accelerator-api]
else:
    device = torch.device("cpu")
print(torch.accelerator.device_count())  # [accelerator-api]
torch.accelerator.synchronize()  # [accelerator-api]
other = torch.device("cuda" if torch.accelerator.is_available() else "cpu")  # [cuda-availability-fallback]
ported = torch_xla.device()
