"""Local emulator of the hlrlookups, smspartner and affiliate provider APIs, for tests and benchmarks.

from tests.emulator import Emulator, HLR_KEY, HLR_SECRET, SMSP_KEY, AFF_KEY

with Emulator(latency=0.0) as emu:
    env = emu.env()  # credentials and base URLs for the CLI
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
from .server import PREFIXES, PROVIDERS, Charge, Emulator, RequestRecord

__all__ = [
    "AFF_KEY",
    "HLR_KEY",
    "HLR_OLD_SECRET",
    "HLR_SECRET",
    "PREFIXES",
    "PROVIDERS",
    "SMSP_KEY",
    "Charge",
    "Delivery",
    "Emulator",
    "RequestRecord",
    "digest_signature",
    "expected_ported",
    "expected_roaming",
    "expected_status",
    "php_json",
    "webhook_signature",
]
