"""The project view: what one file cannot tell, read from every Python file of the project.

"Is this a model? Does this function run in the step? What is this parameter bound to?" depend
on other files: the training loop in `train.py` runs `Model.forward` in `model.py` and
`Scheduler.step` in `samplers.py`; `sample(unet, ...)` is called from `main()` with a diffusers
UNet. The view answers such questions for the checkers (tpulint.loops, the families).

- Each file is summarised once with the standard `ast` module (no inference, nothing imported
  or run): its imports, classes with their bases and attribute assignments, functions with their
  parameters, annotations, local assignments, calls and loops (`FileSummary`, plain JSON).
- Summaries are cached on disk by content hash in `.tpulint_cache/` at the project root (a plain
  folder with its own `.gitignore`; never written under site-packages), so an editor re-linting
  one file reads the others' summaries instead of parsing them. The answers that span the
  project (which functions the step reaches, which loaders step loops iterate) are cached there
  too, keyed by the project's root and every file's path and content (`project_key`), so a
  second run on an unchanged tree reads them instead of following every call again. The cache
  folder is named by the hash of the code that makes both (`code_key`).
- The project is what the command was given (`use_files`: one project per repository among its
  files), or for pylint and editors the source root of the linted file: the nearest folder with
  `pyproject.toml`, `setup.py`, `setup.cfg` or `.git`. Text pylint got on stdin replaces that file's text (`ProjectView.with_text`).
- Library classes are known from rules/frameworks.toml (catalog.Frameworks), never read.

Values are tracked coarsely: a name is a project class or function, an instance of a project
class, a model, or a library name (`lib:diffusers.UNet2DModel`). Everything is bounded
(MAX_DEPTH hops, MAX_FILES files) so a large or odd project costs little and never hangs.
"""

from __future__ import annotations

import ast
import hashlib
import hmac
import marshal
import os
import shutil
import sys
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from tpulint import __version__, sources, user_cache
from tpulint.bounds import content_key, may_exceed, remember_shallow
from tpulint.catalog import Frameworks, default_rules_dir, load_catalog

CACHE_FOLDER = ".tpulint_cache"
ROOT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")
REPOSITORY_MARKERS = (".git", ".hg")
MAX_FILES = 20_000
MAX_FILE_BYTES = 2_000_000
MAX_DEPTH = 12
MODULE_CODE = "<module>"  # the qualname under which a file's top-level statements are summarised
SKIPPED_FOLDERS = frozenset({".git", ".hg", ".svn", ".venv", "venv", "env", "__pycache__", "node_modules",
                             "site-packages", ".tox", ".nox", ".mypy_cache", ".pytest_cache", "build", "dist",
                             CACHE_FOLDER})
# Methods that return the module they are called on (`Net().to(device).eval()` is still a Net).
SELF_RETURNING = frozenset({"to", "cuda", "cpu", "eval", "train", "half", "float", "bfloat16", "double",
                            "requires_grad_", "to_empty", "xpu"})
STEP_METHODS = frozenset({"backward", "generate"})
# Summaries are made once for every target. Device code is recognised by every runtime's names
# (Catalog.recognised, through resolve); the step's barriers, syncing loaders and the barrier
# process group are the default target's, torch_xla's: the only runtime with graph barriers
# (TorchTPU runs eagerly and its profile names none).
PROFILE = load_catalog().profile()
BARRIERS = PROFILE.barriers
OPTIMIZER_STEP = PROFILE.optimizer_step
_BARRIER_SHORT_NAMES = frozenset(name.rpartition(".")[2] for name in (*BARRIERS, OPTIMIZER_STEP))
TUPLE_SEPARATOR = "\x1f"  # between the refs of a tuple's elements ("t:" refs): no source text has it
ITERATION_WRAPPERS = frozenset({"enumerate", "iter", "tqdm", "islice", "cycle", "zip", "chain", "reversed"})
DATA_LOADERS = frozenset({"torch.utils.data.DataLoader", "torch.utils.data.dataloader.DataLoader"})
# Loaders that wrap another and keep its batches' shapes (the loader facts travel through them).
LOADER_WRAPPERS = frozenset({*PROFILE.syncing_loaders, "accelerate.Accelerator.prepare", "accelerate.Accelerator.prepare_data_loader",
                             "lightning.Fabric.setup_dataloaders", "lightning.fabric.Fabric.setup_dataloaders"})
# Device type strings that name an accelerator: CUDA's, Apple's, and every target runtime's.
ACCELERATOR_TYPES = frozenset({"cuda", "mps", *load_catalog().recognised.device_strings})
ACCELERATOR_CALLS = ("cuda", "to")  # `.cuda()`, `.to("cuda")`/`.to(device)`: places on a device


# --- one file ------------------------------------------------------------------------------


def summarise(text: str) -> dict:
    """The FileSummary of a file's text: a JSON-ready dict, {} for text that does not parse.

    Shape (every list below is a tuple: see _frozen): {"imports": [[local, module, member|None, level]], "classes": {qualname: {"line", "bases":
    [dotted], "attrs": {attr: [[function qualname, ref]]}, "decorators"}}, "functions": {qualname:
    {"line", "end", "params": [...], "defaults": n, "annotations": {param: dotted}, "assigns": {name:
    [ref]}, "calls": [[callee ref, line, [arg refs], [[keyword, ref]]]], "loops": [[line, body line,
    end line]], "returns": [ref], "owner": class qualname|None, "implicit": 1 for a method (its
    self or cls is not passed), else 0, "periodic": [[first, last line of an `if step % N == 0:`
    body]]}}, "device": bool, "shallow": bool (nothing deeper than tpulint.bounds.MAX_DEPTH)}. A ref is a string:
    "d:a.b" (a dotted name; "d:?.m" is method m of a value that is not a name, `f(x).backward`),
    "c<line>:<ref>" (what the call on that line returns), "v:<repr>" (a constant), or "" (anything else).
    """
    try:
        tree = ast.parse(text)
        summary = _Summariser()
        summary.visit(tree)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    # Measured once per content here, where the tree is at hand: astroid's parse of the same
    # text then skips the depth check (tpulint.bounds.known_shallow).
    return {**summary.result(), "shallow": not may_exceed(tree, text)}


def ref(node: ast.AST | None) -> str:
    """The summary's spelling of an expression (see summarise)."""
    if isinstance(node, (ast.Name, ast.Attribute)):
        dotted = _dotted(node)
        return f"d:{dotted}" if dotted else ""
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in SELF_RETURNING and isinstance(func.value, ast.Call):
            return ref(func.value)  # Net().to(device)
        inner = ref(func)
        return f"c{node.lineno}:{inner}" if inner else ""
    if isinstance(node, ast.Await):
        return ref(node.value)
    if isinstance(node, ast.Tuple) and 1 < len(node.elts) <= 16:
        return "t:" + TUPLE_SEPARATOR.join(ref(element) for element in node.elts)
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, bool, int, float, type(None))):
        return f"v:{node.value!r}"[:80]
    return ""


def iterated_refs(iterable: ast.AST) -> list[str]:
    """What a `for` loop iterates, through enumerate(), zip(), tqdm() and the like."""
    if isinstance(iterable, ast.Call) and isinstance(iterable.func, (ast.Name, ast.Attribute)):
        name = iterable.func.id if isinstance(iterable.func, ast.Name) else iterable.func.attr
        if name in ITERATION_WRAPPERS:
            return [found for argument in iterable.args for found in iterated_refs(argument)]
    return [ref(iterable)] if ref(iterable) else []


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


