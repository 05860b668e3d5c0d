"""CUDA-only libraries and kernels: imports direct, aliased, from-imported and guarded; calls;
kernels; bitsandbytes quantization. Look-alikes: the portable parts of the same packages."""
# pylint: disable=import-error,undefined-variable,unused-import,invalid-name,unused-argument
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
import triton  # a torch dependency: importing it is fine, its kernels are not
import triton.language as tl
import bitsandbytes as bnb  # [cuda-only-library]  # torchtpu: [cuda-only-library]
import flash_attn  # [cuda-only-library]  # torchtpu: [cuda-only-library]
from flash_attn import flash_attn_func  # [cuda-only-library]  # torchtpu: [cuda-only-library]
from apex import amp  # [cuda-only-library]  # torchtpu: [cuda-only-library]
from apex.optimizers import FusedAdam  # [cuda-only-library]  # torchtpu: [cuda-only-library]
from numba import cuda  # [cuda-only-library]  # torchtpu: [cuda-only-library]
from numba import njit  # numba's CPU compiler is portable
from deepspeed.ops.adam import FusedAdam as DeepSpeedAdam  # [cuda-only-library]  # torchtpu: [cuda-only-library]
import deepspeed  # the package itself is not an op library
from transformers import AutoModelForCausalLM, BitsAndBytesConfig
from torch.utils.cpp_extension import CppExtension, CUDAExtension, load, load_inline
from .flash_attn import local_attention  # the project's own module, not the library

try:
    import xformers.ops as xops  # [guarded-cuda-library]  # torchtpu: [guarded-cuda-library]
except ImportError:
    xops = None

try:
    from flash_attn.flash_attn_interface import flash_attn_varlen_func  # [guarded-cuda-library]  # torchtpu: [guarded-cuda-library]
    HAS_FLASH = True
except (ImportError, OSError):
    HAS_FLASH = False

try:
    import cupy as cp  # [cuda-only-library]  # torchtpu: [cuda-only-library]
except ImportError as error:
    raise ImportError("this module needs CuPy") from error

if TYPE_CHECKING:
    import pycuda.driver


def is_apex_available():
    return False


if is_apex_available():
    from apex.normalization import FusedLayerNorm  # [guarded-cuda-library]  # torchtpu: [guarded-cuda-library]


@triton.jit
def add_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):  # [cuda-kernel]  # torchtpu: [cuda-kernel]
    offsets = tl.arange(0, BLOCK)
    tl.store(y_ptr + offsets, tl.load(x_ptr + offsets))


@triton.autotune(configs=[], key=["n"])
@triton.jit
def tuned_kernel(x_ptr, n):  # [cuda-kernel]  # torchtpu: [cuda-kernel]
    pass


@cuda.jit
def numba_kernel(array):  # [cuda-kernel]  # torchtpu: [cuda-kernel]
    array[cuda.grid(1)] += 1  # inside the kernel: its rewrite covers it


@njit
def cpu_helper(values):
    return values.sum()


def attention(q, k, v, model):
    out = flash_attn_func(q, k, v, causal=True)  # [cuda-library-call]  # torchtpu: [cuda-library-call]
    fused = flash_attn.flash_attn_qkvpacked_func(q)  # [cuda-library-call]  # torchtpu: [cuda-library-call]
    optimizer = bnb.optim.Adam8bit(model.parameters(), lr=1e-4)  # [cuda-library-call]  # torchtpu: [cuda-library-call]
    model, optimizer = amp.initialize(model, optimizer, opt_level="O1")  # [cuda-library-call]  # torchtpu: [cuda-library-call]
    other = FusedAdam(model.parameters())  # [cuda-library-call]  # torchtpu: [cuda-library-call]
    third = DeepSpeedAdam(model.parameters())  # [cuda-library-call]  # torchtpu: [cuda-library-call]
    host = cp.asarray([1, 2])  # [cuda-library-call]  # torchtpu: [cuda-library-call]
    device_array = cuda.to_device(host)  # [cuda-library-call]  # torchtpu: [cuda-library-call]
    if xops is not None:
        out = xops.memory_efficient_attention(q, k, v)  # guarded: the import's advice covers it
    if HAS_FLASH:
        out = flash_attn_varlen_func(q, k, v)
    portable = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    engine = deepspeed.initialize(model=model)
    return out, fused, optimizer, other, third, device_array, portable, engine, local_attention(q)


eight_bit = AutoModelForCausalLM.from_pretrained("gpt2", load_in_8bit=True)  # [bitsandbytes-quantization]  # torchtpu: [bitsandbytes-quantization]
config = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_compute_dtype=torch.bfloat16)  # [bitsandbytes-quantization]  # torchtpu: [bitsandbytes-quantization]
four_bit = AutoModelForCausalLM.from_pretrained("gpt2", quantization_config=config)
not_quantized = AutoModelForCausalLM.from_pretrained("gpt2", load_in_8bit=False, dtype=torch.bfloat16)

cuda_ext = load(name="ops", sources=["ops.cpp", "ops_kernel.cu"])  # [cuda-kernel]  # torchtpu: [cuda-kernel]
inline_ext = load_inline(name="inline", cpp_sources="", cuda_sources="__global__ void k() {}")  # [cuda-kernel]  # torchtpu: [cuda-kernel]
cpu_ext = load(name="cpu_ops", sources=["ops.cpp"])
cpu_inline = load_inline(name="cpu_inline", cpp_sources="int f() { return 1; }")
extensions = [
    CUDAExtension("fused", ["fused.cpp", "fused_kernel.cu"]),  # [cuda-kernel]  # torchtpu: [cuda-kernel]
    CppExtension("portable", ["portable.cpp"]),
]
grid = triton.cdiv(1024, 128)  # a helper, not a kernel


# torch.compile: inductor (the default and its modes) fails on XLA tensors; openxla runs.
import torch._inductor.config as inductor_config
from torch.nn.attention import SDPBackend, sdpa_kernel

compiled = torch.compile(model)  # [inductor-compile]
tuned = torch.compile(model, mode="max-autotune")  # [inductor-compile]
explicit = torch.compile(model, backend="inductor", mode="reduce-overhead")  # [inductor-compile]  # torchtpu: [inductor-compile]
on_xla = torch.compile(model, backend="openxla")  # torchtpu: [torch-xla-api]
eager = torch.compile(model, backend="eager")


def compile_with(chosen_backend):
    return torch.compile(model, backend=chosen_backend)  # [inductor-compile]  # torchtpu: [inductor-compile]


@torch.compile  # [inductor-compile]
def fused_step(x):
    return x * 2


@torch.compile(backend="openxla")  # torchtpu: [torch-xla-api]
def xla_step(x):
    return x * 2


torch._inductor.config.triton.cudagraphs = True  # [inductor-setting]
inductor_config.coordinate_descent_tuning = True  # [inductor-setting]
torch._dynamo.config.cache_size_limit = 64  # dynamo, not inductor: openxla uses it too


def attend(q, k, v):
    with torch.backends.cuda.sdp_kernel(enable_flash=True, enable_math=False):  # [sdpa-kernel-selection]  # torchtpu: [sdpa-kernel-selection]
        first = F.scaled_dot_product_attention(q, k, v)
    with sdpa_kernel(SDPBackend.FLASH_ATTENTION):  # [sdpa-kernel-selection]  # torchtpu: [sdpa-kernel-selection]
        second = F.scaled_dot_product_attention(q, k, v)
    torch.backends.cuda.enable_flash_sdp(True)  # [sdpa-kernel-selection]  # torchtpu: [sdpa-kernel-selection]
    return first, second
