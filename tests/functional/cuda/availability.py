"""The availability idiom silently picks the CPU on a TPU host."""
import torch
import torch_xla  # torchtpu: [torch-xla-api]

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")  # [cuda-availability-fallback]  # torchtpu: [cuda-availability-fallback]
other = "cuda:0" if torch.cuda.is_available() else "cpu"  # [cuda-availability-fallback]  # torchtpu: [cuda-availability-fallback]

use_cuda = torch.cuda.is_available()
third = torch.device("cuda" if use_cuda else "cpu")  # [cuda-availability-fallback]  # torchtpu: [cuda-availability-fallback]

if torch.cuda.is_available():  # [cuda-availability-fallback]  # torchtpu: [cuda-availability-fallback]
    fourth = "cuda"
else:
    fourth = "cpu"


def pick(args):
    return torch.device("cuda" if args.gpu else "cpu")  # [cuda-device]  # torchtpu: [cuda-device]


def ported(use_tpu):
    first = torch_xla.device() if use_tpu else torch.device("cuda")  # torchtpu: [torch-xla-api]
    if use_tpu:
        second = torch_xla.device()  # torchtpu: [torch-xla-api]
    else:
        second = "cuda"
    return first, second


def guarded(model):
    if not torch.cuda.is_available():  # [cuda-device-query]  # torchtpu: [cuda-device-query]
        raise RuntimeError("needs a GPU")
    return model
