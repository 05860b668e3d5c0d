"""Run PyTorch's own op database on torch_xla, sample by sample, and record what each sample ran:
the raw measurements rules/ops/build.py turns into the op tables the non-xla-op family reads.

Not part of the project's install or CI (its output, rules/ops/measured/*.jsonl.gz, is committed).
Run it in the torch_xla venv of rules/ops/generate.py, with the test-suite extras op_db needs:

    /tmp/xla/bin/pip install expecttest hypothesis
    PJRT_DEVICE=CPU /tmp/xla/bin/python rules/ops/opdb.py rules/ops/measured/opdb-torch_xla-2.9.jsonl.gz --cap 256
    PJRT_DEVICE=CPU /tmp/xla/bin/python rules/ops/opdb.py rules/ops/measured/opdb-torch_xla-2.9-bfloat16.jsonl.gz \
        --cap 64 --dtype bfloat16   # where a fallback depends on the dtype (what TPU code runs in)

What it runs: every OpInfo of `torch.testing._internal.common_methods_invocations.op_db` and
every ModuleInfo of `torch.testing._internal.common_modules.module_db`; for an OpInfo, up to
--cap sample inputs (generated on the CPU in float32, or the op's first supported dtype), each
through every variant the OpInfo has (function, Tensor method, in-place method); for a ModuleInfo,
up to --cap constructor/forward inputs. Each sample is run twice:

- on XLA tensors (PJRT CPU), after `met.clear_all()`, then `torch_xla.sync()`, with and without
  gradients required (the function form; a ModuleInfo's parameters always require them); the fallback
  counters are read before the outputs are copied back (`met.executed_fallback_ops()`: an
  `aten::<op>` counter is an op without lowering; `aten::_local_scalar_dense` alone is a host read);
- on CPU tensors under a TorchDispatchMode that records every aten overload reaching the backend
  (after CompositeImplicitAutograd decompositions): what a PrivateUse1 backend such as TorchTPU
  must have a kernel for (rules/ops/build.py reads TorchTPU's dispatch table against it).

Each op runs in a worker process with a time limit: a crash or a hang is recorded for that op,
and the run goes on with the next. Output: gzip'ed JSON lines, first a provenance record, then
per op one `op` record (its public spellings and signature) and one `sample` record per sample
and variant.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import gzip
import inspect
import itertools
import json
import os
import re
import subprocess
import sys
import time

SIGNATURE = re.compile(r"^\s*(?:[\w.]+\.)?\w+\(([^()]*)\)\s*(?:->|$)", re.M)


# --- describing values -------------------------------------------------------------------------


def describe(value, depth: int = 0):
    """A JSON-able description: a tensor as {"shape", "dtype"}, scalars as themselves."""
    import torch

    if isinstance(value, torch.Tensor):
        return {"tensor": list(value.shape), "dtype": str(value.dtype).removeprefix("torch.")}
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else repr(value)
    if isinstance(value, (list, tuple)) and depth < 3:
        return [describe(item, depth + 1) for item in value[:16]]
    if isinstance(value, dict) and depth < 3:
        return {str(key): describe(item, depth + 1) for key, item in value.items()}
    if isinstance(value, (torch.dtype, torch.device, torch.memory_format, torch.layout)):
        return {"repr": str(value)}
    return {"repr": f"{type(value).__name__}"}


# --- public spellings --------------------------------------------------------------------------


def resolve(dotted: str):
    """The object at a dotted path from `torch`, or None."""
    import torch

    value = torch
    for part in dotted.split(".")[1:]:
        value = getattr(value, part, None)
        if value is None:
            return None
    return value


def parameters(function) -> list[dict] | None:
    """[{name, default?}] of a callable: from inspect.signature, or from the first line of a
    builtin's docstring (`addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None) -> Tensor`)."""
    try:
        found = inspect.signature(function).parameters.values()
        names = [{"name": p.name, **({"default": describe(p.default)} if p.default is not p.empty else {}),
                  **({"keyword_only": True} if p.kind is p.KEYWORD_ONLY else {})} for p in found]
        if [p["name"] for p in names] not in (["args", "kwargs"], ["input", "args", "kwargs"]):
            return names
    except (TypeError, ValueError):
        pass
    match = SIGNATURE.match(getattr(function, "__doc__", None) or "")
    if match is None:
        return None
    found, keyword_only = [], False
    for part in (piece.strip() for piece in match.group(1).split(",")):
        if part == "*":
            keyword_only = True
            continue
        name, _, default = part.partition("=")
        name = name.split(":")[0].strip()
        if not name.isidentifier():
            return None
        entry = {"name": name, **({"keyword_only": True} if keyword_only else {})}
        if default:
            entry["default"] = _literal(default.strip())
        found.append(entry)
    return found


