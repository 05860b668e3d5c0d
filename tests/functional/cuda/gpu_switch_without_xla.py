"""The same switches in a file with no XLA path: its CUDA code is the port, so it is reported."""
import os  # [missing-torch-xla-import]

import torch

USE_CUDA = os.environ.get("USE_CUDA") == "1"

if USE_CUDA:
    torch.cuda.synchronize()  # [cuda-runtime-call]  # torchtpu: [cuda-runtime-call]
    x = torch.zeros(1).cuda()  # [cuda-move-method]  # torchtpu: [cuda-move-method]
