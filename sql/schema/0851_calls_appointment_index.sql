SELECT dbguard.drop_invalid_index('public.dbguard_calls_appointment_id_idx');
CREATE INDEX CONCURRENTLY IF NOT EXISTS dbguard_calls_appointment_id_idx ON public.calls (appointment_id) WHERE appointment_id IS NOT NULL;
