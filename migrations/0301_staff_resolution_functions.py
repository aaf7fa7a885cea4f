"""resolve_staff_for_host and assign_staff_from_booking (DESIGN.md §2), with their helpers."""
from dbguard import steps

step(*steps.functions("calcom_host_fields", "active_host_mapping", "resolve_staff_for_host",
                      "assign_staff_from_booking"))
