"""Fixes applied to source text by span: the edits, each needed import once, a result that parses."""

from __future__ import annotations

import json

import pytest
from conftest import REPO, run_tpulint

from tpulint.fix import FixError, apply
from tpulint.model import Edit


def test_edits_are_applied_by_span_in_utf8_columns_keeping_everything_else():
    text = 'import torch\nx = "é"; y = torch.ones(2).to("xla")  # keep me\n'
    column = len('x = "é"; y = torch.ones(2).to('.encode("utf-8"))
    fixed = apply(text, [Edit(2, column, 2, column + 5, '"tpu"')])
    assert fixed.text == 'import torch\nx = "é"; y = torch.ones(2).to("tpu")  # keep me\n'


def test_each_import_is_added_once_after_the_import_block():
    text = '"""Doc."""\nimport os\nimport torch\n\nx = torch.ones(2)\n'
    fixed = apply(text, [], ["import torch_xla", "import torch_xla", "import os"])
    assert fixed.text == '"""Doc."""\nimport os\nimport torch\nimport torch_xla\n\nx = torch.ones(2)\n'
    assert apply(fixed.text, [], ["import torch_xla"]).text == fixed.text


def test_an_import_goes_after_the_docstring_when_there_is_no_import():
    assert apply('"""Doc."""\nx = 1\n', [], ["import torch_xla"]).text == '"""Doc."""\nimport torch_xla\nx = 1\n'
    assert apply("x = 1", [], ["import torch_xla"]).text == "import torch_xla\nx = 1"


def test_overlapping_edits_keep_the_first_in_source_order():
    text = "a = b.cuda().cuda()\n"
    first, inner = Edit(1, 4, 1, 19, "c"), Edit(1, 5, 1, 12, "d")
    fixed = apply(text, [inner, first, first])
    assert fixed.text == "a = c\n" and fixed.skipped == (inner,)


def test_a_result_that_does_not_parse_is_refused():
    with pytest.raises(FixError, match="does not parse"):
        apply("if x:\n    import torch_xla\n", [Edit(2, 4, 2, 20, "")])
    with pytest.raises(FixError, match="line 9"):
        apply("x = 1\n", [Edit(9, 0, 9, 1, "")])


def test_the_edits_of_a_torchtpu_report_make_the_port(tmp_path, write):
    source = ('import os\nimport torch\ntry:\n    import torch_xla\nexcept ImportError:\n    pass\n'
              'os.environ["PJRT_DEVICE"] = "TPU"\nmodel = torch.nn.Linear(2, 2).to("xla:0")\n'
              'torch.distributed.init_process_group("xla")\n')
    write("port.py", source)
    code, out, err = run_tpulint("--format", "json", "--target", "torchtpu", "port.py", cwd=tmp_path)
    findings = json.loads(out)["findings"]
    edits = [Edit(e["line"], e["column"] - 1, e["end_line"], e["end_column"] - 1, e["text"])
             for f in findings for e in f["fix"]["edits"]]
    assert len(edits) == 4
    fixed = apply(source, edits).text
    assert "try:\n    pass\n" in fixed and '"tpu:0"' not in fixed and '.to("tpu")' in fixed
    write("ported.py", fixed)  # a new name: astroid keeps the first parse of a path for the process
    code, out, err = run_tpulint("--format", "json", "--target", "torchtpu", "ported.py", cwd=tmp_path)
    assert [f for f in json.loads(out)["findings"] if f["fix"]["edits"]] == []


GPU = ('"""A GPU script."""\nimport torch\n\n'
       'model = torch.nn.Linear(2, 2).cuda()  # keep this comment\n'
       'batch = torch.ones(2, device="cuda")\n'
       'torch.cuda.empty_cache()\n'
       'with torch.autocast("cuda", dtype=torch.float16):\n    out = model(batch)\n')


def test_fix_diff_shows_the_port_and_writes_nothing(tmp_path, write):
    write("train.py", GPU)
    code, out, err = run_tpulint("fix", "--diff", "train.py", cwd=tmp_path)
    assert code == 1 and (tmp_path / "train.py").read_text(encoding="utf-8") == GPU
    assert "+import torch_xla\n" in out
    assert "+model = torch.nn.Linear(2, 2).to(torch_xla.device())  # keep this comment\n" in out
    assert '+batch = torch.ones(2, device=torch_xla.device())\n' in out
    assert "-torch.cuda.empty_cache()\n" in out
    assert 'autocast("xla"' not in out  # fp16 -> bf16 is an unsafe fix, and not an exact edit yet


