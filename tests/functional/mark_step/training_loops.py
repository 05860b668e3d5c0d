"""Training loops: epoch/step nesting, gradient accumulation, validation, optimizer_step."""
import torch
import torch_xla  # torchtpu: [torch-xla-api]
import torch_xla.core.xla_model as xm  # torchtpu: [torch-xla-api]
from torch.utils.data import DataLoader

device = torch_xla.device()  # torchtpu: [torch-xla-api]


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = torch.nn.Linear(8, 2)

    def forward(self, inputs):
        return self.layer(inputs)


model = Net().to(device)
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
criterion = torch.nn.MSELoss()
loader = DataLoader(torch.randn(64, 8), batch_size=8)  # [unpadded-input]  # torchtpu: [unpadded-input]


def train_without_barrier(epochs):
    for epoch in range(epochs):
        for batch in loader:  # [missing-graph-barrier]
            loss = model(batch.to(device)).sum()
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
        print(f"epoch {epoch} done")


def train_with_barrier(epochs):
    for epoch in range(epochs):
        for batch in loader:
            loss = model(batch.to(device)).sum()
            loss.backward()
            optimizer.step()
            torch_xla.sync()  # torchtpu: [torch-xla-api]
        with torch.no_grad():
            model(torch.ones(1, 8, device=device))


def gradient_accumulation(steps):
    # One graph spans the micro-steps of an update and is cut with it: compiled once
    # (rules/evidence/mark_step_checks.txt: gradient-accumulation).
    for index, batch in enumerate(loader):
        loss = model(batch.to(device)).sum() / steps
        loss.backward()
        if (index + 1) % steps == 0:
            optimizer.step()
            optimizer.zero_grad()
            torch_xla.sync()  # torchtpu: [torch-xla-api]


def optimizer_step_without_barrier():
    for batch in loader:  # [missing-graph-barrier]
        loss = model(batch.to(device)).sum()
        loss.backward()
        xm.optimizer_step(optimizer)  # torchtpu: [torch-xla-api]


def optimizer_step_with_barrier():
    for batch in loader:
        loss = model(batch.to(device)).sum()
        loss.backward()
        xm.optimizer_step(optimizer, barrier=True)  # torchtpu: [torch-xla-api]


def continue_skips_the_barrier():
    for batch in loader:  # [missing-graph-barrier]
        loss = model(batch.to(device)).sum()
        loss.backward()
        if loss.isnan().any():  # [host-sync-in-step]
            continue
        optimizer.step()
        torch_xla.sync()  # torchtpu: [torch-xla-api]


def skip_before_work_is_fine():
    for batch in loader:
        if batch is None:
            continue
        loss = model(batch.to(device)).sum()
        loss.backward()
        torch_xla.sync()  # torchtpu: [torch-xla-api]


def barrier_first():
    for batch in loader:
        torch_xla.sync()  # [barrier-before-step-work]  # torchtpu: [torch-xla-api]
        loss = model(batch.to(device)).sum()
        loss.backward()


def deprecated_name():
    for batch in loader:
        model(batch.to(device)).sum().backward()
        xm.mark_step()  # [deprecated-mark-step]  # torchtpu: [torch-xla-api]


def validation():
    total = torch.zeros((), device=device)
    with torch.no_grad():
        for batch in loader:  # [missing-graph-barrier]
            total += model(batch.to(device)).sum()
    return total


def with_step_context():
    for batch in loader:
        with torch_xla.step():  # torchtpu: [torch-xla-api]
            model(batch.to(device)).sum().backward()
            optimizer.step()


def while_true_with_break():
    step = 0
    while True:  # [missing-graph-barrier]
        model(torch.ones(1, 8, device=device)).sum().backward()
        step += 1
        if step > 10:
            break


def per_layer_losses(features, targets):
    for batch in loader:  # [missing-graph-barrier]
        style_loss = torch.zeros((), device=device)
        for feature, target in zip(features, targets):
            style_loss += criterion(feature, target)
        (model(batch.to(device)).sum() + style_loss).backward()
        optimizer.step()


def per_layer_losses_synced(features, targets):
    for batch in loader:
        style_loss = torch.zeros((), device=device)
        for feature, target in zip(features, targets):
            style_loss += criterion(feature, target)
        (model(batch.to(device)).sum() + style_loss).backward()
        optimizer.step()
        torch_xla.sync()  # torchtpu: [torch-xla-api]


def epochs_of_helpers(epochs):
    for epoch in range(epochs):
        train_with_barrier(1)
        validation()
        print(epoch)


class Blocks(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = torch.nn.ModuleList(torch.nn.Linear(8, 8) for _ in range(4))

    def forward(self, inputs):
        for block in self.blocks:
            inputs = block(inputs)
        return inputs


def tensor_arithmetic_only(values):
    total = torch.zeros((), device=device)
    for value in values:
        total = total + value.to(device) * 2
    return total


def train_one_epoch():
    for batch in loader:
        model(batch.to(device)).sum().backward()
        optimizer.step()
        torch_xla.sync()  # torchtpu: [torch-xla-api]
    return model(torch.ones(1, 8, device=device)).sum()


def epochs_with_tail_work(epochs):
    for _ in range(epochs):
        train_one_epoch()


def train_with_gradient_accumulation(loader, accumulation_steps):
    """Micro-steps (backward, no optimizer step) inside the step loop: the barrier belongs after
    the optimizer step of the loop around them, not in each micro-step."""
    batches = iter(loader)
    for step in range(1000):  # [missing-graph-barrier]
        for micro_step in range(accumulation_steps):
            loss = model(next(batches).to(device)).mean() / accumulation_steps
            loss.backward()
        optimizer.step()
        optimizer.zero_grad()


def train_with_gradient_accumulation_synced(loader, accumulation_steps):
    batches = iter(loader)
    for step in range(1000):
        for micro_step in range(accumulation_steps):
            model(next(batches).to(device)).mean().backward()
        optimizer.step()
        optimizer.zero_grad()
        torch_xla.sync()  # torchtpu: [torch-xla-api]


def evaluate_every_epoch(loader, epochs):
    """An inner loop that runs the model without backward is the step loop itself."""
    for epoch in range(epochs):
        for batch in loader:  # [missing-graph-barrier]
            model(batch.to(device))


def train_nanogpt_style(get_batch, make_optimizer, accumulation_steps):
    """The optimizer comes from a helper (its kind unknown); a GradScaler steps it."""
    opt = make_optimizer()
    scaler = torch.amp.GradScaler("xla", enabled=False)  # torchtpu: [torch-xla-api]
    while True:  # [missing-graph-barrier]
        for micro_step in range(accumulation_steps):
            loss = model(get_batch().to(device)).mean()
            scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        opt.zero_grad(set_to_none=True)


def values_read_after_the_barrier_are_not_the_step():
    best = None
    for batch in loader:
        loss = model(batch.to(device)).sum()
        loss.backward()
        torch_xla.sync()  # torchtpu: [torch-xla-api]
        best = loss.detach()  # the barrier above ran loss's graph: no new step work
        print(loss)  # materialized by the barrier: printing it runs no graph


def logging_before_the_barrier_still_counts():
    for batch in loader:
        loss = model(batch.to(device)).sum()
        loss.backward()
        print(loss)  # [tensor-logged-in-step]
        torch_xla.sync()  # torchtpu: [torch-xla-api]
