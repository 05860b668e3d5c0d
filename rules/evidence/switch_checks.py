"""Run-time checks behind the claims about GPU-only switches and settings (optimizer flags, process-group
backends, FSDP and device meshes, Hugging Face / diffusers / Lightning options, precision modes,
launchers), on torch_xla (PJRT CPU).

Not part of the project's install or CI. Run it in a separate venv that has torch 2.9.0 (PyPI's
CUDA build) and torch_xla 2.9.0:

    python3 -m venv /tmp/xla && /tmp/xla/bin/pip install torch==2.9.0 torch_xla==2.9.0
    PJRT_DEVICE=CPU /tmp/xla/bin/python rules/evidence/switch_checks.py > rules/evidence/switch_checks.txt

The script installs the libraries it checks into that venv itself (so each install outcome is
recorded too), with `--no-deps` for every package that depends on torch (transformers, accelerate,
bitsandbytes, xformers, lightning, torchmetrics), so torch and torch_xla stay as they are; their
pure-Python requirements are installed normally. The exact commands are in INSTALLS below and are
printed in the `install-*` lines; the `# versions` line after them records every version the
checks ran with.

diffusers 0.42.1 (the newest release) requires huggingface_hub>=1.32, while transformers 4.57.6
refuses any huggingface_hub>=1.0 at import. So diffusers and its own huggingface_hub 2.4.0 are
installed with `--target` into an overlay folder (OVERLAY below, inside the venv) that only the
diffusers checks put first on PYTHONPATH; those checks also hide transformers
(`sys.modules["transformers"] = None`, so diffusers sees it as not installed). The pipelines and
models they build (UNet2DModel, UNet2DConditionModel, DDPMPipeline) need no transformers.

A TPU VM has no NVIDIA driver, no CUDA toolkit and no nvcc. This machine has no driver either
(torch.cuda.is_available() is False), but it has a CUDA toolkit in /usr/local/cuda. So, as in
library_checks.py, every check runs in its own Python process, started by `unshare --mount` inside
a private mount namespace with a tmpfs over /usr/local (nothing outside that process is affected),
with CUDA_HOME and CUDA_PATH unset and every PATH entry under /usr/local or holding an `nvcc`
dropped. Where unshare is not allowed (not root), the header line says so and /usr/local stays
visible. One process per check also keeps a crash, a hang or global state (a process group,
torch.compile, precision flags) inside that check; a check that dies or times out is still reported.
No check uses a TPU or anything from the Hugging Face Hub (HF_HUB_OFFLINE=1): models are built from
tiny configs and, where a from_pretrained path is needed, saved to a temporary folder first. One
thing is not in the script's hands: Lightning's TPU detection (XLAAccelerator.is_available(), which
Trainer(accelerator="auto") calls too) asks the GCE metadata server (metadata.google.internal) for
`tpu-env`; that name does not resolve on this machine, so the lookup fails at once (on a TPU VM it
answers), and the lightning lines record what follows.

The helpers both scripts share (report, pip, the XLA counters, a small model) are in harness.py
beside this script.

Each check prints one line `CHECK <name>: <observation>` (install steps print `CHECK install-<pkg>:`).
Exceptions are recorded as `raises <type>: <first line>`; warnings as `| warns <category>: <first
line>` and library log records of level WARNING and above as `| logs <logger>: <first line>`. Runs
on the XLA device also record torch_xla.debug.metrics: `fallbacks [aten::...]` (ops run on the CPU
instead of XLA), `CompileTime` (XLA compilations) and `TransferFromDeviceTime` (device-to-host
copies, i.e. host syncs). An exception whose message is short (a bare key or name) also gets
`(raised at <file>:<line>)`. A fact read from a library's source rather than run says so, as
`source <file>:<line>: <text>` (file relative to the venv's site-packages or the overlay); the
script finds the line by its text, so the numbers match the installed versions.
"""

import inspect
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import warnings

import torch

from harness import (HIDE_USR_LOCAL, describe, key_line, pending, raising_line, report, report_child, small_model,
                     xla_costs, xla_device)
from harness import pip as pip_in_venv

SCRIPT = os.path.abspath(__file__)
CHECK_TIMEOUT = 600
PIP_TIMEOUT = 500
OVERLAY = os.path.join(sys.prefix, "overlay-diffusers")


def pip(*args, timeout=None):
    """harness.pip with this script's time limit."""
    return pip_in_venv(*args, timeout=timeout or PIP_TIMEOUT)


# Every install the script does, as the pip arguments it runs (after `python -m pip install`).
INSTALLS = {
    "requirements": [
        "huggingface_hub>=0.34,<1.0",  # transformers 4.57.6's range
        "tokenizers>=0.22,<=0.23",
        "safetensors>=0.8",  # diffusers 0.42.1 wants >=0.8, transformers >=0.4.3
        "regex",
        "tqdm",
        "psutil",
        "Pillow",
        "importlib_metadata",
        "lightning-utilities>=0.15.3",
    ],
    "transformers": ["--no-deps", "transformers==4.57.6"],
    "accelerate": ["--no-deps", "accelerate==1.15.0"],
    "bitsandbytes": ["--no-deps", "bitsandbytes==0.50.2"],
    "xformers": ["--no-deps", "xformers==0.0.33.post1"],  # the release whose metadata says torch==2.9.0
    "lightning": ["--no-deps", "lightning==2.6.6", "torchmetrics==1.9.0"],
    "diffusers": [
        "--no-deps",
        "--upgrade",
        "--target",
        OVERLAY,
        "diffusers==0.42.1",
        "huggingface_hub==2.4.0",
        # huggingface_hub 2.4.0's requirements that the venv lacks
        "httpx2==2.16.2",
        "httpcore2==2.16.2",
        "anyio==4.16.0",
        "h11==0.16.0",
        "click==8.5.1",
        "truststore==0.10.5",
    ],
}

# Checks whose process gets OVERLAY first on PYTHONPATH.
OVERLAY_CHECKS = set()

LOGGERS = ["transformers", "accelerate", "diffusers", "lightning", "lightning.pytorch", "lightning.fabric",
           "torch", "torch_xla", "root"]


# ---------------------------------------------------------------- helpers


def first_line(text, limit=240):
    text = str(text).strip()
    return text.splitlines()[0][:limit] if text else ""


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.records = []

    def emit(self, record):
        self.records.append(record)


def outcome(thunk, detail=None):
    """What calling thunk does: its return value, or the exception it raises (first line, and
    detail(message) in brackets, when detail is given and finds something), then the warnings and
    the library log records (WARNING and above) it produced."""
    handler = _Records()
    loggers = [logging.getLogger(name if name != "root" else None) for name in LOGGERS]
    for logger in loggers:
        logger.addHandler(handler)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = thunk()
            result = f"returns {value!r}"[:400] if not isinstance(value, str) else f"returns {value!r}"[:600]
        except BaseException as error:  # the point is to record whatever it raises (SystemExit too)
            result = f"raises {type(error).__name__}: {first_line(error) or raising_line(error)}"
            if len(first_line(error)) < 60:  # a bare key or name: say where it was raised
                result += f" (raised at {_raised_at(error)})"
            extra = detail(str(error)) if detail else ""
            result += f" [{extra}]" if extra else ""
        finally:
            for logger in loggers:
                logger.removeHandler(handler)
    seen = set()
    for warning in caught:
        text = f"{warning.category.__name__}: {first_line(warning.message)}"
        if text not in seen and warning.category is not DeprecationWarning:
            seen.add(text)
            result += f" | warns {text}"
    for record in handler.records:
        text = f"{record.name}: {first_line(record.getMessage())}"
        if text not in seen:
            seen.add(text)
            result += f" | logs {text}"
    return result


def _raised_at(error):
    """The file (relative to site-packages) and line of the frame that raised error."""
    import traceback

    frame = traceback.extract_tb(error.__traceback__)[-1]
    return f"{_short(frame.filename)}:{frame.lineno}"


def version_of(distribution, path=None):
    """The installed version of distribution: in this venv, or in the folder path (the overlay)."""
    import importlib.metadata as metadata

    if path is not None:
        found = list(metadata.distributions(name=distribution, path=[path]))
        return found[0].version if found else None
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def install(key):
    """Run one INSTALLS entry and print `CHECK install-<key>: ...`."""
    args = INSTALLS[key]
    code, output = pip("install", *args)
    command = "pip install " + " ".join(args)
    path = args[args.index("--target") + 1] if "--target" in args else None
    names = [re.split(r"[=<>]", arg)[0] for arg in args if not arg.startswith("-") and arg != path]
    versions = ", ".join(f"{name} {version_of(name, path)}" for name in names)
    where = f" (in {path})" if path else ""
    if code == 0:
        report(f"install-{key}", f"`{command}` exit 0; now installed{where}: {versions}; torch {version_of('torch')}")
    else:
        report(f"install-{key}", f"`{command}` exit {code}: {key_line(output)}")