def test_fix_writes_the_port_and_reports_what_remains(tmp_path, write):
    write("train.py", GPU)
    code, out, err = run_tpulint("--fix", "--format", "json", "train.py", cwd=tmp_path)
    fixed = (tmp_path / "train.py").read_text(encoding="utf-8")
    compile(fixed, "train.py", "exec")
    assert fixed.count("import torch_xla") == 1 and "# keep this comment" in fixed
    assert "tpulint fix: 4 findings fixed in 1 file" in err
    remaining = {finding["symbol"] for finding in json.loads(out)["findings"]}
    assert remaining == {"cuda-autocast"}
    assert run_tpulint("fix", "--diff", "train.py", cwd=tmp_path)[:2] == (0, "")  # nothing left to apply


def test_fix_on_torchtpu_swaps_the_device_without_an_import(tmp_path, write):
    write("train.py", GPU)
    code, out, err = run_tpulint("fix", "--diff", "--target", "torchtpu", "train.py", cwd=tmp_path)
    assert '+model = torch.nn.Linear(2, 2).to("tpu")  # keep this comment\n' in out
    assert "import torch_xla" not in out and "+batch = torch.ones(2, device=torch.device(\"tpu\"))\n" in out


def _notebook(*cells: list[str], indent: int | None = 1) -> str:
    """A notebook of code cells (each a list of source lines) with an output and metadata to keep."""
    data = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["# Train\n"]}]
            + [{"cell_type": "code", "execution_count": n, "metadata": {"tags": ["keep"]},
                "outputs": [{"name": "stdout", "output_type": "stream", "text": ["ok\n"]}], "source": lines}
               for n, lines in enumerate(cells, start=1)],
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(data, indent=indent, ensure_ascii=False) + "\n"


NOTEBOOK_CELLS = (
    ["%matplotlib inline\n", "import torch\n", 'device = "cuda"'],
    ["model = torch.nn.Linear(2, 2).cuda()  # the model\n",
     "opt = torch.optim.SGD(model.parameters(), lr=0.1)\n",
     "for x in torch.ones(4, 2).split(2):\n",
     "    loss = model(x.to(device)).sum()\n",
     "    loss.backward()\n",
     "    opt.step()"],
)


def test_a_notebook_is_fixed_cell_by_cell_keeping_outputs_metadata_and_magics(tmp_path, write):
    write("nb.ipynb", _notebook(*NOTEBOOK_CELLS))
    code, out, err = run_tpulint("fix", "nb.ipynb", cwd=tmp_path)
    assert "4 findings fixed in 1 file" in err  # the device, .cuda(), the barrier, the import
    text = (tmp_path / "nb.ipynb").read_text(encoding="utf-8")
    data = json.loads(text)
    assert text == json.dumps(data, indent=1, ensure_ascii=False) + "\n"  # written as nbformat writes
    first, second = (cell["source"] for cell in data["cells"][1:])
    assert first == ["%matplotlib inline\n", "import torch\n", "import torch_xla\n", "device = torch_xla.device()"]
    assert second[0] == "model = torch.nn.Linear(2, 2).to(torch_xla.device())  # the model\n"
    assert second[-2:] == ["    opt.step()\n", "    torch_xla.sync()"]  # appended to the loop in its cell
    assert all(cell["outputs"][0]["text"] == ["ok\n"] and cell["metadata"] == {"tags": ["keep"]} for cell in data["cells"][1:])
    assert data["metadata"]["kernelspec"]["name"] == "python3"


def test_a_notebook_diff_names_the_cells_and_writes_nothing(tmp_path, write):
    original = _notebook(*NOTEBOOK_CELLS, indent=2)
    write("nb.ipynb", original)
    code, out, err = run_tpulint("fix", "--diff", "nb.ipynb", cwd=tmp_path)
    assert code == 1 and (tmp_path / "nb.ipynb").read_text(encoding="utf-8") == original
    assert "--- a/nb.ipynb:cell 2\n+++ b/nb.ipynb:cell 2\n" in out and "--- a/nb.ipynb:cell 3\n" in out
    assert '-device = "cuda"\n+import torch_xla\n+device = torch_xla.device()\n' in out and "No newline" not in out


