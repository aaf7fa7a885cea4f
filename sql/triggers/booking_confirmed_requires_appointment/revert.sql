-- Removes every version of booking_confirmed_requires_appointment.
DROP TRIGGER IF EXISTS dbguard_900_booking_confirmed_requires_appointment ON public.calls;
DROP TRIGGER IF EXISTS dbguard_900_booking_confirmed_requires_appointment ON public.appointments;
DROP FUNCTION IF EXISTS dbguard.tg_calls__booking_requires_appointment();
SELECT dbguard.unregister_rule('booking_confirmed_requires_appointment');
