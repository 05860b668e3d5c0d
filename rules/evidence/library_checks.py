"""Run-time checks behind the claims about CUDA-only libraries and kernels, on torch_xla (PJRT CPU).

Not part of the project's install or CI. Run it in a separate venv that has torch 2.9.0 (PyPI's
CUDA build), torch_xla 2.9.0, transformers and triton (triton 3.5.0 comes with torch 2.9.0):

    python3 -m venv /tmp/xla && /tmp/xla/bin/pip install torch==2.9.0 torch_xla==2.9.0 transformers==4.57.6 accelerate
    PJRT_DEVICE=CPU /tmp/xla/bin/python rules/evidence/library_checks.py > rules/evidence/library_checks.txt

The script installs the libraries it checks into that venv itself (so each install outcome is
recorded too), always with `--no-deps` so torch and torch_xla stay as they are; the exact commands
are in INSTALLS below and are printed in the `install-*` lines. Libraries that do not depend on
torch are installed normally: numba (with llvmlite), and deepspeed's pure-Python requirements. Build
tools for `--no-build-isolation` builds (wheel, ninja) are installed with `--no-deps`.
The PyPI package named `apex` is unrelated to NVIDIA apex; its check installs and then uninstalls it.

A TPU VM has no NVIDIA driver, no CUDA toolkit and no nvcc. This machine has no driver either, but it
has a CUDA toolkit in /usr/local/cuda and an `nvcc` in /usr/local/bin. So every check runs in its own
Python process, started by `unshare --mount` inside a private mount namespace with a tmpfs over
/usr/local (no /usr/local/cuda, no nvcc; nothing outside that process is affected), with CUDA_HOME
and CUDA_PATH unset and every PATH entry under /usr/local or holding an `nvcc` dropped. Where
unshare is not allowed (not root), the header line says so and /usr/local stays visible.
One process per check also keeps a crash, a hang or global state (torch.compile, sdp flags) inside
that check; a check that dies or times out is still reported.

The helpers both scripts share (report, pip, the XLA counters, a small model) are in harness.py
beside this script.

Each check prints one line `CHECK <name>: <observation>` (install steps print `CHECK install-<pkg>:`).
Exceptions are recorded as `raises <type>: <first line>`; runs on the XLA device also record
torch_xla.debug.metrics: `fallbacks [aten::...]` (ops run on the CPU instead of XLA), `CompileTime`
(XLA compilations) and `TransferFromDeviceTime` (device-to-host copies, i.e. host syncs).
"""

import os
import re
import shutil
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
PIP_TIMEOUT = 300


def pip(*args, timeout=None):
    """harness.pip with this script's time limit."""
    return pip_in_venv(*args, timeout=timeout or PIP_TIMEOUT)


# Every install the script does, as the pip arguments it runs (after `python -m pip install`).
INSTALLS = {
    "wheel": ["--no-deps", "wheel"],
    "ninja": ["--no-deps", "ninja"],
    "xformers": ["--no-deps", "xformers==0.0.33.post1"],  # the release whose metadata says torch==2.9.0
    "bitsandbytes": ["--no-deps", "bitsandbytes==0.50.2"],
    "cupy-cuda12x": ["--no-deps", "cupy-cuda12x==14.2.0", "cuda-pathfinder"],
    "numba": ["numba", "llvmlite"],
    "deepspeed-requirements": ["hjson", "msgpack", "py-cpuinfo", "pydantic>=2", "einops"],
    "deepspeed": ["--no-deps", "--no-build-isolation", "deepspeed==0.19.8"],
}


# ---------------------------------------------------------------- helpers


def first_line(text, limit=160):
    text = str(text).strip()
    return text.splitlines()[0][:limit] if text else ""