def test_a_notebook_whose_json_cannot_be_written_back_as_it_was_is_left_alone(tmp_path, write):
    compact = _notebook(*NOTEBOOK_CELLS, indent=None).replace('": ', '":')  # a layout json.dumps never writes
    write("nb.ipynb", compact)
    code, out, err = run_tpulint("fix", "nb.ipynb", cwd=tmp_path)
    assert (tmp_path / "nb.ipynb").read_text(encoding="utf-8") == compact
    assert "nb.ipynb: not fixed: its JSON layout" in err and "Traceback" not in err


def test_an_edit_on_a_line_the_notebook_reader_rewrote_is_not_made(tmp_path, write):
    cells = (["import torch\n", "x = torch.ones(2)\n", '%time y = x.to("cuda")'],)
    write("nb.ipynb", _notebook(*cells))
    code, out, err = run_tpulint("fix", "--diff", "nb.ipynb", cwd=tmp_path)
    assert '%time y = x.to("cuda")' not in out  # the magic line is `pass` to the checkers: never edited


LOOP = ('import torch\nfrom torch.utils.data import DataLoader\n\n'
        'def train(model, data, optimizer):\n'
        '    loader = DataLoader(data, batch_size=8, pin_memory=True,)\n'
        '    for x, y in loader:\n'
        '        loss = model(x.to("cuda")).sum()\n'
        '        loss.backward()\n'
        '        optimizer.step()  # the step\n'
        '    return loss\n')


def _fixed(tmp_path, write, source: str, *options: str) -> str:
    # a new file each time: astroid keeps the first parse of a path for the process
    name = f"train_{len(list(tmp_path.glob('train_*.py')))}.py"
    write(name, source)
    code, out, err = run_tpulint("fix", *options, name, cwd=tmp_path)
    assert code in (0, 1), err
    return (tmp_path / name).read_text(encoding="utf-8")


def test_the_torch_xla_training_loop_recipe(tmp_path, write):
    fixed = _fixed(tmp_path, write, LOOP)
    assert fixed == ('import torch\nfrom torch.utils.data import DataLoader\nimport torch_xla\n\n'
                     'def train(model, data, optimizer):\n'
                     '    loader = DataLoader(data, batch_size=8, drop_last=True,)\n'
                     '    for x, y in loader:\n'
                     '        loss = model(x.to(torch_xla.device())).sum()\n'
                     '        loss.backward()\n'
                     '        optimizer.step()  # the step\n'
                     '        torch_xla.sync()\n'
                     '    return loss\n')


def test_the_same_loop_on_torchtpu_needs_no_barrier(tmp_path, write):
    fixed = _fixed(tmp_path, write, LOOP, "--target", "torchtpu")
    assert "sync" not in fixed and "import torch_xla" not in fixed
    assert '.to(torch.device("tpu"))' in fixed and "drop_last=True" in fixed and "pin_memory=True" in fixed


def test_a_one_line_loop_body_gets_no_inserted_barrier(tmp_path, write):
    source = 'import torch\nmodel = torch.nn.Linear(2, 2).to("cuda")\nfor x in range(3): model(torch.ones(2)).sum().backward()\n'
    fixed = _fixed(tmp_path, write, source)
    assert "torch_xla.sync()" not in fixed and "for x in range(3): model" in fixed


def test_mark_step_becomes_the_barrier_and_nccl_the_targets_group(tmp_path, write):
    source = ('import torch\nimport torch.distributed as dist\nimport torch_xla.core.xla_model as xm\n'
              'dist.init_process_group("nccl")\nxm.mark_step()\n')
    xla = _fixed(tmp_path, write, source)
    assert "torch_xla.sync()\n" in xla and "import torch_xla\n" in xla
    assert 'init_process_group("xla", init_method="xla://")' in xla and "import torch_xla.distributed.xla_backend\n" in xla
    tpu = _fixed(tmp_path, write, source, "--target", "torchtpu")
    assert 'init_process_group("tpu_dist")' in tpu and "xm.mark_step()" not in tpu