class _Summariser(ast.NodeVisitor):
    """One pass over a module's tree. Its own dispatch (a handler per node type, looked up once)
    and child walk (no expression contexts, no constants) make it about twice as fast as
    ast.NodeVisitor's, which matters on a project's first, uncached run."""

    _SKIPPED_FIELDS = frozenset({"ctx", "type_comment"})

    def visit(self, node: ast.AST):
        handler = self._handlers.get(node.__class__)
        if handler is None:
            handler = self._handlers[node.__class__] = getattr(self, "visit_" + node.__class__.__name__,
                                                               self.generic_visit)
        return handler(node)

    def generic_visit(self, node: ast.AST) -> None:
        for name in node._fields:
            if name in self._SKIPPED_FIELDS:
                continue
            value = getattr(node, name, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, ast.AST):
                        self.visit(item)
            elif isinstance(value, ast.AST):
                self.visit(value)

    def visit_Constant(self, node: ast.Constant) -> None:
        return

    def __init__(self) -> None:
        self._handlers: dict = {}
        self.imports: list = []
        self.classes: dict = {}
        self.functions: dict = {MODULE_CODE: _function_record(MODULE_CODE, 1, 1, [], 0, {}, None)}
        self.scope: list[tuple[str, str]] = []  # (kind, name) from the module down
        self.records: list[dict] = [self.functions[MODULE_CODE]]  # the functions around, innermost last
        self.device = False
        self.names: set[str] = set()  # every name and attribute read: what the file uses

    def result(self) -> dict:
        return _frozen({"imports": self.imports, "classes": self.classes, "functions": self.functions,
                        "device": self.device, "names": sorted(self.names)})

    # where we are
    def _qualname(self, name: str | None = None) -> str:
        parts = [part for _, part in self.scope] + ([name] if name else [])
        return ".".join(parts) if parts else MODULE_CODE

    def _function(self) -> dict:
        return self.records[-1]

    def _owner(self) -> str | None:
        return ".".join(part for _, part in self.scope) if self.scope and self.scope[-1][0] == "class" else None

    # definitions
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            local = alias.asname or alias.name.split(".")[0]
            self.imports.append([local, alias.name if alias.asname else local, None, 0])
            self._note_device_library(alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            self.imports.append([alias.asname or alias.name, node.module or "", alias.name, node.level or 0])
        if not node.level:
            self._note_device_library(node.module or "")

    def _note_device_library(self, module: str) -> None:
        if module.split(".")[0] in _device_libraries():
            self.device = True

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        qualname = self._qualname(node.name)
        self.classes[qualname] = {"line": node.lineno, "bases": [ref(base) for base in node.bases],
                                  "attrs": {}, "decorators": [ref(d) for d in node.decorator_list]}
        self._function()["assigns"].setdefault(node.name, []).append(f"k:{qualname}")
        self.scope.append(("class", node.name))
        self.generic_visit(node)
        self.scope.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)
        owner = self._owner()
        qualname = self._qualname(node.name)
        arguments = node.args
        params = [a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)]
        annotations = {a.arg: ref(a.annotation) for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)
                       if a.annotation is not None and ref(a.annotation)}
        static = any(isinstance(decorator, ast.Name) and decorator.id == "staticmethod"
                     for decorator in node.decorator_list)
        self.functions[qualname] = _function_record(qualname, node.lineno, node.end_lineno or node.lineno, params,
                                                    len(arguments.defaults), annotations, owner,
                                                    implicit=1 if owner is not None and not static else 0)
        if owner is None:
            self._function()["assigns"].setdefault(node.name, []).append(f"f:{qualname}")
        self.scope.append(("def", node.name))
        self.records.append(self.functions[qualname])
        for statement in node.body:
            self.visit(statement)
        self.records.pop()
        self.scope.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    # what a function does
    def visit_Assign(self, node: ast.Assign) -> None:
        self.generic_visit(node)
        value = ref(node.value)
        for target in node.targets:
            self._bind(target, node.value, value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.generic_visit(node)
        if node.value is not None:
            self._bind(node.target, node.value, ref(node.value))

    def _bind(self, target: ast.AST, value_node: ast.AST, value: str) -> None:
        function = self._function()
        if isinstance(target, ast.Name):
            function["assigns"].setdefault(target.id, []).append(value)
        elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
            self._attribute(target.attr, value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            values = value_node.elts if isinstance(value_node, (ast.Tuple, ast.List)) else None
            for index, element in enumerate(target.elts):
                if values is not None and len(values) == len(target.elts):
                    self._bind(element, values[index], ref(values[index]))
                elif value[:1] == "c":
                    # model, opt = accelerator.prepare(model, opt): the n-th of a call's results
                    self._bind(element, value_node, f"u{index}:{value}")

    def _attribute(self, name: str, value: str) -> None:
        function = self._function()
        owner = function["owner"]
        if owner is not None and owner in self.classes:
            self.classes[owner]["attrs"].setdefault(name, []).append([function["qualname"], value])

    def visit_Call(self, node: ast.Call) -> None:
        self.generic_visit(node)
        function = self._function()
        keywords = {keyword.arg: ref(keyword.value) for keyword in node.keywords if keyword.arg}
        func = node.func
        callee = ref(func) or (f"d:?.{func.attr}" if isinstance(func, ast.Attribute) else "")
        # keyword refs as (name, ref) pairs, not a dict: see _frozen
        function["calls"].append([callee, node.lineno, [ref(arg) for arg in node.args], list(keywords.items())])
        if isinstance(func, ast.Attribute) and func.attr == "register_modules":
            for keyword, value in keywords.items():  # diffusers: self.register_modules(unet=unet, ...)
                self._attribute(keyword, value)
        if _places_on_accelerator(node):
            self.device = True

    def visit_If(self, node: ast.If) -> None:
        self.generic_visit(node)
        if node.body and _runs_periodically(node.test):
            self._function()["periodic"].append([node.body[0].lineno, node.body[-1].end_lineno or node.lineno])

    def visit_Return(self, node: ast.Return) -> None:
        self.generic_visit(node)
        self._function()["returns"].append(ref(node.value))

    def visit_For(self, node: ast.For | ast.AsyncFor | ast.While) -> None:
        self.generic_visit(node)
        body = node.body[0].lineno if node.body else node.lineno
        iterated = iterated_refs(node.iter) if isinstance(node, (ast.For, ast.AsyncFor)) else []
        self._function()["loops"].append([node.lineno, body, node.end_lineno or node.lineno, iterated])

    visit_AsyncFor = visit_While = visit_For

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.names.update(inner.id for inner in ast.walk(node) if isinstance(inner, ast.Name))
        # its calls run when it is called, not here

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.names.add(node.id)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.ctx, ast.Load):
            self.names.add(node.attr)
        self.generic_visit(node)


def keyword_refs(call: tuple) -> dict[str, str]:
    """A summarised call's keyword refs by keyword (stored as (keyword, ref) pairs: see _frozen)."""
    return dict(call[3])


def _frozen(value):
    """Lists made tuples, all the way down. A project's summaries are a few hundred thousand
    containers that live for the whole run; tuples and dicts of strings and numbers leave
    Python's cyclic garbage collector's tracking, lists never do, and every full collection of
    the run (pylint's own, over all its syntax trees) would walk them all again."""
    if isinstance(value, list):
        return tuple([_frozen(item) for item in value])  # items first: one collection untracks them all
    if isinstance(value, dict):
        return {key: _frozen(item) for key, item in value.items()}
    return value


def _function_record(qualname: str, line: int, end: int, params: list, defaults: int, annotations: dict,
                     owner: str | None, implicit: int = 0) -> dict:
    """implicit: how many leading parameters call sites do not pass (a method's self, a
    classmethod's cls: 1; a function or a staticmethod: 0)."""
    return {"qualname": qualname, "line": line, "end": end, "params": params, "defaults": defaults,
            "annotations": annotations, "assigns": {}, "calls": [], "loops": [], "returns": [], "owner": owner,
            "implicit": implicit, "periodic": []}


def _runs_periodically(test: ast.expr) -> bool:
    """`if step % N == 0:`, `if i == 0:`: in a loop, a body run on some iterations only (as
    tpulint.loops.conditional_on_iteration reads the same test)."""
    return any(isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod)
               or isinstance(node, ast.Compare) and any(isinstance(op, ast.Eq) and isinstance(right, ast.Constant)
                                                        for op, right in zip(node.ops, node.comparators))
               for node in ast.walk(test))


def _places_on_accelerator(call: ast.Call) -> bool:
    """`.cuda()`, `.to("cuda")`, `.to(device)`, `torch.device("cuda")`, `device="cuda"`: syntactic."""
    func = call.func
    texts = [arg.value for arg in (*call.args, *(k.value for k in call.keywords if k.arg == "device"))
             if isinstance(arg, ast.Constant) and isinstance(arg.value, str)]
    if any(text.split(":")[0] in ACCELERATOR_TYPES for text in texts):
        return True
    if isinstance(func, ast.Attribute) and func.attr == "cuda" and not call.args[1:]:
        return True
    if isinstance(func, ast.Attribute) and func.attr == "to" and call.args:
        first = call.args[0]
        return isinstance(first, (ast.Name, ast.Attribute)) and "device" in (_dotted(first) or "").lower()
    return False


@lru_cache(maxsize=1)
def _device_libraries() -> frozenset[str]:
    catalog = load_catalog()
    return frozenset({*(profile.package for profile in catalog.profiles.values()),
                      *catalog.frameworks.places_tensors})


# --- the cache -----------------------------------------------------------------------------


