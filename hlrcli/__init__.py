"""hlrcli: phone-number verification (HLR, MNP, NT) from the command line, and from Python.

    import hlrcli
    with hlrcli.Client() as client:
        print(client.nt(["+14156226819"])[0].number_type)

`Client`, `run_batch` and `job_results` are documented in `hlrcli.api`; the result types in `hlrcli.models`;
failures raise `hlrcli.errors.HlrcliError` subclasses. They load on first use, so `import hlrcli` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"
__all__ = ["Client", "HlrcliError", "__version__", "job_results", "run_batch"]

if TYPE_CHECKING:
    from hlrcli.api import Client, job_results, run_batch
    from hlrcli.errors import HlrcliError


def __getattr__(name: str) -> Any:
    if name in ("Client", "run_batch", "job_results"):
        from hlrcli import api

        return getattr(api, name)
    if name == "HlrcliError":
        from hlrcli.errors import HlrcliError

        return HlrcliError
    raise AttributeError(f"module 'hlrcli' has no attribute {name!r}")