def test_a_loop_that_ends_in_a_jump_gets_no_barrier_after_it(tmp_path, write):
    source = LOOP.replace("        optimizer.step()  # the step\n", "        optimizer.step()  # the step\n        continue\n")
    fixed = _fixed(tmp_path, write, source)
    assert "torch_xla.sync()" not in fixed and "        continue\n    return loss\n" in fixed


def test_an_import_after_a_cell_that_ends_the_import_block_goes_in_that_cell(tmp_path, write):
    write("nb.ipynb", _notebook(["import torch"], ["x = torch.ones(2).cuda()"]))
    run_tpulint("fix", "nb.ipynb", cwd=tmp_path)
    cells = [cell["source"] for cell in json.loads((tmp_path / "nb.ipynb").read_text(encoding="utf-8"))["cells"][1:]]
    assert cells == [["import torch\n", "import torch_xla"], ["x = torch.ones(2).to(torch_xla.device())"]]


def test_select_and_ignore_choose_the_fixes_applied(tmp_path, write):
    only_moves = _fixed(tmp_path, write, LOOP, "--select", "cuda-move-method,E7101")
    assert "torch_xla.sync()" not in only_moves and "pin_memory=True" in only_moves
    assert '.to(torch_xla.device())' in only_moves and "import torch_xla\n" in only_moves
    no_barrier = _fixed(tmp_path, write, LOOP, "--ignore", "mark-step", "--ignore", "pin-memory")
    assert "torch_xla.sync()" not in no_barrier and "pin_memory=True" in no_barrier and "drop_last=True" in no_barrier


AMP = ('import torch as T\nfrom torch.cuda.amp import GradScaler\n\n'
       'def train(model, batches, opt):\n'
       '    scaler = GradScaler()\n'
       '    for x in batches:\n'
       '        with T.autocast("cuda", dtype=T.float16):  # mixed precision\n'
       '            loss = model(x).sum()\n'
       '        scaler.scale(loss).backward()\n'
       '        scaler.unscale_(opt)\n'
       '        scaler.step(opt)\n'
       '        scaler.update()\n'
       '        with T.cuda.amp.autocast(enabled=False):\n'
       '            pass\n')


def test_fp16_autocast_and_the_grad_scaler_are_unsafe_fixes(tmp_path, write):
    assert "GradScaler()" in _fixed(tmp_path, write, AMP) and 'autocast("cuda"' in _fixed(tmp_path, write, AMP)
    fixed = _fixed(tmp_path, write, AMP, "--unsafe-fixes")
    assert '        with T.autocast("xla", dtype=T.bfloat16):  # mixed precision\n' in fixed
    assert "scaler" not in fixed and "        loss.backward()\n        opt.step()\n" in fixed
    assert '        with T.autocast("xla", enabled=False):\n' in fixed


def test_torchtpu_autocast_gets_bf16_and_a_disabled_region_keeps_no_dtype(tmp_path, write):
    fixed = _fixed(tmp_path, write, AMP, "--unsafe-fixes", "--target", "torchtpu")
    assert 'T.autocast("tpu", dtype=T.bfloat16)' in fixed and 'T.autocast("tpu", enabled=False)' in fixed


def test_a_scaler_used_in_other_ways_is_left_to_a_person(tmp_path, write):
    source = AMP.replace("        scaler.update()\n", "        scaler.update()\n        print(scaler.get_scale())\n")
    fixed = _fixed(tmp_path, write, source, "--unsafe-fixes")
    assert "scaler = GradScaler()" in fixed and "scaler.scale(loss).backward()" in fixed


def test_torch_cuda_calls_with_a_counterpart_are_rewritten(tmp_path, write):
    source = ('import torch\n\ntorch.cuda.manual_seed_all(0)\ntorch.cuda.set_device(0)\n'
              'x = torch.ones(2, device="cuda")\ntorch.cuda.synchronize()\ntorch.cuda.empty_cache()\n')
    xla = _fixed(tmp_path, write, source)
    assert "torch_xla.manual_seed(0)\n" in xla and "set_device" not in xla and "empty_cache" not in xla
    # sync(wait=True) returns before the graph has run (rules/evidence): the barrier, then the wait
    assert "torch_xla.sync()\nxm.wait_device_ops()\n" in xla and "import torch_xla.core.xla_model as xm\n" in xla
    tpu = _fixed(tmp_path, write, source, "--target", "torchtpu")
    assert "torch.manual_seed(0)\n" in tpu and "torch.accelerator.synchronize()\n" in tpu
    assert "torch.accelerator.empty_cache()\n" in tpu and "set_device" not in tpu