def _literal(text: str):
    try:
        import ast

        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return {"repr": text}


def public_function(op) -> tuple[str | None, bool, dict]:
    """(dotted name, whether op.op merely wraps it, keywords a functools.partial fixes)."""
    function, fixed = op.op, {}
    if isinstance(function, functools.partial):
        function, fixed = function.func, dict(function.keywords)
    candidates = [f"torch.{op.name}", f"torch.{op.aten_name}"]
    for dotted in candidates:
        if resolve(dotted) is function:
            return dotted, False, fixed
    for dotted in candidates:
        if callable(resolve(dotted)) and not isinstance(resolve(dotted), type):
            return dotted, True, fixed  # a lambda around it: its positions are not the function's
    return None, True, fixed


def tensor_method(variant) -> str | None:
    import torch

    name = getattr(variant, "__name__", None)
    return f"torch.Tensor.{name}" if name and getattr(torch.Tensor, name, None) is variant else None


def op_record(op) -> dict:
    function, wrapped, fixed = public_function(op)
    aliases = []
    for alias in op.aliases:
        dotted = f"torch.{alias.name}"
        if resolve(dotted) is not None:
            aliases.append(dotted)
        aliases += [name for name in (tensor_method(alias.method_variant), tensor_method(alias.inplace_variant)) if name]
    return {
        "record": "op", "key": op_key(op), "kind": "op", "name": op.name, "variant_test_name": op.variant_test_name,
        "aten_name": op.aten_name, "function": function, "wraps": wrapped, "fixed": describe(fixed),
        "method": tensor_method(op.method_variant), "inplace": tensor_method(op.inplace_variant),
        "aliases": aliases, "parameters": parameters(resolve(function)) if function else None,
    }


def module_record(info) -> dict:
    cls = info.module_cls
    return {"record": "op", "key": module_key(info), "kind": "module", "name": info.name,
            "class": f"torch.{info.name}" if resolve(f"torch.{info.name}") is cls else f"{cls.__module__}.{cls.__qualname__}",
            "parameters": parameters(cls.__init__)[1:] if parameters(cls.__init__) else None}


def op_key(op) -> str:
    return f"op:{op.name}:{op.variant_test_name}"


def module_key(info) -> str:
    return f"module:{info.name}"


# --- module forms: which nn classes run one functional op, with which constructor arguments ---


def module_forms() -> list[dict]:
    """For each public torch.nn class whose own forward calls exactly one `F.<op>(...)`: that op,
    and which of its parameters the class fills from its constructor (`self.mode` -> `mode`) or
    from forward's arguments, read from PyTorch's source (Unfold.forward is
    `return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)`)."""
    import ast
    import textwrap

    import torch

    forms = []
    for name in sorted(dir(torch.nn)):
        cls = getattr(torch.nn, name)
        if name.startswith("_") or not (isinstance(cls, type) and issubclass(cls, torch.nn.Module)) or "forward" not in vars(cls):
            continue
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(cls.forward)))
        except (OSError, TypeError, SyntaxError):
            continue
        calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                 and isinstance(node.func.value, ast.Name) and node.func.value.id == "F"]
        if len(calls) != 1:
            continue
        call, functional = calls[0], f"torch.nn.functional.{calls[0].func.attr}"
        names = [parameter["name"] for parameter in parameters(resolve(functional)) or []]
        passed = [(names[index] if index < len(names) else None, value) for index, value in enumerate(call.args)]
        passed += [(keyword.arg, keyword.value) for keyword in call.keywords]
        arguments = {}
        for parameter, value in passed:
            if parameter is None:
                continue
            if isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name) and value.value.id == "self":
                arguments[parameter] = {"constructor": value.attr}
            elif isinstance(value, ast.Constant):
                arguments[parameter] = {"constant": value.value}
            else:
                arguments[parameter] = {"forward": ast.unparse(value)}
        forms.append({"record": "module_form", "class": f"torch.nn.{name}", "calls": functional,
                      "arguments": arguments, "parameters": (parameters(cls.__init__) or [None])[1:]})
    return forms


