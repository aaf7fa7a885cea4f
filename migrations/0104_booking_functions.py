"""dbguard.validate_appointment_creation and dbguard.rollback_booking_flags."""
from dbguard import steps

step(*steps.functions("validate_appointment_creation", "rollback_booking_flags"))
