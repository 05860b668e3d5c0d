"""The exact edits of the mixed-precision fixes, both unsafe (they change numerics): CUDA autocast
becomes the target's autocast in a dtype the target runs (fp16 -> bf16), and a GradScaler goes
away with its calls. Each gives no edit where the change is not mechanical (a dtype held in a
variable, a scaler passed around or saved): a person decides there.

Facts: torch_xla's autocast runs bfloat16 only and defaults to it (rules/targets/*.toml
[autocast]); bf16 has fp32's exponent range, so no loss scaling is needed (rules/cuda.toml,
cuda-grad-scaler's rationale and rules/evidence/cuda_checks.txt grad-scaler-* lines)."""

from __future__ import annotations

from astroid import nodes

from tpulint import edits
from tpulint.catalog import TargetProfile
from tpulint.model import Edit
from tpulint.resolve import argument, binding_of, passes_unpacked, qualified_name

FP16_ATTRIBUTES = frozenset({"float16", "half"})


def autocast_edits(call: nodes.Call, profile: TargetProfile, implied_device: bool) -> tuple[Edit, ...]:
    """`torch.autocast("cuda", dtype=torch.float16)` -> `torch.autocast("xla", dtype=torch.bfloat16)`
    (the target's device type; fp16 -> bf16; a dtype added where the target's default is not one
    it runs). `torch.cuda.amp.autocast(...)` (implied_device) with keyword arguments only becomes
    `torch.autocast("xla", ...)`. No edits for unpacked arguments or a dtype not written as
    `<torch>.float16`/`.half`/a supported dtype."""
    if passes_unpacked(call):
        return ()
    root = _torch_root(call.func)
    device_text = f'"{profile.autocast_device_type}"'
    changes: list[Edit] = []
    if implied_device:
        if root is None or call.args:
            return ()
        changes.append(edits.replace(call.func, f"{root}.autocast"))
        first = call.keywords[0] if call.keywords else None
        if first is None:
            changes.append(Edit(call.end_lineno, call.end_col_offset - 1, call.end_lineno, call.end_col_offset - 1, device_text))
        else:
            changes.append(Edit(first.lineno, first.col_offset, first.lineno, first.col_offset, device_text + ", "))
    else:
        device = argument(call, 0, "device_type")
        if not (isinstance(device, nodes.Const) and isinstance(device.value, str)):
            return ()
        changes.append(edits.replace(device, device_text))
    dtype = argument(call, None if implied_device else 1, "dtype")
    if dtype is None:
        enabled = argument(call, 0 if implied_device else 2, "enabled")
        disabled = isinstance(enabled, nodes.Const) and enabled.value is False
        if profile.autocast_default_dtype not in profile.autocast_dtypes and root is not None and not disabled:
            changes.extend(edits.add_keyword(call, f"dtype={root}.{profile.autocast_dtypes[0]}"))
        return tuple(changes)
    if isinstance(dtype, nodes.Attribute) and dtype.attrname in profile.autocast_dtypes:
        return tuple(changes)
    if isinstance(dtype, nodes.Attribute) and dtype.attrname in FP16_ATTRIBUTES and profile.autocast_dtypes:
        return (*changes, edits.replace(dtype, f"{dtype.expr.as_string()}.{profile.autocast_dtypes[0]}"))
    return ()


def _torch_root(function: nodes.NodeNG) -> str | None:
    """The name `torch` is imported as, where the call is spelt from it (`torch.autocast`,
    `T.cuda.amp.autocast`); None for a bare name (`from torch.cuda.amp import autocast`) or a
    chain from another name (`amp = torch.cuda.amp; amp.autocast()`)."""
    root = function
    while isinstance(root, nodes.Attribute):
        root = root.expr
    if root is function or not isinstance(root, nodes.Name):
        return None
    return root.name if qualified_name(root) == "torch" else None


def scaler_removal(call: nodes.Call) -> tuple[Edit, ...]:
    """`scaler = GradScaler(...)` removed with its uses: `scaler.scale(loss).backward()` ->
    `loss.backward()`, `scaler.step(opt)` -> `opt.step()`, `scaler.update()` and
    `scaler.unscale_(opt)` statements removed. No edits unless the scaler is a local name used
    only in those ways with a name or attribute as argument."""
    binding = binding_of(call)
    if binding is None:
        return ()
    changes = [edits.remove_statement(call.parent)]
    for use in binding.uses:
        change = _use_removal(use)
        if change is None:
            return ()
        changes.append(change)
    return tuple(changes)


def _use_removal(use: nodes.Name) -> Edit | None:
    method = use.parent
    site = method.parent if isinstance(method, nodes.Attribute) else None
    if not isinstance(site, nodes.Call) or site.func is not method or site.keywords:
        return None
    subject = site.args[0] if len(site.args) == 1 else None
    simple = isinstance(subject, (nodes.Name, nodes.Attribute))
    if method.attrname == "scale" and simple:
        return edits.replace(site, subject.as_string())
    if method.attrname == "step" and simple:
        return edits.replace(site, f"{subject.as_string()}.step()")
    if method.attrname in ("update", "unscale_") and isinstance(site.parent, nodes.Expr):
        return edits.remove_statement(site.parent)
    return None