def test_torch_xla_code_moves_to_torchtpu_in_two_passes(tmp_path, write):
    source = ('import torch\nimport torch_xla.core.xla_model as xm\n\n'
              'model = torch.nn.Linear(2, 2).to(xm.xla_device())\n'
              'for step in range(3):\n    model(torch.ones(2, 2)).sum().backward()\n    xm.optimizer_step(opt)\n    xm.mark_step()\n')
    fixed = _fixed(tmp_path, write, source, "--target", "torchtpu")
    assert fixed == ('import torch\n\nmodel = torch.nn.Linear(2, 2).to(torch.device("tpu"))\n'
                     'for step in range(3):\n    model(torch.ones(2, 2)).sum().backward()\n    opt.step()\n')


DISTRIBUTED = ('import torch\nimport torch.distributed as dist\nimport torch.multiprocessing as mp\n'
               'from torch.nn.parallel import DistributedDataParallel as DDP\n\n\n'
               'def run(rank, world_size):\n'
               '    dist.init_process_group(backend="nccl", rank=rank, world_size=world_size)\n'
               '    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")\n'
               '    model = DDP(torch.nn.Linear(2, 2).to(device), device_ids=[rank], find_unused_parameters=True)\n'
               '    if torch.cuda.is_available():\n        other = "cuda"\n    else:\n        other = "cpu"\n'
               '    return model(torch.ones(2, 2, device=other))\n\n\n'
               'if __name__ == "__main__":\n'
               '    mp.spawn(run, args=(2,), nprocs=torch.cuda.device_count(), join=True)\n')


def test_the_distributed_recipe_on_torch_xla(tmp_path, write):
    fixed = _fixed(tmp_path, write, DISTRIBUTED)
    assert 'dist.init_process_group(backend="xla", rank=rank, world_size=world_size, init_method="xla://")\n' in fixed
    assert "import torch_xla.distributed.xla_backend\n" in fixed and fixed.count("import torch_xla\n") == 1
    assert "    device = torch_xla.device()\n" in fixed and "    other = torch_xla.device()\n" in fixed
    assert "DDP(torch.nn.Linear(2, 2).to(device), find_unused_parameters=True)" in fixed
    assert "    torch_xla.launch(run, args=(2,))\n" in fixed


def test_the_distributed_recipe_on_torchtpu(tmp_path, write):
    fixed = _fixed(tmp_path, write, DISTRIBUTED, "--target", "torchtpu")
    assert 'init_process_group(backend="tpu_dist", rank=rank, world_size=world_size)\n' in fixed
    assert '    device = torch.device("tpu")\n' in fixed and "mp.spawn(run" in fixed and "torch_xla" not in fixed


def test_what_is_not_mechanical_keeps_a_persons_edit(tmp_path, write):
    source = ('import torch\nimport torch.distributed as dist\nimport torch.multiprocessing as mp\n'
              'backend = "nccl"\ndist.init_process_group(backend, init_method="env://")\n'
              'device = "cuda" if torch.cuda.is_available() else "cpu"\n'
              'with torch.autocast(device_type=device):\n    x = torch.ones(2, device=device)\n'
              'mp.spawn(print, (), 2)\n')
    fixed = _fixed(tmp_path, write, source)
    assert 'backend = "nccl"' in fixed  # a bound name: the call's rendezvous is a person's choice
    assert 'device = "cuda" if torch.cuda.is_available() else "cpu"' in fixed  # a device and a device type
    assert "mp.spawn(print, (), 2)" in fixed  # nprocs given by position


def test_a_launcher_keeps_mp_spawn_unless_it_starts_a_process_per_gpu_from_device_free_code(tmp_path, write):
    source = ('import torch\nimport torch.multiprocessing as mp\n\n'
              'def main():\n    mp.spawn(print, args=(), nprocs=4)\n\n'
              'def per_gpu():\n    n = torch.cuda.device_count()\n    mp.spawn(print, args=(), nprocs=n)\n\n'
              'def after_device():\n    torch.ones(2).to("cuda")\n    mp.spawn(print, args=(), nprocs=torch.cuda.device_count())\n')
    fixed = _fixed(tmp_path, write, source)
    assert "mp.spawn(print, args=(), nprocs=4)" in fixed  # a fixed count (an RPC program's roles)
    assert "    torch_xla.launch(print, args=())\n" in fixed and fixed.count("torch_xla.launch") == 1
    assert "mp.spawn(print, args=(), nprocs=torch.cuda.device_count())" in fixed  # the runtime starts first


