"""A device swap needs `import torch_xla` once per file, reported at the first import."""
import os  # [missing-torch-xla-import]

import torch

model = torch.nn.Linear(2, 2).to("cuda")  # [cuda-device]  # torchtpu: [cuda-device]
batch = torch.zeros(2).cuda()  # [cuda-move-method]  # torchtpu: [cuda-move-method]
torch.backends.cudnn.benchmark = bool(os.environ.get("BENCH"))  # [cudnn-setting]  # torchtpu: [cudnn-setting]
