"""Logging that reads tensor values inside the step loop."""
import logging

import torch
import torch_xla  # torchtpu: [torch-xla-api]
import torch_xla.core.xla_model as xm  # torchtpu: [torch-xla-api]
from torch.utils.tensorboard import SummaryWriter

logger = logging.getLogger(__name__)
device = torch_xla.device()  # torchtpu: [torch-xla-api]
model = torch.nn.Linear(8, 1).to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
writer = SummaryWriter()


def train(loader):
    for step, batch in enumerate(loader):
        loss = model(batch.to(device)).mean()
        loss.backward()
        optimizer.step()
        print(f"step {step} loss {loss.item():.4f}")  # [tensor-logged-in-step]
        logger.info("loss %s", loss)  # [tensor-logged-in-step]
        writer.add_scalar("loss", loss.item(), step)  # [tensor-logged-in-step]
        torch_xla.sync()  # torchtpu: [torch-xla-api]


def train_quietly(loader, history):
    for step, batch in enumerate(loader):
        loss = model(batch.to(device)).mean()
        loss.backward()
        optimizer.step()
        xm.add_step_closure(lambda value: print(f"loss {value.item():.4f}"), args=(loss,))  # torchtpu: [torch-xla-api]
        print(f"step {step} of {len(history)}")
        logger.info("step %d", step)
        torch_xla.sync()  # torchtpu: [torch-xla-api]
    print(f"final loss {loss.item()}")


def host_loop(values):
    for value in values:
        print(f"value {value:.2f}")


def train_on_mp_loader(loader):
    import torch_xla.distributed.parallel_loader as pl  # torchtpu: [torch-xla-api]

    for batch in pl.MpDeviceLoader(loader, device):  # torchtpu: [torch-xla-api]
        loss = model(batch).mean()
        loss.backward()
        print(loss.item())  # [tensor-logged-in-step]


def train_logging_every_n_steps(loader, interval):
    for step, batch in enumerate(loader):
        loss = model(batch.to(device)).mean()
        loss.backward()
        optimizer.step()
        if step % interval == 0:  # a setting, which may be 1: advice with INFERENCE confidence
            print("loss {:.4f} for {} rows".format(loss.item(), len(batch)))  # [tensor-logged-in-step]
        torch_xla.sync()  # torchtpu: [torch-xla-api]


def train_logging_every_hundred_steps(loader):
    for step, batch in enumerate(loader):
        loss = model(batch.to(device)).mean()
        loss.backward()
        optimizer.step()
        if step % 100 == 0:  # written in the code: rare enough, silent
            print("loss {:.4f}".format(loss.item()))
        torch_xla.sync()  # torchtpu: [torch-xla-api]


def train_hugging_face_style(loader):
    """A model's output fields are tensors (`outputs.loss`); a tensor's shape and flags are not."""
    for batch in loader:
        outputs = model(batch.to(device))
        outputs.loss.backward()
        optimizer.step()
        print(f"loss {outputs.loss.item():.4f}")  # [tensor-logged-in-step]
        print("batch of", outputs.logits.shape[0], "on xla:", outputs.logits.is_cuda)
        torch_xla.sync()  # torchtpu: [torch-xla-api]
