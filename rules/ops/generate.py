"""Generate rules/ops/measured/torch_xla-<version>-probes.toml (hand probes; rules/ops/build.py merges
them with the op database into rules/ops/torch_xla-<version>.toml): which torch-level calls fall back to the CPU on
torch_xla, measured on the runtime itself (the lowering list alone is wrong both ways).

Not part of the project's install or CI (the generated file is committed). Run it in a separate
venv with the torch_xla version to record (torchvision's wheel matching that torch, installed with
--no-deps so that it does not replace torch; it needs pillow):

    python3 -m venv /tmp/xla && /tmp/xla/bin/pip install torch==2.9.0 torch_xla==2.9.0 pillow
    /tmp/xla/bin/pip install --no-deps torchvision==0.24.0
    PJRT_DEVICE=CPU /tmp/xla/bin/python rules/ops/generate.py ../shared/research/xla-lowered-ops.txt > rules/ops/measured/torch_xla-2.9-probes.toml

Method: every probe below calls one torch or torchvision function or Tensor method on XLA tensors,
with arguments chosen to hit one code path (conditional fallbacks get one probe per side of the
condition), after `torch_xla.debug.metrics.clear_all()`, then forces execution and reads the
fallback counters (`met.executed_fallback_ops()`): `aten::<op>` for an aten op, `torchvision::<op>`
for one of torchvision's custom ops (torch_xla's catch-all CPU fallback for the XLA dispatch key
runs those too; none raises). Only the forward call is probed (measured by hand: the backward of
torchvision's RoI and deformable-conv ops falls back too, `torchvision::_roi_align_backward` and
the like). `aten::_local_scalar_dense` alone is a host read, not a missing lowering, and is
recorded as such. A probe that raises is recorded with its error, not hidden.

The lowering list given as argument (the aten ops in pytorch/xla's
`codegen/xla_native_functions.yaml`) is compared with what ran: an `aten::` counter whose op is
listed yet fell back is written down (`listed_in_yaml_yet_falls_back`). `torchvision::` counters
are not compared: that yaml lists aten ops only, and torch_xla registers torchvision kernels by
hand (its `nms`, behind XLA_EXPERIMENTAL=nms) outside it. The other disagreement, composites that
run on XLA without being listed, is not derived: every call that runs on XLA is an entry with
`falls_back = false`, listed or not.

For torchvision entries, `aliases` lists the other public import paths of the same function
object (`torchvision.ops.boxes.nms` is `torchvision.ops.nms`), found by scanning the package.
"""

from __future__ import annotations

import datetime
import importlib
import pkgutil
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
import torch_xla
import torch_xla.debug.metrics as met
import torchvision
import torchvision.ops as tv_ops

DEVICE = torch_xla.device()
HOST_READ = "aten::_local_scalar_dense"


def t(*shape, dtype=torch.float32, low=None):
    """A tensor on the XLA device (random, reproducible)."""
    torch.manual_seed(0)
    if dtype.is_floating_point:
        value = torch.rand(*shape) if low == 0 else torch.randn(*shape)
    else:
        value = torch.randint(0, 4, shape, dtype=dtype)
    return value.to(DEVICE)


def generator():
    return torch.Generator().manual_seed(0)


def boxes(n):
    """n valid (x1, y1, x2, y2) boxes on the XLA device, overlapping enough for NMS to suppress."""
    torch.manual_seed(0)
    corner = torch.rand(n, 2) * 8
    return torch.cat([corner, corner + torch.rand(n, 2) * 4 + 1], 1).to(DEVICE)


def rois():
    """Two regions (batch index, x1, y1, x2, y2) on an 8x8 feature map."""
    return torch.tensor([[0, 0.0, 0.0, 4.0, 4.0], [0, 1.0, 1.0, 6.0, 6.0]]).to(DEVICE)


def labels(n):
    return (torch.arange(n) % 2).to(DEVICE)


