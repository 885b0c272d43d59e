"""Signals: how a module tells modules to its left that something happened.

Dependencies point one way (insights -> rota -> bank -> passport -> app). When a lower module
must make a higher one react, it sends one of these blinker signals and the higher module
subscribes in its package `__init__`. Each signal names its sender and keyword arguments.
"""

from blinker import Namespace

_signals = Namespace()

#: Sent by `flask demo load` after the core demo ICS is made, so that each domain can add its
#: own demo data. Sender: the demo generator's `DemoICS`; kwargs: `rng` (random.Random), `now`.
demo_core_loaded = _signals.signal("demo-core-loaded")

#: Sent by the passport when a credential reaches its expiry date (the daily expiry job), so
#: that the bank can flag the worker's future bookings. Sender: the `Credential`; kwargs:
#: `worker_id`, `type_code`, `expired_on` (date), `now` (aware datetime).
credential_expired = _signals.signal("credential-expired")
