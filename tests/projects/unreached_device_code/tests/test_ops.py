import torch

from ops import topk_mask


def check_mask(x: torch.Tensor):
    # Test code: not the step, whoever calls it.
    return x.nonzero().numel()


def test_topk():
    assert topk_mask(torch.ones(3), 2).numel() == 2
