"""A call's booking claim is skipped by the commit-time check only when an appointment exists for the call, never because of the dbguard.linking_call marker alone."""
from dbguard import steps

step(*steps.rule("booking_confirmed_requires_appointment", 6))
