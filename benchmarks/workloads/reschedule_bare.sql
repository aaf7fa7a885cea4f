-- Move one existing appointment by a day (the application sets only the new time).
\set appt random(1, 20000)
BEGIN;
UPDATE public.appointments SET starts_at = starts_at + interval '1 day', ends_at = ends_at + interval '1 day'
 WHERE id = :appt;
END;
