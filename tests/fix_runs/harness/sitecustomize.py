"""Loaded by every Python process of a fix run (PYTHONPATH), including the processes
torch_xla.launch starts: when TPULINT_FIX_RUN_REPORT names a folder, it wraps torch_xla.sync so
that after each barrier the process writes its counts to <folder>/<pid>.json: the CompileTime
count after each barrier, the aten:: counters (CPU fallbacks) and the TransferFromDeviceTime
count (host syncs), from torch_xla.debug.metrics. A process that exits normally writes once more.
"""

import os

_FOLDER = os.environ.get("TPULINT_FIX_RUN_REPORT")

if _FOLDER:
    import atexit
    import json

    import torch_xla
    import torch_xla.debug.metrics as met

    _record = {"compiles": [], "fallbacks": [], "transfers": 0}
    _barrier = torch_xla.sync

    def _count(metric):
        data = met.metric_data(metric)
        return data[0] if data else 0

    def _write(after_barrier):
        if after_barrier:
            _record["compiles"].append(_count("CompileTime"))
        _record["final_compiles"] = _count("CompileTime")
        _record["fallbacks"] = sorted(name for name in met.counter_names() if name.startswith("aten::"))
        _record["transfers"] = _count("TransferFromDeviceTime")
        with open(os.path.join(_FOLDER, f"{os.getpid()}.json"), "w", encoding="utf-8") as handle:
            json.dump(_record, handle)

    def _recorded_sync(*args, **kwargs):
        result = _barrier(*args, **kwargs)
        _write(after_barrier=True)
        return result

    torch_xla.sync = _recorded_sync
    atexit.register(_write, after_barrier=False)