# --- running one sample ------------------------------------------------------------------------


class Runner:
    """Runs one call on XLA (fallback counters) and on the CPU (aten overloads reached)."""

    def __init__(self):
        import torch
        import torch_xla
        import torch_xla.debug.metrics as met
        from torch.utils import _pytree
        from torch.utils._python_dispatch import TorchDispatchMode

        self.torch, self.torch_xla, self.met, self.pytree = torch, torch_xla, met, _pytree
        self.device = torch_xla.device()
        reached = self.reached = set()

        class Trace(TorchDispatchMode):
            def __torch_dispatch__(self, func, types, args=(), kwargs=None):
                reached.add(f"aten::{func._schema.name.split('::')[-1]}"
                            + (f".{func._overloadname}" if func._overloadname != "default" else ""))
                return func(*args, **(kwargs or {}))

        self.trace_mode = Trace

    def on_xla(self, call, tree):
        """(fallback counters {name: count}, host reads, error or None)."""
        moved = self.pytree.tree_map(lambda v: v.to(self.device) if isinstance(v, self.torch.Tensor) else v, tree)
        self.torch_xla.sync()
        self.met.clear_all()
        error = None
        try:
            call(*moved)
            self.torch_xla.sync()
        except Exception as exc:  # a sample the runtime rejects is recorded, not hidden
            error = _error(exc)
        counters = {name: self.met.counter_value(name) for name in self.met.executed_fallback_ops()}
        host = counters.pop("aten::_local_scalar_dense", 0)
        return counters, host, error

    def on_cpu(self, call, tree):
        """(sorted aten overloads reached, error or None)."""
        self.reached.clear()
        try:
            with self.trace_mode():
                call(*tree)
            error = None
        except Exception as exc:
            error = _error(exc)
        return sorted(self.reached), error


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {(str(exc).strip().splitlines() or [''])[0][:200]}"


def _clone(runner, value):
    return runner.pytree.tree_map(lambda v: v.clone() if isinstance(v, runner.torch.Tensor) else v, value)


DTYPE: str | None = None  # --dtype: a second pass in one dtype (bfloat16), function forms only


def op_samples(runner, op, cap: int):
    torch = runner.torch
    dtypes = op.supported_dtypes("cpu")
    if DTYPE is not None:
        dtype = getattr(torch, DTYPE)
        dtype = dtype if dtype in dtypes else None
    else:
        dtype = next((d for d in (torch.float32, torch.int64, torch.bool, torch.complex64) if d in dtypes),
                     sorted(dtypes, key=str)[0] if dtypes else None)
    if dtype is None:
        return dtype, []
    torch.manual_seed(0)
    return dtype, list(itertools.islice(op.sample_inputs("cpu", dtype, requires_grad=False), cap))


def grad_samples(runner, op, dtype, cap: int) -> list:
    """The same samples with gradients required (what a training step runs: nn.EmbeddingBag's
    forward is aten::_embedding_bag then, not _embedding_bag_forward_only), where op_db has them."""
    if not (op.supports_autograd and dtype.is_floating_point):
        return []
    try:
        runner.torch.manual_seed(0)
        return list(itertools.islice(op.sample_inputs("cpu", dtype, requires_grad=True), cap))
    except Exception:
        return []


def _same_arguments(sample, other) -> bool:
    """op_db may yield other samples when gradients are required: pair only identical ones."""
    return all(describe(a) == describe(b) for a, b in ((sample.input, other.input), (list(sample.args), list(other.args)),
                                                       (dict(sample.kwargs), dict(other.kwargs))))


