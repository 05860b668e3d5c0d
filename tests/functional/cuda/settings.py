"""Dead GPU settings: cuDNN, TF32, pinned memory."""
import torch
import torch_xla  # torchtpu: [torch-xla-api]
from torch.utils.data import DataLoader

torch.backends.cudnn.benchmark = True  # [cudnn-setting]  # torchtpu: [cudnn-setting]
torch.backends.cudnn.deterministic = True  # [cudnn-setting]  # torchtpu: [cudnn-setting]
torch.backends.cuda.matmul.allow_tf32 = True  # [cudnn-setting]  # torchtpu: [cudnn-setting]
loader = DataLoader(range(8), batch_size=2, pin_memory=True)  # [pin-memory]
pinned = torch.zeros(4).pin_memory()  # [pin-memory]

with torch.backends.cudnn.flags(enabled=False):  # [cudnn-setting]  # torchtpu: [cudnn-setting]
    pass
if torch.backends.cudnn.enabled:
    print(torch.backends.cudnn.version())
plain = DataLoader(range(8), batch_size=2, pin_memory=False)
torch.set_float32_matmul_precision("high")  # [cudnn-setting]
torch_xla.backends.set_mat_mul_precision("high")  # torchtpu: [torch-xla-api]


def make_loader(dataset, **kwargs):
    return DataLoader(dataset, **kwargs)  # a parameter: what it holds is the caller's business


def make_pinned_loader(dataset):
    return DataLoader(dataset, **LOADER_OPTIONS)


LOADER_OPTIONS = {"batch_size": 8, "pin_memory": True}  # [pin-memory]
unpinned = {"batch_size": 8, "pin_memory": False}
quiet = DataLoader(range(8), **unpinned)