# (call name, condition or "", probe, lowered alternative or "", when)
# `when` makes the condition machine-readable for the checker: the argument (keyword name and
# position, counted in the function form, where the tensor is argument 0: for a Tensor method
# `x.scatter_reduce(dim, index, src, reduce)`, `reduce` is 4 as in `torch.scatter_reduce(x, dim,
# index, src, reduce)`), and the constant values under which this probe's behaviour holds:
#   {"argument": "mode", "position": None, "equals": ["bicubic"]}     argument == one of these
#   {"argument": "num_samples", "position": 1, "above": 1}             integer argument > value
#   {"argument": "generator", "position": None, "given": True}         argument passed and not None
# A conditional probe without `when` depends on sizes no static checker can see; the checker does
# not report it. SHAPE_DECIDES marks one the arguments narrow down but the input's size decides
# (an adaptive pool's output size 1 always divides; any other may not): `certain = false`, so the
# checker reports it with INFERENCE confidence.
SHAPE_DECIDES = ({"argument": "output_size", "position": 1, "not_equals": [1]}, False)
PROBES = [
    ("torch.median", "", lambda: torch.median(t(8)), "torch.quantile(x, 0.5) or torch.sort(x).values[n // 2]"),
    ("torch.Tensor.median", "", lambda: t(4, 8).median(dim=1), "torch.sort(x, dim).values[..., n // 2]"),
    ("torch.nanmedian", "", lambda: torch.nanmedian(t(8)), "torch.nanquantile(x, 0.5)"),
    ("torch.mode", "", lambda: torch.mode(t(8, dtype=torch.int64)), "one_hot(x, num_classes).sum(0).argmax()"),
    ("torch.bincount", "", lambda: torch.bincount(t(8, dtype=torch.int64)), "torch.nn.functional.one_hot(x, num_classes).sum(0)"),
    ("torch.histc", "", lambda: torch.histc(t(8), bins=4), "((x - lo) / width).long().clamp(0, bins - 1) then one_hot(...).sum(0)"),
    ("torch.searchsorted", "", lambda: torch.searchsorted(torch.sort(t(8)).values, t(3)), "(sorted_seq.unsqueeze(0) < values.unsqueeze(-1)).sum(-1)"),
    ("torch.bucketize", "", lambda: torch.bucketize(t(3), torch.sort(t(8)).values), "(values.unsqueeze(-1) > boundaries).sum(-1)"),
    ("torch.isin", "", lambda: torch.isin(t(8, dtype=torch.int64), t(3, dtype=torch.int64)), "(x.unsqueeze(-1) == test.flatten()).any(-1)"),
    ("torch.cummin", "", lambda: torch.cummin(t(8), dim=0), "-torch.cummax(-x, dim).values"),
    ("torch.logcumsumexp", "", lambda: torch.logcumsumexp(t(8), dim=0), "compute in a stable form with cummax and cumsum"),
    ("torch.multinomial", "replacement=False, num_samples>1", lambda: torch.multinomial(t(8, low=0), 2), "torch.topk(torch.log(p) - torch.log(-torch.log(torch.rand_like(p))), k) (Gumbel top-k)", {"argument": "num_samples", "position": 1, "above": 1, "unless": {"argument": "replacement", "position": 2, "equals": [True]}}),
    ("torch.multinomial", "num_samples=1", lambda: torch.multinomial(t(8, low=0), 1), ""),
    ("torch.multinomial", "replacement=True", lambda: torch.multinomial(t(8, low=0), 2, replacement=True), ""),
    ("torch.poisson", "", lambda: torch.poisson(t(8, low=0)), ""),
    ("torch.Tensor.uniform_", "generator=", lambda: t(8).uniform_(generator=generator()), "drop generator= and seed with torch_xla.manual_seed", {"argument": "generator", "position": None, "given": True}),
    ("torch.Tensor.normal_", "generator=", lambda: t(8).normal_(generator=generator()), "drop generator= and seed with torch_xla.manual_seed", {"argument": "generator", "position": None, "given": True}),
    ("torch.Tensor.normal_", "no generator", lambda: t(8).normal_(), ""),
    ("torch.bernoulli", "generator=", lambda: torch.bernoulli(t(8, low=0), generator=generator()), "drop generator= and seed with torch_xla.manual_seed", {"argument": "generator", "position": None, "given": True}),
    ("torch.bernoulli", "no generator", lambda: torch.bernoulli(t(8, low=0)), ""),
    ("torch.Tensor.uniform_", "no generator", lambda: t(8).uniform_(), ""),
    ("torch.fft.rfft", "", lambda: torch.fft.rfft(t(8)), ""),
    ("torch.fft.fft", "", lambda: torch.fft.fft(t(8)), ""),
    ("torch.stft", "", lambda: torch.stft(t(64), n_fft=16, return_complex=True), ""),
    ("torch.linalg.qr", "", lambda: torch.linalg.qr(t(4, 4)), ""),
    ("torch.linalg.eig", "", lambda: torch.linalg.eig(t(4, 4)), "torch.linalg.eigh for symmetric matrices"),
    ("torch.linalg.solve", "", lambda: torch.linalg.solve(t(4, 4) + 4 * torch.eye(4, device=DEVICE), t(4, 1)), ""),
    ("torch.linalg.cholesky", "", lambda: torch.linalg.cholesky(torch.eye(4, device=DEVICE) * 2), ""),
    ("torch.linalg.lstsq", "", lambda: torch.linalg.lstsq(t(4, 4), t(4, 1)), "torch.linalg.pinv(a) @ b"),
    ("torch.linalg.det", "", lambda: torch.linalg.det(t(4, 4)), "torch.linalg.slogdet"),
    ("torch.linalg.matrix_exp", "", lambda: torch.linalg.matrix_exp(t(4, 4)), ""),
    ("torch.linalg.inv", "", lambda: torch.linalg.inv(t(4, 4) + 4 * torch.eye(4, device=DEVICE)), ""),
    ("torch.nn.functional.grid_sample", "", lambda: F.grid_sample(t(1, 1, 4, 4), t(1, 2, 2, 2).tanh(), align_corners=False), ""),
    ("torch.nn.functional.interpolate", "mode='bicubic'", lambda: F.interpolate(t(1, 1, 4, 4), scale_factor=2, mode="bicubic"), "mode='bilinear'", {"argument": "mode", "position": 3, "equals": ["bicubic"]}),
    ("torch.nn.functional.interpolate", "mode='nearest-exact'", lambda: F.interpolate(t(1, 1, 4, 4), scale_factor=2, mode="nearest-exact"), "mode='nearest'", {"argument": "mode", "position": 3, "equals": ["nearest-exact"]}),
    ("torch.nn.functional.interpolate", "antialias=True", lambda: F.interpolate(t(1, 1, 8, 8), scale_factor=0.5, mode="bilinear", antialias=True), "antialias=False", {"argument": "antialias", "position": 6, "equals": [True]}),
    ("torch.nn.functional.interpolate", "mode='bilinear'", lambda: F.interpolate(t(1, 1, 4, 4), scale_factor=2, mode="bilinear"), ""),
    ("torch.nn.functional.interpolate", "mode='nearest'", lambda: F.interpolate(t(1, 1, 4, 4), scale_factor=2, mode="nearest"), ""),
    # Found by the op database, confirmed here: 1-D linear, area pooling that does not divide, and
    # nearest on a 3-D or 5-D input (its rank, not an argument, decides: no `when`); trilinear runs.
    ("torch.nn.functional.interpolate", "mode='linear'", lambda: F.interpolate(t(1, 1, 8), scale_factor=2, mode="linear"), "mode='nearest', or torch.nn.functional.conv_transpose1d with a fixed kernel", {"argument": "mode", "position": 3, "equals": ["linear"]}),
    ("torch.nn.functional.interpolate", "mode='area' with a size that does not divide the input", lambda: F.interpolate(t(1, 1, 7, 7), size=3, mode="area"), "a size that divides the input, or avg_pool2d", ({"argument": "mode", "position": 3, "equals": ["area"]}, False)),
    ("torch.nn.functional.interpolate", "mode='area' with a size that divides the input", lambda: F.interpolate(t(1, 1, 8, 8), size=4, mode="area"), ""),
    ("torch.nn.functional.interpolate", "mode='nearest' on a 3-D input", lambda: F.interpolate(t(1, 1, 8), scale_factor=2, mode="nearest"), "unsqueeze to 4-D, interpolate, squeeze"),
    ("torch.nn.functional.interpolate", "mode='trilinear'", lambda: F.interpolate(t(1, 1, 4, 4, 4), scale_factor=2, mode="trilinear"), ""),
    ("torch.nn.functional.adaptive_avg_pool2d", "output size does not divide the input", lambda: F.adaptive_avg_pool2d(t(1, 1, 7, 7), 3), "an output size that divides the input, or avg_pool2d", SHAPE_DECIDES),
    ("torch.nn.functional.adaptive_avg_pool2d", "output size 1", lambda: F.adaptive_avg_pool2d(t(1, 1, 7, 7), (1, 1)), ""),
    ("torch.nn.functional.adaptive_avg_pool2d", "output size divides the input", lambda: F.adaptive_avg_pool2d(t(1, 1, 8, 8), 4), ""),
    ("torch.nn.functional.adaptive_max_pool2d", "output size does not divide the input", lambda: F.adaptive_max_pool2d(t(1, 1, 7, 7), 3), "an output size that divides the input", SHAPE_DECIDES),
    ("torch.nn.functional.adaptive_max_pool2d", "output size 1", lambda: F.adaptive_max_pool2d(t(1, 1, 7, 7), 1), ""),
    # The 1-d and 3-d forms behave alike (the op database's samples, confirmed here), except the
    # 3-d max pool, which falls back even for output size 1 of a divisible input.
    ("torch.nn.functional.adaptive_avg_pool1d", "output size does not divide the input", lambda: F.adaptive_avg_pool1d(t(1, 1, 7), 3), "an output size that divides the input, or avg_pool1d", SHAPE_DECIDES),
    ("torch.nn.functional.adaptive_avg_pool1d", "output size 1", lambda: F.adaptive_avg_pool1d(t(1, 1, 7), 1), ""),
    ("torch.nn.functional.adaptive_avg_pool3d", "output size does not divide the input", lambda: F.adaptive_avg_pool3d(t(1, 1, 7, 7, 7), 3), "an output size that divides the input, or avg_pool3d", SHAPE_DECIDES),
    ("torch.nn.functional.adaptive_avg_pool3d", "output size 1", lambda: F.adaptive_avg_pool3d(t(1, 1, 7, 7, 7), 1), ""),
    ("torch.nn.functional.adaptive_max_pool1d", "output size does not divide the input", lambda: F.adaptive_max_pool1d(t(1, 1, 7), 3), "an output size that divides the input", SHAPE_DECIDES),
    ("torch.nn.functional.adaptive_max_pool1d", "output size 1", lambda: F.adaptive_max_pool1d(t(1, 1, 7), 1), ""),
    ("torch.nn.functional.adaptive_max_pool3d", "", lambda: F.adaptive_max_pool3d(t(1, 1, 8, 8, 8), 1), "max over the spatial dimensions (x.amax((-3, -2, -1), keepdim=True)) for output size 1"),
    ("torch.nn.functional.adaptive_max_pool2d", "output size divides the input", lambda: F.adaptive_max_pool2d(t(1, 1, 8, 8), 4), ""),
    ("torch.nn.functional.max_pool2d", "dilation>1", lambda: F.max_pool2d(t(1, 1, 8, 8), 2, dilation=2), "dilation=1", {"argument": "dilation", "position": 4, "above": 1}),
    ("torch.nn.functional.max_pool2d", "dilation=1", lambda: F.max_pool2d(t(1, 1, 8, 8), 2), ""),
    ("torch.nn.functional.unfold", "", lambda: F.unfold(t(1, 1, 4, 4), 2), "a strided view (x.unfold(dim, size, step)) or a conv2d with identity kernels"),
    ("torch.nn.functional.fold", "", lambda: F.fold(t(1, 4, 9), (4, 4), 2), ""),
    ("torch.nn.functional.ctc_loss", "", lambda: F.ctc_loss(t(6, 1, 4).log_softmax(2), torch.tensor([[1, 2]], device=DEVICE), torch.tensor([6], device=DEVICE), torch.tensor([2], device=DEVICE)), ""),
    ("torch.Tensor.scatter_reduce", "reduce='mean'", lambda: t(4).scatter_reduce(0, torch.tensor([0, 1, 0, 1], device=DEVICE), t(4), reduce="mean"), "scatter_add of values and of ones, then divide", {"argument": "reduce", "position": 4, "equals": ["mean"]}),
    ("torch.Tensor.scatter_reduce", "reduce='amax'", lambda: t(4).scatter_reduce(0, torch.tensor([0, 1, 0, 1], device=DEVICE), t(4), reduce="amax"), ""),
    # Found by the op database (rules/ops/opdb.py), confirmed here: include_self=False falls back.
    ("torch.Tensor.scatter_reduce", "include_self=False", lambda: t(4).scatter_reduce(0, torch.tensor([0, 1, 0, 1], device=DEVICE), t(4), reduce="amax", include_self=False), "include_self=True, with the output's initial values set to the reduction's identity", {"argument": "include_self", "position": 5, "equals": [False]}),
    ("torch.Tensor.index_reduce", "", lambda: t(4).index_reduce(0, torch.tensor([0, 1], device=DEVICE), t(2), "prod"), ""),
    ("torch.triu_indices", "", lambda: torch.triu_indices(4, 4, device=DEVICE), "build the indices on the host once, outside the step"),
    ("torch.addmm", "beta != 1", lambda: torch.addmm(t(2, 2), t(2, 2), t(2, 2), beta=0.5), "beta * c + alpha * (a @ b)", {"argument": "beta", "position": None, "not_equals": [1, 1.0]}),
    ("torch.addmm", "alpha != 1", lambda: torch.addmm(t(2, 2), t(2, 2), t(2, 2), alpha=2.0), "beta * c + alpha * (a @ b)", {"argument": "alpha", "position": None, "not_equals": [1, 1.0]}),
    ("torch.addmm", "beta=alpha=1", lambda: torch.addmm(t(2, 2), t(2, 2), t(2, 2)), ""),
    ("torch.norm", "p=0", lambda: torch.norm(t(8), p=0), "(x != 0).sum()", {"argument": "p", "position": 1, "equals": [0]}),
    ("torch.norm", "p=2", lambda: torch.norm(t(8), p=2), ""),
    ("torch.equal", "", lambda: torch.equal(t(8), t(8)), "(a == b).all() kept on device"),
    ("torch.lgamma", "", lambda: torch.lgamma(t(8, low=0) + 1), ""),
    ("torch.digamma", "", lambda: torch.digamma(t(8, low=0) + 1), ""),
    ("torch.special.i0", "", lambda: torch.special.i0(t(8)), ""),
    ("torch.special.bessel_j0", "", lambda: torch.special.bessel_j0(t(8)), ""),
    ("torch.nn.functional.embedding_bag", "mode='max'", lambda: F.embedding_bag(torch.tensor([0, 1, 2, 3], device=DEVICE), t(4, 3), torch.tensor([0, 2], device=DEVICE), mode="max"), "mode='sum' or 'mean'"),
    ("torch.nn.functional.embedding_bag", "mode='sum'", lambda: F.embedding_bag(torch.tensor([0, 1, 2, 3], device=DEVICE), t(4, 3), torch.tensor([0, 2], device=DEVICE), mode="sum"), ""),
    # Look-alikes that run on XLA: recorded so that a checker never reports them.
    ("torch.sort", "", lambda: torch.sort(t(8)), ""),
    ("torch.topk", "", lambda: torch.topk(t(8), 3), ""),
    ("torch.cumsum", "", lambda: torch.cumsum(t(8), 0), ""),
    ("torch.cummax", "", lambda: torch.cummax(t(8), 0), ""),
    ("torch.quantile", "", lambda: torch.quantile(t(8), 0.5), ""),
    ("torch.einsum", "", lambda: torch.einsum("ij,jk->ik", t(2, 3), t(3, 2)), ""),
    ("torch.nn.functional.scaled_dot_product_attention", "", lambda: F.scaled_dot_product_attention(t(1, 2, 4, 8), t(1, 2, 4, 8), t(1, 2, 4, 8)), ""),
    ("torch.linalg.eigh", "", lambda: torch.linalg.eigh(t(4, 4) + t(4, 4).T), ""),
    ("torch.linalg.svd", "", lambda: torch.linalg.svd(t(4, 4)), ""),
    ("torch.Tensor.masked_fill", "", lambda: t(8).masked_fill(t(8) > 0, 0.0), ""),
    ("torch.where", "three arguments", lambda: torch.where(t(8) > 0, t(8), 0.0), ""),
    ("torch.kron", "", lambda: torch.kron(t(2, 2), t(2, 2)), ""),
    ("torch.nn.functional.one_hot", "num_classes given", lambda: F.one_hot(t(8, dtype=torch.int64), num_classes=4), ""),
    ("torch.nn.functional.cross_entropy", "", lambda: F.cross_entropy(t(4, 3), torch.tensor([0, 1, 2, 0], device=DEVICE)), ""),
    # torchvision.ops: its C++ custom ops (torchvision::<op>) have no XLA kernel and go to the CPU
    # fallback; some of its Python functions index with a boolean mask (aten::nonzero).
    ("torchvision.ops.nms", "", lambda: tv_ops.nms(boxes(64), t(64, low=0), 0.5), "XLA_EXPERIMENTAL=nms (torch_xla's own lowering, off by default), or NMS on the host after the step"),
    ("torchvision.ops.batched_nms", "", lambda: tv_ops.batched_nms(boxes(64), t(64, low=0), labels(64), 0.5), "XLA_EXPERIMENTAL=nms (torch_xla's own lowering, off by default), or NMS on the host after the step"),
    # Over 100,000 box coordinates on a non-CPU device, batched_nms loops over the classes instead.
    ("torchvision.ops.batched_nms", "more than 25,000 boxes (a loop over the classes)", lambda: tv_ops.batched_nms(boxes(25_001), t(25_001, low=0), labels(25_001), 0.5), ""),
    ("torchvision.ops.roi_align", "", lambda: tv_ops.roi_align(t(1, 2, 8, 8), rois(), (2, 2), spatial_scale=1.0, sampling_ratio=2), ""),
    ("torchvision.ops.roi_pool", "", lambda: tv_ops.roi_pool(t(1, 2, 8, 8), rois(), (2, 2)), ""),
    ("torchvision.ops.ps_roi_align", "", lambda: tv_ops.ps_roi_align(t(1, 8, 8, 8), rois(), (2, 2)), ""),
    ("torchvision.ops.ps_roi_pool", "", lambda: tv_ops.ps_roi_pool(t(1, 8, 8, 8), rois(), (2, 2)), ""),
    ("torchvision.ops.deform_conv2d", "", lambda: tv_ops.deform_conv2d(t(1, 2, 6, 6), t(1, 18, 4, 4), t(3, 2, 3, 3)), ""),
    ("torchvision.ops.masks_to_boxes", "", lambda: tv_ops.masks_to_boxes((t(2, 8, 8) > 0).float()), "amin/amax of the pixel coordinates over torch.where(masks.bool(), coordinates, +/-inf)"),
    ("torchvision.ops.remove_small_boxes", "", lambda: tv_ops.remove_small_boxes(boxes(8), 2.0), "keep the mask (widths >= min_size) & (heights >= min_size) and weight by it"),
    ("torchvision.ops.generalized_box_iou_loss", "", lambda: tv_ops.generalized_box_iou_loss(boxes(8), boxes(8).flip(0)), "the intersection as (min(x2) - max(x1)).clamp(min=0) * (min(y2) - max(y1)).clamp(min=0), without a boolean mask"),
    ("torchvision.ops.distance_box_iou_loss", "", lambda: tv_ops.distance_box_iou_loss(boxes(8), boxes(8).flip(0)), "the intersection as (min(x2) - max(x1)).clamp(min=0) * (min(y2) - max(y1)).clamp(min=0), without a boolean mask"),
    ("torchvision.ops.complete_box_iou_loss", "", lambda: tv_ops.complete_box_iou_loss(boxes(8), boxes(8).flip(0)), "the intersection as (min(x2) - max(x1)).clamp(min=0) * (min(y2) - max(y1)).clamp(min=0), without a boolean mask"),
    # torchvision look-alikes that run on XLA.
    ("torchvision.ops.box_iou", "", lambda: tv_ops.box_iou(boxes(8), boxes(4)), ""),
    ("torchvision.ops.generalized_box_iou", "", lambda: tv_ops.generalized_box_iou(boxes(8), boxes(4)), ""),
    ("torchvision.ops.distance_box_iou", "", lambda: tv_ops.distance_box_iou(boxes(8), boxes(4)), ""),
    ("torchvision.ops.complete_box_iou", "", lambda: tv_ops.complete_box_iou(boxes(8), boxes(4)), ""),
    ("torchvision.ops.box_area", "", lambda: tv_ops.box_area(boxes(8)), ""),
    ("torchvision.ops.box_convert", "", lambda: tv_ops.box_convert(boxes(8), "xyxy", "cxcywh"), ""),
    ("torchvision.ops.clip_boxes_to_image", "", lambda: tv_ops.clip_boxes_to_image(boxes(8), (6, 6)), ""),
    ("torchvision.ops.sigmoid_focal_loss", "", lambda: tv_ops.sigmoid_focal_loss(t(4, 3), t(4, 3, low=0), reduction="mean"), ""),
    ("torchvision.ops.stochastic_depth", "", lambda: tv_ops.stochastic_depth(t(4, 3), 0.5, "row"), ""),
    ("torchvision.ops.drop_block2d", "", lambda: tv_ops.drop_block2d(t(1, 2, 8, 8), 0.5, 3), ""),
]