def outcome(thunk, detail=None):
    """What calling thunk does: its return value, or the exception it raises (first line, and
    detail(message) in brackets, when detail is given and finds something)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = thunk()
            result = f"returns {value!r}"[:200]
        except BaseException as error:  # the point is to record whatever it raises (SystemExit too)
            result = f"raises {type(error).__name__}: {first_line(error) or raising_line(error)}"
            extra = detail(str(error)) if detail else ""
            result += f" [{extra}]" if extra else ""
    seen = set()
    for warning in caught:
        text = f"{warning.category.__name__}: {first_line(warning.message)}"
        if text not in seen and warning.category is not DeprecationWarning:
            seen.add(text)
            result += f" | warns {text}"
    return result


def version_of(distribution):
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return None


def installed(distribution, check):
    """Whether distribution is installed; if not, report check as not measured."""
    if version_of(distribution) is None:
        report(check, f"not measured: {distribution} is not installed (see install-{distribution})")
        return False
    return True


def install(key):
    """Run one INSTALLS entry and print `CHECK install-<key>: ...`."""
    args = INSTALLS[key]
    code, output = pip("install", *args)
    command = "pip install " + " ".join(args)
    names = [re.split(r"[=<>]", arg)[0] for arg in args if not arg.startswith("-")]
    versions = ", ".join(f"{name} {version_of(name)}" for name in names)
    if code == 0:
        report(f"install-{key}", f"`{command}` exit 0; now installed: {versions}; torch {version_of('torch')}")
    else:
        report(f"install-{key}", f"`{command}` exit {code}: {key_line(output)}")


def sentence_with(words):
    """A detail for outcome(): the first sentence of the message that contains words."""
    def detail(message):
        sentences = re.split(r"(?<=\.)\s+(?=[A-Z])| \(e\.g\.", message)
        return next((" ".join(s.split()) for s in sentences if words in s), "")[:200]

    return detail


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


def attention_inputs(device, layout="BHSD", dtype=torch.float32):
    """q, k, v of batch 1, 2 heads, 8 positions, head size 32: BHSD for SDPA, BSHD for xformers."""
    torch.manual_seed(0)
    shape = (1, 2, 8, 32) if layout == "BHSD" else (1, 8, 2, 32)
    return [torch.randn(shape, dtype=dtype).to(device) for _ in range(3)]


# ---------------------------------------------------------------- checks: distributions and builds


def check_flash_attn_distribution():
    code, output = pip("download", "flash-attn", "--no-deps", "--only-binary=:all:", "-d", tempfile.mkdtemp())
    binary = f"exit {code}: {key_line(output)}" if code else "a wheel was downloaded"
    code, output = pip("install", "flash-attn", "--no-deps", "--no-build-isolation", timeout=300)
    nvcc_warning = "nvcc was not found" in output
    source = f"exit {code}: {key_line(output)}" + (" (setup.py warned: nvcc was not found)" if nvcc_warning else "")
    report(
        "flash-attn-distribution",
        f"`pip download flash-attn --no-deps --only-binary=:all:` {binary}; "
        f"`pip install flash-attn --no-deps --no-build-isolation` {source}",
    )


def check_pycuda_distribution():
    code, output = pip("download", "pycuda", "--no-deps", "--only-binary=:all:", "-d", tempfile.mkdtemp())
    binary = f"exit {code}: {key_line(output)}" if code else "a wheel was downloaded"
    code, output = pip("install", "pycuda", "--no-deps", timeout=300)
    source = f"exit {code}: {key_line(output)}" if code else "installed"
    report(
        "pycuda-distribution",
        f"`pip download pycuda --no-deps --only-binary=:all:` {binary}; `pip install pycuda --no-deps` {source}",
    )


def check_apex_distribution():
    folder = tempfile.mkdtemp()
    code, output = pip("download", "apex", "--no-deps", "-d", folder)
    files = sorted(os.listdir(folder))
    if code or not files:
        report("apex-distribution", f"`pip download apex --no-deps` exit {code}: {key_line(output)}")
        return
    summary = _sdist_field(os.path.join(folder, files[0]), "Summary")
    code, output = pip("install", "--no-deps", os.path.join(folder, files[0]))
    installed = "installs (exit 0)" if code == 0 else f"install exit {code}: {key_line(output)}"
    amp = _in_child("import apex.amp")
    fused = _in_child("from apex.optimizers import FusedAdam")
    pip("uninstall", "-y", "apex")
    report(
        "apex-distribution",
        f"`pip download apex --no-deps` gives {files[0]} (Summary: {summary!r}); {installed}; "
        f"`import apex.amp` {amp}; `from apex.optimizers import FusedAdam` {fused}; uninstalled again",
    )


def _sdist_field(path, field):
    import tarfile

    with tarfile.open(path) as archive:
        member = next(m for m in archive.getmembers() if m.name.count("/") == 1 and m.name.endswith("/PKG-INFO"))
        text = archive.extractfile(member).read().decode()
    return next((line.split(": ", 1)[1] for line in text.splitlines() if line.startswith(f"{field}: ")), None)


def _in_child(statement):
    """What a statement does in a fresh interpreter (after an install, modules are not cached)."""
    code = (
        "try:\n"
        f"    {statement}\n"
        "    print('works')\n"
        "except BaseException as e:\n"
        "    print(f'raises {type(e).__name__}: {str(e).strip().splitlines()[0][:140] if str(e).strip() else \"\"}')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    return (done.stdout.strip().splitlines() or [f"<no output; exit {done.returncode}>"])[-1]


TRIVIAL_CU = """
__global__ void add_one(float* x, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) x[i] += 1.0f;
}
"""


def check_cpp_extension_cuda():
    import torch.utils.cpp_extension as cpp

    folder = tempfile.mkdtemp()
    source = os.path.join(folder, "k.cu")
    with open(source, "w", encoding="utf-8") as handle:
        handle.write(TRIVIAL_CU)
    environment = f"(CUDA_HOME seen by torch: {cpp.CUDA_HOME!r}; nvcc on PATH: {shutil.which('nvcc')!r})"
    build = os.path.join(folder, "build")
    os.makedirs(build)
    report(
        "cpp-extension-cuda",
        f"{environment} load(sources=['k.cu']) "
        + outcome(lambda: cpp.load(name="k", sources=[source], build_directory=build, verbose=False)),
    )
    report(
        "cpp-extension-cuda-extension",
        f"{environment} CUDAExtension('k', ['k.cu']) " + outcome(lambda: cpp.CUDAExtension("k", [source]).name),
    )


# ---------------------------------------------------------------- checks: libraries on the XLA device


def check_xformers():
    if not installed("xformers", "xformers-on-xla"):
        return
    import xformers.ops

    def attend(device):
        q, k, v = attention_inputs(device, layout="BSHD", dtype=torch.float16)  # inputs CUDA kernels accept
        return xformers.ops.memory_efficient_attention(q, k, v)

    report("xformers-on-xla", on_xla(lambda: attend(xla_device()), detail=_xformers_rejections))
    report("xformers-on-cpu-host", outcome(lambda: describe(attend("cpu")), detail=_xformers_rejections))


def _xformers_rejections(message):
    """xformers' `No operator found` message, condensed to `kernel: reason, reason; ...`."""
    rejections, kernel = {}, None
    for line in message.splitlines():
        if line.endswith("is not supported because:"):
            kernel = line.split("`")[1] if "`" in line else line
            rejections[kernel] = []
        elif kernel and line.startswith(" "):
            rejections[kernel].append(line.strip())
    return "; ".join(f"{kernel}: {', '.join(reasons)}" for kernel, reasons in rejections.items())


