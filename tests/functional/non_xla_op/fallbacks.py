"""Calls torch_xla runs on the CPU, in the step; lowered look-alikes; the same outside the step."""
import torch
import torch.nn.functional as F
import torch_xla  # torchtpu: [torch-xla-api]

device = torch_xla.device()  # torchtpu: [torch-xla-api]
model = torch.nn.Linear(8, 8).to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
reference = torch.median(torch.randn(8, device=device))  # set-up, once: not reported


def train(loader, mode, k):
    for batch in loader:
        features = model(batch.to(device))
        center = torch.median(features)  # [cpu-fallback-op]  # torchtpu: [missing-tpu-kernel]
        rows = features.median(dim=0)  # [cpu-fallback-op]  # torchtpu: [missing-tpu-kernel]
        sampled = torch.multinomial(features.softmax(-1), 2)  # [cpu-fallback-op]
        one = torch.multinomial(features.softmax(-1), 1)
        many = torch.multinomial(features.softmax(-1), 2, replacement=True)
        image = features.reshape(1, 1, 8, 8)
        up = F.interpolate(image, scale_factor=2, mode="bicubic")  # [cpu-fallback-op]
        up_fine = F.interpolate(image, scale_factor=2, mode="bilinear")
        up_unknown = F.interpolate(image, scale_factor=2, mode=mode)  # [cpu-fallback-op]  # torchtpu: [missing-tpu-kernel]
        pooled = F.max_pool2d(image, 2, dilation=2)  # [cpu-fallback-op]
        plain = F.max_pool2d(image, 2)
        mixed = torch.addmm(features, features, features, beta=0.5)  # [cpu-fallback-op]
        added = torch.addmm(features, features, features)
        noise = features.uniform_(generator=torch.Generator())  # [cpu-fallback-op]
        adaptive = F.adaptive_avg_pool2d(image, 3)  # [cpu-fallback-op]
        adaptive = adaptive.sum() + F.adaptive_avg_pool2d(image, 1).sum() + F.adaptive_avg_pool2d(image, (1, 1)).sum()
        lowered = torch.sort(features).values + torch.topk(features, k).values.sum() + torch.cumsum(features, 0)
        loss = (center + rows.values.sum() + sampled.sum() + one.sum() + many.sum() + up.sum() + up_fine.sum()
                + up_unknown.sum() + pooled.sum() + plain.sum() + mixed.sum() + added.sum() + noise.sum()
                + adaptive.sum() + lowered.sum())
        loss.backward()
        optimizer.step()
        torch_xla.sync()  # torchtpu: [torch-xla-api]


def after_training(values):
    return torch.median(values)


