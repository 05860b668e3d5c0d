"""Run-time checks behind the cuda family's claims, on torch_xla (PJRT CPU).

Not part of the project's install or CI. Run it in a separate venv:

    python3 -m venv /tmp/xla && /tmp/xla/bin/pip install torch==2.9.0 torch_xla==2.9.0 accelerate
    PJRT_DEVICE=CPU /tmp/xla/bin/python rules/evidence/cuda_checks.py > rules/evidence/cuda_checks.txt

PyPI's torch 2.9.0 is the CUDA build; on a machine with no NVIDIA driver it behaves as it does on a
TPU VM, which is exactly the situation a ported script meets. Each check prints one line
`CHECK <name>: <observation>`; rules/cuda.toml cites these names in each rule's `checked` field and
tests/test_catalog.py makes sure every cited name is in the recorded output.
"""

import os
import re
import subprocess
import sys
import warnings

import torch


def report(name, observation):
    print(f"CHECK {name}: {observation}", flush=True)


def outcome(thunk):
    """What calling thunk does: its return value, or the exception it raises (first line)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = thunk()
            result = f"returns {value!r}"
        except Exception as error:  # the point is to record whatever it raises
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
            result = f"raises {type(error).__name__}: {first_line[:160]}"
    for warning in caught:
        result += f" | warns {warning.category.__name__}: {str(warning.message).splitlines()[0][:160]}"
    return result


def in_fresh_process(code):
    env = dict(os.environ, PJRT_DEVICE="CPU")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    return (done.stdout.strip().splitlines() or ["<no output>"])[-1]


def check_device_without_torch_xla_import():
    code = (
        "import torch\n"
        "try:\n"
        "    torch.zeros(2, device='xla'); print('works')\n"
        "except Exception as e:\n"
        "    print(f'raises {type(e).__name__}: {str(e).splitlines()[0][:120]}')\n"
    )
    report("xla-device-without-import", in_fresh_process(code))


def check_cuda_devices():
    report("device-string-cuda", outcome(lambda: torch.zeros(2, device="cuda")))
    report("device-string-cuda-0", outcome(lambda: torch.zeros(2).to("cuda:0")))
    report("torch-device-cuda", outcome(lambda: torch.zeros(2).to(torch.device("cuda", 0))))
    report("dot-cuda", outcome(lambda: torch.zeros(2).cuda()))
    report("module-dot-cuda", outcome(lambda: torch.nn.Linear(2, 2).cuda()))
    report("to-integer-ordinal", outcome(lambda: torch.zeros(2).to(0)))
    report("torch-device-integer", outcome(lambda: torch.device(0)))
    report("set-default-device-cuda", outcome(lambda: (torch.set_default_device("cuda"), torch.zeros(1))))
    torch.set_default_device("cpu")
    report("map-location-cuda", outcome(_load_with_map_location))
    report("set-default-tensor-type-cuda", in_fresh_process(DEFAULT_TENSOR_TYPE_THEN_ALLOCATE))
    report("cuda-tensor-type-ctor", outcome(lambda: torch.cuda.FloatTensor(2)))


DEFAULT_TENSOR_TYPE_THEN_ALLOCATE = """
import warnings, torch
warnings.simplefilter("ignore")
torch.set_default_tensor_type(torch.cuda.HalfTensor)
try:
    torch.zeros(1); print("set_default_tensor_type accepted; torch.zeros(1) works")
except Exception as e:
    print(f"set_default_tensor_type accepted; torch.zeros(1) raises {type(e).__name__}: {str(e).splitlines()[0][:90]}")
