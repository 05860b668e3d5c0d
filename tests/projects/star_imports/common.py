import torch
import torch.nn as nn
from torch.cuda import synchronize

DEVICE_NAME = "cuda"  # the project's device setting, in a PyTorch file: to change
