"""Every rule trigger function refuses to run as the trigger of a table it was not written for (a second line behind the revoked EXECUTE): call_direction_default, reschedule_metadata and host_staff_assignment get new versions."""
from dbguard import steps

step(*steps.rule("call_direction_default", 6))
step(*steps.rule("reschedule_metadata", 4))
step(*steps.rule("host_staff_assignment", 2))
