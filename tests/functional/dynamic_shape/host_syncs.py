"""Reading tensor values on the host in the step; the same outside it, in closures, on numbers."""
import torch
import torch.nn.functional as F
import torch_xla  # torchtpu: [torch-xla-api]
import torch_xla.core.xla_model as xm  # torchtpu: [torch-xla-api]

device = torch_xla.device()  # torchtpu: [torch-xla-api]
model = torch.nn.Linear(8, 4).to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)


def train(loader, history):
    total = 0.0
    for batch in loader:
        logits = model(batch.to(device))
        loss = logits.mean()
        if loss > 10:  # [host-sync-in-step]
            loss = loss * 0.1
        assert not torch.isnan(loss)  # [host-sync-in-step]
        total += loss.item()  # [host-sync-in-step]
        history.append(logits.argmax(-1).tolist())  # [host-sync-in-step]
        snapshot = logits.detach().cpu().numpy()  # [host-sync-in-step]
        flag = bool(loss > 0)  # [host-sync-in-step]
        same = torch.allclose(logits, logits)  # [host-sync-in-step]
        labels = F.one_hot(logits.argmax(-1))  # [host-sync-in-step]
        fixed = F.one_hot(logits.argmax(-1), num_classes=4)
        loss.backward()
        optimizer.step()
        xm.add_step_closure(lambda value: history.append(value.item()), args=(loss,))  # torchtpu: [torch-xla-api]
        step_count = len(history)
        if step_count > 100:
            break
        torch_xla.sync()  # torchtpu: [torch-xla-api]
    return total, snapshot, flag, same, labels, fixed, loss.item()


def evaluate(values):
    for value in values:
        if value > 0.5:
            print(float(value))


def train_until_converged(batch):
    loss = torch.ones((), device=device)
    while loss > 0.1:  # [host-sync-in-step]
        loss = model(batch.to(device)).mean()
        loss.backward()
        optimizer.step()
        torch_xla.sync()  # torchtpu: [torch-xla-api]
