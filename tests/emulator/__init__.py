"""Local emulator of the hlrlookups, smspartner and affiliate provider APIs, for tests and benchmarks.

from tests.emulator import Emulator, HLR_KEY, HLR_SECRET, SMSP_KEY, AFF_KEY

with Emulator(latency=0.0) as emu:
    env = emu.env()  # credentials and base URLs for the CLI
    emu.inject_broken("truncated", path="/hlr-lookup")  # processed and charged, then the answer cut short
    emu.charges, emu.requests, emu.deliveries, emu.foreign_requests  # what happened

Faults and their order of events: see server.py's docstring.
"""

from .common import (
    AFF_KEY,
    HLR_KEY,
    HLR_OLD_SECRET,
    HLR_SECRET,
    SMSP_KEY,
    digest_signature,
    php_json,
    webhook_signature,
)
from .data import expected_ported, expected_roaming, expected_status
from .delivery import Delivery
from .server import (
    BILLED_PATHS,
    BROKEN_KINDS,
    PREFIXES,
    PROVIDERS,
    Charge,
    Emulator,
    ForeignRequest,
    RequestRecord,
)

__all__ = [
    "AFF_KEY",
    "BILLED_PATHS",
    "BROKEN_KINDS",
    "HLR_KEY",
    "HLR_OLD_SECRET",
    "HLR_SECRET",
    "PREFIXES",
    "PROVIDERS",
    "SMSP_KEY",
    "Charge",
    "Delivery",
    "Emulator",
    "ForeignRequest",
    "RequestRecord",
    "digest_signature",
    "expected_ported",
    "expected_roaming",
    "expected_status",
    "php_json",
    "webhook_signature",
]