def train_measured(loader, generator, index, targets, lengths, window):
    """Every other measured entry: each fallback with its look-alike or the other side of its condition."""
    for batch in loader:
        features = model(batch.to(device))
        image = features.reshape(1, 1, 8, 8)
        counts = features.argmax(-1)
        stats = torch.nanmedian(features)  # [cpu-fallback-op]  # torchtpu: [missing-tpu-kernel]
        stats = stats + torch.mode(counts).values.sum()  # [cpu-fallback-op]  # torchtpu: [missing-tpu-kernel]
        stats = stats + torch.bincount(counts).sum()  # [cpu-fallback-op]
        stats = stats + torch.histc(features, bins=4).sum()  # [cpu-fallback-op]
        places = torch.searchsorted(features.sort().values, features)  # [cpu-fallback-op]
        buckets = torch.bucketize(features, features.sort().values)  # [cpu-fallback-op]
        found = torch.isin(counts, index)  # [cpu-fallback-op]
        lows = torch.cummin(features, 0).values  # [cpu-fallback-op]
        lows = lows + torch.cummax(features, 0).values
        smooth = torch.logcumsumexp(features, 0)  # [cpu-fallback-op]
        events = torch.poisson(features.exp())  # [cpu-fallback-op]  # torchtpu: [missing-tpu-kernel]
        noise = features.normal_(generator=generator)  # [cpu-fallback-op]
        noise = noise + features.normal_() + features.uniform_()
        noise = noise + features.normal_(generator=torch.Generator())  # [cpu-fallback-op]
        coins = torch.bernoulli(features.sigmoid(), generator=generator)  # [cpu-fallback-op]
        coins = coins + torch.bernoulli(features.sigmoid())
        coins = coins + torch.bernoulli(features.sigmoid(), generator=torch.Generator())  # [cpu-fallback-op]
        spectrum = torch.fft.rfft(features).abs().sum()  # [cpu-fallback-op]
        spectrum = spectrum + torch.fft.fft(features).abs().sum()  # [cpu-fallback-op]
        spectrum = spectrum + torch.stft(features.flatten(), 4, window=window, return_complex=True).abs().sum()  # [cpu-fallback-op]
        square = features[:4, :4]
        q = torch.linalg.qr(square).Q  # [cpu-fallback-op]
        e = torch.linalg.eig(square).eigenvalues.real  # [cpu-fallback-op]  # torchtpu: [missing-tpu-kernel]
        s = torch.linalg.solve(square, features[:4])  # [cpu-fallback-op]
        c = torch.linalg.cholesky(square @ square.T)  # [cpu-fallback-op]  # torchtpu: [missing-tpu-kernel]
        l = torch.linalg.lstsq(square, features[:4]).solution  # [cpu-fallback-op]  # torchtpu: [missing-tpu-kernel]
        d = torch.linalg.det(square)  # [cpu-fallback-op]  # torchtpu: [missing-tpu-kernel]
        m = torch.linalg.matrix_exp(square)  # [cpu-fallback-op]  # torchtpu: [missing-tpu-kernel]
        algebra = (q.sum() + e.sum() + s.sum() + c.sum() + l.sum() + d + m.sum() + torch.linalg.inv(square).sum()
                   + torch.linalg.eigh(square).eigenvalues.sum() + torch.linalg.svd(square).S.sum())  # torchtpu: [missing-tpu-kernel]
        warped = F.grid_sample(image, features[:4].reshape(1, 2, 2, 8)[..., :2].tanh(), align_corners=False)  # [cpu-fallback-op]
        exact = F.interpolate(image, scale_factor=2, mode="nearest-exact")  # [cpu-fallback-op]
        smooth_down = F.interpolate(image, scale_factor=0.5, mode="bilinear", antialias=True)  # [cpu-fallback-op]  # torchtpu: [missing-tpu-kernel]
        near = F.interpolate(image, scale_factor=2, mode="nearest")
        patches = F.unfold(image, 2)  # [cpu-fallback-op]
        folded = F.fold(patches, (8, 8), 2)  # [cpu-fallback-op]
        ctc = F.ctc_loss(features.log_softmax(-1).unsqueeze(1), targets, lengths, lengths)  # [cpu-fallback-op]
        means = features.scatter_reduce(0, index, features, "mean")  # [cpu-fallback-op]
        means_kw = features.scatter_reduce(0, index, features, reduce="mean")  # [cpu-fallback-op]
        maxes = features.scatter_reduce(0, index, features, reduce="amax")
        products = features.index_reduce(0, index, features, "prod")  # [cpu-fallback-op]
        upper = torch.triu_indices(8, 8, device=device)  # [cpu-fallback-op]  # torchtpu: [missing-tpu-kernel]
        scaled = torch.addmm(features, features, features, alpha=2.0)  # [cpu-fallback-op]
        sparsity = torch.norm(features, p=0)  # [cpu-fallback-op]
        magnitude = torch.norm(features)
        same = torch.equal(features, features)  # [cpu-fallback-op]
        special = torch.lgamma(features.exp())  # [cpu-fallback-op]
        special = special + torch.digamma(features.exp())  # [cpu-fallback-op]
        special = special + torch.special.i0(features)  # [cpu-fallback-op]  # torchtpu: [missing-tpu-kernel]
        special = special + torch.special.bessel_j0(features)  # [cpu-fallback-op]  # torchtpu: [missing-tpu-kernel]
        max_pooled = F.adaptive_max_pool2d(image, 3)  # [cpu-fallback-op]
        max_pooled = max_pooled.sum() + F.adaptive_max_pool2d(image, 1).sum()
        sequence, volume_in = features.reshape(1, 8, 8), image[None]
        pooled_1d = F.adaptive_avg_pool1d(sequence, 3)  # [cpu-fallback-op]
        pooled_1d = pooled_1d + F.adaptive_max_pool1d(sequence, 3)  # [cpu-fallback-op]
        pooled_3d = F.adaptive_avg_pool3d(volume_in, 3)  # [cpu-fallback-op]
        pooled_3d_max = F.adaptive_max_pool3d(volume_in, 1)  # [cpu-fallback-op]  # torchtpu: [missing-tpu-kernel]
        pooled_global = F.adaptive_avg_pool1d(sequence, 1).sum() + F.adaptive_max_pool1d(sequence, 1).sum()
        pooled_global = pooled_global + F.adaptive_avg_pool3d(volume_in, 1).sum()
        signal = features.reshape(1, 8, 8)
        stretched = F.interpolate(signal, scale_factor=2, mode="linear")  # [cpu-fallback-op]
        pooled_area = F.interpolate(image, size=3, mode="area")  # [cpu-fallback-op]
        volume = F.interpolate(image[None], scale_factor=2, mode="trilinear")  # torchtpu: [missing-tpu-kernel]
        unique_max = features.scatter_reduce(0, index, features, reduce="amax", include_self=False)  # [cpu-fallback-op]
        bags = F.embedding_bag(counts.flatten(), features, index, mode="max")  # [cpu-fallback-op]
        middle = torch.quantile(features, 0.5)
        attended = F.scaled_dot_product_attention(features[None], features[None], features[None])
        mixed = torch.einsum("ij,jk->ik", features, features) + torch.kron(square, square).sum()
        masked = features.masked_fill(features > 0, 0.0) + torch.where(features > 0, features, 0.0)
        classes = F.one_hot(counts, num_classes=8).sum() + F.cross_entropy(features, counts)
        loss = (stats + places.sum() + buckets.sum() + found.sum() + lows.sum() + smooth.sum() + events.sum()
                + noise.sum() + coins.sum() + spectrum + algebra + warped.sum() + exact.sum() + smooth_down.sum()
                + near.sum() + folded.sum() + ctc + means.sum() + means_kw.sum() + maxes.sum() + products.sum()
                + upper.sum() + scaled.sum() + sparsity + magnitude + same + special.sum() + max_pooled.sum()
                + bags.sum() + middle + attended.sum() + mixed.sum() + masked.sum() + classes + stretched.sum()
                + pooled_area.sum() + volume.sum() + unique_max.sum() + pooled_1d.sum() + pooled_3d.sum()
                + pooled_3d_max.sum() + pooled_global)
        loss.backward()
        optimizer.step()
        torch_xla.sync()  # torchtpu: [torch-xla-api]