def on_xla(thunk, detail=None):
    """outcome() of thunk, with the XLA graph cut (torch_xla.sync) while its result is still alive,
    plus the counters it cost. A tensor result is described by shape, dtype and device."""
    import torch_xla
    import torch_xla.debug.metrics as met

    met.clear_all()

    def run_and_sync():
        value = thunk()
        torch_xla.sync()
        return describe(value) if isinstance(value, torch.Tensor) else value

    return f"{outcome(run_and_sync, detail)}; {xla_costs()}"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def env_rendezvous():
    """The variables torchrun would set for a single process (world size 1)."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(free_port()), RANK="0", WORLD_SIZE="1", LOCAL_RANK="0")
    return "MASTER_ADDR=127.0.0.1 MASTER_PORT=<free> RANK=0 WORLD_SIZE=1 LOCAL_RANK=0"


def source_line(module, needle, occurrence=1):
    """`source <file>:<line>: <text>` for the occurrence-th line of module's source file that contains
    needle; the file is named relative to site-packages (or the overlay)."""
    path = inspect.getsourcefile(module)
    with open(path, encoding="utf-8") as handle:
        hits = [(number, line.strip()) for number, line in enumerate(handle, 1) if needle in line]
    if len(hits) < occurrence:
        return f"source {_short(path)}: no line contains {needle!r}"
    number, text = hits[occurrence - 1]
    return f"source {_short(path)}:{number}: {text[:220]}"


def _short(path):
    if path == SCRIPT:
        return os.path.basename(path)
    for root in (OVERLAY, *[p for p in sys.path if p.endswith("site-packages")]):
        if path.startswith(root + os.sep):
            return os.path.relpath(path, root)
    return path


# ---------------------------------------------------------------- checks: torch.optim flags


def _optimizer_step(make_optimizer, name):
    """make_optimizer(params) on a small model on XLA: construction, then backward + one step."""
    device = xla_device()
    model = small_model().to(device)
    optimizers = []

    def construct():
        optimizers.append(make_optimizer(model.parameters()))
        return type(optimizers[0]).__name__

    story = f"construction {outcome(construct)}"
    if optimizers:
        def one_step():
            model(torch.ones(4, 16, device=device)).sum().backward()
            optimizers[0].step()
            return model[0].weight

        pending(name, story + "; backward + step()")
        story += f"; backward + step() {on_xla(one_step)}"
    return story


def check_optim_fused():
    parts = []
    for label, make in [
        ("AdamW(fused=True)", lambda p: torch.optim.AdamW(p, lr=1e-3, fused=True)),
        ("Adam(fused=True)", lambda p: torch.optim.Adam(p, lr=1e-3, fused=True)),
        ("SGD(fused=True)", lambda p: torch.optim.SGD(p, lr=1e-3, momentum=0.9, fused=True)),
    ]:
        parts.append(f"{label}: {_optimizer_step(make, 'optim-fused-on-xla')}")
    report("optim-fused-on-xla", f"(torch {torch.__version__}) " + "; ".join(parts))


def check_optim_foreach():
    parts = []
    for label, make in [
        ("AdamW(foreach=True)", lambda p: torch.optim.AdamW(p, lr=1e-3, foreach=True)),
        ("SGD(momentum=0.9, foreach=True)", lambda p: torch.optim.SGD(p, lr=1e-3, momentum=0.9, foreach=True)),
        ("AdamW(foreach=False) for comparison", lambda p: torch.optim.AdamW(p, lr=1e-3, foreach=False)),
    ]:
        parts.append(f"{label}: {_optimizer_step(make, 'optim-foreach-on-xla')}")
    report("optim-foreach-on-xla", f"(torch {torch.__version__}) " + "; ".join(parts))


def check_optim_capturable():
    parts = []
    for label, make in [
        ("Adam(capturable=True)", lambda p: torch.optim.Adam(p, lr=1e-3, capturable=True)),
        ("AdamW(capturable=True)", lambda p: torch.optim.AdamW(p, lr=1e-3, capturable=True)),
    ]:
        parts.append(f"{label}: {_optimizer_step(make, 'optim-capturable-on-xla')}")
    report("optim-capturable-on-xla", f"(torch {torch.__version__}) " + "; ".join(parts))


# ---------------------------------------------------------------- checks: torch.distributed


def _xla_group():
    """init_process_group('xla', init_method='xla://') in this process (world size 1)."""
    import torch.distributed as dist
    import torch_xla.distributed.xla_backend  # noqa: F401  registers the "xla" backend

    init = outcome(lambda: dist.init_process_group("xla", init_method="xla://"))
    if init.startswith("raises"):
        spelled = env_rendezvous()
        init += f"; with {spelled}: " + outcome(lambda: dist.init_process_group("xla", init_method="xla://"))
    if dist.is_initialized():
        init += f" (backend {dist.get_backend()}, world size {dist.get_world_size()})"
    return init


def _all_reduce_line(op, op_label, dtype):
    """all_reduce of [1, 2, 3] on xla, as is (world size 1: torch_xla skips the collective) and with
    XLA_ALWAYS_ALLREDUCE=1 (the collective is built and compiled even for one device)."""
    import torch.distributed as dist

    parts = []
    for label, always in [("", None), ("with XLA_ALWAYS_ALLREDUCE=1: ", "1")]:
        if always:
            os.environ["XLA_ALWAYS_ALLREDUCE"] = always
        tensor = torch.tensor([1, 2, 3], dtype=dtype).to(xla_device())
        result = on_xla(lambda: dist.all_reduce(tensor, op=op))
        values = outcome(lambda: tensor.cpu().tolist())
        parts.append(f"{label}all_reduce({dtype} [1, 2, 3] on xla, op={op_label}) {result}; tensor after: {values}")
        os.environ.pop("XLA_ALWAYS_ALLREDUCE", None)
    return "; ".join(parts)


def _dist_xla_context():
    """init_process_group('xla') in this process, and the words every line of these checks carries."""
    import torch_xla.core.xla_model as xm

    init = _xla_group()
    return init, (
        f"(torch {torch.__version__}, torch_xla {version_of('torch_xla')}, PJRT CPU collectives; "
        f"init_process_group('xla', init_method='xla://') {init}; {source_line(xm, 'No-op if there is only one device')})"
    )


REDUCE_OPS = ["SUM", "AVG", "PRODUCT", "MIN", "MAX", "BAND", "BOR", "BXOR", "PREMUL_SUM"]


def dist_reduce_check(op):
    """The check of all_reduce with ReduceOp.op on XLA, in its own process: a failed collective leaves
    its pending computation behind, and the next sync would fail with it."""
    def check():
        import torch.distributed as dist

        name = f"dist-reduceop-{op.lower().replace('_', '-')}-on-xla"
        init, context = _dist_xla_context()
        if not dist.is_initialized():
            report(name, f"not measured: {context}")
            return
        pending(name, f"all_reduce with ReduceOp.{op} {context}")
        if op != "PREMUL_SUM":
            dtype = torch.int32 if op.startswith("B") else torch.float32
            report(name, f"{_all_reduce_line(getattr(dist.ReduceOp, op), f'ReduceOp.{op}', dtype)} {context}")
            return
        made = []

        def make_premul():
            made.append(dist._make_nccl_premul_sum(2.0))
            return str(made[0])

        story = f"dist._make_nccl_premul_sum(2.0) {outcome(make_premul)}"
        story += f"; with the bare enum: {_all_reduce_line(dist.ReduceOp.PREMUL_SUM, 'ReduceOp.PREMUL_SUM', torch.float32)}"
        if made:
            story += f"; {_all_reduce_line(made[0], '_make_nccl_premul_sum(2.0)', torch.float32)}"
        report(name, f"{story} {context}")

    return check


def check_dist_all_gather():
    import torch.distributed as dist

    name = "dist-all-gather-into-tensor-on-xla"
    init, context = _dist_xla_context()
    if not dist.is_initialized():
        report(name, f"not measured: {context}")
        return
    pending(name, f"all_gather_into_tensor {context}")
    device = xla_device()
    source = torch.tensor([1.0, 2.0]).to(device)
    target = torch.zeros(2 * dist.get_world_size()).to(device)
    gathered = on_xla(lambda: dist.all_gather_into_tensor(target, source))
    report(name, f"all_gather_into_tensor(out (2,), in [1., 2.] on xla) {gathered}; out after: {outcome(lambda: target.cpu().tolist())} {context}")


def check_dist_reduce_scatter():
    import torch.distributed as dist

    name = "dist-reduce-scatter-tensor-on-xla"
    init, context = _dist_xla_context()
    if not dist.is_initialized():
        report(name, f"not measured: {context}")
        return
    pending(name, f"reduce_scatter_tensor {context}")
    device = xla_device()
    source = torch.tensor([1.0, 2.0]).to(device)
    target = torch.zeros(2 // dist.get_world_size()).to(device)
    scattered = on_xla(lambda: dist.reduce_scatter_tensor(target, source))
    report(name, f"reduce_scatter_tensor(out (2,), in [1., 2.] on xla, op=SUM) {scattered}; out after: {outcome(lambda: target.cpu().tolist())} {context}")


def check_dist_default_backend():
    import torch.distributed as dist
    import torch_xla  # noqa: F401

    spelled = env_rendezvous()
    init = outcome(lambda: dist.init_process_group())
    story = f"(torch {torch.__version__}; {spelled}) init_process_group() {init}"
    if dist.is_initialized():
        story += f"; dist.get_backend() {outcome(dist.get_backend)}"
        tensor = torch.ones(3).to(xla_device())
        story += f"; all_reduce(XLA tensor of ones) {on_xla(lambda: dist.all_reduce(tensor))}"
        story += f"; tensor after: {outcome(lambda: f'{tensor.cpu().tolist()} on {tensor.device}')}"
        cpu = torch.ones(3)
        story += f"; all_reduce(CPU tensor) {outcome(lambda: (dist.all_reduce(cpu), cpu.tolist())[1])}"
    report("dist-default-backend-xla-tensor", story)


def check_dist_nccl():
    import torch.distributed as dist
    import torch_xla  # noqa: F401

    spelled = env_rendezvous()
    story = (
        f"(torch {torch.__version__}; torch.cuda.is_available() {torch.cuda.is_available()}; "
        f"dist.is_nccl_available() {dist.is_nccl_available()}; {spelled}) "
    )
    story += f"init_process_group('nccl') {outcome(lambda: dist.init_process_group('nccl'))}"
    if dist.is_initialized():
        tensor = torch.ones(3).to(xla_device())
        pending("dist-nccl-backend-on-tpu-host", story + "; all_reduce(XLA tensor)")
        story += f"; all_reduce(XLA tensor) {on_xla(lambda: dist.all_reduce(tensor))}"
        cpu = torch.ones(3)
        pending("dist-nccl-backend-on-tpu-host", story + "; all_reduce(CPU tensor)")
        story += f"; all_reduce(CPU tensor) {outcome(lambda: (dist.all_reduce(cpu), cpu.tolist())[1])}"
    report("dist-nccl-backend-on-tpu-host", story)


# ---------------------------------------------------------------- checks: FSDP, device meshes, tensor parallel


def _train_step(model, device, optimizer=None):
    """forward + backward (+ optimizer step) of model on a (4, 16) input."""
    def step():
        loss = model(torch.ones(4, 16, device=device)).sum()
        loss.backward()
        if optimizer is not None:
            optimizer.step()
        return loss

    return step


def _got_device(message):
    """The device a c10d message says it got (`got TensorOptions(..., device=xla:0, ...)`), which
    the first line cuts off."""
    found = re.search(r"got TensorOptions\([^)]*?device=([\w:]+)", message)
    return f"got device={found.group(1)}" if found else ""


def _ddp_story(group_label):
    """In the current group: DDP(model on xla, gradient_as_bucket_view=True), then SGD training steps on
    XLA, each with the number of all-reduce ops it put in the graph (torch_xla's xla::AllReduceInPlace
    counter); the third with XLA_ALWAYS_ALLREDUCE=1 (world size 1: torch_xla skips the collective)."""
    import torch_xla.debug.metrics as met
    from torch.nn.parallel import DistributedDataParallel as DDP

    device = xla_device()
    model = small_model().to(device)
    wrapped = []

    def wrap():
        wrapped.append(DDP(model, gradient_as_bucket_view=True))
        return type(wrapped[0]).__name__

    story = f"in a {group_label} group: DDP(model on xla, gradient_as_bucket_view=True) {outcome(wrap, _got_device)}"
    if wrapped:
        step = _train_step(wrapped[0], device, torch.optim.SGD(wrapped[0].parameters(), lr=0.1))
        for label, always in [("step 1", None), ("step 2", None), ("step 3 with XLA_ALWAYS_ALLREDUCE=1", "1")]:
            if always:
                os.environ["XLA_ALWAYS_ALLREDUCE"] = always
            pending("ddp-on-xla-process-groups", story + f"; {label}")
            story += f"; {label} (forward + backward + SGD step) {on_xla(step)}, all-reduce ops traced {met.counter_value('xla::AllReduceInPlace') or 0}"
        os.environ.pop("XLA_ALWAYS_ALLREDUCE", None)
    return story


def check_ddp_process_groups():
    import torch.distributed as dist
    import torch_xla.core.xla_model as xm
    from torch.nn.parallel import DistributedDataParallel as DDP

    name = "ddp-on-xla-process-groups"
    parts = [f"no process group: DDP(model on xla) {outcome(lambda: DDP(small_model().to(xla_device())))}"]
    spelled = env_rendezvous()
    parts.append(f"init_process_group('gloo') with {spelled} {outcome(lambda: dist.init_process_group('gloo'))}")
    if dist.is_initialized():
        parts.append(_ddp_story("'gloo'"))
        tensor = torch.ones(3).to(xla_device())
        pending(name, "; ".join(parts) + "; all_reduce(XLA tensor) in the 'gloo' group")
        parts.append(f"all_reduce(XLA tensor of ones) in the 'gloo' group {on_xla(lambda: dist.all_reduce(tensor))}")
        parts.append(f"tensor after: {outcome(lambda: f'{tensor.cpu().tolist()} on {tensor.device}')}")
        outcome(dist.destroy_process_group)
    parts.append(f"init_process_group('xla') {_xla_group()}")
    if dist.is_initialized():
        parts.append(_ddp_story("'xla'") + f" ({source_line(xm, 'No-op if there is only one device')})")
    report(name, f"(torch {torch.__version__}, torch_xla {version_of('torch_xla')}) " + "; ".join(parts))


def _fsdp1_story(group_label):
    from torch.distributed.fsdp import FullyShardedDataParallel as FSDP

    device = xla_device()
    model = small_model().to(device)
    wrapped = []

    def wrap():
        wrapped.append(FSDP(model))
        return f"{type(wrapped[0]).__name__}, compute_device {getattr(wrapped[0], 'compute_device', '?')}"

    story = f"in a {group_label} group: FSDP(model on xla) {outcome(wrap)}"
    if wrapped:
        pending("fsdp1-on-xla", story + "; forward + backward")
        story += f"; forward + backward {on_xla(_train_step(wrapped[0], device))}"
    return story


def check_fsdp1():
    import torch.distributed as dist

    init = _xla_group()
    parts = [f"init_process_group('xla') {init}"]
    if dist.is_initialized():
        parts.append(_fsdp1_story("'xla'"))
        outcome(dist.destroy_process_group)
    spelled = env_rendezvous()
    parts.append(f"init_process_group('gloo') with {spelled} {outcome(lambda: dist.init_process_group('gloo'))}")
    if dist.is_initialized():
        parts.append(_fsdp1_story("'gloo'"))
    report("fsdp1-on-xla", f"(torch {torch.__version__}) " + "; ".join(parts))


def check_fsdp2():
    import torch.distributed as dist
    from torch.distributed.fsdp import fully_shard

    spelled = env_rendezvous()
    parts = [f"(torch {torch.__version__}) init_process_group('gloo') with {spelled} {outcome(lambda: dist.init_process_group('gloo'))}"]
    device = xla_device()

    def try_mesh(label, mesh_of):
        model = small_model().to(device)
        sharded = []

        def shard():
            mesh = mesh_of()
            sharded.append(fully_shard(model, mesh=mesh) if mesh is not None else fully_shard(model))
            weight = sharded[0][0].weight
            return f"{type(sharded[0]).__name__}, weight {type(weight).__name__} on {weight.device}"

        story = f"{label} {outcome(shard)}"
        if sharded:
            pending("fsdp2-fully-shard-on-xla", "; ".join(parts + [story + "; forward + backward"]))
            story += f"; forward + backward {on_xla(_train_step(sharded[0], device))}"
        parts.append(story)

    try_mesh("fully_shard(model on xla) with the default mesh", lambda: None)
    try_mesh("fully_shard(model on xla, mesh=init_device_mesh('cpu', (1,)))", lambda: _mesh("cpu"))
    outcome(dist.destroy_process_group)
    parts.append(f"then init_process_group('xla', init_method='xla://') {_xla_group()}")
    try_mesh("fully_shard(model on xla, mesh=init_device_mesh('xla', (1,)))", lambda: _mesh("xla"))
    report("fsdp2-fully-shard-on-xla", "; ".join(parts))


def _mesh(device_type):
    from torch.distributed.device_mesh import init_device_mesh

    return init_device_mesh(device_type, (1,))


def _mesh_story(device_type):
    import torch.distributed as dist

    spelled = env_rendezvous()
    made = []

    def make():
        made.append(_mesh(device_type))
        backend = f", backend {dist.get_backend()!r}" if dist.is_initialized() else ""
        return f"{made[0]!r}; default process group initialized: {dist.is_initialized()}{backend}"

    story = f"(torch {torch.__version__}; {spelled}; no process group yet) init_device_mesh({device_type!r}, (1,)) {outcome(make)}"
    if made:
        story += f"; mesh.get_group() {outcome(lambda: repr(made[0].get_group()))}"
    return made, story


def check_init_device_mesh_cuda():
    _, story = _mesh_story("cuda")
    report("init-device-mesh-cuda", story)


def check_init_device_mesh_xla():
    import torch_xla.distributed.xla_backend  # noqa: F401  registers the "xla" backend, as a TPU script would

    import torch.distributed as dist

    made, story = _mesh_story("xla")
    outcome(lambda: dist.destroy_process_group() if dist.is_initialized() else None)
    story += f"; in a new process group: init_process_group('xla', init_method='xla://') {_xla_group()}; "
    again = []
    story += f"init_device_mesh('xla', (1,)) {outcome(lambda: again.append(_mesh('xla')) or repr(again[0]))}"
    if again:
        story += f"; mesh.get_group() {outcome(lambda: repr(again[0].get_group()))}"
    import torch.distributed.device_mesh as device_mesh

    story += f"; {source_line(device_mesh, 'Skip process group initialization if xla device')}"
    report("init-device-mesh-xla", story)


def check_parallelize_module():
    from torch.distributed.tensor.parallel import ColwiseParallel, parallelize_module

    device = xla_device()
    parts = []
    for mesh_type in ["xla", "cpu"]:
        import torch.distributed as dist

        if mesh_type == "xla":
            import torch_xla.distributed.xla_backend  # noqa: F401
        made, story = _mesh_story(mesh_type)
        if made:
            model = small_model().to(device)
            done = []

            def parallelize():
                done.append(parallelize_module(model, made[0], {"0": ColwiseParallel()}))
                weight = done[0][0].weight
                return f"layer 0 weight {type(weight).__name__} on {weight.device}"

            story += f"; parallelize_module(model on xla, mesh, {{'0': ColwiseParallel()}}) {outcome(parallelize)}"
            if done:
                pending("parallelize-module-on-xla", story + "; forward + backward")
                story += f"; forward + backward {on_xla(_train_step(done[0], device))}"
        parts.append(f"{mesh_type} mesh: {story}")
        outcome(lambda: dist.destroy_process_group() if dist.is_initialized() else None)
    report("parallelize-module-on-xla", " || ".join(parts))


def check_torch_xla_fsdp():
    from torch_xla.distributed.fsdp import XlaFullyShardedDataParallel as XlaFSDP

    device = xla_device()
    model = small_model().to(device)
    wrapped, optimizers = [], []

    def wrap():
        wrapped.append(XlaFSDP(model))
        optimizers.append(torch.optim.AdamW(wrapped[0].parameters(), lr=1e-3))
        return type(wrapped[0]).__name__

    story = f"(torch_xla {version_of('torch_xla')}, no process group) XlaFullyShardedDataParallel(model on xla) {outcome(wrap)}"
    if wrapped:
        pending("torch-xla-fsdp-on-xla", story + "; forward + backward + AdamW step")
        story += f"; forward + backward + AdamW step {on_xla(_train_step(wrapped[0], device, optimizers[0]))}"
        story += f"; a second step {on_xla(_train_step(wrapped[0], device, optimizers[0]))}"
    report("torch-xla-fsdp-on-xla", story)


# ---------------------------------------------------------------- checks: transformers TrainingArguments / Trainer


def _tiny_gpt2():
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    return GPT2LMHeadModel(GPT2Config(n_embd=32, n_layer=1, n_head=2, vocab_size=128, n_positions=64))


def _tiny_dataset():
    return [{"input_ids": torch.arange(8) + i, "labels": torch.arange(8) + i} for i in range(4)]


def _training_arguments(**kwargs):
    from transformers import TrainingArguments

    return TrainingArguments(
        output_dir=tempfile.mkdtemp(),
        max_steps=1,
        per_device_train_batch_size=2,
        report_to=[],
        save_strategy="no",
        logging_strategy="no",
        **kwargs,
    )


def _train_one_step(args):
    from transformers import Trainer

    trainer = Trainer(model=_tiny_gpt2(), args=args, train_dataset=_tiny_dataset())
    result = trainer.train()
    optimizer = getattr(trainer.optimizer, "optimizer", trainer.optimizer)
    accelerator = trainer.accelerator
    return (
        f"global_step {result.global_step}, training_loss {result.training_loss:.3f}, model on "
        f"{next(trainer.model.parameters()).device} as {next(trainer.model.parameters()).dtype}, optimizer "
        f"{type(optimizer).__module__}.{type(optimizer).__name__}{_optimizer_flags(optimizer)}, model class "
        f"{type(trainer.model).__name__}, accelerator.distributed_type {accelerator.distributed_type}, "
        f"mixed_precision {accelerator.mixed_precision!r}, scaler {type(accelerator.scaler).__name__ if accelerator.scaler else None}"
    )


def _optimizer_flags(optimizer):
    flags = {k: v for k, v in optimizer.defaults.items() if k in ("fused", "foreach", "capturable") and v}
    return f" {flags}" if flags else ""


def _hf_context():
    import accelerate
    import transformers
    from transformers.utils import is_torch_xla_available

    return (
        f"(transformers {transformers.__version__}, accelerate {accelerate.__version__}; "
        f"is_torch_xla_available() {is_torch_xla_available()})"
    )


def _hf_variant(name, spelled, kwargs, train=True, extra=None):
    """TrainingArguments(**kwargs): construction, then Trainer.train() for one step; where kwargs do
    not choose the optimizer, a second run with optim='adamw_torch' (the default, adamw_torch_fused,
    fails on XLA by itself: see hf-trainingargs-optim-adamw-torch-fused)."""
    args_box = []

    def construct():
        args_box.append(_training_arguments(**kwargs))
        found = f"args.device {args_box[0].device}, args.optim {str(args_box[0].optim.value)!r}"
        return found + (f", {extra(args_box[0])}" if extra else "")

    story = f"{_hf_context()} TrainingArguments({spelled}) {outcome(construct)}"
    if args_box and train:
        pending(name, story + "; Trainer(tiny GPT-2, 4 samples).train() for 1 step")
        story += f"; Trainer(tiny GPT-2, 4 samples).train() for 1 step {on_xla(lambda: _train_one_step(args_box[0]))}"
        if "optim" not in kwargs:
            story += "; again with optim='adamw_torch' added"
            pending(name, story)
            story += f": {on_xla(lambda: _train_one_step(_training_arguments(optim='adamw_torch', **kwargs)))}"
    report(name, story)


def check_hf_fp16():
    _hf_variant("hf-trainingargs-fp16", "fp16=True", {"fp16": True})


def check_hf_fp16_full_eval():
    _hf_variant("hf-trainingargs-fp16-full-eval", "fp16_full_eval=True", {"fp16_full_eval": True})


def check_hf_bf16():
    _hf_variant("hf-trainingargs-bf16", "bf16=True", {"bf16": True})


def check_hf_apex():
    name = "hf-trainingargs-half-precision-backend-apex"
    _hf_variant(name, "half_precision_backend='apex'", {"half_precision_backend": "apex"},
                extra=lambda a: f"half_precision_backend {a.half_precision_backend!r}")
    import transformers.training_args as training_args

    construct = outcome(lambda: str(_training_arguments(fp16=True, half_precision_backend="apex").device))
    report(
        f"{name}-with-fp16",
        f"{_hf_context()} TrainingArguments(fp16=True, half_precision_backend='apex') {construct}; "
        f"{source_line(training_args, 'Using FP16 with APEX but APEX is not installed')} "
        "(under `if self.half_precision_backend == \"apex\": if not is_apex_available():`, whether or not fp16 is set)",
    )


def check_hf_optim_bnb():
    _hf_variant("hf-trainingargs-optim-adamw-bnb-8bit", f"optim='adamw_bnb_8bit'; bitsandbytes {version_of('bitsandbytes')} installed",
                {"optim": "adamw_bnb_8bit"})


def check_hf_optim_apex_fused():
    _hf_variant("hf-trainingargs-optim-adamw-apex-fused", f"optim='adamw_apex_fused'; apex installed: {version_of('apex')}",
                {"optim": "adamw_apex_fused"})


DEFAULT_OPTIM_LINE = 'default_optim = "adamw_torch_fused"'


def check_hf_optim_torch_fused():
    import transformers.training_args as training_args

    _hf_variant("hf-trainingargs-optim-adamw-torch-fused", "optim='adamw_torch_fused'", {"optim": "adamw_torch_fused"})
    default = outcome(lambda: str(_training_arguments().optim.value))
    report(
        "hf-trainingargs-optim-default",
        f"{_hf_context()} TrainingArguments() args.optim {default}; "
        f"{source_line(training_args, DEFAULT_OPTIM_LINE)} (under `if is_torch_greater_or_equal_than_2_8:`)",
    )


def check_hf_tf32():
    _hf_variant("hf-trainingargs-tf32", "tf32=True", {"tf32": True},
                extra=lambda a: f"torch.backends.cuda.matmul.allow_tf32 now {torch.backends.cuda.matmul.allow_tf32}")


def check_hf_torch_compile():
    _hf_variant("hf-trainingargs-torch-compile", "torch_compile=True", {"torch_compile": True},
                extra=lambda a: f"torch_compile_backend {a.torch_compile_backend!r}, torch_compile_mode {a.torch_compile_mode!r}")


def check_hf_pin_memory():
    from transformers import Trainer

    name = "hf-trainingargs-pin-memory-default"
    args = _training_arguments()
    story = f"{_hf_context()} TrainingArguments() dataloader_pin_memory default {args.dataloader_pin_memory!r}, args.device {args.device}"
    loaders = []

    def build():
        trainer = Trainer(model=_tiny_gpt2(), args=args, train_dataset=_tiny_dataset())
        loaders.append(trainer.get_train_dataloader())
        return _loader_chain(loaders[0])

    story += f"; Trainer(...).get_train_dataloader() {outcome(build)}"
    if loaders:
        def first_batch():
            batch = next(iter(loaders[0]))
            return f"input_ids {describe(batch['input_ids'])}, is_pinned {batch['input_ids'].is_pinned() if batch['input_ids'].device.type == 'cpu' else 'n/a (not on cpu)'}"

        story += f"; next(iter(loader)) {on_xla(first_batch)}"

    def plain_loader():
        loader = torch.utils.data.DataLoader(_tiny_dataset(), batch_size=2, pin_memory=True)
        batch = next(iter(loader))
        return f"input_ids on {batch['input_ids'].device}, is_pinned {batch['input_ids'].is_pinned()}"

    story += f"; for comparison torch DataLoader(pin_memory=True) first batch {outcome(plain_loader)}"
    report(name, story)


def _loader_chain(loader):
    """The loader's wrapper classes down to the torch DataLoader, with the pin_memory each has."""
    chain, seen = [], set()
    while loader is not None and id(loader) not in seen:
        seen.add(id(loader))
        pin = getattr(loader, "pin_memory", None)
        chain.append(f"{type(loader).__name__}" + (f"(pin_memory={pin!r})" if isinstance(pin, bool) else ""))
        loader = next(
            (getattr(loader, attribute) for attribute in ("_loader", "loader", "base_dataloader", "_dataloader")
             if getattr(loader, attribute, None) is not None and getattr(loader, attribute) is not loader),
            None,
        )
    return " -> ".join(chain)


