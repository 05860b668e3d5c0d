"""CUDA-only libraries and kernels, for the non-xla-op checker: which imports, calls and
definitions are code for NVIDIA GPUs, from the [[library]] tables of rules/non_xla_op.toml."""

from __future__ import annotations

from astroid import nodes

from tpulint import resolve
from tpulint.catalog import CudaLibrary

KERNEL_DECORATORS = frozenset({"triton.jit", "triton.autotune", "triton.heuristics", "numba.cuda.jit"})
CUDA_EXTENSION = "torch.utils.cpp_extension.CUDAExtension"
EXTENSION_LOADERS = frozenset({"torch.utils.cpp_extension.load", "torch.utils.cpp_extension.load_inline"})
CUDA_SOURCE_SUFFIXES = (".cu", ".cuh")
BNB_FLAGS = ("load_in_8bit", "load_in_4bit")
TORCH_COMPILE = "torch.compile"
INDUCTOR_CONFIG = "torch._inductor.config"
SDPA_SELECTION = frozenset({
    "torch.backends.cuda.sdp_kernel", "torch.nn.attention.sdpa_kernel", "torch.backends.cuda.enable_flash_sdp",
    "torch.backends.cuda.enable_mem_efficient_sdp", "torch.backends.cuda.enable_math_sdp",
    "torch.backends.cuda.enable_cudnn_sdp",
})
BNB_CONFIG = "BitsAndBytesConfig"
IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException", "OSError", "RuntimeError"})
GUARD_WORDS = ("available", "find_spec", "has_", "HAS_", "installed")


def library_of(name: str | None, known: tuple[CudaLibrary, ...]) -> CudaLibrary | None:
    if not name:
        return None
    return next((library for library in known if library.owns(name)), None)


def imported_modules(node: nodes.Import | nodes.ImportFrom) -> list[tuple[str, str]]:
    """(qualified name, local name bound) for each name an import statement brings in."""
    if isinstance(node, nodes.Import):
        return [(name, alias or name.split(".")[0]) for name, alias in node.names]
    if node.level:
        return []  # relative imports are the project's own code
    return [(f"{node.modname}.{name}", alias or name) for name, alias in node.names if name != "*"]


def is_guarded(node: nodes.NodeNG) -> bool:
    """The import sits in a `try` whose handler catches its ImportError and falls back (does not
    just re-raise), or under an `if` that tests for the library's availability."""
    child = node
    for parent in node.node_ancestors():
        if isinstance(parent, nodes.Try) and child in parent.body:
            if any(_falls_back(handler) for handler in parent.handlers):
                return True
        if isinstance(parent, nodes.If) and child in parent.body and _tests_availability(parent.test):
            return True
        if isinstance(parent, (nodes.FunctionDef, nodes.ClassDef, nodes.Module)):
            break
        child = parent
    return False


def is_type_checking_only(node: nodes.NodeNG) -> bool:
    parent = node.parent
    return isinstance(parent, nodes.If) and "TYPE_CHECKING" in parent.test.as_string()


def _falls_back(handler: nodes.ExceptHandler) -> bool:
    if handler.type is not None:
        caught = handler.type.elts if isinstance(handler.type, nodes.Tuple) else [handler.type]
        if not any(resolve.root_name(item) in IMPORT_ERRORS or getattr(item, "attrname", None) in IMPORT_ERRORS
                   for item in caught):
            return False
    return not all(isinstance(statement, nodes.Raise) for statement in handler.body)


def _tests_availability(test: nodes.NodeNG) -> bool:
    text = test.as_string()
    return any(word in text for word in GUARD_WORDS)


def kernel_decorator(function: nodes.FunctionDef, qualified) -> tuple[str, list[nodes.Call]] | None:
    """The GPU-kernel decorator of a function (its name), and the decorator calls it makes."""
    if not function.decorators:
        return None
    for decorator in function.decorators.nodes:
        target = decorator.func if isinstance(decorator, nodes.Call) else decorator
        name = qualified(target)
        if name in KERNEL_DECORATORS:
            calls = [d for d in function.decorators.nodes if isinstance(d, nodes.Call)]
            return name, calls
    return None


def builds_cuda_extension(call: nodes.Call, name: str | None) -> bool:
    """`CUDAExtension(...)`, or `cpp_extension.load(...)`/`load_inline(...)` with CUDA sources."""
    if name == CUDA_EXTENSION:
        return True
    if name not in EXTENSION_LOADERS:
        return False
    if resolve.keyword(call, "cuda_sources") is not None:
        return True
    with_cuda = resolve.keyword(call, "with_cuda")
    if with_cuda is not None and isinstance(with_cuda.value, nodes.Const) and with_cuda.value.value:
        return True
    sources = resolve.argument(call, 1, "sources")
    return sources is not None and any(
        isinstance(item, nodes.Const) and isinstance(item.value, str) and item.value.endswith(CUDA_SOURCE_SUFFIXES)
        for item in sources.nodes_of_class(nodes.Const)
    )


def bitsandbytes_request(call: nodes.Call, name: str | None) -> str | None:
    """What in a call asks for bitsandbytes quantization: `load_in_8bit=True`, or the config."""
    if name is not None and name.startswith("transformers.") and name.endswith("." + BNB_CONFIG):
        return f"{BNB_CONFIG}(...)"
    for flag in BNB_FLAGS:
        keyword = resolve.keyword(call, flag)
        if keyword is not None and isinstance(keyword.value, nodes.Const) and keyword.value.value is True:
            return f"{flag}=True"
    return None
