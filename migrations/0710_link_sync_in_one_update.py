"""A new appointment links its call with one UPDATE instead of reading the call and its newest appointment into variables first (issue 7)."""
from dbguard import steps

step(*steps.rule("appointment_link_sync", 6))