# ---------------------------------------------------------------- checks: transformers attention and quantization


def _tiny_llama_config(**kwargs):
    from transformers import LlamaConfig

    return LlamaConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=2,
                       intermediate_size=64, vocab_size=128, max_position_embeddings=64, **kwargs)


def _tiny_llama_folder(**config_kwargs):
    from transformers import LlamaForCausalLM

    torch.manual_seed(0)
    folder = tempfile.mkdtemp()
    LlamaForCausalLM(_tiny_llama_config(**config_kwargs)).save_pretrained(folder)
    return folder


def check_hf_attn_flash():
    import transformers
    from transformers import AutoModelForCausalLM

    folder = _tiny_llama_folder()
    from_config = outcome(lambda: AutoModelForCausalLM.from_config(_tiny_llama_config(), attn_implementation="flash_attention_2").config._attn_implementation)
    from_pretrained = outcome(lambda: AutoModelForCausalLM.from_pretrained(folder, attn_implementation="flash_attention_2").config._attn_implementation)
    report(
        "hf-attn-flash-attention-2",
        f"(transformers {transformers.__version__}; flash_attn installed: {version_of('flash_attn') or version_of('flash-attn')}) "
        f"from_config(tiny Llama, attn_implementation='flash_attention_2') {from_config}; "
        f"from_pretrained(tmpdir, attn_implementation='flash_attention_2') {from_pretrained}",
    )


