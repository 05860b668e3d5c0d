"""Run-time checks behind the dynamic-shape family's claims, on torch_xla (PJRT CPU).

Not part of the project's install or CI. Run it in a separate venv:

    python3 -m venv /tmp/xla && /tmp/xla/bin/pip install torch==2.9.0 torch_xla==2.9.0 "transformers>=4.56,<5"
    PJRT_DEVICE=CPU /tmp/xla/bin/python rules/evidence/dynamic_shape_checks.py > rules/evidence/dynamic_shape_checks.txt

Each check runs a hazard, and where there is one its fix, for STEPS steps with a barrier after
each step, on data that changes every step as real batches do, in a process of its own (so no
check finds another's graphs in the compilation cache), and reads torch_xla.debug.metrics:
`CompileTime` (compilations), `TransferFromDeviceTime` (device-to-host transfers), `aten::` counters
(CPU fallbacks). rules/dynamic_shape.toml cites these lines by name.
"""

import subprocess
import sys

import torch
import torch.nn.functional as F
import torch_xla
import torch_xla.debug.metrics as met

STEPS = 4
DEVICE = torch_xla.device()


def report(name, observation):
    print(f"CHECK {name}: {observation}", flush=True)


def metric_count(name):
    data = met.metric_data(name)
    return data[0] if data else 0


def measure(name, step):
    """Run step(i) for STEPS steps, each followed by a barrier, after a warm-up of the inputs."""
    torch.manual_seed(0)
    inputs = [torch.randn(16, device=DEVICE) + i * 0.1 for i in range(STEPS)]
    torch_xla.sync()
    met.clear_all()
    kept = []  # results stay alive through the barrier, so their graphs really run
    for index in range(STEPS):
        kept.append(step(index, inputs[index]))
        torch_xla.sync()
    fallbacks = sorted(name for name in met.counter_names() if name.startswith("aten::"))
    report(name, f"{STEPS} steps: CompileTime {metric_count('CompileTime')}, "
                 f"TransferFromDeviceTime {metric_count('TransferFromDeviceTime')}, fallbacks {fallbacks}")


def data_dependent_shapes():
    measure("nonzero", lambda i, x: (torch.nonzero(x > 0) * 2).sum())
    measure("argwhere", lambda i, x: (torch.argwhere(x > 0) * 2).sum())
    measure("where-one-argument", lambda i, x: (torch.where(x > 0)[0] * 2).sum())
    measure("unique", lambda i, x: (torch.unique((x * 3).round()) * 2).sum())
    measure("unique-consecutive", lambda i, x: (torch.unique_consecutive((x * 3).round()) * 2).sum())
    measure("masked-select", lambda i, x: (torch.masked_select(x, x > 0) * 2).sum())
    measure("masked-scatter", lambda i, x: (x.masked_scatter(x > 0, x * 3) * 2).sum())
    measure("repeat-interleave-tensor", lambda i, x: (torch.repeat_interleave(x, (x > 0).long()) * 2).sum())
    measure("boolean-mask-index", lambda i, x: (x[x > 0] * 2).sum())
    measure("boolean-mask-assign", lambda i, x: _assign_through_mask(x))
    measure("fix-where-three-arguments", lambda i, x: (torch.where(x > 0, x, 0.0) * 2).sum())
    measure("fix-masked-fill", lambda i, x: (x.masked_fill(x <= 0, 0.0) * 2).sum())
    measure("fix-multiply-by-mask", lambda i, x: (x * (x > 0)).sum())


def _assign_through_mask(x):
    y = x.clone()
    y[y > 0] = 0.0
    return y.sum()


def growing_tensors():
    state = {"cache": torch.zeros(1, 8, device=DEVICE)}

    def grow_with_cat(i, x):
        state["cache"] = torch.cat([state["cache"], x[:8].reshape(1, 8)], dim=0)
        return state["cache"].sum()

    measure("cat-growth-in-loop", grow_with_cat)
    buffer = {"kv": torch.zeros(STEPS, 8, device=DEVICE)}

    def write_with_python_int(i, x):
        buffer["kv"][i] = x[:8]
        return buffer["kv"].sum()

    measure("python-int-index-write", write_with_python_int)
    buffer["kv"] = torch.zeros(STEPS, 8, device=DEVICE)

    def write_with_index_copy(i, x):
        position = torch.tensor([i], device=DEVICE)
        buffer["kv"].index_copy_(0, position, x[:8].reshape(1, 8))
        return buffer["kv"].sum()

    measure("fix-index-copy-device-position", write_with_index_copy)
    measure("python-int-slice-bound", lambda i, x: (x[: i + 4] * 2).sum())


