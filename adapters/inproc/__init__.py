"""An in-process adapter: drives the real engine from tests and scripts, no network.

Push an event as a person, read what the bot answered and what it posted to channels and
DMs. It implements `PlatformPort` with a small fake directory (people and channels) and can
inject the platform failures the core must survive.
"""

from adapters.inproc.harness import Harness, ManualClock, Seen
from adapters.inproc.port import InProcPort

__all__ = ["Harness", "InProcPort", "ManualClock", "Seen"]