"""


def _load_with_map_location():
    import io

    buffer = io.BytesIO()
    torch.save(torch.zeros(2), buffer)
    buffer.seek(0)
    return torch.load(buffer, map_location="cuda")


def check_availability_idiom():
    import torch_xla
    import torch_xla.debug.metrics as met

    device = "cuda" if torch.cuda.is_available() else "cpu"
    met.clear_all()
    x = torch.ones(64, 64, device=device)
    (x @ x).sum()
    xla_ops = [name for name in met.counter_names() if name.startswith("xla::")]
    report("availability-idiom", f"picks {device!r}; XLA ops executed: {len(xla_ops)}")
    report("xla-device-ops-counted", _xla_ops_for_device(torch_xla.device()))


def _xla_ops_for_device(device):
    import torch_xla
    import torch_xla.debug.metrics as met

    met.clear_all()
    x = torch.ones(64, 64, device=device)
    (x @ x).sum().cpu()
    torch_xla.sync()
    return f"on {device}: counters {sorted(n for n in met.counter_names() if n.startswith('xla::'))[:4]}..."


CUDA_API_CALLS = {
    "is_available": lambda: torch.cuda.is_available(),
    "device_count": lambda: torch.cuda.device_count(),
    "current_device": lambda: torch.cuda.current_device(),
    "set_device": lambda: torch.cuda.set_device(0),
    "get_device_name": lambda: torch.cuda.get_device_name(0),
    "get_device_properties": lambda: torch.cuda.get_device_properties(0),
    "get_device_capability": lambda: torch.cuda.get_device_capability(0),
    "is_bf16_supported": lambda: torch.cuda.is_bf16_supported(),
    "device": lambda: torch.cuda.device(0).__enter__(),
    "synchronize": lambda: torch.cuda.synchronize(),
    "Stream": lambda: torch.cuda.Stream(),
    "current_stream": lambda: torch.cuda.current_stream(),
    "Event": lambda: torch.cuda.Event(enable_timing=True).record(),
    "CUDAGraph": lambda: torch.cuda.CUDAGraph(),
    "nvtx.range_push": lambda: torch.cuda.nvtx.range_push("step"),
    "get_rng_state": lambda: torch.cuda.get_rng_state(),
    "empty_cache": lambda: torch.cuda.empty_cache(),
    "memory_allocated": lambda: torch.cuda.memory_allocated(),
    "max_memory_allocated": lambda: torch.cuda.max_memory_allocated(),
    "memory_reserved": lambda: torch.cuda.memory_reserved(),
    "reset_peak_memory_stats": lambda: torch.cuda.reset_peak_memory_stats(),
    "mem_get_info": lambda: torch.cuda.mem_get_info(),
    "memory_summary": lambda: torch.cuda.memory_summary()[:40],
    "set_per_process_memory_fraction": lambda: torch.cuda.set_per_process_memory_fraction(0.5),
    "manual_seed": lambda: torch.cuda.manual_seed(0),
    "manual_seed_all": lambda: torch.cuda.manual_seed_all(0),
    "ipc_collect": lambda: torch.cuda.ipc_collect(),
}


ACCELERATOR_API_CALLS = {
    "is_available": lambda: torch.accelerator.is_available(),
    "current_accelerator": lambda: torch.accelerator.current_accelerator(),
    "device_count": lambda: torch.accelerator.device_count(),
    "current_device_index": lambda: torch.accelerator.current_device_index(),
    "synchronize": lambda: torch.accelerator.synchronize(),
    "memory_allocated": lambda: torch.accelerator.memory_allocated(),
}


def check_cuda_api():
    for name, thunk in CUDA_API_CALLS.items():
        report(f"torch.cuda.{name}", outcome(thunk))


def check_accelerator_api():
    """torch.accelerator with torch_xla imported: does it know the XLA device?"""
    for name, thunk in ACCELERATOR_API_CALLS.items():
        report(f"torch.accelerator.{name}", outcome(thunk))


def check_seeds():
    import torch_xla

    device = torch_xla.device()
    torch.cuda.manual_seed(0)
    first = torch.randn(4, device=device).cpu()
    torch.cuda.manual_seed(0)
    second = torch.randn(4, device=device).cpu()
    report("cuda-manual-seed-reproducible-on-xla", bool(torch.equal(first, second)))
    torch_xla.manual_seed(0)
    first = torch.randn(4, device=device).cpu()
    torch_xla.manual_seed(0)
    second = torch.randn(4, device=device).cpu()
    report("torch-xla-manual-seed-reproducible", bool(torch.equal(first, second)))


def check_backend_flags():
    def set_flags():
        torch.backends.cudnn.benchmark = True
        torch.backends.cudnn.deterministic = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        return "set"

    report("cudnn-and-tf32-flags", outcome(set_flags))
    import torch_xla
    import torch_xla.debug.metrics as met

    met.clear_all()
    x = torch.ones(8, 8, device=torch_xla.device())
    (x @ x).cpu()
    report("cudnn-flags-change-xla-graph", f"xla counters after matmul: {sorted(met.counter_names())[:3]}...")


def check_autocast():
    import torch_xla

    device = torch_xla.device()
    x = torch.ones(8, 8, device=device)

    def matmul_dtype(**autocast_args):
        with torch.autocast(**autocast_args):
            return (x @ x).dtype

    report("autocast-cuda-on-xla-tensors", outcome(lambda: matmul_dtype(device_type="cuda", dtype=torch.float16)))
    report("autocast-xla-bf16", outcome(lambda: matmul_dtype(device_type="xla", dtype=torch.bfloat16)))
    report("autocast-xla-fp16", outcome(lambda: matmul_dtype(device_type="xla", dtype=torch.float16)))
    report("cuda-amp-autocast", outcome(lambda: torch.cuda.amp.autocast().__enter__()))

    def inner_region(**inner_args):
        with torch.autocast("xla", dtype=torch.bfloat16), torch.autocast(**inner_args):
            return (x @ x).dtype

    # A region a CUDA script keeps in fp32 (`autocast("cuda", enabled=False)`) inside XLA autocast:
    # the CUDA switch leaves XLA's on; the XLA one turns it off.
    report("autocast-cuda-disabled-inside-xla-autocast", outcome(lambda: inner_region(device_type="cuda", enabled=False)))
    report("autocast-xla-disabled-inside-xla-autocast", outcome(lambda: inner_region(device_type="xla", enabled=False)))


def check_grad_scaler():
    def scaled_loss():
        scaler = torch.amp.GradScaler("cuda")
        loss = torch.tensor(2.0)
        return (scaler.is_enabled(), float(scaler.scale(loss)))

    report("grad-scaler-cuda", outcome(scaled_loss))
    report("cuda-amp-grad-scaler", outcome(lambda: torch.cuda.amp.GradScaler().is_enabled()))
    report("grad-scaler-cuda-xla-training-steps", _grad_scaler_step_costs())
    import torch_xla.amp

    report("torch-xla-amp-exports", sorted(n for n in dir(torch_xla.amp) if not n.startswith("_")))


def _grad_scaler_step_costs():
    import torch_xla
    import torch_xla.debug.metrics as met

    device = torch_xla.device()
    model = torch.nn.Linear(4, 4).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

    def three_steps(scaler):
        met.clear_all()
        for _ in range(3):
            loss = model(torch.ones(2, 4, device=device)).sum()
            if scaler is None:
                loss.backward()
                optimizer.step()
            else:
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
            optimizer.zero_grad()
            torch_xla.sync()
        transfers = met.metric_data("TransferFromDeviceTime")
        return f"fallbacks {met.executed_fallback_ops()}, TransferFromDeviceTime {transfers[0] if transfers else 0}"

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scaled = three_steps(torch.amp.GradScaler("cuda"))
    return f"3 steps with GradScaler('cuda'): {scaled}; without: {three_steps(None)}"


def check_nccl():
    import tempfile

    import torch.distributed as dist

    store_file = tempfile.NamedTemporaryFile(delete=False).name
    report(
        "init-process-group-nccl",
        outcome(lambda: dist.init_process_group("nccl", init_method=f"file://{store_file}", rank=0, world_size=1)),
    )


DDP_WITH_AND_WITHOUT_DEVICE_IDS = """
import warnings
warnings.simplefilter("ignore")
import torch, torch_xla, torch.distributed as dist
import torch_xla.distributed.xla_backend
from torch.nn.parallel import DistributedDataParallel as DDP

