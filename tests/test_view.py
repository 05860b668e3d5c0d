"""The project view (tpulint/view.py): summaries, the content-keyed cache, the project's source
root, and the project-wide answers (models across files and libraries, parameters bound at call
sites, what the step reaches, loaders and their collate functions)."""

from __future__ import annotations

import gc
import marshal
import os
import re
import sys
import textwrap
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

from tpulint import bounds, view
from tpulint.catalog import load_catalog


def _project(tmp_path: Path, files: dict[str, str]) -> view.ProjectView:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n", encoding="utf-8")
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return view.build(tmp_path, view.python_files(tmp_path))


def _path(tmp_path: Path, name: str) -> str:
    return str(tmp_path / name)


# --- summaries and the cache ------------------------------------------------------------------


def test_a_summary_records_imports_classes_functions_calls_and_loops():
    summary = view.summarise(textwrap.dedent("""
        import torch.nn as nn
        from .model import Net as N
        class Block(nn.Module):
            def __init__(self, unet):
                self.unet = unet
            def forward(self, x):
                for _ in range(2):
                    x = self.unet(x)
                return x
    """))
    assert ("nn", "torch.nn", None, 0) in summary["imports"]
    assert ("N", "model", "Net", 1) in summary["imports"]
    assert summary["classes"]["Block"]["bases"] == ("d:nn.Module",)
    assert summary["classes"]["Block"]["attrs"]["unet"] == (("Block.__init__", "d:unet"),)
    forward = summary["functions"]["Block.forward"]
    assert forward["params"] == ("self", "x") and forward["owner"] == "Block"
    assert forward["loops"][0][:3] == (8, 9, 9)
    assert forward["calls"][-1][0] == "d:self.unet"


def test_summaries_leave_the_garbage_collectors_tracking():
    """A project's summaries live for the whole run: made of tuples of strings and numbers (no
    lists, no dicts inside tuples), they stop being walked by every full collection."""
    summary = view.summarise("import torch\ndef f(x, n=2):\n    return torch.cat([x] * n, dim=0).to(device='cuda')\n")
    for _ in range(4):  # a collection untracks a tuple whose items it has already untracked
        gc.collect()
    calls = summary["functions"]["f"]["calls"]
    assert calls and not any(gc.is_tracked(call) for call in calls)
    assert not gc.is_tracked(calls) and not gc.is_tracked(summary["imports"])


@pytest.mark.parametrize("text", ["def broken(:\n", "x = (" * 300 + ")" * 300, "\x00"])
def test_text_that_does_not_parse_summarises_to_nothing(text):
    assert view.summarise(text) == {}