def _attn_on_xla(implementation):
    import transformers
    from transformers import AutoModelForCausalLM

    device = xla_device()
    models = []

    def load():
        torch.manual_seed(0)
        models.append(AutoModelForCausalLM.from_config(_tiny_llama_config(), attn_implementation=implementation).to(device))
        return models[0].config._attn_implementation

    story = f"(transformers {transformers.__version__}) from_config(tiny Llama, attn_implementation={implementation!r}).to(xla) {outcome(load)}"
    if models:
        ids = torch.arange(8).unsqueeze(0).to(device)
        story += f"; forward (1, 8) ids {on_xla(lambda: models[0](ids).logits)}"
        story += f"; forward again (same shapes) {on_xla(lambda: models[0](ids).logits)}"
    return story


def check_hf_attn_sdpa():
    report("hf-attn-sdpa-on-xla", _attn_on_xla("sdpa"))


def check_hf_attn_eager():
    report("hf-attn-eager-on-xla", _attn_on_xla("eager"))


def check_hf_gptq():
    import transformers
    import transformers.quantizers.quantizer_gptq as quantizer
    from transformers import AutoModelForCausalLM, GPTQConfig

    folder = _tiny_llama_folder()
    configs = []
    made = outcome(lambda: configs.append(GPTQConfig(bits=4, dataset=["some text"], group_size=32)) or "GPTQConfig")
    story = (
        f"(transformers {transformers.__version__}; installed: optimum {version_of('optimum')}, gptqmodel "
        f"{version_of('gptqmodel')}, auto-gptq {version_of('auto-gptq') or version_of('auto_gptq')}) "
        f"GPTQConfig(bits=4, dataset=['some text'], group_size=32) {made}"
    )
    if configs:
        story += f"; from_pretrained(tmpdir, quantization_config=that) {outcome(lambda: type(AutoModelForCausalLM.from_pretrained(folder, quantization_config=configs[0])).__name__)}"
    story += (
        f"; the next requirements in validate_environment: {source_line(quantizer, 'if not gptq_supports_cpu and not torch.cuda.is_available()')} "
        f"-> {source_line(quantizer, 'GPU is required')}; {source_line(quantizer, 'requires gptqmodel')}"
    )
    report("hf-gptq-config", story)


