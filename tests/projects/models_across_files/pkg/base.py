import torch.nn as nn
class Base(nn.Module):
    pass