def run(index):
    dist.init_process_group("xla", init_method="xla://")
    device = torch_xla.device()
    model = torch.nn.Linear(4, 4).to(device)
    seen = []
    for device_ids in ([1], None):
        try:
            wrapped = DDP(model, device_ids=device_ids, gradient_as_bucket_view=True)
            seen.append(f"device_ids={device_ids}: output on {wrapped(torch.ones(2, 4, device=device)).device}")
        except Exception as e:
            seen.append(f"device_ids={device_ids}: raises {type(e).__name__}: {str(e).splitlines()[0][:90]}")
    print("; ".join(seen))

torch_xla.launch(run, debug_single_process=True)
"""


def check_ddp_device_ids():
    report("ddp-device-ids-on-xla", in_fresh_process(DDP_WITH_AND_WITHOUT_DEVICE_IDS))


def check_pin_memory():
    from torch.utils.data import DataLoader

    report("dataloader-pin-memory", outcome(lambda: next(iter(DataLoader(list(range(4)), batch_size=2, pin_memory=True)))))
    report("tensor-pin-memory", outcome(lambda: torch.zeros(2).pin_memory()))


def check_map_location_xla():
    """torch.load onto the XLA device: what a ported `map_location="cuda"` would become."""
    import io

    import torch_xla

    buffer = io.BytesIO()
    torch.save({"weight": torch.ones(2)}, buffer)

    def load(where):
        buffer.seek(0)
        return torch.load(buffer, map_location=where)["weight"].device

    report("map-location-xla-device", f"torch_xla.device(): {outcome(lambda: load(torch_xla.device()))}; "
           f"'xla': {outcome(lambda: load('xla'))}; 'cpu': {outcome(lambda: load('cpu'))}")


def check_memory_info():
    """xm.get_memory_info(), torch.cuda's memory counters' counterpart, on PJRT CPU."""
    import torch_xla.core.xla_model as xm

    report("xla-memory-info", outcome(lambda: xm.get_memory_info()))


def check_sync_wait():
    """Whether the barrier waits for the graph it launches: the time of the barrier and of reading
    the result afterwards (the read waits for whatever the barrier did not)."""
    import time

    import torch_xla
    import torch_xla.core.xla_model as xm

    x = torch.ones(1024, 1024, device=torch_xla.device())

    def pending_work():
        y = x
        for _ in range(20):
            y = torch.tanh(y @ x)
        return y

    pending_work().cpu()  # compiled once, so the barriers below only run it
    seen = []
    for name, barrier in (("torch_xla.sync(wait=True)", lambda: torch_xla.sync(wait=True)),
                          ("torch_xla.sync(); xm.wait_device_ops()", lambda: (torch_xla.sync(), xm.wait_device_ops()))):
        y = pending_work()
        start = time.perf_counter()
        barrier()
        waited = time.perf_counter() - start
        start = time.perf_counter()
        y.cpu()
        seen.append(f"{name}: barrier {waited * 1e3:.0f} ms, reading after it {(time.perf_counter() - start) * 1e3:.0f} ms")
    report("sync-wait-vs-wait-device-ops", "; ".join(seen))


SPAWN_VERSUS_LAUNCH = """
import sys, warnings
warnings.simplefilter("ignore")
import torch, torch_xla, torch_xla.runtime as xr, torch.multiprocessing as mp

