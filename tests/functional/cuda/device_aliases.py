"""Imports under other names, simple data flow, and local names that shadow `cuda`."""
import torch as T
import torch_xla  # torchtpu: [torch-xla-api]
from torch import cuda as tc
from torch import device as make_device
from torch.cuda import synchronize

dev = make_device("cuda")  # [cuda-device]  # torchtpu: [cuda-device]
T.cuda.synchronize()  # [cuda-runtime-call]  # torchtpu: [cuda-runtime-call]
tc.synchronize()  # [cuda-runtime-call]  # torchtpu: [cuda-runtime-call]
synchronize()  # [cuda-runtime-call]  # torchtpu: [cuda-runtime-call]
gpu = T.cuda
gpu.empty_cache()  # [cuda-no-op-call]  # torchtpu: [cuda-no-op-call]


def shadowing(cuda):
    cuda.synchronize()
    return cuda


class Numbers:
    cuda = 3

    def total(self):
        return self.cuda + 1


def local_module_named_cuda():
    # not torch.cuda (the cuda family stays silent); Numba's CUDA target is non-xla-op's
    from numba import cuda  # [cuda-only-library]  # torchtpu: [cuda-only-library]

    @cuda.jit
    def kernel(values):  # [cuda-kernel]  # torchtpu: [cuda-kernel]
        values[0] = 1

    return kernel


def xla_written(model):
    device = torch_xla.device()  # torchtpu: [torch-xla-api]
    return model.to(device), T.device("xla"), model.to("xla")  # torchtpu: [torch-xla-api, torch-xla-api]
