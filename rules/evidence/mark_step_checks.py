"""Run-time checks behind the mark-step family's claims, on torch_xla (PJRT CPU).

Not part of the project's install or CI. Run it in a separate venv:

    python3 -m venv /tmp/xla && /tmp/xla/bin/pip install torch==2.9.0 torch_xla==2.9.0
    PJRT_DEVICE=CPU /tmp/xla/bin/python rules/evidence/mark_step_checks.py > rules/evidence/mark_step_checks.txt

Every check runs the same small training step (Linear -> MSE loss -> backward -> SGD step) in a
loop of STEPS iterations, one way or another, and reads torch_xla.debug.metrics: `MarkStep`
(barriers), `CompileTime` (compilations), `ExecuteTime` (graph executions) and the number of IR
nodes still pending on the weight after the loop (the graph the next barrier has to cut).
rules/mark_step.toml cites these lines by name.
"""

import warnings

import torch
import torch_xla
import torch_xla.core.xla_model as xm
import torch_xla.debug.metrics as met
import torch_xla.distributed.parallel_loader as pl

STEPS = 10
ACCUMULATE = 4  # micro-steps per optimizer update in the gradient-accumulation check
DEVICE = torch_xla.device()
LOG = open("/dev/null", "w", encoding="utf-8")


def report(name, observation):
    print(f"CHECK {name}: {observation}", flush=True)


def make_step():
    torch.manual_seed(0)
    model = torch.nn.Linear(16, 16).to(DEVICE)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    batch = torch.randn(8, 16, device=DEVICE)
    torch_xla.sync()

    def step(inputs=batch):
        loss = torch.nn.functional.mse_loss(model(inputs), torch.zeros_like(inputs))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        return loss

    return model, optimizer, step


def pending_ir_nodes(tensor):
    return len(torch_xla._XLAC._get_xla_tensors_text([tensor]).splitlines())


def counts(model):
    compile_time = met.metric_data("CompileTime")
    execute_time = met.metric_data("ExecuteTime")
    return (
        f"MarkStep {met.counter_value('MarkStep') or 0}, "
        f"CompileTime {compile_time[0] if compile_time else 0}, "
        f"ExecuteTime {execute_time[0] if execute_time else 0}, "
        f"pending IR lines on the weight {pending_ir_nodes(model.weight)}"
    )


def run(name, loop):
    model, optimizer, step = make_step()
    met.clear_all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loop(model, optimizer, step)
    report(name, counts(model))


def graph_growth():
    model, _, step = make_step()
    sizes = []
    for index in range(1, STEPS + 1):
        step()
        if index in (1, 5, 10):
            sizes.append(f"after {index}: {pending_ir_nodes(model.weight)}")
    report("loop-without-barrier-graph-growth", "; ".join(sizes))


def no_barrier(model, optimizer, step):
    for _ in range(STEPS):
        step()


def sync_at_end(model, optimizer, step):
    for _ in range(STEPS):
        step()
        torch_xla.sync()


def sync_at_start(model, optimizer, step):
    for _ in range(STEPS):
        torch_xla.sync()
        step()


def sync_in_one_branch(model, optimizer, step):
    for index in range(STEPS):
        step()
        if index % 2 == 0:
            torch_xla.sync()


def gradient_accumulation(model, optimizer, step):
    """Backward every micro-step, optimizer step and barrier every ACCUMULATE micro-steps: the
    graph spans one update's micro-steps and is cut with it (compiled once, not growing)."""
    inputs = torch.randn(8, 16, device=DEVICE)
    for index in range(STEPS * ACCUMULATE):
        loss = torch.nn.functional.mse_loss(model(inputs), torch.zeros_like(inputs)) / ACCUMULATE
        loss.backward()
        if (index + 1) % ACCUMULATE == 0:
            optimizer.step()
            optimizer.zero_grad()
            torch_xla.sync()


def mark_step_at_end(model, optimizer, step):
    for _ in range(STEPS):
        step()
        xm.mark_step()


def optimizer_step_default(model, optimizer, step):
    for _ in range(STEPS):
        loss = torch.nn.functional.mse_loss(model(torch.ones(8, 16, device=DEVICE)), torch.zeros(8, 16, device=DEVICE))
        loss.backward()
        xm.optimizer_step(optimizer)
        optimizer.zero_grad()


def optimizer_step_barrier(model, optimizer, step):
    for _ in range(STEPS):
        loss = torch.nn.functional.mse_loss(model(torch.ones(8, 16, device=DEVICE)), torch.zeros(8, 16, device=DEVICE))
        loss.backward()
        xm.optimizer_step(optimizer, barrier=True)
        optimizer.zero_grad()


def mp_device_loader(model, optimizer, step):
    batches = [torch.randn(8, 16) for _ in range(STEPS)]
    for inputs in pl.MpDeviceLoader(batches, DEVICE):
        step(inputs)


def step_context(model, optimizer, step):
    for _ in range(STEPS):
        with torch_xla.step():
            step()


def torch_xla_compile(model, optimizer, step):
    compiled = torch_xla.compile(step)
    for _ in range(STEPS):
        compiled()


def dynamo_openxla(model, optimizer, step):
    compiled = torch.compile(step, backend="openxla")
    for _ in range(STEPS):
        compiled()


def helper_that_syncs(model, optimizer, step):
    def train_step():
        step()
        torch_xla.sync()

    for _ in range(STEPS):
        train_step()


def inner_loop_syncs(model, optimizer, step):
    for _epoch in range(2):
        for _ in range(STEPS // 2):
            step()
            torch_xla.sync()


def transfers():
    data = met.metric_data("TransferFromDeviceTime")
    return data[0] if data else 0


def logging_in_step(model, optimizer, step):
    for _ in range(STEPS):
        loss = step()
        print(f"loss {loss.item():.4f}", file=LOG)
        torch_xla.sync()


def logging_in_closure(model, optimizer, step):
    for _ in range(STEPS):
        loss = step()
        xm.add_step_closure(lambda value: print(f"loss {value.item():.4f}", file=LOG), args=(loss,))
        torch_xla.sync()


def run_logging(name, loop):
    model, optimizer, step = make_step()
    met.clear_all()
    loop(model, optimizer, step)
    report(name, f"{counts(model)}, TransferFromDeviceTime {transfers()}")


def main():
    print(f"# torch {torch.__version__}; torch_xla {torch_xla.__version__}; {STEPS} steps per loop")
    graph_growth()
    run("loop-without-barrier", no_barrier)
    run("loop-with-sync-at-end", sync_at_end)
    run("loop-with-sync-at-start", sync_at_start)
    run("loop-with-sync-in-one-branch", sync_in_one_branch)
    run("loop-with-mark-step", mark_step_at_end)
    run("gradient-accumulation", gradient_accumulation)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        xm.mark_step()
    report("mark-step-deprecation", "; ".join(f"{w.category.__name__}: {w.message}" for w in caught) or "no warning")
    run("optimizer-step-without-barrier", optimizer_step_default)
    run("optimizer-step-with-barrier", optimizer_step_barrier)
    run("mp-device-loader", mp_device_loader)
    run("torch-xla-step-context", step_context)
    run("torch-xla-compile", torch_xla_compile)
    run("torch-compile-openxla", dynamo_openxla)
    run("helper-that-syncs", helper_that_syncs)
    run("inner-loop-syncs", inner_loop_syncs)
    run_logging("log-item-in-step", logging_in_step)
    run_logging("log-item-in-step-closure", logging_in_closure)


if __name__ == "__main__":
    main()
