-- Issue 7: a new appointment's status_changed_at comes from a column default,
-- the value rule cancellation_metadata wrote on insert (its v3 insert trigger
-- fires only for cancellations). SET DEFAULT changes the catalog only: no table
-- is rewritten and existing rows keep their values.
ALTER TABLE public.appointments ALTER COLUMN status_changed_at SET DEFAULT now();
