import torch_xla

def train_step(model, batch, opt):
    loss = model(batch).sum()
    loss.backward()
    opt.step()

def train_one_epoch(model, loader, opt):
    for batch in loader:
        train_step(model, batch, opt)

def synced_step(model, batch, opt):
    train_step(model, batch, opt)
    torch_xla.sync()