def check_bitsandbytes_optimizer():
    if not installed("bitsandbytes", "bitsandbytes-optimizer-on-xla"):
        return
    import bitsandbytes as bnb

    device = xla_device()
    torch.manual_seed(0)
    model = torch.nn.Linear(128, 128).to(device)  # 16384 weights: above bnb's 4096 minimum for 8-bit state

    def one_step():
        optimizer = bnb.optim.Adam8bit(model.parameters())
        model(torch.ones(4, 128, device=device)).sum().backward()
        optimizer.step()
        return model.weight

    report("bitsandbytes-optimizer-on-xla", on_xla(one_step, detail=sentence_with("We only support")))


def check_bitsandbytes_linear():
    if not installed("bitsandbytes", "bitsandbytes-linear-on-xla"):
        return
    import bitsandbytes as bnb

    device = xla_device()
    layers = {
        "bitsandbytes-linear-on-xla": (bnb.nn.Linear8bitLt, {"has_fp16_weights": False}),
        "bitsandbytes-linear4bit-on-xla": (bnb.nn.Linear4bit, {"compute_dtype": torch.float32}),
    }
    for name, (layer_class, kwargs) in layers.items():
        torch.manual_seed(0)
        layer = layer_class(16, 16, **kwargs)
        moved = on_xla(lambda: f"weight {describe(layer.to(device).weight)}")
        called = on_xla(lambda: layer(torch.ones(2, 16, device=device)))
        report(name, f"{layer_class.__name__}(16, 16, {kwargs}).to(xla) {moved}; then called on an XLA input {called}")


