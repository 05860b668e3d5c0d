import torch
from pkg.helpers import Config
cfg = Config()
for x in range(3):
    cfg(x)
