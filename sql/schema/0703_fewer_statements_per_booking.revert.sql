ALTER TABLE public.appointments ALTER COLUMN status_changed_at DROP DEFAULT;