def tiny_gpt2_folder():
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    config = GPT2Config(n_layer=2, n_embd=32, n_head=2, vocab_size=128, n_positions=64)
    folder = tempfile.mkdtemp()
    GPT2LMHeadModel(config).save_pretrained(folder)
    return folder


def check_hf_quantized_load():
    import transformers
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    folder = tiny_gpt2_folder()
    context = f"(transformers {transformers.__version__}, bitsandbytes {version_of('bitsandbytes')})"
    variants = {
        "hf-load-in-8bit": ("load_in_8bit=True", {"load_in_8bit": True}),
        "hf-load-in-4bit": (
            "quantization_config=BitsAndBytesConfig(load_in_4bit=True)",
            {"quantization_config": BitsAndBytesConfig(load_in_4bit=True)},
        ),
    }
    for name, (spelled, kwargs) in variants.items():
        models = []

        def load():
            models.append(AutoModelForCausalLM.from_pretrained(folder, **kwargs))
            weight = models[0].transformer.h[0].mlp.c_fc.weight
            return f"c_fc weight {type(weight).__name__} {weight.dtype} on {weight.device}"

        loaded = outcome(load)
        moved = outcome(lambda: str(models[0].to(xla_device()).device)) if models else "not tried"
        report(name, f"{context} from_pretrained(tmpdir, {spelled}) {loaded}; model.to(xla) {moved}")


def check_hf_bf16_load():
    from transformers import AutoModelForCausalLM

    folder = tiny_gpt2_folder()
    device = xla_device()

    def load_and_forward():
        model = AutoModelForCausalLM.from_pretrained(folder, torch_dtype=torch.bfloat16).to(device)
        return model(torch.arange(8, device=device).unsqueeze(0)).logits

    report("hf-bf16-load", on_xla(load_and_forward))


def check_cupy():
    if not installed("cupy-cuda12x", "cupy-on-tpu-host"):
        return

    def use_cupy():
        import cupy

        return repr(cupy.asarray([1, 2]))

    report("cupy-on-tpu-host", outcome(use_cupy))


def check_numba_cuda():
    if not installed("numba", "numba-cuda-on-tpu-host"):
        return

    def is_available():
        from numba import cuda

        return cuda.is_available()

    def launch():
        import numpy
        from numba import cuda

        @cuda.jit
        def add_one(x):
            i = cuda.grid(1)
            if i < x.size:
                x[i] += 1

        values = numpy.zeros(4, dtype=numpy.float32)
        add_one[1, 4](values)
        return values

    report(
        "numba-cuda-on-tpu-host",
        f"numba {version_of('numba')}: cuda.is_available() {outcome(is_available)}; @cuda.jit launch {outcome(launch, detail=sentence_with('driver library'))}",
    )


