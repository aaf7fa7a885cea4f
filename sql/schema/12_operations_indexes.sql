-- transactional: false
-- Indexes the detection rules and audit views rely on, built CONCURRENTLY.
-- orphaned_appointment / *_without_appointment look appointments up by
-- external_id; lead_rollup_drift and `check --since` window leads by created_at.

SELECT dbguard.drop_invalid_index('public.dbguard_appointments_external_id_idx');
CREATE INDEX CONCURRENTLY IF NOT EXISTS dbguard_appointments_external_id_idx ON public.appointments (external_id);
SELECT dbguard.drop_invalid_index('public.dbguard_leads_created_at_idx');
CREATE INDEX CONCURRENTLY IF NOT EXISTS dbguard_leads_created_at_idx ON public.leads (created_at);
-- reconcile queues offenders without a call (e.g. cross_tenant_staff) once:
-- it looks the pending entry up by reason and entity.
SELECT dbguard.drop_invalid_index('dbguard.manual_review_queue_entity_idx');
CREATE INDEX CONCURRENTLY IF NOT EXISTS manual_review_queue_entity_idx
    ON dbguard.manual_review_queue (reason, (context->>'entity_type'), (context->>'entity_id'))
    WHERE status = 'pending' AND call_id IS NULL;
