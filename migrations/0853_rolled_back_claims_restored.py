"""A booking claim that booking_confirmed_requires_appointment took back in correct mode is restored, with its review entry and alerts resolved, when the call's appointment arrives in a later transaction (two-phase imports)."""
from dbguard import steps

step(*steps.functions("restore_rolled_back_claim"))
step(*steps.rule("appointment_link_sync", 7))