def check_deepspeed_fused_adam():
    name = "deepspeed-fused-adam-on-xla"
    if not installed("deepspeed", name):
        return
    device = xla_device()
    torch.manual_seed(0)
    model = torch.nn.Linear(16, 16).to(device)
    optimizers = []

    def accelerator():
        from deepspeed.accelerator import get_accelerator

        return get_accelerator().device_name()

    def construct():
        from deepspeed.ops.adam import FusedAdam

        optimizers.append(FusedAdam(model.parameters()))  # JIT-builds the op for the chosen accelerator
        return type(optimizers[0]).__name__

    def one_step():
        model(torch.ones(2, 16, device=device)).sum().backward()
        optimizers[0].step()
        return model.weight

    story = f"get_accelerator() {outcome(accelerator)}; FusedAdam(params on xla) {outcome(construct)}"
    if optimizers:
        story += "; backward + optimizer.step()"
        pending(name, story)  # the step can kill the process; then the driver reports it from here
        story += f" {on_xla(one_step)}"
    report(name, story)


# ---------------------------------------------------------------- checks: kernels


def _triton_add(device):
    import triton
    import triton.language as tl

    @triton.jit
    def add_kernel(x_ptr, y_ptr, out_ptr, n, BLOCK: tl.constexpr):
        offsets = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        mask = offsets < n
        tl.store(out_ptr + offsets, tl.load(x_ptr + offsets, mask=mask) + tl.load(y_ptr + offsets, mask=mask), mask=mask)

    x = torch.ones(8, device=device)
    y = torch.ones(8, device=device)
    out = torch.empty_like(x)
    add_kernel[(1,)](x, y, out, 8, BLOCK=8)
    return out


def check_triton():
    import triton

    context = f"(triton {triton.__version__})"
    report("triton-kernel-on-xla", f"{context} {on_xla(lambda: _triton_add(xla_device()))}")
    report("triton-kernel-on-cpu-host", f"{context} {outcome(lambda: describe(_triton_add('cpu')))}")


def check_pallas_flash_attention():
    def import_it():
        from torch_xla.experimental.custom_kernel import flash_attention

        return f"importable ({flash_attention.__module__}.{flash_attention.__name__})"

    def run_it():
        from torch_xla.experimental.custom_kernel import flash_attention

        return flash_attention(*attention_inputs(xla_device()))

    report("pallas-flash-attention-available", f"{outcome(import_it)}; called on PJRT CPU: {on_xla(run_it)}")


# ---------------------------------------------------------------- checks: torch.compile


def _compiled_on_xla(**compile_args):
    device = xla_device()
    model = small_model().to(device)
    compiled = torch.compile(model, **compile_args)

    return on_xla(lambda: compiled(torch.ones(4, 16, device=device)))


def check_compile_inductor():
    report("compile-inductor-on-xla", _compiled_on_xla())


def check_compile_reduce_overhead():
    report("compile-reduce-overhead-on-xla", _compiled_on_xla(mode="reduce-overhead"))


def check_compile_max_autotune():
    report("compile-max-autotune-on-xla", _compiled_on_xla(mode="max-autotune"))


def check_compile_openxla():
    report("compile-openxla", _compiled_on_xla(backend="openxla"))


def check_inductor_cudagraphs_setting():
    import torch._inductor.config

    with_setting = outcome(lambda: setattr(torch._inductor.config.triton, "cudagraphs", True))
    report(
        "inductor-cudagraphs-setting",
        f"setting triton.cudagraphs=True {with_setting}; then torch.compile(backend='openxla') "
        f"{_compiled_on_xla(backend='openxla')}",
    )


# ---------------------------------------------------------------- checks: attention dispatch


def check_sdp_kernel_flash_only():
    import torch.nn.functional as F

    def attend():
        with torch.backends.cuda.sdp_kernel(enable_flash=True, enable_math=False, enable_mem_efficient=False):
            return F.scaled_dot_product_attention(*attention_inputs(xla_device()))

    report("sdp-kernel-flash-only-on-xla", on_xla(attend))


def check_sdpa_kernel_flash_only():
    import torch.nn.functional as F
    from torch.nn.attention import SDPBackend, sdpa_kernel

    def attend():
        with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
            return F.scaled_dot_product_attention(*attention_inputs(xla_device()))

    report("sdpa-kernel-flash-only-on-xla", on_xla(attend))


def check_sdpa_default():
    import torch.nn.functional as F

    report(
        "sdpa-default-on-xla",
        on_xla(lambda: F.scaled_dot_product_attention(*attention_inputs(xla_device()), is_causal=True)),
    )


