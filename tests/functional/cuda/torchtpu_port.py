"""Code on its way to TorchTPU: torch.tpu's internal device queries, torch_xla left over from an
earlier port in every spelling, and TorchTPU's fp16 autocast default. Look-alikes that TorchTPU
runs (torch.accelerator, experimental torch.tpu APIs, a "tpu" device) stay silent."""
import os

import torch
import torch.distributed as dist
import torch_xla as tx  # torchtpu: [torch-xla-api]
import torch_xla.core.xla_model as xm  # torchtpu: [torch-xla-api]
import torch_xla.distributed.xla_multiprocessing as xmp  # torchtpu: [torch-xla-api]
import torch_xla.runtime as xr  # torchtpu: [torch-xla-api]
from torch_xla.distributed.parallel_loader import MpDeviceLoader  # torchtpu: [torch-xla-api]
from torch_xla import runtime  # torchtpu: [torch-xla-api]
from torch.tpu import synchronize


def train(index, model, loader, optimizer):
    device = xm.xla_device()  # torchtpu: [torch-xla-api]
    also = tx.device()  # torchtpu: [torch-xla-api]
    model.to(torch.device("xla", 0))  # torchtpu: [torch-xla-api]
    model.to("xla:1")  # torchtpu: [torch-xla-api]
    batches = MpDeviceLoader(loader, device)  # torchtpu: [torch-xla-api]
    for batch in batches:
        with torch.autocast("tpu"):  # torchtpu: [tpu-autocast-half]
            loss = model(batch).sum()
        with torch.autocast(device_type="tpu", dtype=torch.float16):  # torchtpu: [tpu-autocast-half]
            loss = loss + model(batch).sum()
        with torch.autocast("tpu", dtype=torch.bfloat16):
            loss = loss + model(batch).sum()
        loss.backward()
        xm.optimizer_step(optimizer)  # torchtpu: [torch-xla-api]
        tx.sync()  # torchtpu: [torch-xla-api]
    print(xr.world_size(), runtime.global_ordinal())  # torchtpu: [torch-xla-api, torch-xla-api]


def report():
    if torch.tpu.is_available():  # torchtpu: [legacy-tpu-device-api]
        print(torch.tpu.device_count())  # torchtpu: [legacy-tpu-device-api]
    torch.tpu.set_device(0)  # torchtpu: [legacy-tpu-device-api]
    synchronize()  # torchtpu: [legacy-tpu-device-api]
    with torch.tpu.device(0):  # torchtpu: [legacy-tpu-device-api]
        pass
    # What TorchTPU users should write: silent.
    if torch.accelerator.is_available():  # [accelerator-api]
        torch.accelerator.synchronize()  # [accelerator-api]
    print(torch.tpu.get_device_name(), torch.tpu.get_amp_supported_dtype())
    device = torch.accelerator.current_accelerator() if torch.accelerator.is_available() else torch.device("cpu")  # [cuda-availability-fallback]
    torch.set_float32_matmul_precision("high")  # [cudnn-setting]
    return device


def start():
    dist.init_process_group("xla", init_method="xla://")  # torchtpu: [torch-xla-api, torch-xla-api]
    dist.init_process_group(backend="tpu_dist")
    compiled = torch.compile(train, backend="openxla")  # torchtpu: [torch-xla-api]
    plain = torch.compile(train)  # [inductor-compile]
    xmp.spawn(train, args=())  # torchtpu: [torch-xla-api]
    names = ["xla", "tpu", "cuda"]  # choices, not a device
    if os.environ.get("BACKEND") == "xla":
        print(names)
    return compiled, plain


def supported_devices(supports_xla):
    devices = ["cuda", "xpu"]
    if supports_xla:
        devices.append("xla")  # names the runtime as text: silent
    return devices


def load(path):
    return torch.load(path, map_location="xla")  # torchtpu: [torch-xla-api]


def scaled_step(model, batch, optimizer):
    scaler = torch.amp.GradScaler("tpu")  # torchtpu: [tpu-grad-scaler]
    off = torch.amp.GradScaler("tpu", enabled=False)
    cpu = torch.amp.GradScaler("cpu")
    scaler.scale(model(batch).sum()).backward()
    scaler.step(optimizer)
    return off, cpu


os.environ["PJRT_DEVICE"] = "TPU"  # torchtpu: [torch-xla-api]
os.environ.setdefault("XLA_USE_BF16", "1")  # torchtpu: [torch-xla-api]
os.environ["XLA_FLAGS"] = "--xla_dump_to=/tmp/dump"  # read by both runtimes: silent
device_kind = os.environ.get("PJRT_DEVICE", "CPU")  # read, not set: silent


def odd_spellings(cfg):
    runtime = torch.tpu  # the module itself, not one of its calls: silent
    print(tx)
    with torch.autocast("tpu", **cfg):  # the dtype may be in cfg: silent
        return runtime
