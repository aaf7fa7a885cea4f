"""Rule booking_confirmed_requires_appointment, version 1 (deferred, checked at commit)."""
from dbguard import steps

step(*steps.rule("booking_confirmed_requires_appointment", 1))