def test_the_readme_shows_todays_fix_of_the_examples():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("$ tpulint fix --diff docs/examples/\n", 1)[1].split("```", 1)[0]
    shown = block[block.index("--- a/docs/examples/train_ddp.py"):]
    code, out, err = run_tpulint("fix", "--diff", "docs/examples/", cwd=REPO)
    assert out[out.index("--- a/docs/examples/train_ddp.py"):] == shown


def test_cuda_switches_and_nvtx_markers_are_deleted(tmp_path, write):
    source = ('import torch\n\ntorch.backends.cudnn.benchmark = True\ntorch.backends.cuda.matmul.allow_tf32 = True\n'
              'torch.set_float32_matmul_precision("high")\nflag = torch.backends.cudnn.enabled\n'
              'torch.cuda.nvtx.range_push("step")\nx = torch.ones(2)\ntorch.cuda.nvtx.range_pop()\n')
    fixed = _fixed(tmp_path, write, source)
    assert fixed == "import torch\n\nflag = torch.backends.cudnn.enabled\nx = torch.ones(2)\n"


def test_the_idiom_behind_an_opt_in_flag_is_a_persons_choice(tmp_path, write):
    source = ('import argparse\nimport torch\nargs = argparse.ArgumentParser().parse_args()\n'
              'use_accel = args.accel and torch.accelerator.is_available()\n'
              'device = torch.accelerator.current_accelerator() if use_accel else torch.device("cpu")\n'
              'keep = not args.no_accel and torch.accelerator.is_available()\n'
              'other = torch.device("cuda") if keep else torch.device("cpu")\n')
    fixed = _fixed(tmp_path, write, source)
    assert 'device = torch.accelerator.current_accelerator() if use_accel else torch.device("cpu")' in fixed
    assert "other = torch_xla.device()\n" in fixed


def test_device_uses_decide_the_edit_map_location_and_f_strings(tmp_path, write):
    source = ('import torch\nimport torch.distributed as dist\n\n'
              'acc = torch.accelerator.current_accelerator()\ndevice = torch.device(f"{acc}:{0}")\n'
              'model = torch.nn.Linear(2, 2)\nmodel.load_state_dict(torch.load("w.pt", map_location="cuda"))\n'
              'where = "cuda"\nstate = torch.load("w.pt", map_location=where)\n'
              'backend = dist.get_default_backend_for_device(torch.accelerator.current_accelerator())\n')
    fixed = _fixed(tmp_path, write, source)
    assert 'acc = "xla"\n' in fixed  # only formatted into a device string
    assert 'torch.load("w.pt", map_location="cpu")' in fixed and 'where = "cuda"' in fixed
    assert "get_default_backend_for_device(torch_xla.device())" in fixed and "import torch_xla.distributed.xla_backend\n" in fixed


def test_a_module_that_places_nothing_gets_no_barrier(tmp_path, write):
    source = ('import torch\n\nmodel = torch.nn.Linear(2, 2)\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\n'
              'for step in range(3):\n    model(torch.ones(2, 2)).sum().backward()\n    opt.step()\n')
    assert "torch_xla.sync()" not in _fixed(tmp_path, write, source)


def test_a_device_that_places_and_loads_gets_cpu_where_torch_load_reads_it(tmp_path, write):
    source = ('import torch\ndevice = "cuda"\nmodel = torch.nn.Linear(2, 2).to(device)\n'
              'checkpoint = torch.load("ckpt.pt", map_location=device)\nmodel.load_state_dict(checkpoint["model"])\n')
    fixed = _fixed(tmp_path, write, source)
    assert "device = torch_xla.device()\n" in fixed and 'torch.load("ckpt.pt", map_location="cpu")' in fixed