def check_hf_awq():
    import transformers
    import transformers.quantizers.quantizer_awq as quantizer
    from transformers import AutoModelForCausalLM, AwqConfig

    folder = _tiny_llama_folder()
    configs = []
    made = outcome(lambda: configs.append(AwqConfig(bits=4)) or "AwqConfig")
    story = (
        f"(transformers {transformers.__version__}; installed: autoawq {version_of('autoawq')}) AwqConfig(bits=4) {made}"
    )
    if configs:
        story += f"; from_pretrained(tmpdir, quantization_config=that) {outcome(lambda: type(AutoModelForCausalLM.from_pretrained(folder, quantization_config=configs[0])).__name__)}"
        prequantized = _tiny_llama_folder(quantization_config=configs[0].to_dict())
        story += (
            f"; from_pretrained(tmpdir whose config.json carries that quantization_config, as an AWQ checkpoint's does) "
            f"{outcome(lambda: type(AutoModelForCausalLM.from_pretrained(prequantized)).__name__)}"
        )
    story += (
        f"; the next requirements in validate_environment: {source_line(quantizer, 'consider switching to the IPEX version')}; "
        f"{source_line(quantizer, 'GPU is required to run AWQ')}"
    )
    report("hf-awq-config", story)


# ---------------------------------------------------------------- checks: diffusers


def _diffusers():
    """Import diffusers from the overlay, with transformers hidden (see the module docstring)."""
    sys.modules["transformers"] = None
    import diffusers

    assert diffusers.__file__.startswith(OVERLAY), diffusers.__file__
    return diffusers


def _diffusers_context(diffusers):
    return (
        f"(diffusers {diffusers.__version__}, huggingface_hub {version_of('huggingface_hub', OVERLAY)} from the overlay; "
        f"accelerate {version_of('accelerate')}; xformers {version_of('xformers')})"
    )


def _tiny_unet():
    from diffusers import UNet2DModel

    torch.manual_seed(0)
    return UNet2DModel(
        sample_size=8, in_channels=3, out_channels=3, layers_per_block=1, block_out_channels=(8, 16),
        down_block_types=("DownBlock2D", "AttnDownBlock2D"), up_block_types=("AttnUpBlock2D", "UpBlock2D"),
        norm_num_groups=4, attention_head_dim=4,
    )


def _tiny_conditional_unet():
    from diffusers import UNet2DConditionModel

    torch.manual_seed(0)
    return UNet2DConditionModel(
        sample_size=8, in_channels=4, out_channels=4, layers_per_block=1, block_out_channels=(8, 16),
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"), up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=16, attention_head_dim=4, norm_num_groups=4,
    )


def _conditional_forward(unet, device):
    torch.manual_seed(0)
    sample = torch.randn(1, 4, 8, 8).to(device)
    context = torch.randn(1, 4, 16).to(device)
    return lambda: unet(sample, torch.tensor(10).to(device), encoder_hidden_states=context).sample


