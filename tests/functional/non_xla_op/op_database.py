"""What PyTorch's op database found (rules/ops/build.py): fallbacks no hand probe asked about, the
nn layers whose forward runs one, in-place and method spellings, and both sides of conditions."""
import functools

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch_xla  # torchtpu: [torch-xla-api]

device = torch_xla.device()  # torchtpu: [torch-xla-api]


class ExactUpsample(nn.Upsample):
    def forward(self, x):
        return super().forward(x.float()).type_as(x)


class Resize(nn.Upsample):
    def __init__(self, factor):
        super().__init__(scale_factor=factor, mode="bilinear")


class Decoder(nn.Module):
    def __init__(self, vocabulary):
        super().__init__()
        self.patches = nn.Unfold(kernel_size=2)  # [cpu-fallback-op]
        self.folded = nn.Unfold(2, 1, 0, 1)  # [cpu-fallback-op]
        self.smooth = nn.Upsample(scale_factor=2, mode="bicubic")  # [cpu-fallback-op]
        self.positional = nn.Upsample(None, 2, "bicubic")  # [cpu-fallback-op]
        self.fine = nn.Upsample(scale_factor=2, mode="bilinear")
        self.plain = nn.Upsample(scale_factor=2)
        self.exact = ExactUpsample(scale_factor=2, mode="nearest-exact")  # [cpu-fallback-op]
        self.fine_exact = ExactUpsample(scale_factor=2.0)
        self.resize = Resize(2)
        self.pool = nn.AdaptiveAvgPool2d(7)  # [cpu-fallback-op]
        self.head = nn.AdaptiveAvgPool2d((1, 1))
        self.global_max = nn.AdaptiveMaxPool2d(1)
        self.dilated = nn.MaxPool2d(3, dilation=2)  # [cpu-fallback-op]
        self.pooled = nn.MaxPool2d(3, stride=2)
        self.bags = nn.EmbeddingBag(vocabulary, 8)  # [cpu-fallback-op]
        self.alignment = nn.CTCLoss()  # [cpu-fallback-op]
        self.hinge = nn.MultiMarginLoss()  # [cpu-fallback-op]  # torchtpu: [missing-tpu-kernel]
        self.projection = nn.Linear(8, 8)
        self.norm = nn.LayerNorm(8)

    def forward(self, image, tokens):
        features = self.norm(self.projection(self.bags(tokens)))
        up = self.fine(self.plain(self.smooth(image)))
        return features, self.head(self.pool(up))


class Rotary(nn.Module):
    """A table built once: in __init__, or by a cached method, not every forward."""

    def __init__(self, dim):
        super().__init__()
        self.table = self.rope(torch.arange(64), dim)

    def rope(self, index, dim):
        angles = torch.outer(index, torch.arange(dim))
        return torch.polar(torch.ones_like(angles), angles)

    @functools.lru_cache(maxsize=None)
    def cached(self, n):
        return torch.polar(torch.ones(n), torch.zeros(n))

    def forward(self, x):
        return x * self.table.real + self.cached(4).real.sum()


class Rotating(nn.Module):
    """The same table computed in every forward."""

    def rope(self, angles):
        return torch.polar(torch.ones_like(angles), angles)  # [cpu-fallback-op]

    def forward(self, x):
        return x * self.rope(x).real


def train(model, loader, optimizer, weight, offsets, mode):
    for image, tokens in loader:
        image, tokens = image.to(device), tokens.to(device)
        features, pooled = model(image, tokens)
        loss = features.sum() + pooled.sum()
        loss = loss + torch.polygamma(1, features).sum()  # [cpu-fallback-op]
        loss = loss + features.polygamma(2).sum()  # [cpu-fallback-op]
        loss = loss + torch.special.i1(features).sum()  # [cpu-fallback-op]  # torchtpu: [missing-tpu-kernel]
        loss = loss + torch.i0(features).sum()  # [cpu-fallback-op]  # torchtpu: [missing-tpu-kernel]
        loss = loss + torch.linalg.cross(features[:, :3], features[:, :3]).sum()  # [cpu-fallback-op]  # torchtpu: [missing-tpu-kernel]
        loss = loss + torch.combinations(features[0, :4]).sum()  # [cpu-fallback-op]
        loss = loss + F.multi_margin_loss(features, tokens[:, 0])  # [cpu-fallback-op]  # torchtpu: [missing-tpu-kernel]
        loss = loss + F.rrelu(features).sum()  # [cpu-fallback-op]  # torchtpu: [missing-tpu-kernel]
        loss = loss + features.unfold(0, 2, 1).sum()  # [cpu-fallback-op]
        loss = loss + features.clone().addmm_(features, features, alpha=-2).sum()  # [cpu-fallback-op]
        loss = loss + features.clone().addmm_(features, features).sum()
        loss = loss + features.addmm(features, features, beta=0.5).sum()  # [cpu-fallback-op]
        loss = loss + torch.addmm(features, features, features, out=features.clone()).sum()
        loss = loss + F.embedding_bag(tokens, weight).sum()  # [cpu-fallback-op]
        loss = loss + F.normalize(features, p=0.0, dim=-1).sum()  # [cpu-fallback-op]
        loss = loss + F.normalize(features, dim=-1).sum()
        loss = loss + F.embedding(tokens, weight, max_norm=1.0).sum()  # [cpu-fallback-op]
        loss = loss + F.embedding(tokens, weight, max_norm=model.max_norm).sum()  # [cpu-fallback-op]
        loss = loss + F.embedding(tokens, weight).sum() + F.embedding(tokens, weight, max_norm=None).sum()
        loss = loss + F.interpolate(image, scale_factor=2, mode=mode).sum()  # [cpu-fallback-op]  # torchtpu: [missing-tpu-kernel]
        loss = loss + F.interpolate(image, scale_factor=2, mode="nearest").sum()
        loss = loss + F.interpolate(image, scale_factor=2, mode="bilinear" if mode else "nearest").sum()
        loss = loss + F.interpolate(image, scale_factor=2, mode="bicubic" if mode else "nearest").sum()  # [cpu-fallback-op]
        loss = loss + model(image, tokens)[0].mode().values.sum()  # [cpu-fallback-op]  # torchtpu: [missing-tpu-kernel]
        loss = loss + features.mode().values.sum()  # [cpu-fallback-op]  # torchtpu: [missing-tpu-kernel]
        loss = loss + F.leaky_relu(features, 0.2).sum() + torch.special.expit(features).sum()
        loss.backward()
        optimizer.step()
        torch_xla.sync()  # torchtpu: [torch-xla-api]


@torch.no_grad()
def evaluate(model, loader, weight, offsets, results):
    for image, tokens in loader:
        tokens = tokens.to(device)
        features, _ = model(image.to(device), tokens)
        bags = F.embedding_bag(tokens.flatten(), weight, offsets, mode="max")  # [cpu-fallback-op]
        bags_mean = F.embedding_bag(tokens.flatten(), weight, offsets)  # [cpu-fallback-op]
        results.append(features.sum() + bags.sum() + bags_mean.sum())
        torch_xla.sync()  # torchtpu: [torch-xla-api]