def run(index, how):
    import torch.distributed as dist
    import torch_xla.distributed.xla_backend
    try:
        dist.init_process_group("xla", init_method="xla://")
        group = f"rank {dist.get_rank()} of {dist.get_world_size()}"
    except Exception as e:
        group = f"init_process_group raises {type(e).__name__}"
    print(f"{how} process {index}: ordinal {xr.global_ordinal()} of {xr.world_size()}, {torch_xla.device()}, {group}", flush=True)

if __name__ == "__main__":
    if sys.argv[1] == "spawn":
        mp.spawn(run, args=("mp.spawn",), nprocs=2, join=False)
    else:
        torch_xla.launch(run, args=("torch_xla.launch",))
"""


def check_spawn_versus_launch():
    """Two processes on two XLA CPU devices (CPU_NUM_DEVICES=2), started by mp.spawn and by
    torch_xla.launch: the ordinals and process group each one gets."""
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as script:
        script.write(SPAWN_VERSUS_LAUNCH)
    env = dict(os.environ, PJRT_DEVICE="CPU", CPU_NUM_DEVICES="2")
    for how in ("spawn", "launch"):
        done = subprocess.run([sys.executable, script.name, how], capture_output=True, text=True, env=env, timeout=300)
        # the processes print at once: a line may hold two reports, so they are found by their start
        lines = sorted(part.strip() for part in re.findall(
            r"(?:mp\.spawn|torch_xla\.launch) process \d+: .*?(?=(?:mp\.spawn|torch_xla\.launch) process \d+:|\n|$)", done.stdout))
        report(f"two-processes-by-{how}", "; ".join(lines) or f"<no output; exit {done.returncode}>")


def check_spawn_with_cuda_count():
    import torch.multiprocessing as mp

    report("mp-spawn-nprocs-cuda-count", outcome(lambda: mp.spawn(print, nprocs=torch.cuda.device_count())))


def check_cuda_visible_devices():
    import torch_xla

    root = os.path.dirname(torch_xla.__file__)
    hits = subprocess.run(["grep", "-rl", "CUDA_VISIBLE_DEVICES", root], capture_output=True, text=True).stdout.split()
    report("torch-xla-reads-cuda-visible-devices", sorted(os.path.relpath(h, root) for h in hits))
    hits = subprocess.run(["grep", "-rl", "TPU_VISIBLE_CHIPS", root], capture_output=True, text=True).stdout.split()
    report("torch-xla-reads-tpu-visible-chips", sorted(os.path.relpath(h, root) for h in hits))


def check_hf_device_map():
    try:
        from accelerate.utils import get_max_memory
    except ImportError:
        report("accelerate-device-map-auto", "accelerate not installed")
        return
    report("accelerate-device-map-auto", f"get_max_memory() devices: {sorted(map(str, get_max_memory()))}")


def main():
    warnings.simplefilter("ignore", DeprecationWarning)
    print(f"# torch {torch.__version__}; python {sys.version.split()[0]}; PJRT_DEVICE={os.environ.get('PJRT_DEVICE')}")
    check_device_without_torch_xla_import()
    check_cuda_devices()
    check_cuda_api()
    import torch_xla

    print(f"# torch_xla {torch_xla.__version__}")
    check_availability_idiom()
    check_accelerator_api()
    check_seeds()
    check_backend_flags()
    check_autocast()
    check_grad_scaler()
    check_pin_memory()
    check_nccl()
    check_ddp_device_ids()
    check_spawn_with_cuda_count()
    check_sync_wait()
    check_map_location_xla()
    check_memory_info()
    check_spawn_versus_launch()
    check_cuda_visible_devices()
    check_hf_device_map()


if __name__ == "__main__":
    main()