def _tiny_pipeline():
    from diffusers import DDIMScheduler, DDPMPipeline

    return DDPMPipeline(unet=_tiny_unet(), scheduler=DDIMScheduler(num_train_timesteps=10))


def _run_pipeline(pipe):
    return lambda: f"images {pipe(batch_size=1, num_inference_steps=1, output_type='np').images.shape}, unet on {pipe.unet.device}"


def _xformers_rejections(message):
    """xformers' `No operator found` message, condensed to `kernel: reason, reason; ...` (as in library_checks.py)."""
    rejections, kernel = {}, None
    for line in message.splitlines():
        if line.endswith("is not supported because:"):
            kernel = line.split("`")[1] if "`" in line else line
            rejections[kernel] = []
        elif kernel and line.startswith(" "):
            rejections[kernel].append(line.strip())
    return "; ".join(f"{kernel}: {', '.join(reasons)}" for kernel, reasons in rejections.items())


def _hide_xformers():
    """Make xformers look not installed to this process (before diffusers is imported)."""
    sys.modules["xformers"] = None
    return "xformers hidden from this process (as if not installed)"


def check_diffusers_xformers(hidden=False):
    setting = _hide_xformers() if hidden else f"xformers {version_of('xformers')} installed"
    diffusers = _diffusers()
    pipe = _tiny_pipeline()
    unet = _tiny_conditional_unet()
    story = f"{_diffusers_context(diffusers)}; {setting}"
    story += f"; pipe.enable_xformers_memory_efficient_attention() {outcome(pipe.enable_xformers_memory_efficient_attention)}"
    story += f"; UNet2DConditionModel.enable_xformers_memory_efficient_attention() {outcome(unet.enable_xformers_memory_efficient_attention)}"
    report("diffusers-enable-xformers" + ("-not-installed" if hidden else ""), story)


def _offload(method_name):
    diffusers = _diffusers()
    story = _diffusers_context(diffusers)
    pipe = _tiny_pipeline()
    method = getattr(pipe, method_name)
    story += f"; signature {method_name}{inspect.signature(method)}"
    story += f"; pipe.{method_name}() {outcome(method)}"
    pipe = _tiny_pipeline()
    method = getattr(pipe, method_name)
    offloaded = outcome(lambda: method(device="xla"))
    story += f"; on a new pipe, pipe.{method_name}(device='xla') {offloaded}"
    if offloaded.startswith("returns"):
        story += f"; unet parameters on {next(pipe.unet.parameters()).device}"
        pending(f"diffusers-{method_name.replace('_', '-')}", story + "; pipe(num_inference_steps=1)")
        story += f"; pipe(num_inference_steps=1) {on_xla(_run_pipeline(pipe))}"
    return story


def check_diffusers_model_cpu_offload():
    report("diffusers-enable-model-cpu-offload", _offload("enable_model_cpu_offload"))


def check_diffusers_sequential_cpu_offload():
    report("diffusers-enable-sequential-cpu-offload", _offload("enable_sequential_cpu_offload"))


def check_diffusers_attn_processor_2_0():
    diffusers = _diffusers()
    from diffusers.models.attention_processor import AttnProcessor2_0

    device = xla_device()
    unet = _tiny_conditional_unet().to(device)
    default = sorted({type(p).__name__ for p in unet.attn_processors.values()})
    story = f"{_diffusers_context(diffusers)} default processors {default}"
    story += f"; forward with them on xla {on_xla(_conditional_forward(unet, device))}"
    story += f"; set_attn_processor(AttnProcessor2_0()) {outcome(lambda: unet.set_attn_processor(AttnProcessor2_0()))}"
    story += f"; forward on xla {on_xla(_conditional_forward(unet, device))}"
    report("diffusers-attn-processor-2-0-on-xla", story)


def check_diffusers_xformers_processor(hidden=False):
    setting = _hide_xformers() if hidden else f"xformers {version_of('xformers')} installed"
    diffusers = _diffusers()
    from diffusers.models.attention_processor import XFormersAttnProcessor

    device = xla_device()
    unet = _tiny_conditional_unet().to(device)
    story = f"{_diffusers_context(diffusers)}; {setting}"
    story += f"; set_attn_processor(XFormersAttnProcessor()) {outcome(lambda: unet.set_attn_processor(XFormersAttnProcessor()))}"
    story += f"; forward on xla {on_xla(_conditional_forward(unet, device), detail=_xformers_rejections)}"
    report("diffusers-xformers-attn-processor" + ("-not-installed" if hidden else ""), story)


def check_diffusers_variant():
    diffusers = _diffusers()
    import diffusers.models.modeling_utils as modeling_utils
    import diffusers.pipelines.pipeline_utils as pipeline_utils
    from diffusers import UNet2DModel

    folder = tempfile.mkdtemp()
    unet = _tiny_unet()
    unet.half().save_pretrained(folder, variant="fp16")
    files = sorted(os.listdir(folder))
    story = (
        f"{_diffusers_context(diffusers)} ran locally (no hub): unet.half().save_pretrained(tmp, variant='fp16') writes {files}; "
        f"UNet2DModel.from_pretrained(tmp, variant='fp16') {outcome(lambda: str(UNet2DModel.from_pretrained(folder, variant='fp16').dtype))}; "
        f"from_pretrained(tmp, variant='fp16', torch_dtype=torch.float16) {outcome(lambda: str(UNet2DModel.from_pretrained(folder, variant='fp16', torch_dtype=torch.float16).dtype))}; "
        f"from_pretrained(tmp) without variant {outcome(lambda: str(UNet2DModel.from_pretrained(folder).dtype))}; "
        f"docs: {source_line(modeling_utils, 'variant (`str`, *optional*)')} / "
        f"{source_line(modeling_utils, 'Load weights from a specified')}; "
        f"{source_line(pipeline_utils, 'Load weights from a specified')}"
    )
    report("diffusers-variant-fp16", story)


# ---------------------------------------------------------------- checks: Lightning


def _lightning_trainer(**kwargs):
    import lightning as L

    trainer = L.Trainer(logger=False, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, default_root_dir=tempfile.mkdtemp(), **kwargs)
    return _describe_trainer(trainer)


def _describe_trainer(trainer):
    return (
        f"accelerator {type(trainer.accelerator).__name__}, strategy {type(trainer.strategy).__name__}, "
        f"num_devices {trainer.num_devices}, precision plugin {type(trainer.precision_plugin).__name__}"
        f"({getattr(trainer.precision_plugin, 'precision', '?')}), root_device {outcome(lambda: str(trainer.strategy.root_device))}"
    )


def _lightning_context():
    import lightning
    from lightning.fabric.accelerators.xla import XLAAccelerator

    return (
        f"(lightning {lightning.__version__}; XLAAccelerator.is_available() {outcome(XLAAccelerator.is_available)}, "
        f"auto_device_count() {outcome(XLAAccelerator.auto_device_count)}; torch.cuda.is_available() {torch.cuda.is_available()})"
    )


def check_lightning_gpu():
    report("lightning-trainer-accelerator-gpu",
           f"{_lightning_context()} Trainer(accelerator='gpu') {outcome(lambda: _lightning_trainer(accelerator='gpu'))}")


def check_lightning_devices():
    report(
        "lightning-trainer-devices-n",
        f"{_lightning_context()} Trainer(accelerator='auto', devices=2) {outcome(lambda: _lightning_trainer(accelerator='auto', devices=2))}; "
        f"Trainer() {outcome(lambda: _lightning_trainer())}",
    )


def check_lightning_ddp():
    report(
        "lightning-trainer-strategy-ddp",
        f"{_lightning_context()} Trainer(strategy='ddp') {outcome(lambda: _lightning_trainer(strategy='ddp'))}; "
        f"Trainer(accelerator='gpu', devices=2, strategy='ddp') {outcome(lambda: _lightning_trainer(accelerator='gpu', devices=2, strategy='ddp'))}",
    )


def check_lightning_tpu_precision():
    import lightning.fabric.plugins.precision.xla as fabric_xla
    import lightning.pytorch.trainer.connectors.accelerator_connector as connector
    from lightning.pytorch.plugins.precision.xla import XLAPrecision

    story = (
        f"{_lightning_context()} Trainer(accelerator='tpu', precision='16-mixed') "
        f"{outcome(lambda: _lightning_trainer(accelerator='tpu', precision='16-mixed'))}; "
        f"Trainer(accelerator='tpu') {outcome(lambda: _lightning_trainer(accelerator='tpu'))}; "
        f"the plugin itself, constructed directly (no TPU needed): XLAPrecision('16-mixed') {outcome(lambda: type(XLAPrecision('16-mixed')).__name__)}; "
        f"XLAPrecision('bf16-mixed') {outcome(lambda: type(XLAPrecision('bf16-mixed')).__name__)}; "
        f"XLAPrecision('bf16-true') {outcome(lambda: type(XLAPrecision('bf16-true')).__name__ + ', XLA_USE_BF16=' + repr(os.environ.get('XLA_USE_BF16')))}; "
        f"{source_line(fabric_xla, '_PRECISION_INPUT = Literal')}; "
        f"{source_line(connector, 'return XLAPrecision(')}"
    )
    report("lightning-trainer-precision-16-mixed-tpu", story)