def check_guarded_import():
    try:
        import flash_attn

        path = f"import succeeded ({flash_attn.__file__}); fallback not taken"
    except ImportError as error:
        flash_attn = None
        path = f"raises {type(error).__name__}: {first_line(error)}; flash_attn = None, fallback path taken"
    report("guarded-import-fallback", path)


# ---------------------------------------------------------------- driver

def install_step(key):
    return lambda: install(key)


CHECKS = {
    "install-wheel": install_step("wheel"),  # flash-attn's and deepspeed's setup.py import it
    "install-ninja": install_step("ninja"),
    "flash-attn-distribution": check_flash_attn_distribution,
    "install-xformers": install_step("xformers"),
    "xformers": check_xformers,
    "install-bitsandbytes": install_step("bitsandbytes"),
    "bitsandbytes-optimizer": check_bitsandbytes_optimizer,
    "bitsandbytes-linear": check_bitsandbytes_linear,
    "hf-quantized-load": check_hf_quantized_load,
    "hf-bf16-load": check_hf_bf16_load,
    "apex-distribution": check_apex_distribution,
    "triton": check_triton,
    "cpp-extension": check_cpp_extension_cuda,
    "install-cupy-cuda12x": install_step("cupy-cuda12x"),
    "cupy": check_cupy,
    "install-numba": install_step("numba"),
    "numba-cuda": check_numba_cuda,
    "pycuda-distribution": check_pycuda_distribution,
    "install-deepspeed-requirements": install_step("deepspeed-requirements"),
    "install-deepspeed": install_step("deepspeed"),
    "deepspeed-fused-adam": check_deepspeed_fused_adam,
    "compile-inductor": check_compile_inductor,
    "compile-reduce-overhead": check_compile_reduce_overhead,
    "compile-max-autotune": check_compile_max_autotune,
    "compile-openxla": check_compile_openxla,
    "inductor-cudagraphs-setting": check_inductor_cudagraphs_setting,
    "sdp-kernel-flash-only": check_sdp_kernel_flash_only,
    "sdpa-kernel-flash-only": check_sdpa_kernel_flash_only,
    "sdpa-default": check_sdpa_default,
    "guarded-import-fallback": check_guarded_import,
    "pallas-flash-attention": check_pallas_flash_attention,
}


def toolkit_free_environment():
    """This process's environment for a TPU VM: no CUDA_HOME/CUDA_PATH, no nvcc directories on PATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("CUDA_HOME", "CUDA_PATH", "CUDA_ROOT")}
    entries = env.get("PATH", "").split(os.pathsep)
    keep = [p for p in entries if p and not p.startswith("/usr/local") and not os.path.exists(os.path.join(p, "nvcc"))]
    env["PATH"] = os.pathsep.join(keep)
    env["PJRT_DEVICE"] = "CPU"
    env["PYTHONWARNINGS"] = "ignore::DeprecationWarning"
    return env


def run_in_child(key, wrapper, env):
    command = [*wrapper, sys.executable, SCRIPT, "--check", key]
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=CHECK_TIMEOUT)
    except subprocess.TimeoutExpired as expired:
        stdout = expired.stdout.decode() if isinstance(expired.stdout, bytes) else (expired.stdout or "")
        print(stdout, end="", flush=True)
        report(key, f"not measured: the check's process was killed after {CHECK_TIMEOUT}s")
        return
    report_child(key, done)


def describe_child_environment():
    import torch.utils.cpp_extension as cpp

    return (
        f"# each check's process: nvcc on PATH {shutil.which('nvcc')!r}; /usr/local/cuda exists "
        f"{os.path.exists('/usr/local/cuda')}; CUDA_HOME {os.environ.get('CUDA_HOME')!r}; "
        f"torch's cpp_extension.CUDA_HOME {cpp.CUDA_HOME!r}; torch.cuda.is_available() {torch.cuda.is_available()}"
    )


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
    for key in CHECKS:
        if not only or key in only:
            run_in_child(key, wrapper, env)


if __name__ == "__main__":
    main()
