DROP INDEX CONCURRENTLY IF EXISTS public.dbguard_calls_appointment_id_idx;
