"""What the run-time check scripts of rules/evidence/ share: one line per check on stdout, the
stage a check is in on stderr (for the driver, if the process dies), pip in this venv, and the
XLA device, counters and a small model the checks run on.

Imported by library_checks.py and switch_checks.py, which run as scripts (this folder is first on
sys.path), in the separate venv with torch 2.9.0 and torch_xla 2.9.0 their docstrings describe.
"""

import re
import signal
import subprocess
import sys

import torch

# Runs a command with a tmpfs over /usr/local (no CUDA toolkit, no nvcc), as a TPU VM has none.
HIDE_USR_LOCAL = ["unshare", "--mount", "--propagation", "private", "sh", "-c", 'mount -t tmpfs none /usr/local && exec "$@"', "sh"]


def report(name, observation):
    print(f"CHECK {name}: {observation}", flush=True)


def pending(name, story):
    """Tell the driver (on stderr) what check name is doing, in case the next call kills the process."""
    print(f"PENDING {name}: {story}", file=sys.stderr, flush=True)


def report_child(key, done):
    """Pass on the report lines a check's process printed (libraries also log to stdout), and if it
    died, a line saying how: at the stage it last announced with pending(), or else as `<key>-process`."""
    print("".join(line for line in done.stdout.splitlines(True) if line.startswith(("CHECK ", "# "))), end="", flush=True)
    if done.returncode == 0:
        return
    cause = (f"signal {-done.returncode} ({signal.Signals(-done.returncode).name})" if done.returncode < 0
             else f"exit code {done.returncode}")
    stages = [line[len("PENDING "):] for line in done.stderr.splitlines() if line.startswith("PENDING ")]
    if stages:
        name, story = stages[-1].split(": ", 1)
        report(name, f"{story} kills the process: {cause}")
    else:
        stderr = [line for line in done.stderr.strip().splitlines() if line.strip()]
        report(f"{key}-process", f"the check's process ended with {cause}: {stderr[-1][:160] if stderr else ''}")


def raising_line(error):
    """For an exception without a message (a bare assert): the source line that raised it."""
    import traceback

    frame = traceback.extract_tb(error.__traceback__)[-1]
    return f"(raised by `{frame.line}` in {'/'.join(frame.filename.split('/')[-3:])})"


def pip(*args, timeout):
    """Run `python -m pip ARGS` in this venv: (return code or 'timeout', combined output)."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pip", *args], capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as expired:
        output = expired.stdout or b""
        return f"killed after {timeout}s", output.decode() if isinstance(output, bytes) else output
    return done.returncode, done.stdout + done.stderr


KEY_LINE_PATTERNS = [
    r"fatal error: .*",  # a C/C++ compiler stopping on a missing header
    r"^\s*[\w.]*(Error|Exception): .*",  # the exception a setup.py raised
    r"^ERROR: (?!Failed building wheel|Could not build wheels).*",
]


def key_line(output):
    """The line of pip's output that says why it failed: the last match of the first pattern that hits."""
    lines = [line for line in output.splitlines() if "Location 'file:" not in line]
    for pattern in KEY_LINE_PATTERNS:
        hits = [m.group(0).strip() for line in lines if (m := re.search(pattern, line))]
        if hits:
            return hits[-1][:200]
    return lines[-1][:200] if lines else "<no output>"


def xla_costs():
    """Counters since the last met.clear_all(): CPU fallbacks, compilations, device-to-host transfers."""
    import torch_xla.debug.metrics as met

    compile_time = met.metric_data("CompileTime")
    transfers = met.metric_data("TransferFromDeviceTime")
    return (
        f"fallbacks {met.executed_fallback_ops()}, CompileTime {compile_time[0] if compile_time else 0}, "
        f"TransferFromDeviceTime {transfers[0] if transfers else 0}"
    )


def describe(tensor):
    return f"{tuple(tensor.shape)} {tensor.dtype} on {tensor.device}"


def xla_device():
    import torch_xla

    return torch_xla.device()


def small_model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 4))
