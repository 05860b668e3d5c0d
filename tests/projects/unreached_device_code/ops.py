import torch


def topk_mask(scores: torch.Tensor, k: int):
    # A public function that takes tensors, called nowhere in the project: device code whose
    # caller is not in view (INFERENCE).
    keep = scores.nonzero()
    return keep[:k]


def summary(x: torch.Tensor):
    # Called by report() only, which runs once, outside any step: silent.
    return x.tolist()


def report(values):
    print(summary(torch.tensor(values)))


def normalize(image: torch.Tensor):
    # Named as a value (a transform): its caller is not seen, so nothing is claimed.
    return image[image > 0]


TRANSFORMS = [normalize]
