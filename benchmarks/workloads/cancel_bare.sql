-- Cancel one existing appointment (the application sets only the status).
\set appt random(1, 20000)
BEGIN;
UPDATE public.appointments SET status = 'cancelled' WHERE id = :appt;
END;