def run_op(runner, op, cap: int, emit) -> None:
    record = op_record(op)
    emit(record)
    try:
        dtype, samples = op_samples(runner, op, cap)
        with_grad = grad_samples(runner, op, dtype, cap) if dtype is not None and DTYPE is None else []
    except Exception as exc:
        emit({"record": "sample", "key": record["key"], "error": "sample generation " + _error(exc)})
        return
    variants = [(name, variant) for name, variant in
                (("function", op.op), ("method", op.method_variant), ("inplace", op.inplace_variant)) if variant]
    variants = variants[:1] if DTYPE is not None else variants
    for index, sample in enumerate(samples):
        tree = (sample.input, list(sample.args), dict(sample.kwargs))
        for name, variant in variants:
            def call(first, args, kwargs, variant=variant, name=name):
                return variant(_clone(runner, first) if name == "inplace" else first, *args, **kwargs)
            started = time.perf_counter()
            counters, host, error = runner.on_xla(call, tree)
            reached, cpu_error = runner.on_cpu(call, tree)
            decisive = ablate(runner, call, tree) if counters and name == variants[0][0] and DTYPE is None else None
            grad = grad_error = None
            if name == variants[0][0] and index < len(with_grad) and _same_arguments(sample, with_grad[index]):
                other = with_grad[index]
                grad, _, grad_error = runner.on_xla(call, (other.input, list(other.args), dict(other.kwargs)))
            emit({"record": "sample", "key": record["key"], "sample": index, "variant": name, "decisive": decisive,
                  "dtype": str(dtype).removeprefix("torch."), "input": describe(sample.input),
                  "args": describe(list(sample.args)), "kwargs": describe(dict(sample.kwargs)),
                  "fallbacks": counters, "fallbacks_with_grad": grad, "error_with_grad": grad_error,
                  "host_reads": host, "error": error, "aten": reached,
                  "cpu_error": cpu_error, "seconds": round(time.perf_counter() - started, 3)})


def ablate(runner, call, tree) -> dict[str, list[str]] | None:
    """Which keyword arguments of a falling-back sample decide it, asked of the runtime: `needed`,
    those whose removal (back to the default) stops the fallback; `enough`, those that alone
    (the other scalar keywords removed, tensors kept) still fall back. It tells apart arguments
    that change together in op_db's samples (F.normalize(p=0.0, dim=-1): p decides, not dim)."""
    first, args, kwargs = tree
    scalars = [name for name, value in kwargs.items() if not isinstance(value, runner.torch.Tensor)]
    if not scalars or len(scalars) > 8:
        return None
    tensors = {name: value for name, value in kwargs.items() if name not in scalars}

    def falls_back(keywords) -> bool:
        counters, _, error = runner.on_xla(call, (first, args, keywords))
        return bool(counters) and error is None
    needed = [name for name in scalars if not falls_back({k: v for k, v in kwargs.items() if k != name})]
    enough = [name for name in scalars if falls_back({**tensors, name: kwargs[name]})]
    return {"needed": needed, "enough": enough}


def run_module(runner, info, cap: int, emit) -> None:
    torch = runner.torch
    record = module_record(info)
    emit(record)
    try:
        torch.manual_seed(0)
        inputs = list(itertools.islice(info.module_inputs_func(info, device="cpu", dtype=torch.float32,
                                                               requires_grad=False, training=False), cap))
    except Exception as exc:
        emit({"record": "sample", "key": record["key"], "error": "sample generation " + _error(exc)})
        return
    for index, given in enumerate(inputs):
        constructor, forward = given.constructor_input, given.forward_input
        if forward is None:
            continue
        torch.manual_seed(0)
        try:
            module = info.module_cls(*constructor.args, **constructor.kwargs).eval()
        except Exception as exc:
            emit({"record": "sample", "key": record["key"], "sample": index, "error": "constructor " + _error(exc)})
            continue

        def call(args, kwargs, module=module):
            return module(*args, **kwargs)
        tree = (list(forward.args), dict(forward.kwargs))
        started = time.perf_counter()
        module.to(runner.device)
        counters, host, error = runner.on_xla(call, tree)
        module.to("cpu")
        reached, cpu_error = runner.on_cpu(call, tree)
        emit({"record": "sample", "key": record["key"], "sample": index, "variant": "module", "dtype": "float32",
              "constructor_args": describe(list(constructor.args)), "constructor_kwargs": describe(dict(constructor.kwargs)),
              "args": describe(list(forward.args)), "kwargs": describe(dict(forward.kwargs)),
              "fallbacks": counters, "host_reads": host, "error": error, "aten": reached, "cpu_error": cpu_error,
              "seconds": round(time.perf_counter() - started, 3)})