def check_lightning_fabric_cuda():
    import lightning as L

    def fabric(**kwargs):
        made = L.Fabric(**kwargs)
        return f"accelerator {type(made.accelerator).__name__}, device {made.device}"

    report(
        "lightning-fabric-accelerator-cuda",
        f"{_lightning_context()} Fabric(accelerator='cuda') {outcome(lambda: fabric(accelerator='cuda'))}; "
        f"Fabric(accelerator='auto') {outcome(lambda: fabric(accelerator='auto'))}",
    )


# ---------------------------------------------------------------- checks: precision and modes


def check_model_half():
    device = xla_device()
    model = small_model().half().to(device)
    x = torch.ones(4, 16, dtype=torch.float16).to(device)
    story = f"model.half().to(xla) forward {on_xla(lambda: model(x))}"
    story += f"; backward {on_xla(lambda: model(x).float().sum().backward() or model[0].weight.grad)}"
    bf16 = small_model().to(torch.bfloat16).to(device)
    y = torch.ones(4, 16, dtype=torch.bfloat16).to(device)
    story += f"; for comparison model.to(torch.bfloat16) forward {on_xla(lambda: bf16(y))}"
    report("model-half-on-xla", story)


def _matmul_hlo():
    """The dot instruction of a float32 matmul's HLO, cut to its precision part."""
    import torch_xla

    device = xla_device()
    out = torch.ones(8, 8).to(device) @ torch.ones(8, 8).to(device)
    hlo = torch_xla._XLAC._get_xla_tensors_hlo([out])
    dots = [line.strip() for line in hlo.splitlines() if " dot(" in line]
    if not dots:
        return "no dot in HLO"
    precision = re.search(r"operand_precision=\{[^}]*\}", dots[0])
    return precision.group(0) if precision else "no operand_precision attribute (XLA default precision)"


def _xla_precision_compare(name, label, change):
    import torch_xla.backends as backends

    before = (backends.get_mat_mul_precision(), _matmul_hlo())
    changed = outcome(change)
    after = (backends.get_mat_mul_precision(), _matmul_hlo())
    story = (
        f"torch_xla.backends.get_mat_mul_precision() {before[0]!r}, matmul HLO dot: {before[1]}; {label} {changed}; "
        f"then get_mat_mul_precision() {after[0]!r}, matmul HLO dot: {after[1]} "
        f"({'unchanged' if before == after else 'CHANGED'})"
    )
    for level in ["high", "highest"]:
        story += (
            f"; for comparison torch_xla.backends.set_mat_mul_precision({level!r}) "
            f"{outcome(lambda: backends.set_mat_mul_precision(level))}: HLO dot: {_matmul_hlo()}"
        )
    report(name, story)


def check_set_float32_matmul_precision():
    _xla_precision_compare(
        "set-float32-matmul-precision-on-xla",
        "torch.set_float32_matmul_precision('high')",
        lambda: (torch.set_float32_matmul_precision("high"), torch.get_float32_matmul_precision())[1],
    )


def check_allow_tf32():
    _xla_precision_compare(
        "allow-tf32-on-xla",
        "torch.backends.cuda.matmul.allow_tf32 = True",
        lambda: (setattr(torch.backends.cuda.matmul, "allow_tf32", True), torch.backends.cuda.matmul.allow_tf32)[1],
    )


def check_inference_mode():
    device = xla_device()
    x = torch.ones(4, 16).to(device)
    w = torch.ones(4, 16).to(device)
    parts = []
    for label, context in [("torch.inference_mode()", torch.inference_mode), ("torch.no_grad()", torch.no_grad)]:
        model = small_model().to(device)

        def under(thunk):
            def run():
                with context():
                    return thunk()

            return run

        story = f"under {label}: model forward {on_xla(under(lambda: model(x)))}"
        story += f"; x @ w.T {on_xla(under(lambda: x @ w.T))}"
        story += f"; torch.relu(x) {on_xla(under(lambda: torch.relu(x)))}"
        made = []
        story += f"; features = x * 2 + 1 {on_xla(under(lambda: made.append(x * 2 + 1) or made[0]))}"
        if made:
            features = made[0]
            story += f"; features.is_inference() {features.is_inference()}"
            story += f"; later, outside, in-place features.add_(1) {on_xla(lambda: features.add_(1))}"
            head = torch.nn.Linear(16, 2).to(device)

            def train_on_features():
                loss = head(features).sum()
                loss.backward()
                return head.weight.grad

            story += f"; a training step of a new layer on those features {on_xla(train_on_features)}"

        def train_model():
            model(x).sum().backward()
            return model[0].weight.grad

        story += f"; then a training step of the model itself {on_xla(train_model)}"
        parts.append(story)
    def on_cpu():
        with torch.inference_mode():
            out = small_model()(torch.ones(4, 16))
        return f"{describe(out)}, is_inference() {out.is_inference()}"

    parts.append(f"for comparison on the CPU device: model forward under torch.inference_mode() {outcome(on_cpu)}")
    report("inference-mode-on-xla", " || ".join(parts))


def check_autocast():
    import torch_xla

    device = xla_device()
    a = torch.ones(8, 8).to(device)

    def with_string():
        with torch.autocast(device_type="xla", dtype=torch.bfloat16):
            return a @ a

    def with_device():
        with torch.autocast(device_type=torch_xla.device(), dtype=torch.bfloat16):
            return a @ a

    def with_device_type():
        with torch.autocast(device_type=torch_xla.device().type, dtype=torch.bfloat16):
            return a @ a

    report(
        "autocast-device-type-xla-string",
        f"torch.autocast(device_type='xla', dtype=torch.bfloat16) around a float32 matmul {on_xla(with_string)}; "
        f"torch.autocast(device_type=torch_xla.device(), dtype=torch.bfloat16) {on_xla(with_device)}; "
        f"torch.autocast(device_type=torch_xla.device().type, ...) {on_xla(with_device_type)}",
    )

    def with_cuda():
        with torch.autocast(device_type="cuda", dtype=torch.float16):
            return a @ a

    def with_cuda_amp():
        with torch.cuda.amp.autocast():
            return a @ a

    report(
        "autocast-device-type-cuda-on-xla",
        f"torch.autocast(device_type='cuda', dtype=torch.float16) around a float32 matmul on xla {on_xla(with_cuda)}; "
        f"torch.cuda.amp.autocast() {on_xla(with_cuda_amp)}",
    )


# ---------------------------------------------------------------- checks: launchers


def check_local_rank_env():
    present = "LOCAL_RANK" in os.environ
    report(
        "local-rank-env-on-tpu-host",
        f"(process not started by torchrun; LOCAL_RANK in the environment: {present}) "
        f"int(os.environ['LOCAL_RANK']) {outcome(lambda: int(os.environ['LOCAL_RANK']))}; "
        f"torch.distributed.is_torchelastic_launched() {outcome(lambda: torch.distributed.is_torchelastic_launched())}",
    )


def _launched(index, folder):
    """Run by torch_xla.launch in each spawned process: write what that process sees."""
    import torch_xla
    import torch_xla.runtime as xr

    with open(os.path.join(folder, f"{os.getpid()}.txt"), "w", encoding="utf-8") as handle:
        handle.write(
            f"index {index}, xr.world_size() {xr.world_size()}, xr.global_ordinal() {xr.global_ordinal()}, "
            f"device {torch_xla.device()}, pid differs from the launcher: {os.getpid() != int(os.environ['SWITCH_LAUNCHER_PID'])}"
        )


def check_torch_xla_launch():
    import torch_xla

    folder = tempfile.mkdtemp()
    os.environ["SWITCH_LAUNCHER_PID"] = str(os.getpid())
    launched = outcome(lambda: torch_xla.launch(_launched, args=(folder,)))
    seen = []
    for file_name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, file_name), encoding="utf-8") as handle:
            seen.append(handle.read())
    report(
        "torch-xla-launch",
        f"(torch_xla {torch_xla.__version__}, PJRT_DEVICE={os.environ.get('PJRT_DEVICE')}) torch_xla.launch(fn, args=(folder,)) "
        f"{launched}; fn ran {len(seen)} time(s): {seen}",
    )


def _spawned(index, folder):
    with open(os.path.join(folder, f"{index}.txt"), "w", encoding="utf-8") as handle:
        handle.write(f"rank {index}")


def check_cuda_device_count():
    import torch.multiprocessing as mp

    count = torch.cuda.device_count()
    folder = tempfile.mkdtemp()
    spawned = outcome(lambda: type(mp.spawn(_spawned, args=(folder,), nprocs=count)).__name__)
    report(
        "cuda-device-count-world-size",
        f"(torch {torch.__version__}) torch.cuda.device_count() returns {count!r}; torch.cuda.is_available() {torch.cuda.is_available()}; "
        f"world_size = that; torch.multiprocessing.spawn(fn, nprocs=world_size) {spawned}; fn ran {len(os.listdir(folder))} time(s)",
    )


