-- Columns dbguard added are left in place (see docs/migrations.md, "Rollback"):
-- dropping them could lose tenant and audit data written since. Drop them by
-- hand if you want them gone:
--   ALTER TABLE public.calcom_host_mappings DROP COLUMN company_id;
--   ALTER TABLE public.calcom_host_mapping_audits DROP COLUMN actor, DROP COLUMN db_user;
SELECT 1;
