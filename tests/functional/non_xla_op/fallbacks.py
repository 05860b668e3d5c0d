"""Calls torch_xla runs on the CPU, in the step; lowered look-alikes; the same outside the step."""
import torch
import torch.nn.functional as F
import torch_xla

device = torch_xla.device()
model = torch.nn.Linear(8, 8).to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
reference = torch.median(torch.randn(8, device=device))  # set-up, once: not reported


def train(loader, mode, k):
    for batch in loader:
        features = model(batch.to(device))
        center = torch.median(features)  # [cpu-fallback-op]
        rows = features.median(dim=0)  # [cpu-fallback-op]
        sampled = torch.multinomial(features.softmax(-1), 2)  # [cpu-fallback-op]
        one = torch.multinomial(features.softmax(-1), 1)
        many = torch.multinomial(features.softmax(-1), 2, replacement=True)
        image = features.reshape(1, 1, 8, 8)
        up = F.interpolate(image, scale_factor=2, mode="bicubic")  # [cpu-fallback-op]
        up_fine = F.interpolate(image, scale_factor=2, mode="bilinear")
        up_unknown = F.interpolate(image, scale_factor=2, mode=mode)  # [cpu-fallback-op]
        pooled = F.max_pool2d(image, 2, dilation=2)  # [cpu-fallback-op]
        plain = F.max_pool2d(image, 2)
        mixed = torch.addmm(features, features, features, beta=0.5)  # [cpu-fallback-op]
        added = torch.addmm(features, features, features)
        noise = features.uniform_(generator=torch.Generator())  # [cpu-fallback-op]
        adaptive = F.adaptive_avg_pool2d(image, 3)
        lowered = torch.sort(features).values + torch.topk(features, k).values.sum() + torch.cumsum(features, 0)
        loss = (center + rows.values.sum() + sampled.sum() + one.sum() + many.sum() + up.sum() + up_fine.sum()
                + up_unknown.sum() + pooled.sum() + plain.sum() + mixed.sum() + added.sum() + noise.sum()
                + adaptive.sum() + lowered.sum())
        loss.backward()
        optimizer.step()
        torch_xla.sync()


def after_training(values):
    return torch.median(values)