# --- driver: one worker process at a time, an op that crashes or hangs is recorded ---------------


def databases():
    from torch.testing._internal.common_methods_invocations import op_db
    from torch.testing._internal.common_modules import module_db

    return ({op_key(op): op for op in op_db}, {module_key(info): info for info in module_db})


def worker(keys: list[str], cap: int, out_path: str) -> None:
    import warnings

    warnings.filterwarnings("ignore")
    ops, modules = databases()
    runner = Runner()
    with open(out_path, "a", encoding="utf-8") as out:
        def emit(record):
            out.write(json.dumps(record, default=str) + "\n")
            out.flush()
        for key in keys:
            print(f"begin {key}", flush=True)
            if key in ops:
                run_op(runner, ops[key], cap, emit)
            else:
                run_module(runner, modules[key], cap, emit)
            emit({"record": "done", "key": key})


def drive(out: str, cap: int, timeout: float, only: set[str] | None) -> None:
    import torch
    import torch_xla

    ops, modules = databases()
    keys = [key for key in [*ops, *([] if DTYPE else modules)] if not only or key.split(":")[1] in only]
    partial = out + ".part"
    done = _done(partial)
    pending = [key for key in keys if key not in done]
    if not os.path.exists(partial):
        with open(partial, "w", encoding="utf-8") as handle:
            handle.write(json.dumps({"record": "provenance", "torch": torch.__version__, "torch_xla": torch_xla.__version__,
                                     "date": datetime.date.today().isoformat(), "cap": cap, "dtype": DTYPE,
                                     "op_db": len(ops), "module_db": len(modules)}) + "\n")
    if "module_forms" not in done:
        with open(partial, "a", encoding="utf-8") as handle:
            handle.writelines(json.dumps(form) + "\n" for form in module_forms())
            handle.write(json.dumps({"record": "done", "key": "module_forms"}) + "\n")
    while pending:
        process = subprocess.Popen([sys.executable, __file__, "--worker", "--cap", str(cap),
                                    *(["--dtype", DTYPE] if DTYPE else []), partial, *pending],
                                   stdout=subprocess.PIPE, text=True)
        current, started = None, time.monotonic()
        import selectors

        selector = selectors.DefaultSelector()
        selector.register(process.stdout, selectors.EVENT_READ)
        while True:
            if not selector.select(timeout=5):
                if current and time.monotonic() - started > timeout:
                    process.kill()
                    break
                continue
            line = process.stdout.readline()
            if not line:
                break
            current, started = line.split(" ", 1)[1].strip(), time.monotonic()
        process.wait()
        done = _done(partial)
        if current and current not in done:
            with open(partial, "a", encoding="utf-8") as handle:
                handle.write(json.dumps({"record": "sample", "key": current, "error": f"worker died or hung (exit {process.returncode})"}) + "\n")
                handle.write(json.dumps({"record": "done", "key": current}) + "\n")
        pending = [key for key in pending if key not in _done(partial)]
    with open(partial, "rb") as source, gzip.open(out, "wb", compresslevel=9) as target:
        target.write(source.read())
    os.remove(partial)


def _done(path: str) -> set[str]:
    if not os.path.exists(path):
        return set()
    with open(path, encoding="utf-8") as handle:
        return {record["key"] for record in map(json.loads, handle) if record["record"] == "done"}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("keys", nargs="*")
    parser.add_argument("--cap", type=int, default=16, help="samples per OpInfo / inputs per ModuleInfo")
    parser.add_argument("--timeout", type=float, default=180, help="seconds one op may take")
    parser.add_argument("--only", default="", help="comma-separated op names (a partial run, for a check)")
    parser.add_argument("--dtype", default=None, help="a second pass in this dtype (bfloat16): OpInfos' function forms only")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    global DTYPE
    DTYPE = args.dtype
    if args.worker:
        worker(args.keys, args.cap, args.out)
    else:
        drive(args.out, args.cap, args.timeout, set(filter(None, args.only.split(","))) or None)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