def probe(call):
    met.clear_all()
    result = call()
    torch_xla.sync()
    del result
    return sorted(met.executed_fallback_ops())


def _toml_inline(value) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key} = {_toml_inline(item)}" for key, item in value.items() if item is not None) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_inline(item) for item in value) + "]"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def aten_name(counter: str) -> str:
    return counter.removeprefix("aten::")


def listed_yet_falls_back(counters: list[str], lowered: set[str]) -> list[str]:
    """The aten ops among `counters` that the lowering list names (overload or base name)."""
    return [aten_name(counter) for counter in counters if counter.startswith("aten::") and counter != HOST_READ
            and (aten_name(counter) in lowered or aten_name(counter).split(".")[0] in lowered)]


def aliases(name: str) -> list[str]:
    """Other public import paths of the function `name` names, inside its package (torchvision only)."""
    if not name.startswith("torchvision."):
        return []
    package_name, short = name.rsplit(".", 1)
    package = importlib.import_module(package_name)
    target = getattr(package, short)
    found = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package_name}.{info.name}")
        found += [f"{package_name}.{info.name}.{attribute}" for attribute, value in vars(module).items()
                  if value is target and not attribute.startswith("_")]
    return sorted(found)


def main(argv: list[str]) -> int:
    lowered = set(Path(argv[1]).read_text(encoding="utf-8").split()) if len(argv) > 1 else set()
    lines = [
        "# Generated by rules/ops/generate.py; do not edit by hand.",
        "",
        "[provenance]",
        f'torch = "{torch.__version__}"',
        f'torch_xla = "{torch_xla.__version__}"',
        f'torchvision = "{torchvision.__version__}"',
        f'date = "{datetime.date.today().isoformat()}"',
        'method = "each call (forward only) run on XLA tensors (PJRT_DEVICE=CPU) after met.clear_all(); '
        'fallbacks = met.executed_fallback_ops() (aten:: and torchvision:: counters)"',
        f"probes = {len(PROBES)}",
        "",
    ]
    for name, condition, call, alternative, *when in PROBES:
        try:
            fallbacks = probe(call)
            error = ""
        except Exception as exc:  # a probe that cannot run on XLA is recorded, not hidden
            fallbacks, error = [], f"{type(exc).__name__}: {str(exc).splitlines()[0][:100]}"
        missing = [counter for counter in fallbacks if counter != HOST_READ]
        lines += [
            "[[op]]",
            f'call = "{name}"',
            f'condition = "{condition}"',
            f"falls_back = {str(bool(missing)).lower()}",
            f"counters = {fallbacks!r}".replace("'", '"'),
            f"host_read = {str(HOST_READ in fallbacks).lower()}",
            f"listed_in_yaml_yet_falls_back = {listed_yet_falls_back(fallbacks, lowered)!r}".replace("'", '"'),
            f'alternative = "{alternative}"',
        ]
        when, certain = (when[0] if isinstance(when[0], tuple) else (when[0], True)) if when else (None, True)
        if when:
            lines.append(f"when = {_toml_inline(when)}")
        if not certain:
            lines.append("certain = false")
        if aliases(name):
            lines.append(f"aliases = {aliases(name)!r}".replace("'", '"'))
        if error:
            lines.append(f'error = "{error}"')
        lines.append("")
    sys.stdout.write("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