class SummaryCache:
    """Summaries on disk by content hash: `<root>/.tpulint_cache/view-<code>-<python>/<hash>.bin`
    (marshal: the summaries are plain dicts, lists and strings, never code). <code> is
    code_key(): a change to the code that makes summaries or answers starts a new folder, and the
    folders of other code are removed when it is made.

    Never raises: an unwritable or odd cache folder means summaries are computed and not kept.
    A folder under site-packages (an installed library) is never written to.
    """

    def __init__(self, root: Path | None, cache_folder: Path | None = None) -> None:
        """root: the folder that holds CACHE_FOLDER (None: no cache); cache_folder, if given, is
        that cache folder itself wherever it is (the command's --cache-dir)."""
        self.folder = None
        base = cache_folder if cache_folder is not None else root / CACHE_FOLDER if root is not None else None
        if base is not None and not installed_location(base):
            # marshal (the fastest to read of the standard formats) differs between Python versions.
            python = f"py{sys.version_info[0]}{sys.version_info[1]}"
            self.folder = base / f"view-{code_key()[:16]}-{python}"
        self.secret = _machine_secret()
        self.hits = 0
        self.misses = 0

    def summary(self, data: bytes, key: str | None = None) -> dict:
        """The summary of a file's content (key: its content_key, if already computed)."""
        key = key or content_key(data)
        found = self._read(key)
        if found is not None:
            self.hits += 1
            return found
        self.misses += 1
        summary = summarise(data.decode("utf-8", "replace"))
        self._write(key, summary)
        return summary

    def answer(self, name: str, key: str) -> dict | None:
        """A project-wide answer kept by keep_answer, or None."""
        return self._read(f"answer-{name}-{key}")

    def keep_answer(self, name: str, key: str, answer: dict) -> None:
        """Keep a project-wide answer (plain dicts, tuples, strings, numbers) under name and key
        (see project_key); of each name's answers only the newest _ANSWERS_KEPT stay (an editor
        saving a file again and again makes a new project key each time)."""
        self._write(f"answer-{name}-{key}", answer)
        if self.folder is None:
            return
        try:
            kept = sorted(self.folder.glob(f"answer-{name}-*.bin"), key=lambda path: path.stat().st_mtime_ns)
            for stale in kept[:-_ANSWERS_KEPT]:
                stale.unlink()
        except OSError:
            pass  # another process pruned it first

    def _read(self, key: str) -> dict | None:
        if self.folder is None or self.secret is None:
            return None
        try:
            with open(self.folder / f"{key}.bin", "rb") as handle:
                data = handle.read(MAX_FILE_BYTES * 4)
        except OSError:
            return None
        mac, payload = data[:_MAC_BYTES], data[_MAC_BYTES:]
        if not hmac.compare_digest(mac, self._mac(payload)):
            return None  # not written by this machine's tpulint (a file planted in the scanned tree)
        try:
            found = marshal.loads(payload)
        except (ValueError, EOFError, TypeError):
            return None
        return found if isinstance(found, dict) else None

    def _remove_other_versions(self) -> None:
        for other in self.folder.parent.glob("view-*"):
            if other != self.folder:
                shutil.rmtree(other, ignore_errors=True)  # a run of other code may still use it: it recomputes

    def _mac(self, payload: bytes) -> bytes:
        return hashlib.blake2b(payload, key=self.secret, digest_size=_MAC_BYTES).digest()

    def _write(self, key: str, payload_object: dict) -> None:
        if self.folder is None or self.secret is None:
            return
        try:
            if not self.folder.is_dir():
                make_cache_folder(self.folder.parent)
                self.folder.mkdir(exist_ok=True)
                self._remove_other_versions()
            payload = marshal.dumps(payload_object)
            user_cache.write_atomically(self.folder / f"{key}.bin", self._mac(payload) + payload)
        except OSError:
            self.folder = None  # read-only tree: keep going without a cache


def make_cache_folder(folder: Path) -> None:
    """Create the cache folder with a `.gitignore` of `*` inside, so git leaves it alone. As ruff
    does, only a folder tpulint creates gets one: a folder that exists already (the project's own,
    named with --cache-dir .) is never told to ignore itself. Raises OSError."""
    if folder.is_dir():
        return
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ".gitignore").write_text("# Made by tpulint: its cache, safe to delete.\n*\n", encoding="utf-8")


_MAC_BYTES = 16
_ANSWERS_KEPT = 8


def installed_location(folder: Path) -> bool:
    """folder lies in an installed library (site-packages): tpulint never writes there."""
    return "site-packages" in folder.parts or "dist-packages" in folder.parts


# The code that makes summaries and project-wide answers, besides this module.
_CACHED_CODE = ("bounds.py", "catalog.py", "sources.py", "user_cache.py")


