-- transactional: false
DROP INDEX CONCURRENTLY IF EXISTS dbguard.manual_review_queue_entity_idx;
DROP INDEX CONCURRENTLY IF EXISTS public.dbguard_appointments_external_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS public.dbguard_leads_created_at_idx;