def host_syncs():
    measure("item", lambda i, x: x.sum().item())
    measure("tolist", lambda i, x: x.tolist())
    measure("cpu", lambda i, x: x.cpu())
    measure("numpy", lambda i, x: x.cpu().numpy())
    measure("bool-of-tensor", lambda i, x: bool(x.sum() > 0))
    measure("if-on-tensor", lambda i, x: 1 if x.sum() > 0 else 0)
    measure("iterate-tensor", lambda i, x: [row for row in x[:4]])
    measure("allclose", lambda i, x: torch.allclose(x, x + 1e-9))
    measure("equal", lambda i, x: torch.equal(x, x + 1e-9))
    measure("one-hot-without-num-classes", lambda i, x: F.one_hot((x.abs() * 3).long().clamp(max=5)).sum())
    measure("fix-one-hot-with-num-classes", lambda i, x: F.one_hot((x.abs() * 3).long().clamp(max=5), num_classes=6).sum())
    measure("fix-keep-on-device", lambda i, x: torch.where(x.sum() > 0, 1, 0))


def unpadded_inputs():
    lengths = [5, 6, 7, 5]
    embed = torch.nn.Embedding(100, 8).to(DEVICE)

    # Token ids are made on the host (as a tokenizer does) and then moved, padded or not.
    def varying_length(i, x):
        ids = torch.arange(lengths[i]).unsqueeze(0).to(DEVICE)
        return embed(ids).sum()

    def padded_length(i, x):
        ids = torch.nn.functional.pad(torch.arange(lengths[i]), (0, 8 - lengths[i])).unsqueeze(0).to(DEVICE)
        return embed(ids).sum()

    measure("sequence-length-varies", varying_length)
    measure("fix-padded-to-max-length", padded_length)
    batches = [4, 4, 4, 2]  # 14 samples, batch_size 4: the last batch is short

    def last_batch_short(i, x):
        return (x[: batches[i]].reshape(batches[i], 1) * 2).sum()

    def drop_last(i, x):
        return (x[:4].reshape(4, 1) * 2).sum()

    measure("dataloader-last-batch-short", last_batch_short)
    measure("fix-drop-last", drop_last)


GENERATE = """
import sys, warnings
warnings.simplefilter("ignore")
import torch, torch_xla
import torch_xla.debug.metrics as met
from transformers import GPT2Config, GPT2LMHeadModel
torch.manual_seed(0)
device = torch_xla.device()
config = GPT2Config(n_layer=1, n_embd=32, n_head=2, vocab_size=100, n_positions=64)
model = GPT2LMHeadModel(config).to(device).eval()  # a tiny random model: nothing is downloaded
ids = torch.randint(0, 100, (1, 5)).to(device)
extra = {"cache_implementation": "static"} if sys.argv[1] == "static" else {}
model.generate(ids, max_new_tokens=2, do_sample=False, pad_token_id=0, **extra)  # warm-up
torch_xla.sync()
met.clear_all()
model.generate(ids, max_new_tokens=8, do_sample=False, pad_token_id=0, **extra)
torch_xla.sync()
compiles, transfers = met.metric_data("CompileTime"), met.metric_data("TransferFromDeviceTime")
print(f"8 new tokens: CompileTime {compiles[0] if compiles else 0}, TransferFromDeviceTime {transfers[0] if transfers else 0}")
"""


def generate_caches():
    for mode, name in (("dynamic", "generate-dynamic-cache"), ("static", "generate-static-cache")):
        done = subprocess.run([sys.executable, "-c", GENERATE, mode], capture_output=True, text=True, check=False)
        report(name, (done.stdout.strip().splitlines() or [f"failed: {done.stderr.strip()[-200:]}"])[-1])


GROUPS = {
    "data_dependent_shapes": data_dependent_shapes,
    "growing_tensors": growing_tensors,
    "host_syncs": host_syncs,
    "unpadded_inputs": unpadded_inputs,
}


def main():
    if len(sys.argv) == 3:  # a child: run one check of one group
        only = sys.argv[2]
        global measure
        real_measure = measure
        measure = lambda name, step: real_measure(name, step) if name == only else None  # noqa: E731
        GROUPS[sys.argv[1]]()
        return
    print(f"# torch {torch.__version__}; torch_xla {torch_xla.__version__}; {STEPS} steps per check")
    for group, run in GROUPS.items():
        for name in _check_names(run):
            done = subprocess.run([sys.executable, __file__, group, name], capture_output=True, text=True, check=False)
            print(done.stdout.strip() or f"CHECK {name}: failed: {done.stderr.strip().splitlines()[-1:]}", flush=True)
    generate_caches()


def _check_names(run):
    names = []
    global measure
    real_measure = measure
    measure = lambda name, step: names.append(name)  # noqa: E731
    try:
        run()
    finally:
        measure = real_measure
    return names


if __name__ == "__main__":
    main()