def test_an_import_alone_is_added_only_where_the_file_uses_it(tmp_path, write):
    cpu_only = ('import torch\n\nmodel = torch.nn.Linear(2, 2)\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\n'
                'for step in range(3):\n    model(torch.ones(2, 2)).sum().backward()\n    opt.step()\n')
    assert "import torch_xla" not in _fixed(tmp_path, write, cpu_only)


def test_rpc_programs_and_second_devices_are_reported_but_not_edited(tmp_path, write):
    rpc = ('import torch\nimport torch.distributed.rpc as rpc\n\n'
           'model = torch.nn.Linear(2, 2).cuda()\nfor step in range(3):\n    model(torch.ones(2, 2).cuda()).sum().backward()\n')
    assert _fixed(tmp_path, write, rpc) == rpc
    shards = 'import torch\nfirst = torch.nn.Linear(2, 2).to("cuda:0")\nsecond = torch.nn.Linear(2, 2).to("cuda:1")\n'
    fixed = _fixed(tmp_path, write, shards)
    assert 'to("cuda:1")' in fixed and 'first = torch.nn.Linear(2, 2).to(torch_xla.device())' in fixed


def test_memory_counters_read_the_targets_memory_info(tmp_path, write):
    source = 'import torch\nprint(torch.cuda.max_memory_allocated() / 2**20, torch.cuda.memory_allocated(0))\n'
    xla = _fixed(tmp_path, write, source)
    assert 'xm.get_memory_info()["peak_bytes_used"] / 2**20' in xla and "import torch_xla.core.xla_model as xm\n" in xla
    assert "torch.cuda.memory_allocated(0)" in xla  # a device argument: which device is a person's call
    tpu = _fixed(tmp_path, write, source, "--target", "torchtpu")
    assert "torch.accelerator.max_memory_allocated() / 2**20, torch.accelerator.memory_allocated(0)" in tpu
    in_f_string = 'import torch\nprint(f"memory {torch.cuda.max_memory_allocated() / 2**20:.0f} MiB")\n'
    assert _fixed(tmp_path, write, in_f_string) == in_f_string  # its quotes would close the f-string


def test_a_fix_that_would_break_the_file_is_left_out_and_the_others_made(tmp_path, write, monkeypatch):
    import tpulint.fix_run

    original = tpulint.fix_run._apply_findings

    def breaking(path, text, findings):  # the drop_last fix stands for one whose edit does not parse
        if any(finding.rule.symbol == "unpadded-input" for finding in findings):
            raise tpulint.fix_run.FixError("the fixed text does not parse: invalid syntax (line 5)")
        return original(path, text, findings)

    monkeypatch.setattr(tpulint.fix_run, "_apply_findings", breaking)
    write("loop.py", LOOP)
    code, out, err = run_tpulint("fix", "loop.py", cwd=tmp_path)
    fixed = (tmp_path / "loop.py").read_text(encoding="utf-8")
    assert "drop_last" not in fixed and "torch_xla.sync()" in fixed and ".to(torch_xla.device())" in fixed
    assert "loop.py:5: unpadded-input not fixed: the fixed text does not parse" in err


def test_the_idiom_used_as_map_location_loads_to_the_cpu(tmp_path, write):
    source = ('import torch\ndevice = "cuda" if torch.cuda.is_available() else "cpu"\n'
              'model = torch.nn.Linear(2, 2).to(device)\nstate = torch.load("w.pt", map_location=device)\n')
    fixed = _fixed(tmp_path, write, source)
    assert "device = torch_xla.device()\n" in fixed and 'torch.load("w.pt", map_location="cpu")' in fixed
    only_loaded = 'import torch\nwhere = "cuda" if torch.cuda.is_available() else "cpu"\nstate = torch.load("w.pt", map_location=where)\n'
    assert _fixed(tmp_path, write, only_loaded) == only_loaded


def test_autocast_spelt_from_a_bare_name_or_another_module_is_left_to_a_person(tmp_path, write):
    source = ('import torch\nimport torch as T\nfrom torch.cuda.amp import autocast\nfrom torch.cuda import amp\n'
              'with autocast(enabled=True):\n    pass\nwith amp.autocast():\n    pass\nwith T.cuda.amp.autocast():\n    pass\n')
    fixed = _fixed(tmp_path, write, source, "--unsafe-fixes")
    assert "with autocast(enabled=True):" in fixed and "with amp.autocast():" in fixed
    assert 'with T.autocast("xla"):' in fixed