def test_summaries_are_cached_by_content_in_a_folder_git_ignores(tmp_path):
    files = {"a.py": "import torch\nx = torch.zeros(3).cuda()\n", "b.py": "import torch\n"}
    first = _project(tmp_path, files)
    assert (first.cache.hits, first.cache.misses) == (0, 2)
    second = view.build(tmp_path, view.python_files(tmp_path))
    assert (second.cache.hits, second.cache.misses) == (2, 0)
    assert second.files == first.files
    cache = tmp_path / view.CACHE_FOLDER
    assert (cache / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"
    (tmp_path / "b.py").write_text("import torch  # changed\n", encoding="utf-8")
    third = view.build(tmp_path, view.python_files(tmp_path))
    assert (third.cache.hits, third.cache.misses) == (1, 1)


def test_a_change_to_tpulint_code_starts_a_new_cache_and_drops_the_old(tmp_path, monkeypatch):
    """Summaries and answers kept by other code (an upgrade, an edit of the summariser) are never
    read: the cache folder is named by the hash of the code that makes them."""
    _project(tmp_path, {"a.py": "import torch\n"})
    cache = tmp_path / view.CACHE_FOLDER
    (old_folder,) = [folder for folder in cache.iterdir() if folder.is_dir()]
    monkeypatch.setattr(view, "code_key", lambda: "f" * 32)
    again = view.build(tmp_path, view.python_files(tmp_path))
    assert (again.cache.hits, again.cache.misses) == (0, 1)
    assert [folder.name for folder in cache.iterdir() if folder.is_dir()] == [f"view-{'f' * 16}-{old_folder.name.rsplit('-', 1)[1]}"]


def test_a_text_measured_shallow_when_summarised_is_not_measured_again_at_parse(tmp_path):
    deep = "x = 0\nif x == 0:\n    pass\n" + "".join(f"elif x == {i}:\n    pass\n" for i in range(1, 150))
    shallow = "import torch\nx = torch.zeros(3).cuda()\n"
    project = _project(tmp_path, {"shallow.py": shallow, "deep.py": deep})
    assert project.files[_path(tmp_path, "shallow.py")]["shallow"] is True
    assert project.files[_path(tmp_path, "deep.py")]["shallow"] is False
    assert bounds.known_shallow(shallow) and not bounds.known_shallow(deep)
    assert not bounds.known_shallow(shallow + "# edited\n")


def test_a_cache_entry_planted_in_the_scanned_tree_is_not_read(tmp_path):
    """A hostile repository ships .tpulint_cache/ with a summary that hides its device code: the
    entry's MAC (under a key outside the tree) does not match, so the file is summarised anew."""
    _project(tmp_path, {"a.py": "import torch\nx = torch.zeros(3).cuda()\n"})
    entry = next((tmp_path / view.CACHE_FOLDER).rglob("*.bin"))
    forged = marshal.dumps({"imports": [], "classes": {}, "functions": {}, "device": False, "names": []})
    entry.write_bytes(b"\0" * 16 + forged)
    again = view.build(tmp_path, view.python_files(tmp_path))
    assert again.cache.misses == 1 and again.is_device_project


def test_no_cache_is_written_under_site_packages(tmp_path):
    root = tmp_path / "lib" / "site-packages" / "pkg"
    root.mkdir(parents=True)
    (root / "m.py").write_text("x = 1\n", encoding="utf-8")
    built = view.build(root, [str(root / "m.py")])
    assert built.files and not (root / view.CACHE_FOLDER).exists()


def test_a_read_only_tree_is_summarised_without_a_cache(tmp_path):
    (tmp_path / "m.py").write_text("import torch\n", encoding="utf-8")
    tmp_path.chmod(0o555)
    try:
        built = view.build(tmp_path, [str(tmp_path / "m.py")])
    finally:
        tmp_path.chmod(0o755)
    assert list(built.files) == [str(tmp_path / "m.py")]


def test_a_corrupt_cache_entry_is_recomputed(tmp_path):
    _project(tmp_path, {"a.py": "import torch\n"})
    for entry in (tmp_path / view.CACHE_FOLDER).rglob("*.bin"):
        entry.write_text("{not json", encoding="utf-8")
    again = view.build(tmp_path, view.python_files(tmp_path))
    assert again.cache.misses == 1 and again.files[str(tmp_path / "a.py")]["imports"]


def test_the_source_root_is_the_nearest_folder_with_a_project_marker(tmp_path):
    (tmp_path / "setup.cfg").write_text("", encoding="utf-8")
    deep = tmp_path / "src" / "pkg"
    deep.mkdir(parents=True)
    assert view.source_root(deep / "m.py") == tmp_path
    (deep / "pyproject.toml").write_text("", encoding="utf-8")
    view.new_run()  # source roots are looked up once per run
    assert view.source_root(deep / "m.py") == deep


def test_a_view_kept_in_a_long_lived_process_follows_the_files_on_disk(tmp_path):
    """An editor's pylint server lints again after a file changed: the next run sees the change."""
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    (tmp_path / "a.py").write_text("x = 1\n", encoding="utf-8")
    first = view.for_file(str(tmp_path / "a.py"))
    assert view.for_file(str(tmp_path / "a.py")) is first  # the same run: built once
    view.new_run()
    assert view.for_file(str(tmp_path / "a.py")) is first  # nothing changed on disk
    (tmp_path / "b.py").write_text("import torch\ny = torch.ones(1).cuda()\n", encoding="utf-8")
    view.new_run()
    again = view.for_file(str(tmp_path / "a.py"))
    assert again is not first and again.is_device_project


def test_stdin_text_replaces_the_file_on_disk(tmp_path):
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    (tmp_path / "m.py").write_text("x = 1\n", encoding="utf-8")
    found = view.for_file(str(tmp_path / "m.py"), b"import torch\ny = torch.ones(2).cuda()\n")
    assert found.files[str(tmp_path / "m.py")]["device"] is True


# --- models, parameters, the step -------------------------------------------------------------


def test_names_travel_through_a_cycle_of_star_imports(tmp_path):
    project = _project(tmp_path, {
        "a.py": "from b import *\nimport torch.cuda as tc\nclass Net:\n    pass\n",
        "b.py": "from a import *\n",
        "c.py": "from b import *\n",
    })
    assert project.star_origin(_path(tmp_path, "c.py"), "tc") == "torch.cuda"
    assert project.star_origin(_path(tmp_path, "c.py"), "Net") is None  # a project class, not a library name
    assert ("class", _path(tmp_path, "a.py"), "Net") in project.values(_path(tmp_path, "c.py"), "<module>", "d:Net")


def test_a_model_class_is_known_across_files_re_exports_and_star_imports(tmp_path):
    project = _project(tmp_path, {
        "pkg/__init__.py": "from .layers import *\n",
        "pkg/layers.py": "import torch\nclass Base(torch.nn.Module):\n    pass\n",
        "pkg/model.py": "from . import Base\nclass GPT(Base):\n    pass\n",
        "plain.py": "class Settings:\n    pass\n",
    })
    assert project.is_model_class(_path(tmp_path, "pkg/model.py"), "GPT")
    assert not project.is_model_class(_path(tmp_path, "plain.py"), "Settings")


@pytest.mark.parametrize("build, model", [
    ("transformers.AutoModelForCausalLM.from_pretrained('gpt2')", True),
    ("transformers.AutoTokenizer.from_pretrained('gpt2')", False),
    ("timm.create_model('resnet50')", True),
    ("torchvision.models.resnet50()", True),
    ("diffusers.UNet2DModel.from_pretrained('x')", True),
    ("diffusers.DDIMScheduler.from_pretrained('x')", False),
    ("torch.compile(torchvision.models.resnet50())", True),
    ("peft.get_peft_model(transformers.AutoModel.from_pretrained('x'), config)", True),
    ("torch.nn.CrossEntropyLoss()", False),
])
def test_library_models_come_from_rules_frameworks_toml(tmp_path, build, model):
    project = _project(tmp_path, {"m.py": f"import torch, transformers, timm, torchvision, diffusers, peft\nm = {build}\n"})
    values = project.values(_path(tmp_path, "m.py"), view.MODULE_CODE, "d:m")
    assert any(project.is_model(value) for value in values) is model


def test_every_framework_entry_cites_the_version_it_was_read_from():
    with open(Path(load_catalog().source_dir) / "frameworks.toml", "rb") as handle:
        entries = tomllib.load(handle)["framework"]
    assert len(entries) >= 9
    assert all(re.match(r"^[\w-]+ \d+\.\d+", entry["read_from"]) for entry in entries), entries


def test_a_parameter_is_what_the_call_sites_in_other_files_pass(tmp_path):
    project = _project(tmp_path, {
        "gen.py": "def generate(model, ids):\n    for _ in range(3):\n        ids = model(ids)\n",
        "run.py": "from transformers import AutoModel\nfrom gen import generate\n"
                  "def main():\n    generate(AutoModel.from_pretrained('x'), None)\n",
    })
    values = project.values(_path(tmp_path, "gen.py"), "generate", "d:model")
    assert any(project.is_model(value) for value in values)
    assert project.call_sites(_path(tmp_path, "gen.py"), "generate")[0][:2] == (_path(tmp_path, "run.py"), "main")


def test_call_sites_bind_a_staticmethods_arguments_from_the_first_and_a_methods_after_self(tmp_path):
    project = _project(tmp_path, {
        "emb.py": "class Embedder:\n    @staticmethod\n    def embed(model, dim):\n        return model\n"
                  "    def run(self, model, dim):\n        return model\n",
        "use.py": "from transformers import AutoModel\nfrom emb import Embedder\n"
                  "def main():\n    e = Embedder()\n    m = AutoModel.from_pretrained('x')\n"
                  "    e.embed(m, 8)\n    e.run(m, 8)\n",
    })
    for method in ("Embedder.embed", "Embedder.run"):
        assert any(project.is_model(value) for value in project.values(_path(tmp_path, "emb.py"), method, "d:model"))
        assert not any(project.is_model(value) for value in project.values(_path(tmp_path, "emb.py"), method, "d:dim"))


def test_a_recursive_function_passing_its_own_parameter_does_not_loop(tmp_path):
    project = _project(tmp_path, {"r.py": "def walk(node):\n    return walk(node)\n"})
    assert project.values(_path(tmp_path, "r.py"), "walk", "d:node") == set()


def test_an_effect_cut_by_the_depth_bound_does_not_answer_a_shallower_question(tmp_path):
    """effect() asked at the depth bound first must not decide what a shallower question gets
    (it did: cold and warm runs asked in different orders and disagreed on diffusers)."""
    project = _project(tmp_path, {"chain.py": "def f4(loss):\n    loss.backward()\n\ndef f3(loss):\n    f4(loss)\n"})
    chain = _path(tmp_path, "chain.py")
    assert not project.effect(chain, "f3", 3).steps  # at the bound f4 is not followed
    assert project.effect(chain, "f3", 0).steps


def test_checks_start_from_the_same_memos_whether_a_project_answer_was_computed_or_read(tmp_path):
    files = {"pipe.py": "import torch\ndef sample(latents, loader):\n    unet = torch.nn.Linear(4, 4)\n"
                        "    for batch in loader:\n        latents = unet(batch)\n"}
    computed = _project(tmp_path, files)
    computed.loader_loops()
    computed.reach(_path(tmp_path, "pipe.py"), "sample")
    read = view.build(tmp_path, view.python_files(tmp_path))
    read.loader_loops()
    read.reach(_path(tmp_path, "pipe.py"), "sample")
    memos = ("_values", "_values_at_depth", "_call_sites", "_call_sites_at_depth", "_effects", "_device_files")
    assert [getattr(computed, memo) for memo in memos] == [getattr(read, memo) for memo in memos] == [{}] * len(memos)


def test_the_step_reaches_a_scheduler_method_in_another_file(tmp_path):
    project = _project(tmp_path, {
        "samplers.py": "class Sampler:\n    def step(self, out):\n        return self.helper(out)\n"
                       "    def helper(self, out):\n        return out\n    def unused(self):\n        pass\n",
        "pipe.py": "import torch\nfrom samplers import Sampler\n"
                   "def sample(latents):\n    unet = torch.nn.Linear(4, 4)\n    s = Sampler()\n"
                   "    for t in range(3):\n        latents = s.step(unet(latents))\n",
    })
    samplers = _path(tmp_path, "samplers.py")
    assert project.reach(samplers, "Sampler.step").describe() == "runs in the step of pipe.py:6 through Sampler.step"
    assert project.reach(samplers, "Sampler.helper") is not None
    assert project.reach(samplers, "Sampler.unused") is None


def test_what_the_step_reaches_is_kept_for_the_next_run_until_a_file_changes(tmp_path, monkeypatch):
    files = {
        "samplers.py": "class Sampler:\n    def step(self, out):\n        return out\n",
        "pipe.py": "import torch\nfrom samplers import Sampler\n"
                   "def sample(latents):\n    unet = torch.nn.Linear(4, 4)\n    s = Sampler()\n"
                   "    for t in range(3):\n        latents = s.step(unet(latents))\n",
    }
    samplers = _path(tmp_path, "samplers.py")
    first = _project(tmp_path, files)
    assert first.reach(samplers, "Sampler.step").describe() == "runs in the step of pipe.py:6 through Sampler.step"

    def recomputed(self):
        raise AssertionError("the reach of an unchanged project is read from the cache")

    with monkeypatch.context() as patched:
        patched.setattr(view.ProjectView, "_compute_reach", recomputed)
        again = view.build(tmp_path, view.python_files(tmp_path))
        assert again.reach(samplers, "Sampler.step") == first.reach(samplers, "Sampler.step")
    # The loop no longer steps a model: the changed file makes a new key, and nothing is reached.
    (tmp_path / "pipe.py").write_text(files["pipe.py"].replace("s.step(unet(latents))", "s.step(latents)"), encoding="utf-8")
    changed = view.build(tmp_path, view.python_files(tmp_path))
    assert changed.key != first.key and changed.reach(samplers, "Sampler.step") is None


def test_only_the_newest_answers_of_a_project_are_kept(tmp_path):
    for edit in range(view._ANSWERS_KEPT + 3):
        project = _project(tmp_path, {"a.py": f"import torch\nx = torch.zeros({edit}).cuda()\n"})
        project.reach(_path(tmp_path, "a.py"), "f")
    assert len(list((tmp_path / view.CACHE_FOLDER).rglob("answer-reach-*.bin"))) == view._ANSWERS_KEPT


def test_a_loop_without_a_step_reaches_nothing(tmp_path):
    project = _project(tmp_path, {
        "util.py": "def fmt(x):\n    return str(x)\n",
        "main.py": "from util import fmt\ndef main(rows):\n    for row in rows:\n        print(fmt(row))\n",
    })
    assert project.reach(_path(tmp_path, "util.py"), "fmt") is None


def test_framework_entry_points_run_in_the_step(tmp_path):
    project = _project(tmp_path, {
        "lit.py": "import lightning as L\nclass M(L.LightningModule):\n"
                  "    def training_step(self, batch, batch_idx):\n        return self.loss(batch)\n"
                  "    def loss(self, batch):\n        return batch\n    def configure_optimizers(self):\n        pass\n",
    })
    lit = _path(tmp_path, "lit.py")
    assert project.reach(lit, "M.training_step").describe() == "runs in the step: the framework calls M.training_step every step"
    assert project.reach(lit, "M.loss") is not None
    assert project.reach(lit, "M.configure_optimizers") is None
    assert project.entry_parameter(lit, "M.training_step", "batch") == "tensor"
    assert project.entry_parameter(lit, "M.training_step", "batch_idx") is None


def test_a_pipeline_component_registered_with_register_modules_is_a_model(tmp_path):
    project = _project(tmp_path, {
        "pipe.py": "from diffusers import DiffusionPipeline\nclass P(DiffusionPipeline):\n"
                   "    def __init__(self, unet):\n        self.register_modules(unet=unet)\n"
                   "    def __call__(self):\n        return self.unet\n",
    })
    values = project.values(_path(tmp_path, "pipe.py"), "P.__call__", "d:self.unet")
    assert any(project.is_model(value) for value in values)


def test_loaders_travel_through_returns_parameters_and_wrappers(tmp_path):
    project = _project(tmp_path, {
        "data.py": "from torch.utils.data import DataLoader\n"
                   "def collate(batch):\n    from torch.nn.utils.rnn import pad_sequence\n    return pad_sequence(batch)\n"
                   "def make(ds):\n    return DataLoader(ds, collate_fn=collate)\n",
        "train.py": "import torch_xla.distributed.parallel_loader as pl\nfrom data import make\n"
                    "def fit(model, loader):\n    for x in pl.MpDeviceLoader(loader, 'xla'):\n        model(x).backward()\n"
                    "def main(ds, model):\n    fit(model, make(ds))\n",
    })
    data = _path(tmp_path, "data.py")
    assert project.loader_loops() == {(data, 6): ("train.py:4", True)}
    assert project.collate_padding(data, 6) == "collate pads with pad_sequence to the batch's longest item"


def test_a_device_project_is_one_that_places_anything_on_a_device(tmp_path):
    assert _project(tmp_path / "a", {"m.py": "import torch\nx = torch.ones(1).to('cuda')\n"}).is_device_project
    assert _project(tmp_path / "b", {"m.py": "import lightning\n"}).is_device_project
    assert not _project(tmp_path / "c", {"m.py": "import torch\nx = torch.ones(1)\n"}).is_device_project


def test_python_files_skip_virtual_environments_caches_and_hidden_folders(tmp_path):
    for name in ("a.py", ".venv/x.py", ".hidden/y.py", "build/z.py", f"{view.CACHE_FOLDER}/w.py", "pkg/b.py"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("", encoding="utf-8")
    assert [os.path.relpath(path, tmp_path) for path in view.python_files(tmp_path)] == ["a.py", "pkg/b.py"]


def test_the_command_makes_one_project_per_repository_among_its_files(tmp_path):
    """Two clones given to one run are two projects (as pylint sees them): a step in one does not
    reach a same-named helper of the other. One repository's files stay one project."""
    step = "from helpers import run\nimport torch\nmodel = torch.nn.Linear(2, 2).cuda()\nfor x in range(3):\n    run(model)\n"
    helpers = "def run(model):\n    return model(1)\n"
    for repository in ("first", "second"):
        (tmp_path / repository / ".git").mkdir(parents=True)
        (tmp_path / repository / "src").mkdir()
        (tmp_path / repository / "src" / "helpers.py").write_text(helpers, encoding="utf-8")
    (tmp_path / "first" / "scripts").mkdir()
    (tmp_path / "first" / "scripts" / "train.py").write_text(step, encoding="utf-8")
    files = sorted(str(path) for path in tmp_path.rglob("*.py"))
    view.use_files(files)
    try:
        train, first_helpers, second_helpers = (view.for_file(str(tmp_path / name)) for name in
                                                ("first/scripts/train.py", "first/src/helpers.py", "second/src/helpers.py"))
        assert train is first_helpers and train is not second_helpers
        assert train.root == tmp_path / "first" and second_helpers.root == tmp_path / "second" / "src"
        assert train.reach(str(tmp_path / "first" / "src" / "helpers.py"), "run") is not None
        assert second_helpers.reach(str(tmp_path / "second" / "src" / "helpers.py"), "run") is None
    finally:
        view.use_files(None)
