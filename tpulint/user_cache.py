"""tpulint's per-user cache folder, outside every scanned tree: `$XDG_CACHE_HOME/tpulint`, else
`~/.cache/tpulint`. It holds the machine secret of the project view's cache (tpulint.view) and
the parsed rule tables (tpulint.catalog: parsing rules/ops' TOML took about 0.3 s of every run).

Nothing here raises: a folder that cannot be read or written means nothing is kept.
"""

from __future__ import annotations

import marshal
import os
import threading
from pathlib import Path


def folder() -> Path:
    """The folder (not created here)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "tpulint"


def read(name: str) -> object | None:
    """What write(name, ...) kept (plain dicts, lists, tuples, strings, numbers), or None."""
    try:
        return marshal.loads((folder() / f"{name}.bin").read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None


def write(name: str, value: object, replaces: str | None = None) -> None:
    """Keep value under name (atomically: a reader never sees half a file), and remove the other
    entries whose name starts with `replaces` (an earlier version of the same thing). A value
    marshal cannot hold (a TOML date) is not kept."""
    try:
        payload = marshal.dumps(value)
        place = folder()
        place.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomically(place / f"{name}.bin", payload)
        for stale in place.glob(f"{replaces}*.bin") if replaces else ():
            if stale.name != f"{name}.bin":
                stale.unlink(missing_ok=True)
    except (OSError, ValueError):
        pass


def write_atomically(target: Path, payload: bytes) -> None:
    """Write payload to target through a file of this process and thread, renamed over target: a
    reader (another run, another job) never sees half a file. Raises OSError."""
    temporary = target.with_name(f"{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    temporary.write_bytes(payload)
    os.replace(temporary, target)