@lru_cache(maxsize=1)
def code_key() -> str:
    """What cached summaries and answers depend on besides the files (32 hex digits): tpulint's
    version, the code of this module and of _CACHED_CODE, and the library facts in
    rules/frameworks.toml. A change to any of them makes earlier entries stale; hashing the code,
    not a hand-kept version number, means an edit cannot be forgotten."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(__version__.encode())
    package = Path(__file__).parent
    for code in (Path(__file__), *(package / name for name in _CACHED_CODE),
                 default_rules_dir() / "frameworks.toml"):
        digest.update(code.read_bytes())
    return digest.hexdigest()


def project_key(root: Path, contents: dict[str, str]) -> str:
    """Key of a project's cached answers (32 hex digits): its root and each file's path and
    content key (the code they depend on is in the folder's name: code_key())."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{root}\0".encode())
    for path in sorted(contents):
        digest.update(f"{path}\0{contents[path]}\0".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


@lru_cache(maxsize=1)
def _machine_secret() -> bytes | None:
    """A random key kept outside any scanned tree (`$XDG_CACHE_HOME/tpulint/secret`, else
    `~/.cache/tpulint/secret`), made on first use. Cache entries carry a MAC under it, so a
    summary planted in a scanned repository's `.tpulint_cache/` is never read (it could hide
    findings). None, and no cache, when no such file can be kept."""
    path = str(user_cache.folder() / "secret")
    try:
        with open(path, "rb") as handle:
            secret = handle.read(64)
        if len(secret) >= 32:
            return secret
    except OSError:
        pass
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            secret = os.urandom(32)
            handle.write(secret)
        return secret
    except OSError:
        return None


# --- the project ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Unseen:
    """Device code no step of the project is seen to reach (see loops.StepScopes.unreached_device_function)."""

    def describe(self) -> str:
        return "if this runs in a step: nothing in the project is seen calling it"


UNSEEN = Unseen()


@dataclass(frozen=True)
class Effect:
    """What a call of a project function does to the caller's pending graph: runs a step (a model,
    a backward pass) in its own body; cuts the graph (a barrier, or a step loop of its own, which
    is reported where it is written until it cuts); loops over steps (train_one_epoch), which
    makes its caller an epoch loop rather than a step loop."""

    steps: bool = False
    barrier: bool = False
    loops_over_steps: bool = False


@dataclass(frozen=True)
class Reach:
    """How a function comes to run in the step: the loop or framework entry point that starts it
    (`train.py:88`, `LightningModule.training_step`) and the first project function the step
    calls on the way (`Scheduler.step`), for the message."""

    origin: str
    through: str | None = None  # None: origin is an entry point (a framework's step method, a model's forward)
    model_forward: bool = False  # the entry point is nn.Module.forward: it runs whenever the model does

    def describe(self) -> str:
        if self.through is None and self.model_forward:
            return f"runs in the step: {self.origin} runs whenever the model runs"
        if self.through is None:
            return f"runs in the step: the framework calls {self.origin} every step"
        return f"runs in the step of {self.origin} through {self.through}"


@dataclass
class ProjectView:
    """Summaries of every file of a project, and the project-wide answers built from them.

    `files` maps absolute path -> FileSummary dict. Keys used below: (path, qualname) for a
    function or class. Every answer is computed on first use and kept.
    """

    root: Path
    files: dict[str, dict]
    frameworks: Frameworks
    _modules: dict[str, list[str]] = field(default_factory=dict)
    _reach: dict | None = None
    _model_classes: dict = field(default_factory=dict)
    _callers: dict | None = None
    _active: set = field(default_factory=set)
    _values: dict = field(default_factory=dict)
    _values_at_depth: dict = field(default_factory=dict)
    _call_sites: dict = field(default_factory=dict)
    _call_sites_at_depth: dict = field(default_factory=dict)
    _star_origins: dict = field(default_factory=dict)
    _import_index: dict = field(default_factory=dict)
    _exports: dict = field(default_factory=dict)
    _star_exporters: dict = field(default_factory=dict)
    _bound_names: frozenset | None = None
    _module_paths: dict = field(default_factory=dict)
    _truncated: bool = False  # the values() search in progress was cut by the depth bound or a cycle
    # ... by a cycle: its answer depends on which question came first, so it is kept by no memo
    # (cold and warm runs asked in different orders and disagreed on 26 diffusers findings).
    _cycle_cut: bool = False
    # Answers cut by a cycle are kept only while the question that met the cycle is being
    # answered (recomputing them in every later question made runs 2.5x slower).
    _provisional: dict = field(default_factory=dict)
    _nesting: int = 0  # values()/call_sites() calls in progress
    _device_project: bool | None = None
    _loader_loops: dict | None = None
    _process_groups: tuple | None = None
    _effects: dict = field(default_factory=dict)
    _named: set | None = None
    _device_files: dict = field(default_factory=dict)
    _imports_of_file: dict = field(default_factory=dict)
    _related: dict = field(default_factory=dict)
    cache: SummaryCache | None = None
    stamps: dict = field(default_factory=dict)  # path -> (mtime ns, size) when the view was built
    key: str | None = None  # project_key(): the cache key of the answers that span the project
    content_keys: dict = field(default_factory=dict)  # path -> content_key of the text summarised

    def __post_init__(self) -> None:
        for path in self.files:
            parts = Path(path).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            for start in range(len(parts) - 1, max(len(parts) - 8, 0), -1):
                self._modules.setdefault(".".join(parts[start:]), []).append(path)

    def fresh(self) -> ProjectView:
        """The same project with nothing answered yet (some memoised answers depend on the order
        of the questions: asking again here leaves this view's memos as they were)."""
        return ProjectView(self.root, self.files, self.frameworks, cache=self.cache, stamps=self.stamps, key=self.key,
                           content_keys=self.content_keys)

    # --- names -------------------------------------------------------------------------
    @property
    def is_device_project(self) -> bool:
        """Anything in the project places a tensor or module on an accelerator, or uses a
        library that does (rules/frameworks.toml `places_tensors`, torch_xla)."""
        if self._device_project is None:
            self._device_project = any(summary.get("device") for summary in self.files.values())
        return self._device_project

    def has_device_code(self, path: str) -> bool:
        """A file of a device project that is device code without moving anything itself: it
        defines a model class, runs a step in a loop, builds a loader a step iterates, takes
        tensors (a parameter annotated `torch.Tensor`), or the project's step reaches one of its
        functions. (An image degradation module of numpy and cv2 that a Dataset calls is none.)"""
        if path not in self._device_files:
            self._device_files[path] = self._has_device_code(path)
        return self._device_files[path]

    def _has_device_code(self, path: str) -> bool:
        summary = self.files.get(path, {})
        functions = summary.get("functions", {})
        if any(self.is_model_class(path, klass) for klass in summary.get("classes", {})):
            return True
        if any(_annotates_tensor(annotation) for record in functions.values()
               for annotation in record["annotations"].values()):
            return True
        if any(key[0] == path for key in self.loader_loops()):
            return True
        for function, record in functions.items():
            if self.reach(path, function) is not None:
                return True
            for _, body, end, _ in record["loops"]:
                if self._is_step(path, function, [call for call in record["calls"] if body <= call[1] <= end]):
                    return True
        return False

    def class_kind(self, path: str, function: str, dotted: str) -> str | None:
        """"module" or "optimizer" when the dotted name (`GPT`, `models.GPT`) in a function of a
        file is a project class deriving from a model or a torch optimizer, else None."""
        for value in self.values(path, function, f"d:{dotted}"):
            if value[0] == "class":
                if self.is_model_class(value[1], value[2]):
                    return "module"
                if any(base.startswith("torch.optim.") for base in self.library_bases(value[1], value[2])):
                    return "optimizer"
        return None

    def star_origin(self, path: str, name: str) -> str | None:
        """The qualified library name a name brought by `from helpers import *` stands for
        (`torch` when helpers.py does `import torch`), or None."""
        key = (path, name)
        if key not in self._star_origins:
            self._star_origins[key] = self._star_origin(path, name)
        return self._star_origins[key]

    def _star_origin(self, path: str, name: str) -> str | None:
        for target in self._library_star_exporters(path).get(name, ()):
            names = {value[1] for value in self.values(target, MODULE_CODE, f"d:{name}") if value[0] == "lib"}
            if len(names) == 1:
                return names.pop()
        return None

    def _library_star_exporters(self, path: str) -> dict[str, tuple[str, ...]]:
        """Name -> the files this file star-imports that may bind it to a library name, in import
        order (indexed once per file: timm's models/__init__.py star-imports 80 modules)."""
        if path not in self._star_exporters:
            found: dict[str, list[str]] = {}
            for target in self._imports_of(path)[1]:
                for name in self._exported_names(target, True):
                    found.setdefault(name, []).append(target)
            self._star_exporters[path] = {name: tuple(targets) for name, targets in found.items()}
        return self._star_exporters[path]

    def star_library_names(self, path: str, libraries: frozenset[str]) -> set[str]:
        """The names `from helpers import *` in this file brings that helpers binds by importing
        one of libraries (top-level package names)."""
        found = set()
        for local, module, member, level in self.files.get(path, {}).get("imports", ()):
            if local == "*" or member == "*":
                target = self.module_path(path, module, level)
                for inner, source, _, inner_level in self.files.get(target, {}).get("imports", ()) if target else ():
                    if not inner_level and source.split(".")[0] in libraries and inner != "*":
                        found.add(inner)
        return found

    def module_path(self, importer: str, module: str, level: int) -> str | None:
        """The project file an import names, from the importing file (None: not the project's)."""
        key = (importer, module, level)
        if key not in self._module_paths:
            self._module_paths[key] = self._module_path(importer, module, level)
        return self._module_paths[key]

    def _module_path(self, importer: str, module: str, level: int) -> str | None:
        if level:
            base = Path(importer).parent
            for _ in range(level - 1):
                base = base.parent
            target = base.joinpath(*module.split(".")) if module else base
            for candidate in (target.with_suffix(".py"), target / "__init__.py"):
                if str(candidate) in self.files:
                    return str(candidate)
            return None
        candidates = self._modules.get(module, [])
        if not candidates:
            return None
        return max(candidates, key=lambda path: len(os.path.commonpath([path, importer])))

    def values(self, path: str, function: str, expression: str, depth: int = 0) -> set[tuple]:
        """What a ref (see summarise) may be, in a function of a file: a set of values
        ("class", path, qualname), ("function", path, qualname), ("instance", path, class),
        ("module", path), ("model", why), ("lib", qualified name), ("lib-instance", qualified)."""
        if not expression:
            return set()
        if depth > MAX_DEPTH:
            self._truncated = True
            return set()
        found = self._kept_answer_at(  # a tuple: see _frozen
            "values", (path, function, expression), depth, self._values, self._values_at_depth,
            lambda: tuple(set(self._evaluate(path, function, expression, depth))))
        return set(found)

    def _kept_answer_at(self, name: str, key: tuple, depth: int, complete: dict, at_depth: dict, compute) -> tuple:
        """A values()/call_sites() answer, computed once: kept for its depth (which bounds the
        work), and for every depth when neither the depth bound nor a cycle cut it short. One cut
        by a parameter cycle depends on the question that met the cycle: it is kept only until
        the outermost question returns."""
        found = complete.get(key)
        if found is None:
            found = at_depth.get((*key, depth), self._provisional.get((name, *key, depth)))
        if found is not None:
            return found
        outer = self._truncated, self._cycle_cut
        self._truncated = self._cycle_cut = False
        self._nesting += 1
        try:
            found = compute()
        finally:
            self._nesting -= 1
        if self._cycle_cut:
            self._provisional[(name, *key, depth)] = found
        else:
            at_depth[(*key, depth)] = found
            if not self._truncated:
                complete[key] = found
        self._truncated, self._cycle_cut = outer[0] or self._truncated, outer[1] or self._cycle_cut
        if not self._nesting:
            self._provisional.clear()
        return found

    def _evaluate(self, path: str, function: str, expression: str, depth: int) -> set[tuple]:
        kind, _, rest = expression.partition(":")
        if kind == "d":
            return self._dotted(path, function, rest, depth)
        if kind.startswith("c"):
            return self._called(path, function, rest, depth, int(kind[1:] or 0))
        if kind == "k":
            return {("class", path, rest)}
        if kind == "f":
            return {("function", path, rest)}
        if kind.startswith("u") and kind[1:].isdigit():  # the n-th result of a call
            return self._unpacked(path, function, rest.partition(":")[2], int(kind[1:]), depth)
        return set()

    def _syncing(self, name: str) -> set[tuple]:
        """Marks for what a framework call returns that cuts the graph on XLA by itself."""
        marks = set()
        if name in self.frameworks.syncing_loaders:
            marks.add(("syncing-loader", name))
        if name in self.frameworks.syncing_optimizers:
            marks.add(("syncing-optimizer", name))
        return marks

    def _unpacked(self, path: str, function: str, callee: str, index: int, depth: int) -> set[tuple]:
        """`model, opt = accelerator.prepare(model, opt)`: a wrapper's n-th result is its n-th
        argument; through a project function that returns such a call (`return
        fabric.setup_dataloaders(train, val)`), the same."""
        if not self._is_wrapper(path, function, callee, depth):
            found = set()
            for value in self.values(path, function, callee, depth + 1):
                if value[0] == "function" and depth < MAX_DEPTH:
                    for returned in self.files[value[1]]["functions"].get(value[2], {}).get("returns", ()):
                        kind, _, inner = returned.partition(":")
                        if kind.startswith("c"):
                            found |= self._unpacked(value[1], value[2], inner, index, depth + 1)
                        elif kind == "t" and index < len(elements := inner.split(TUPLE_SEPARATOR)):
                            found |= self.values(value[1], value[2], elements[index], depth + 1)
            return found
        names = {value[1] for value in self.values(path, function, callee, depth + 1) if value[0] == "lib"}
        found = set().union(*(self._syncing(name) for name in names))
        for _, _, arguments, _ in self._calls_named(path, function, callee):
            if index < len(arguments):
                found |= self.values(path, function, arguments[index], depth + 1)
        return found

    def _calls_named(self, path: str, function: str, callee: str) -> list:
        record = self.files[path]["functions"].get(function, {})
        return [call for call in record.get("calls", ()) if call[0] == callee]

    def is_model(self, value: tuple) -> bool:
        """A value is a model: built by a known factory, or an instance of a model class."""
        return value[0] == "model" or (value[0] == "instance" and self.is_model_class(value[1], value[2]))

    def _dotted(self, path: str, function: str, dotted: str, depth: int) -> set[tuple]:
        head, *attributes = dotted.split(".")
        found = self._name(path, function, head, depth)
        for attribute in attributes:
            found = {member for value in found for member in self._member(value, attribute, depth)}
            if not found:
                break
        return found

    def _name(self, path: str, function: str, name: str, depth: int) -> set[tuple]:
        summary = self.files.get(path, {})
        functions = summary.get("functions", {})
        for scope in _enclosing_scopes(functions, function):
            record = functions.get(scope)
            if record is not None and (name in record["params"] or name in record["assigns"]):
                found = self._parameter(path, scope, name, depth) if name in record["params"] else set()
                return found | {value for expression in record["assigns"].get(name, ())
                                for value in self.values(path, scope, expression, depth + 1)}
        imports, stars = self._imports_of(path)
        for module, member, level in imports.get(name, ()):
            return self._imported(path, module, member, level, depth)
        for target in stars:
            if depth < MAX_DEPTH and self._may_export(target, name):
                found = self.values(target, MODULE_CODE, f"d:{name}", depth + 1)
                if found:
                    return found
        return set()

    def _imports_of(self, path: str) -> tuple[dict[str, list], list[str]]:
        """A file's imports by local name, and the project files it star-imports."""
        if path not in self._import_index:
            by_name: dict[str, list] = {}
            stars = []
            for local, module, member, level in self.files.get(path, {}).get("imports", ()):
                if local == "*" or member == "*":
                    target = self.module_path(path, module, level)
                    if target is not None:
                        stars.append(target)
                else:
                    by_name.setdefault(local, []).append((module, member, level))
            self._import_index[path] = (by_name, stars)
        return self._import_index[path]

    def _may_export(self, path: str, name: str, library_only: bool = False) -> bool:
        """The file binds name at its top level, itself or through its star imports (a cheap
        filter before a search); library_only: by an import or an assignment that may hold a
        library name (not only a `def` or `class`)."""
        return name in self._exported_names(path, library_only)

    def _exported_names(self, path: str, library_only: bool) -> frozenset[str]:
        key = (path, library_only)
        if key not in self._exports:
            names: set[str] = set()
            seen, frontier = {path}, [path]
            while frontier:  # the file and every file its star imports reach, cycles included
                current = frontier.pop()
                imports, stars = self._imports_of(current)
                assigns = self.files.get(current, {}).get("functions", {}).get(MODULE_CODE, {}).get("assigns", {})
                names.update(imports)
                names.update(name for name, expressions in assigns.items() if not library_only
                             or any(expression[:2] not in ("k:", "f:") for expression in expressions))
                frontier.extend(target for target in stars if target not in seen)
                seen.update(stars)
            self._exports[key] = frozenset(names)
        return self._exports[key]

    def _imported(self, path: str, module: str, member: str | None, level: int, depth: int) -> set[tuple]:
        if member is None:
            target = self.module_path(path, module, level)
            return {("module", target)} if target else {("lib", module)}
        target = self.module_path(path, module, level)
        if target is None:
            submodule = self.module_path(path, f"{module}.{member}" if module else member, level)
            if submodule is not None:
                return {("module", submodule)}
            return set() if level else {("lib", f"{module}.{member}")}
        found = self._member(("module", target), member, depth + 1)
        if not found:
            submodule = self.module_path(path, f"{module}.{member}" if module else member, level)
            return {("module", submodule)} if submodule else set()
        return found

    def _member(self, value: tuple, attribute: str, depth: int) -> set[tuple]:
        kind = value[0]
        if kind == "module":
            return self._name(value[1], MODULE_CODE, attribute, depth + 1) if depth < MAX_DEPTH else set()
        if kind == "lib":
            return {("lib", f"{value[1]}.{attribute}")}
        if kind == "lib-instance":
            return {("lib", f"{value[1]}.{attribute}")}
        if kind in ("instance", "class"):
            method = self.method(value[1], value[2], attribute)
            if method is not None:
                return {("function", *method)}
            if kind == "instance" and attribute in SELF_RETURNING:
                return {value}
            if kind == "instance":
                return self._instance_attribute(value[1], value[2], attribute, depth)
        if kind == "model" and attribute in SELF_RETURNING:
            return {value}
        return set()

    def _instance_attribute(self, path: str, klass: str, attribute: str, depth: int) -> set[tuple]:
        found = set()
        for owner_path, owner in self._class_chain(path, klass):
            for function, expression in self.files[owner_path]["classes"][owner]["attrs"].get(attribute, ()):
                found |= self.values(owner_path, function, expression, depth + 1)
            if found:
                break
        if not found and attribute in self.frameworks.components and self._is_pipeline(path, klass):
            found.add(("model", f"the pipeline's {attribute}"))
        return found

    def _called(self, path: str, function: str, callee: str, depth: int, line: int = 0) -> set[tuple]:
        found = set()
        for value in self.values(path, function, callee, depth + 1):
            kind = value[0]
            if kind == "class":
                found.add(("instance", *value[1:]))
            elif kind == "function" and depth < MAX_DEPTH:
                record = self.files[value[1]]["functions"].get(value[2], {})
                for expression in record.get("returns", ()):
                    found |= self.values(value[1], value[2], expression, depth + 1)
            elif kind == "lib":
                found |= self._library_call(path, function, value[1], callee, depth, line)
            elif kind in ("model", "instance") and callee.rpartition(".")[2] in SELF_RETURNING:
                found.add(value)
        return found

    def _library_call(self, path: str, function: str, name: str, callee: str, depth: int, line: int) -> set[tuple]:
        """What a call of a library name returns: a model (a factory, a torch.nn layer), a loader
        (its construction site, so its facts travel with it), a wrapped model or loader (the
        wrapped argument's values), an instance of a library class, or nothing known."""
        frameworks = self.frameworks
        head = name.rpartition(".")[2]
        if name in DATA_LOADERS:
            return {("loader", path, line)}
        if head in frameworks.padding_collators:
            return {("collator", path, line, name)}
        if frameworks.builds_model(name) or name in frameworks.model_bases or _is_torch_layer(name):
            return {("model", name)}
        if (name in frameworks.wrappers or name in LOADER_WRAPPERS or name in frameworks.syncing_loaders
                or name in frameworks.syncing_optimizers):
            calls = [call for call in self._calls_named(path, function, callee) if call[1] == line or not line]
            wrapped = {value for call in calls if call[2] for value in self.values(path, function, call[2][0], depth + 1)
                       if value[0] in ("model", "loader") or self.is_model(value)}
            return wrapped | self._syncing(name)
        return {("lib-instance", name)} if head[:1].isupper() else set()

    def _is_wrapper(self, path: str, function: str, callee: str, depth: int) -> bool:
        names = {value[1] for value in self.values(path, function, callee, depth + 1) if value[0] == "lib"}
        frameworks = self.frameworks
        return bool(names & (frameworks.wrappers | LOADER_WRAPPERS | frameworks.syncing_loaders | frameworks.syncing_optimizers))

    # --- classes -----------------------------------------------------------------------
    def method(self, path: str, klass: str, name: str) -> tuple[str, str] | None:
        """(path, qualname) of the method `name` a project class has or inherits from project bases."""
        for owner_path, owner in self._class_chain(path, klass):
            qualname = f"{owner}.{name}"
            if qualname in self.files[owner_path]["functions"]:
                return owner_path, qualname
        return None

    def _class_chain(self, path: str, klass: str) -> list[tuple[str, str]]:
        chain, pending, seen = [], [(path, klass)], set()
        while pending and len(chain) < 16:
            current = pending.pop(0)
            if current in seen or current[1] not in self.files.get(current[0], {}).get("classes", {}):
                continue
            seen.add(current)
            chain.append(current)
            for base in self.files[current[0]]["classes"][current[1]]["bases"]:
                for value in self.values(current[0], MODULE_CODE, base, 2):
                    if value[0] == "class":
                        pending.append((value[1], value[2]))
        return chain

    def library_bases(self, path: str, klass: str) -> set[str]:
        """The library classes (qualified names) a project class derives from, through project bases."""
        names = set()
        for owner_path, owner in self._class_chain(path, klass):
            for base in self.files[owner_path]["classes"][owner]["bases"]:
                names |= {value[1] for value in self.values(owner_path, MODULE_CODE, base, 2) if value[0] == "lib"}
        return names

    def is_model_class(self, path: str, klass: str) -> bool:
        """Derives from torch.nn.Module (any torch.nn class) or a known library model base."""
        key = (path, klass)
        if key not in self._model_classes:
            bases = self.library_bases(path, klass)
            self._model_classes[key] = any(base in self.frameworks.model_bases or base.startswith("torch.nn.")
                                           for base in bases)
        return self._model_classes[key]

    def _is_pipeline(self, path: str, klass: str) -> bool:
        return bool(self.library_bases(path, klass) & self.frameworks.pipelines)

    def entry_methods(self, path: str, klass: str) -> frozenset[str]:
        """The methods a framework runs in the step for this class (`training_step` of a
        LightningModule, `forward` of every model)."""
        methods = set()
        for base in self.library_bases(path, klass):
            methods |= self.frameworks.entry_points.get(base, frozenset())
            if base.startswith("torch.nn."):
                methods.add("forward")
        if self.is_model_class(path, klass):
            methods.add("forward")
        return frozenset(methods)

    def entry_parameter(self, path: str, function: str, name: str) -> str | None:
        """"tensor" or "model" when a framework passes that to this parameter of an entry method
        (Lightning's `batch`, the HF Trainer's `inputs` and `model`), else None."""
        record = self.files.get(path, {}).get("functions", {}).get(function)
        owner = record["owner"] if record else None
        if owner is None:
            return None
        method = function.rpartition(".")[2]
        for base in self.library_bases(path, owner):
            if method in self.frameworks.entry_points.get(base, ()):
                if name in self.frameworks.entry_tensors.get(base, ()):
                    return "tensor"
                if name in self.frameworks.entry_models.get(base, ()):
                    return "model"
        return None

    # --- parameters --------------------------------------------------------------------
    def _parameter(self, path: str, function: str, name: str, depth: int) -> set[tuple]:
        record = self.files[path]["functions"][function]
        owner = record["owner"]
        if owner is not None and record["implicit"] and record["params"] and record["params"][0] == name:
            return {("instance", path, owner)}  # self (and a classmethod's cls, taken alike)
        key = (path, function, name)
        if key in self._active:
            self._truncated = self._cycle_cut = True  # the answer in progress is partial: not kept
            return set()  # a parameter passed back to its own function: what the other calls pass decides
        self._active.add(key)
        try:
            return self._bound_parameter(path, function, record, name, depth)
        finally:
            self._active.discard(key)

    def _bound_parameter(self, path: str, function: str, record: dict, name: str, depth: int) -> set[tuple]:
        found = set()
        owner = record["owner"]
        if self.entry_parameter(path, function, name) == "model":
            found.add(("model", f"{function}({name})"))
        annotation = record["annotations"].get(name)
        if annotation:
            for value in self.values(path, MODULE_CODE, annotation, depth + 1):
                if value[0] == "class":
                    found.add(("instance", *value[1:]))
                elif value[0] == "lib" and (value[1] in self.frameworks.model_bases
                                            or self.frameworks.builds_model(f"{value[1]}.from_pretrained")):
                    found.add(("model", value[1]))
                elif value[0] == "lib" and value[1].rpartition(".")[2][:1].isupper():
                    found.add(("lib-instance", value[1]))  # `fabric: L.Fabric`
        if depth >= MAX_DEPTH - 1:
            return found
        for caller_path, caller, arguments, keywords in self.call_sites(path, function, depth + 1):
            expression = keywords.get(name)
            if expression is None:
                position = record["params"].index(name) - record["implicit"]
                expression = arguments[position] if 0 <= position < len(arguments) else None
            if expression:
                found |= self.values(caller_path, caller, expression, depth + 1)
        return found

    def call_sites(self, path: str, function: str, depth: int = 0) -> tuple[tuple[str, str, list, dict], ...]:
        """Every call of a project function or method in the project: (path, caller qualname,
        argument refs, keyword refs). A class's `__init__` is called by the class's name. Kept as
        values() keeps its answers: for the depth, and for any depth when nothing cut it short
        (each parameter of a function asks for the same sites)."""
        return self._kept_answer_at("sites", (path, function), depth, self._call_sites, self._call_sites_at_depth,
                                    lambda: tuple(self._find_call_sites(path, function, depth)))

    def _find_call_sites(self, path: str, function: str, depth: int) -> list[tuple[str, str, list, dict]]:
        short = function.rpartition(".")[2]
        owner = self.files[path]["functions"][function]["owner"]
        wanted = owner.rpartition(".")[2] if short == "__init__" and owner else short
        found = []
        for caller_path, caller, call in self._callers_named(wanted):
            targets = self.values(caller_path, caller, call[0], depth)
            if short == "__init__":
                hit = any(value[0] == "class" and (value[1], value[2]) == (path, owner) for value in targets)
            else:
                hit = any(value[0] == "function" and (value[1], value[2]) == (path, function) for value in targets)
            if hit:
                found.append((caller_path, caller, call[2], keyword_refs(call)))
        return found

    def unused(self, path: str, function: str) -> bool:
        """No code of the project outside its tests calls the function or names it (a callback,
        a `collate_fn=`, a list of transforms), matched by its last name: conservative, since any
        use of the same name elsewhere counts."""
        if self._named is None:
            self._named = set()
            for other, summary in self.files.items():
                if not is_test_file(other, self.root):
                    self._named.update(summary.get("names", ()))
        return function.rpartition(".")[2] not in self._named

    def _callers_named(self, short: str) -> list:
        if self._callers is None:
            self._callers = {}
            for path, summary in self.files.items():
                for qualname, record in summary.get("functions", {}).items():
                    for call in record["calls"]:
                        name = call[0].rpartition(".")[2].removeprefix("d:")
                        self._callers.setdefault(name, []).append((path, qualname, call))
            self._callers = {name: tuple(calls) for name, calls in self._callers.items()}  # see _frozen
        return self._callers.get(short, ())

    # --- the step ----------------------------------------------------------------------
    def reach(self, path: str, qualname: str) -> Reach | None:
        """How a project function comes to run in the step, or None if no step reaches it."""
        if self._reach is None:
            kept = self._kept_answer("reach", self._compute_reach,
                                     lambda reach: {key: (how.origin, how.through, how.model_forward) for key, how in reach.items()})
            self._reach = {key: how if isinstance(how, Reach) else Reach(*how) for key, how in kept.items()}
        return self._reach.get((path, qualname))

    def _kept_answer(self, name: str, compute, encode=lambda answer: answer) -> dict:
        """A project-wide answer from the cache of an earlier run on the same files, else computed
        and kept there (encoded as plain tuples for the cache)."""
        kept = self.cache.answer(name, self.key) if self.cache is not None and self.key is not None else None
        if kept is not None:
            return kept
        answer = compute()
        self._forget_queries()
        if self.cache is not None and self.key is not None:
            self.cache.keep_answer(name, self.key, encode(answer))
        return answer

    def _forget_queries(self) -> None:
        """Drop what the queries of a project-wide computation left in the memos, so the checks
        that follow start from the same state whether that answer was computed in this run or read
        from the cache. (Some memo answers depend on the order of the questions; with the
        computation's questions first, diffusers lost 27 findings cold that a warm run had.)"""
        for memo in (self._values, self._values_at_depth, self._call_sites, self._call_sites_at_depth,
                     self._effects, self._device_files, self._model_classes):
            memo.clear()

    def _compute_reach(self) -> dict:
        reach: dict = {}
        frontier: list[tuple[tuple[str, str], Reach]] = []
        for path, summary in self.files.items():
            for klass in summary.get("classes", {}):
                for method in self.entry_methods(path, klass):
                    found = self.method(path, klass, method)
                    if found is not None and found not in reach:
                        framework = any(method in self.frameworks.entry_points.get(base, ())
                                        for base in self.library_bases(path, klass) if not base.startswith("torch.nn."))
                        reach[found] = Reach(f"{_short_class(klass)}.{method}", model_forward=not framework)
                        frontier.append((found, reach[found]))
            for function, record in summary.get("functions", {}).items():
                for line, body, end, _ in record["loops"]:
                    calls = [call for call in record["calls"] if body <= call[1] <= end]
                    if self._is_step(path, function, calls):
                        origin = f"{Path(path).name}:{line}"
                        # A helper called every N steps (`if step % 500 == 0: save(...)`) is not the step.
                        periodic = [(first, last) for first, last in record["periodic"] if body <= first and last <= end]
                        every_step = [call for call in calls
                                      if not any(first <= call[1] <= last for first, last in periodic)]
                        for target in sorted(self._targets(path, function, every_step)):
                            if target not in reach:
                                reach[target] = Reach(origin, target[1])
                                frontier.append((target, reach[target]))
        hops = 0
        while frontier and hops < 10_000:
            (path, function), how = frontier.pop()
            hops += 1
            record = self.files[path]["functions"].get(function)
            if record is None:
                continue
            for target in sorted(self._targets(path, function, record["calls"])):  # sorted: the same path every run
                if target not in reach:
                    reach[target] = how
                    frontier.append((target, how))
        return reach

    def loader_loops(self) -> dict[tuple[str, int], tuple[str, bool]]:
        """Each DataLoader construction (path, line) a step loop of the project iterates -> where
        that loop is (`train.py:12`) and whether it trains (runs a backward pass). Followed through
        names, parameters, return values and loader wrappers (MpDeviceLoader, accelerate)."""
        if self._loader_loops is None:
            self._loader_loops = self._kept_answer("loaders", self._compute_loader_loops)
        return self._loader_loops

    def _compute_loader_loops(self) -> dict[tuple[str, int], tuple[str, bool]]:
        self._loader_loops = {}
        for path, summary in self.files.items():
            for function, record in summary.get("functions", {}).items():
                for line, body, end, iterated in record["loops"]:
                    self._note_loader_loop(path, function, record, line, body, end, iterated)
        return self._loader_loops

    def _note_loader_loop(self, path: str, function: str, record: dict, line: int, body: int, end: int,
                          iterated: list) -> None:
        loaders = {(value[1], value[2]) for expression in iterated
                   for value in self.values(path, function, expression) if value[0] == "loader"}
        if not loaders:
            return
        calls = [call for call in record["calls"] if body <= call[1] <= end]
        trains = any(call[0].endswith(".backward") for call in calls)
        if not (trains or self._is_step(path, function, calls)):
            return
        for loader in sorted(loaders):
            known = self._loader_loops.get(loader)
            if known is None or (trains and not known[1]):
                self._loader_loops[loader] = (f"{Path(path).name}:{line}", trains)

    def process_group_inits(self) -> tuple[tuple[str, int, str | None], ...]:
        """Each `torch.distributed.init_process_group(...)` call of the project, as (path, line,
        backend): the backend string it passes ("gloo"; the runtime's also for its init_method), ""
        when it passes none (torch then picks nccl for CUDA tensors), None when it passes one
        the summary cannot read (a setting, an expression)."""
        if self._process_groups is None:
            self._process_groups = tuple(
                (path, call[1], self._backend(path, function, call[2], keyword_refs(call)))
                for path, function, call in self._callers_named("init_process_group")
                if any(value[0] == "lib" and value[1].startswith("torch.distributed.")
                       for value in self.values(path, function, call[0])))
        return self._process_groups

    def related_files(self, path: str) -> set[str]:
        """The project files whose code can run with this file's: itself, the files it imports
        (three imports deep, not through a package's __init__.py, which re-exports the whole
        package), and the files that import it (its scripts). Test files only for a test file."""
        if path not in self._related:
            self._related[path] = self._find_related_files(path)
        return self._related[path]

    def _find_related_files(self, path: str) -> set[str]:
        found, frontier = {path}, [path]
        for _ in range(3):
            frontier = [target for source in frontier if source == path or not source.endswith("__init__.py")
                        for target in self._imported_files(source) if target not in found]
            found.update(frontier)
        found.update(other for other in self.files if path in self._imported_files(other))
        if not is_test_file(path, self.root):
            found = {other for other in found if other == path or not is_test_file(other, self.root)}
        return found

    def imported_files(self, path: str) -> frozenset[str]:
        """The project files path imports directly (absolute paths), as far as module_path resolves them."""
        return frozenset(self._imported_files(path))

    def _imported_files(self, path: str) -> set[str]:
        if path not in self._imports_of_file:
            self._imports_of_file[path] = self._find_imported_files(path)
        return self._imports_of_file[path]

    def _find_imported_files(self, path: str) -> set[str]:
        targets = set()
        for _, module, member, level in self.files.get(path, {}).get("imports", ()):
            for name in (module, f"{module}.{member}" if member and member != "*" else None):
                target = self.module_path(path, name, level) if name is not None else None
                if target is not None:
                    targets.add(target)
        return targets

    def _backend(self, path: str, function: str, arguments: tuple, keywords: dict) -> str | None:
        if keywords.get("init_method") == f"v:{PROFILE.init_method!r}":
            return PROFILE.distributed_backend
        backend = keywords["backend"] if "backend" in keywords else arguments[0] if arguments else None
        if backend is None:
            return ""
        if backend.startswith("d:") and "." not in backend:  # backend = "gloo" earlier in the function or module
            functions = self.files[path]["functions"]
            assigned = next((functions[scope]["assigns"][backend[2:]] for scope in _enclosing_scopes(functions, function)
                             if backend[2:] in functions.get(scope, {}).get("assigns", {})), ())
            strings = {_string_constant(ref) for ref in assigned}
            return strings.pop() if len(strings) == 1 else None
        return _string_constant(backend)

    def collate_padding(self, path: str, line: int) -> str | None:
        """How the collate_fn of the DataLoader built at (path, line) pads each batch to its own
        longest item (`pad_sequence`, a tokenizer with padding=True or "longest", a padding
        collator without pad_to_multiple_of), or None."""
        for function, record in self.files.get(path, {}).get("functions", {}).items():
            for call in record["calls"]:
                collate_fn = keyword_refs(call).get("collate_fn") if call[1] == line else None
                if collate_fn:
                    for value in self.values(path, function, collate_fn):
                        found = self._pads_to_longest(value)
                        if found:
                            return found
        return None

    def _pads_to_longest(self, value: tuple) -> str | None:
        if value[0] == "collator":
            _, path, line, name = value
            for record in self.files[path]["functions"].values():
                for call in record["calls"]:
                    if call[1] != line:
                        continue
                    keywords = keyword_refs(call)
                    if "pad_to_multiple_of" not in keywords and keywords.get("padding") != "v:'max_length'":
                        return f"{name.rpartition('.')[2]} pads each batch to its longest item"
            return None
        if value[0] != "function":
            return None
        for call in self.files[value[1]]["functions"].get(value[2], {}).get("calls", ()):
            callee, keywords = call[0], keyword_refs(call)
            if callee.endswith(".pad_sequence") or callee == "d:pad_sequence":
                return f"{value[2]} pads with pad_sequence to the batch's longest item"
            if keywords.get("padding") in ("v:True", "v:'longest'") and "pad_to_multiple_of" not in keywords:
                return f"{value[2]} tokenizes with padding={keywords['padding'][2:]}, to the batch's longest item"
        return None

    def _is_step(self, path: str, function: str, calls: list, depth: int = 0) -> bool:
        """Calls (a loop body's) run a step: a backward pass, generate, a call of a model, or a
        project function whose own body does one (not one that loops over steps itself)."""
        for callee, _, _, _ in calls:
            if callee.rpartition(".")[2] in STEP_METHODS:
                return True
            if not self._may_name_project_code(callee):
                continue
            values = self.values(path, function, callee)
            if any(self.is_model(value) for value in values):
                return True
            if depth < 3 and any(value[0] == "function" and self.effect(value[1], value[2], depth + 1).steps
                                 for value in values):
                return True
        return False

    def effect(self, path: str, function: str, depth: int = 0) -> Effect:
        """What calling a project function does to the caller's graph (see Effect). Kept per
        depth: an answer cut short by the depth bound must not stand for a shallower question
        (it did, and which one was asked first decided whether a loop was a step loop)."""
        key = (path, function, depth)
        if key not in self._effects:
            self._effects[key] = Effect()  # recursion guard: a cycle adds nothing
            self._effects[key] = self._effect(path, function, depth)
        return self._effects[key]

    def _effect(self, path: str, function: str, depth: int) -> Effect:
        record = self.files.get(path, {}).get("functions", {}).get(function)
        if record is None:
            return Effect()
        looped = [(body, end) for _, body, end, _ in record["loops"]
                  if self._is_step(path, function, [c for c in record["calls"] if body <= c[1] <= end], depth)]
        outside = [call for call in record["calls"] if not any(body <= call[1] <= end for body, end in looped)]
        barrier = bool(looped) or any(self._is_barrier(path, function, call) for call in record["calls"])
        return Effect(steps=self._is_step(path, function, outside, depth), barrier=barrier, loops_over_steps=bool(looped))

    def _is_barrier(self, path: str, function: str, call: list) -> bool:
        if call[0].rpartition(".")[2] not in _BARRIER_SHORT_NAMES and not self._may_name_project_code(call[0]):
            return False
        names = {value[1] for value in self.values(path, function, call[0]) if value[0] == "lib"}
        if names & BARRIERS:
            return True
        return OPTIMIZER_STEP in names and keyword_refs(call).get(PROFILE.barrier_keyword) == "v:True"

    def _may_name_project_code(self, callee: str) -> bool:
        """Whether a callee ref may stand for a project function or a model (a cheap, exact filter
        before values()): a bare name or a call's result may; a dotted name (`x.view`) only when
        its last part is bound somewhere in the project (a def, a class, an attribute, a
        module-level name, an import), a pipeline component, or a method returning its model."""
        kind, _, dotted = callee.partition(":")
        if kind != "d" or "." not in dotted:
            return True
        if self._bound_names is None:
            self._bound_names = self._project_bound_names()
        return dotted.rpartition(".")[2] in self._bound_names

    def _project_bound_names(self) -> frozenset[str]:
        names = set(SELF_RETURNING) | set(self.frameworks.components)
        for summary in self.files.values():
            names.update(qualname.rpartition(".")[2] for qualname in summary.get("functions", {}))
            names.update(summary.get("functions", {}).get(MODULE_CODE, {}).get("assigns", {}))
            for qualname, klass in summary.get("classes", {}).items():
                names.add(qualname.rpartition(".")[2])
                names.update(klass["attrs"])
            names.update(local for local, *_ in summary.get("imports", ()))
        return frozenset(names)

    def _targets(self, path: str, function: str, calls: list) -> set[tuple[str, str]]:
        """Project functions the calls run: functions, methods, a class's __init__, a model's forward."""
        targets = set()
        for callee, _, _, _ in calls:
            if not self._may_name_project_code(callee):
                continue
            for value in self.values(path, function, callee):
                if value[0] == "function":
                    targets.add((value[1], value[2]))
                elif value[0] == "instance":
                    for method in ("__call__", "forward"):
                        found = self.method(value[1], value[2], method)
                        if found is not None:
                            targets.add(found)
        return targets


def _is_torch_layer(name: str) -> bool:
    """`torch.nn.Linear(...)` builds a module; a loss (`torch.nn.CrossEntropyLoss`) is arithmetic."""
    head = name.rpartition(".")[2]
    return name.startswith("torch.nn.") and head[:1].isupper() and not head.endswith("Loss") and ".functional." not in name


def _enclosing_scopes(functions: dict, function: str):
    """The scopes a name read in function is looked up in, innermost first: the function, the
    functions around it (not the classes: a class body is no scope for its methods), the module."""
    scope = function
    yield scope
    while scope != MODULE_CODE:
        scope = scope.rpartition(".")[0] or MODULE_CODE
        while scope != MODULE_CODE and scope not in functions:
            scope = scope.rpartition(".")[0] or MODULE_CODE
        yield scope


def _string_constant(ref: str) -> str | None:
    """The string a "v:'...'" ref spells, else None."""
    if not ref.startswith("v:"):
        return None
    try:
        value = ast.literal_eval(ref[2:])
    except (ValueError, SyntaxError):
        return None  # cut at 80 characters
    return value if isinstance(value, str) else None


def _annotates_tensor(annotation: str) -> bool:
    """'d:torch.Tensor', 'd:Tensor', 'd:torch.FloatTensor' (Optional[...] is not summarised)."""
    return annotation.startswith("d:") and annotation.rpartition(".")[2].removeprefix("d:").endswith("Tensor")


def is_test_file(path: str, root: Path) -> bool:
    """pytest's and unittest's files (test_*.py, *_test.py, conftest.py) and files in a tests/
    or test/ folder of the project (below root)."""
    name = os.path.basename(path)
    try:
        folders = Path(path).relative_to(root).parts[:-1]
    except ValueError:
        folders = ()
    return (name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"
            or "tests" in folders or "test" in folders)


def _short_class(qualname: str) -> str:
    return qualname.rpartition(".")[2]


# --- which project ---------------------------------------------------------------------------


def source_root(path: Path) -> Path:
    """The nearest folder above path with pyproject.toml, setup.py, setup.cfg or .git; else
    path's own folder."""
    return _source_root_of(path.parent)


def _source_root_of(folder: Path) -> Path:
    return _nearest_marked(folder, ROOT_MARKERS) or folder


@lru_cache(maxsize=4096)
def _nearest_marked(folder: Path, markers: tuple[str, ...]) -> Path | None:
    """The nearest folder from folder upwards holding one of markers, or None."""
    for candidate in (folder, *folder.parents):
        if any((candidate / marker).exists() for marker in markers):
            return candidate
    return None


def python_files(root: Path) -> list[str]:
    """Every *.py under root (sorted absolute paths), skipping SKIPPED_FOLDERS and hidden folders,
    at most MAX_FILES. Links are not followed (a project's own files are real files in it)."""
    found: list[str] = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = sorted(name for name in subfolders if name not in SKIPPED_FOLDERS and not name.startswith("."))
        found.extend(os.path.join(folder, name) for name in sorted(names) if name.endswith(".py"))
        if len(found) >= MAX_FILES:
            break
    return found[:MAX_FILES]


_COMMAND_FILES: list[str] | None = None
_COMMAND_SET: frozenset[str] = frozenset()
_COMMAND_PROJECTS: dict[str, tuple[list[str], Path]] = {}  # path -> (its project's files, root)
_COMMAND_CACHE: Path | None = None  # where the run keeps its cache
_COMMAND_CACHE_FOLDER: Path | None = None  # the cache folder itself, when the command names one
_COMMAND_CACHING = True
_RECORDER = None  # see record_queries
_VIEWS: dict[tuple, tuple[ProjectView, int]] = {}  # key -> (view, the run it was last checked in)
_VIEW_OF_FILE: dict[str, tuple[ProjectView, int]] = {}  # path as asked -> (its view, the run it was found in)
_EPOCH = 0  # counts pylint runs in this process (new_run)
# path -> its summary, for this run: nested source roots (pylint's projects) share files, and a
# run reads and summarises each of them once (new_run and use_files forget them).
_RUN_SUMMARIES: dict[str, dict] = {}
_LOCK = threading.Lock()


def use_files(files: list[str] | None, cache_root: Path | None = None, cache_folder: Path | None = None,
              caching: bool = True) -> None:
    """The command's project: every file of one run, rooted at their common folder, its cache
    under cache_root (default: that folder), or in cache_folder itself when given (--cache-dir);
    caching=False: no cache read or written. None: back to the source root of each linted file
    (pylint, editors)."""
    global _COMMAND_FILES, _COMMAND_SET, _COMMAND_PROJECTS, _COMMAND_CACHE, _COMMAND_CACHE_FOLDER, _COMMAND_CACHING
    _COMMAND_FILES = None if files is None else sorted(os.path.abspath(path) for path in files if path.endswith(".py"))
    _COMMAND_SET = frozenset(_COMMAND_FILES or ())
    _nearest_marked.cache_clear()
    _COMMAND_PROJECTS = _projects(_COMMAND_FILES or [])
    _COMMAND_CACHE = cache_root
    _COMMAND_CACHE_FOLDER = cache_folder if files is not None else None
    _COMMAND_CACHING = caching or files is None
    _VIEWS.clear()
    _VIEW_OF_FILE.clear()
    _RUN_SUMMARIES.clear()


def record_queries(recorder) -> None:
    """While set, for_file returns recorder.wrap(view) instead of the view (tpulint.result_cache
    logs each file's questions to the project); None: the views themselves."""
    global _RECORDER
    _RECORDER = recorder


def in_run(path: str) -> bool:
    """path belongs to this run's projects: a file of the command's run, or any file when pylint
    runs without the command (each file's project is its source root)."""
    return _COMMAND_FILES is None or os.path.abspath(path) in _COMMAND_SET


def _projects(files: list[str]) -> dict[str, tuple[list[str], Path]]:
    """The command's files (sorted absolute paths) grouped into projects, each rooted at its
    files' common folder: one per repository (the nearest folder above with .git or .hg), and one
    of the files in no repository. Two repositories given to one run are two projects, as they
    are to pylint; one repository's files are one project however they were named."""
    groups: dict[Path | None, list[str]] = {}
    for path in files:
        groups.setdefault(_nearest_marked(Path(path).parent, REPOSITORY_MARKERS), []).append(path)
    projects = {}
    for members in groups.values():
        project = (members, _common_folder(members))
        projects.update(dict.fromkeys(members, project))
    return projects


def _common_folder(files: list[str]) -> Path:
    return Path(os.path.commonpath([os.path.dirname(file) for file in files]))


def for_file(path: str | None, text: bytes | None = None) -> ProjectView | None:
    """The view of the project `path` belongs to, built once per run and project; `text` (what
    pylint read from stdin) replaces the file's text on disk. None for a file with no path."""
    if not path:
        return None
    if text is None:
        known = _VIEW_OF_FILE.get(path)
        if known is not None and known[1] == _EPOCH:  # asked again in the same run (every family asks)
            return known[0] if _RECORDER is None else _RECORDER.wrap(known[0])
    given, path = path, os.path.abspath(path)
    cache_root, cache_folder, caching = None, None, True
    if _COMMAND_FILES is not None:
        if path in _COMMAND_SET:
            files, root = _COMMAND_PROJECTS[path]
        else:  # a notebook's staged copy: one more file of the run, which sees all the others
            files = [*_COMMAND_FILES, path]
            root = _common_folder(files)
        cache_root, cache_folder, caching = _COMMAND_CACHE, _COMMAND_CACHE_FOLDER, _COMMAND_CACHING
    else:
        root = source_root(Path(path))
        files = None
    key = (str(root), path if text is not None else None, hashlib.blake2b(text or b"", digest_size=8).hexdigest())
    with _LOCK:
        view, epoch = _VIEWS.get(key, (None, -1))
        if view is not None and epoch != _EPOCH and files is None:
            # A new lint in a long-lived process (an editor's server): the view stands while no
            # file of the project was added, removed or changed on disk.
            view = view if view.stamps == _stamps(python_files(root)) else None
        if view is None:
            view = build(root, files if files is not None else python_files(root), {path: text} if text else {},
                         cache_root, _RUN_SUMMARIES, cache_folder, caching)
        _VIEWS[key] = (view, _EPOCH)
        if text is None:
            _VIEW_OF_FILE[given] = (view, _EPOCH)
    return view if _RECORDER is None else _RECORDER.wrap(view)


def new_run() -> None:
    """A new pylint run begins (a checker's open()): views of the plugin's projects are checked
    against the files on disk before they are used again, and source roots looked up anew."""
    global _EPOCH
    _EPOCH += 1
    _nearest_marked.cache_clear()
    _RUN_SUMMARIES.clear()


def _stamps(files: list[str]) -> dict[str, tuple[int, int]]:
    """(modification time in ns, size in bytes) of each file that can be stat'ed."""
    found = {}
    for path in files:
        try:
            status = os.stat(path)
        except OSError:
            continue
        found[path] = (status.st_mtime_ns, status.st_size)
    return found


def build(root: Path, files: list[str], texts: dict[str, bytes] | None = None,
          cache_root: Path | None = None, known: dict[str, dict] | None = None, cache_folder: Path | None = None,
          caching: bool = True) -> ProjectView:
    """Summarise files (absolute paths) into a view of the project at root; texts override what
    is on disk; the cache lives under cache_root (default: root); `known` (path -> summary) holds
    what this run already summarised (path -> (content key, summary)), and gains what this build reads;
    cache_folder is the cache folder itself, if given; caching=False reads and writes no cache. Unreadable and oversized
    files are left out (the checkers report on them, not the view)."""
    cache = SummaryCache(_cache_root(cache_root or root), cache_folder) if caching else SummaryCache(None)
    summaries, contents = {}, {}
    texts = texts or {}
    known = {} if known is None else known
    for path in files:
        if path in texts:
            contents[path] = content_key(texts[path])
            summaries[path] = cache.summary(texts[path], contents[path])
        elif path in known:
            contents[path], summaries[path] = known[path]
        else:
            data = _read(path)
            if data is not None:
                key = content_key(data)
                contents[path], summaries[path] = known[path] = key, cache.summary(data, key)
    for path, summary in summaries.items():
        if summary.get("shallow"):
            remember_shallow(contents[path])
    return ProjectView(root, summaries, load_catalog().frameworks, cache=cache, stamps=_stamps(files),
                       key=project_key(root, contents), content_keys=contents)


def _cache_root(root: Path) -> Path | None:
    return root if root.is_dir() and os.access(root, os.W_OK) else None


def _read(path: str) -> bytes | None:
    try:
        return sources.read_bytes(path, MAX_FILE_BYTES)
    except sources.Unreadable:
        return None
