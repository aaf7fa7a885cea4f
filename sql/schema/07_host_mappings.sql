-- Host mappings get the company the calendar host works for. The contract has
-- no tenant column on calcom_host_mappings; without one, a mapping whose staff
-- moved to another company could no longer be told apart from a mapping of
-- that other company. Nullable: legacy rows keep NULL and are read as "the
-- staff's company" (staff_tenant_isolation fills it on every new or changed row).
ALTER TABLE public.calcom_host_mappings
    ADD COLUMN IF NOT EXISTS company_id bigint;

COMMENT ON COLUMN public.calcom_host_mappings.company_id IS
    'dbguard: company the calendar host belongs to; staff_id must be staff of this company (rule staff_tenant_isolation). NULL on legacy rows = the staff''s company.';

-- Who acted, beyond the user id: the acting setting dbguard.actor (admin_user,
-- cal.com_webhook, ...) and the database role of the session, so that a change
-- made without any acting setting is still attributable.
ALTER TABLE public.calcom_host_mapping_audits
    ADD COLUMN IF NOT EXISTS actor    text,
    ADD COLUMN IF NOT EXISTS db_user  text;
