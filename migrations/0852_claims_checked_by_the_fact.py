"""A call's booking claim is skipped by the commit-time check only when an appointment exists for the call, never because of the dbguard.linking_call marker alone; calls.appointment_id gets a foreign key to appointments."""
from dbguard import steps

step(*steps.schema("0852_calls_appointment_fk"))
step(*steps.rule("booking_confirmed_requires_appointment", 6))
