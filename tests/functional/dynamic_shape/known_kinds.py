"""Known kinds reached through more spellings (issue 11): values out of tuple unpacking, out of a
loss module moved to the device, branch tests in conditional expressions, masks from tensor
methods. Look-alikes with Python values stay silent."""
import torch
import torch.nn as nn
import torch_xla  # torchtpu: [torch-xla-api]

device = torch_xla.device()  # torchtpu: [torch-xla-api]
model = nn.Linear(4, 4).to(device)
criterion = nn.CrossEntropyLoss().to(device)
opt = torch.optim.SGD(model.parameters(), 0.1)


def stats(batch):
    return float(len(batch)), 0.5


def train(loader, table):
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        logits, loss = model(x), criterion(model(x), y)
        loss.backward()
        opt.step()
        values, indices = torch.sort(logits)
        if values.max() > 0:  # [host-sync-in-step]
            opt.zero_grad()
        total = criterion(logits, y).item()  # [host-sync-in-step]
        sigma = logits.mean()
        picked = x if sigma > 0 else y  # [host-sync-in-step]
        mask = x.eq(y)
        kept = x[~mask]  # [data-dependent-shape]
        both = x[mask & (y > 0)]  # [data-dependent-shape]
        size, ratio = stats(x)
        if ratio > 0.1:  # Python floats
            pass
        flag = size > 3
        chosen = x if flag else y  # a Python bool
        rows = table[table.eq(3)]  # a table that is not a tensor
        torch_xla.sync()  # torchtpu: [torch-xla-api]