# ---------------------------------------------------------------- driver


def install_step(key):
    return lambda: install(key)


CHECKS = {
    "install-requirements": install_step("requirements"),
    "install-transformers": install_step("transformers"),
    "install-accelerate": install_step("accelerate"),
    "install-bitsandbytes": install_step("bitsandbytes"),
    "install-xformers": install_step("xformers"),
    "install-lightning": install_step("lightning"),
    "install-diffusers": install_step("diffusers"),
    # 1. torch.optim flags
    "optim-fused": check_optim_fused,
    "optim-foreach": check_optim_foreach,
    "optim-capturable": check_optim_capturable,
    # 2. torch.distributed
    **{f"dist-reduceop-{op.lower().replace('_', '-')}": dist_reduce_check(op) for op in REDUCE_OPS},
    "dist-all-gather-into-tensor": check_dist_all_gather,
    "dist-reduce-scatter-tensor": check_dist_reduce_scatter,
    "dist-default-backend": check_dist_default_backend,
    "dist-nccl": check_dist_nccl,
    # 3. FSDP, meshes, tensor parallel
    "ddp-process-groups": check_ddp_process_groups,
    "fsdp1": check_fsdp1,
    "fsdp2": check_fsdp2,
    "init-device-mesh-cuda": check_init_device_mesh_cuda,
    "init-device-mesh-xla": check_init_device_mesh_xla,
    "parallelize-module": check_parallelize_module,
    "torch-xla-fsdp": check_torch_xla_fsdp,
    # 4. transformers TrainingArguments
    "hf-fp16": check_hf_fp16,
    "hf-fp16-full-eval": check_hf_fp16_full_eval,
    "hf-bf16": check_hf_bf16,
    "hf-apex": check_hf_apex,
    "hf-optim-bnb": check_hf_optim_bnb,
    "hf-optim-apex-fused": check_hf_optim_apex_fused,
    "hf-optim-torch-fused": check_hf_optim_torch_fused,
    "hf-tf32": check_hf_tf32,
    "hf-torch-compile": check_hf_torch_compile,
    "hf-pin-memory": check_hf_pin_memory,
    # 5. attention implementations
    "hf-attn-flash": check_hf_attn_flash,
    "hf-attn-sdpa": check_hf_attn_sdpa,
    "hf-attn-eager": check_hf_attn_eager,
    # 6. quantization configs
    "hf-gptq": check_hf_gptq,
    "hf-awq": check_hf_awq,
    # 7. diffusers
    "diffusers-xformers": check_diffusers_xformers,
    "diffusers-xformers-not-installed": lambda: check_diffusers_xformers(hidden=True),
    "diffusers-model-cpu-offload": check_diffusers_model_cpu_offload,
    "diffusers-sequential-cpu-offload": check_diffusers_sequential_cpu_offload,
    "diffusers-attn-processor-2-0": check_diffusers_attn_processor_2_0,
    "diffusers-xformers-processor": check_diffusers_xformers_processor,
    "diffusers-xformers-processor-not-installed": lambda: check_diffusers_xformers_processor(hidden=True),
    "diffusers-variant": check_diffusers_variant,
    # 8. Lightning
    "lightning-gpu": check_lightning_gpu,
    "lightning-devices": check_lightning_devices,
    "lightning-ddp": check_lightning_ddp,
    "lightning-tpu-precision": check_lightning_tpu_precision,
    "lightning-fabric-cuda": check_lightning_fabric_cuda,
    # 9. precision and modes
    "model-half": check_model_half,
    "set-float32-matmul-precision": check_set_float32_matmul_precision,
    "allow-tf32": check_allow_tf32,
    "inference-mode": check_inference_mode,
    "autocast": check_autocast,
    # 10. launchers
    "local-rank-env": check_local_rank_env,
    "torch-xla-launch": check_torch_xla_launch,
    "cuda-device-count": check_cuda_device_count,
}

OVERLAY_CHECKS.update(key for key in CHECKS if key.startswith("diffusers-"))


def toolkit_free_environment():
    """This process's environment for a TPU VM: no CUDA_HOME/CUDA_PATH, no nvcc directories on PATH,
    and no launcher variables (a plain `python script.py`)."""
    dropped = ("CUDA_HOME", "CUDA_PATH", "CUDA_ROOT", "LOCAL_RANK", "RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    entries = env.get("PATH", "").split(os.pathsep)
    keep = [p for p in entries if p and not p.startswith("/usr/local") and not os.path.exists(os.path.join(p, "nvcc"))]
    env["PATH"] = os.pathsep.join(keep)
    env["PJRT_DEVICE"] = "CPU"
    env["PYTHONWARNINGS"] = "ignore::DeprecationWarning"
    env["TOKENIZERS_PARALLELISM"] = "false"
    env["HF_HUB_OFFLINE"] = "1"  # nothing may come from the Hub; a try to would raise instead of hanging
    return env


def run_in_child(key, wrapper, env):
    if key in OVERLAY_CHECKS:
        env = {**env, "PYTHONPATH": OVERLAY + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")}
    command = [*wrapper, sys.executable, SCRIPT, "--check", key]
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=CHECK_TIMEOUT)
    except subprocess.TimeoutExpired as expired:
        stdout = expired.stdout.decode() if isinstance(expired.stdout, bytes) else (expired.stdout or "")
        stderr = expired.stderr.decode() if isinstance(expired.stderr, bytes) else (expired.stderr or "")
        print("".join(line for line in stdout.splitlines(True) if line.startswith(("CHECK ", "# "))), end="", flush=True)
        stages = [line[len("PENDING ") :] for line in stderr.splitlines() if line.startswith("PENDING ")]
        if stages:
            name, story = stages[-1].split(": ", 1)
            report(name, f"{story} hangs: the check's process was killed after {CHECK_TIMEOUT}s")
        else:
            report(key, f"not measured: the check's process was killed after {CHECK_TIMEOUT}s")
        return
    report_child(key, done)


def describe_child_environment():
    import torch.utils.cpp_extension as cpp

    return (
        f"# each check's process: nvcc on PATH {shutil.which('nvcc')!r}; /usr/local/cuda exists "
        f"{os.path.exists('/usr/local/cuda')}; CUDA_HOME {os.environ.get('CUDA_HOME')!r}; "
        f"torch's cpp_extension.CUDA_HOME {cpp.CUDA_HOME!r}; torch.cuda.is_available() {torch.cuda.is_available()}; "
        f"torch.cuda.device_count() {torch.cuda.device_count()}; /dev/nvidia0 exists {os.path.exists('/dev/nvidia0')}; "
        f"/dev/accel0 exists {os.path.exists('/dev/accel0')}"
    )


def versions_line():
    names = ["transformers", "accelerate", "tokenizers", "safetensors", "huggingface_hub", "bitsandbytes", "xformers",
             "lightning", "torchmetrics", "lightning-utilities", "triton", "numpy"]
    venv = ", ".join(f"{name} {version_of(name)}" for name in names)
    overlay = ", ".join(f"{name} {version_of(name, OVERLAY)}" for name in ["diffusers", "huggingface_hub"])
    return f"# versions after the installs: {venv}; in {OVERLAY} (diffusers checks only): {overlay}"


def main():
    if sys.argv[1:2] == ["--check"]:
        warnings.simplefilter("ignore", DeprecationWarning)
        CHECKS[sys.argv[2]]()
        return
    if sys.argv[1:2] == ["--describe"]:
        print(describe_child_environment(), flush=True)
        return
    import torch_xla

    print(
        f"# torch {torch.__version__}; torch_xla {torch_xla.__version__}; python {sys.version.split()[0]}; "
        f"PJRT_DEVICE={os.environ.get('PJRT_DEVICE')}",
        flush=True,
    )
    env = toolkit_free_environment()
    wrapper = HIDE_USR_LOCAL
    probe = subprocess.run([*wrapper, "true"], capture_output=True, text=True, env=env)
    if probe.returncode != 0:
        print(f"# unshare not allowed ({first_line(probe.stderr)}): /usr/local stays visible", flush=True)
        wrapper = []
    described = subprocess.run([*wrapper, sys.executable, SCRIPT, "--describe"], capture_output=True, text=True, env=env)
    print(described.stdout.strip() or f"# {first_line(described.stderr)}", flush=True)
    only = sys.argv[1:]
    keys = [key for key in CHECKS if not only or key in only]
    for key in [key for key in keys if key.startswith("install-")]:
        run_in_child(key, wrapper, env)
    print(versions_line(), flush=True)  # the versions every check below ran with
    for key in [key for key in keys if not key.startswith("install-")]:
        run_in_child(key, wrapper, env)


if __name__ == "__main__":
    main()
