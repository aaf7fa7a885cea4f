-- The booking domain of DESIGN.md §1.1, brownfield first: every table is
-- created only if missing and every column added only if missing, so applying
-- this onto a live database adds what is missing and touches no existing row.
-- No added column has a volatile default (now() is stable: the default is
-- stored in the catalog, the table is not rewritten).

DO $$
DECLARE
    v_table text;
BEGIN
    FOREACH v_table IN ARRAY ARRAY['companies', 'branches', 'users', 'customers', 'staff', 'services',
                                   'leads', 'calls', 'appointments', 'calcom_host_mappings',
                                   'calcom_host_mapping_audits', 'appointment_events'] LOOP
        IF pg_catalog.to_regclass('public.' || v_table) IS NULL THEN
            INSERT INTO dbguard.owned_tables (table_name, migration)
            VALUES ('public.' || v_table, '0001_baseline') ON CONFLICT DO NOTHING;
        ELSIF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                           WHERE a.attrelid = ('public.' || v_table)::regclass
                             AND a.attname = 'id' AND NOT a.attisdropped) THEN
            RAISE EXCEPTION 'dbguard: existing table public.% has no id column', v_table
                USING HINT = 'dbguard keys every domain table by id; add one (e.g. ALTER TABLE public.'
                             || v_table || ' ADD COLUMN id bigserial PRIMARY KEY) and migrate again.';
        END IF;
    END LOOP;
END
$$;

CREATE TABLE IF NOT EXISTS public.companies (id bigserial PRIMARY KEY);
ALTER TABLE public.companies
    ADD COLUMN IF NOT EXISTS name        text,
    ADD COLUMN IF NOT EXISTS created_at  timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN IF NOT EXISTS updated_at  timestamptz NOT NULL DEFAULT now();

CREATE TABLE IF NOT EXISTS public.branches (id uuid PRIMARY KEY DEFAULT gen_random_uuid());
ALTER TABLE public.branches
    ADD COLUMN IF NOT EXISTS company_id  bigint,
    ADD COLUMN IF NOT EXISTS name        text,
    ADD COLUMN IF NOT EXISTS created_at  timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN IF NOT EXISTS updated_at  timestamptz NOT NULL DEFAULT now();

CREATE TABLE IF NOT EXISTS public.users (id bigserial PRIMARY KEY);
ALTER TABLE public.users
    ADD COLUMN IF NOT EXISTS company_id  bigint,
    ADD COLUMN IF NOT EXISTS name        text,
    ADD COLUMN IF NOT EXISTS email       text,
    ADD COLUMN IF NOT EXISTS created_at  timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN IF NOT EXISTS updated_at  timestamptz NOT NULL DEFAULT now();

CREATE TABLE IF NOT EXISTS public.customers (id bigserial PRIMARY KEY);
ALTER TABLE public.customers
    ADD COLUMN IF NOT EXISTS company_id  bigint,
    ADD COLUMN IF NOT EXISTS name        text,
    ADD COLUMN IF NOT EXISTS email       text,
    ADD COLUMN IF NOT EXISTS phone       text,
    ADD COLUMN IF NOT EXISTS created_at  timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN IF NOT EXISTS updated_at  timestamptz NOT NULL DEFAULT now();

CREATE TABLE IF NOT EXISTS public.staff (id uuid PRIMARY KEY DEFAULT gen_random_uuid());
ALTER TABLE public.staff
    ADD COLUMN IF NOT EXISTS company_id  bigint,
    ADD COLUMN IF NOT EXISTS branch_id   uuid,
    ADD COLUMN IF NOT EXISTS name        text,
    ADD COLUMN IF NOT EXISTS email       text,
    ADD COLUMN IF NOT EXISTS is_active   boolean NOT NULL DEFAULT true,
    ADD COLUMN IF NOT EXISTS created_at  timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN IF NOT EXISTS updated_at  timestamptz NOT NULL DEFAULT now();

CREATE TABLE IF NOT EXISTS public.services (id bigserial PRIMARY KEY);
ALTER TABLE public.services
    ADD COLUMN IF NOT EXISTS company_id            bigint,
    ADD COLUMN IF NOT EXISTS branch_id             uuid,
    ADD COLUMN IF NOT EXISTS name                  text,
    ADD COLUMN IF NOT EXISTS duration_minutes      integer,
    ADD COLUMN IF NOT EXISTS calcom_event_type_id  bigint,
    ADD COLUMN IF NOT EXISTS created_at            timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN IF NOT EXISTS updated_at            timestamptz NOT NULL DEFAULT now();

CREATE TABLE IF NOT EXISTS public.leads (id bigserial PRIMARY KEY);
ALTER TABLE public.leads
    ADD COLUMN IF NOT EXISTS company_id                   bigint,
    ADD COLUMN IF NOT EXISTS customer_id                  bigint,
    ADD COLUMN IF NOT EXISTS name                         text,
    ADD COLUMN IF NOT EXISTS email                        text,
    ADD COLUMN IF NOT EXISTS phone                        text,
    ADD COLUMN IF NOT EXISTS appointment_id               bigint,
    ADD COLUMN IF NOT EXISTS appointment_start_at         timestamptz,
    ADD COLUMN IF NOT EXISTS appointment_end_at           timestamptz,
    ADD COLUMN IF NOT EXISTS appointment_status           text,
    ADD COLUMN IF NOT EXISTS appointment_canceled_at      timestamptz,
    ADD COLUMN IF NOT EXISTS appointment_provider         text,
    ADD COLUMN IF NOT EXISTS appointment_source           text,
    ADD COLUMN IF NOT EXISTS appointment_last_checked_at  timestamptz,
    ADD COLUMN IF NOT EXISTS created_at                   timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN IF NOT EXISTS updated_at                   timestamptz NOT NULL DEFAULT now();

CREATE TABLE IF NOT EXISTS public.calls (id bigserial PRIMARY KEY);
ALTER TABLE public.calls
    ADD COLUMN IF NOT EXISTS company_id                bigint,
    ADD COLUMN IF NOT EXISTS branch_id                 uuid,
    ADD COLUMN IF NOT EXISTS customer_id               bigint,
    ADD COLUMN IF NOT EXISTS retell_call_id            text,
    ADD COLUMN IF NOT EXISTS direction                 text,
    ADD COLUMN IF NOT EXISTS call_type                 text,
    ADD COLUMN IF NOT EXISTS session_outcome           text,
    ADD COLUMN IF NOT EXISTS appointment_made          boolean NOT NULL DEFAULT false,
    ADD COLUMN IF NOT EXISTS booking_confirmed         boolean NOT NULL DEFAULT false,
    ADD COLUMN IF NOT EXISTS call_successful           boolean,
    ADD COLUMN IF NOT EXISTS booking_id                text,
    ADD COLUMN IF NOT EXISTS booking_details           jsonb,
    ADD COLUMN IF NOT EXISTS appointment_id            bigint,
    ADD COLUMN IF NOT EXISTS appointment_link_status   text,
    ADD COLUMN IF NOT EXISTS appointment_linked_at     timestamptz,
    ADD COLUMN IF NOT EXISTS customer_link_status      text,
    ADD COLUMN IF NOT EXISTS customer_linked_at        timestamptz,
    ADD COLUMN IF NOT EXISTS customer_link_method      text,
    ADD COLUMN IF NOT EXISTS customer_link_confidence  numeric(5,2),
    ADD COLUMN IF NOT EXISTS created_at                timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN IF NOT EXISTS updated_at                timestamptz NOT NULL DEFAULT now();

CREATE TABLE IF NOT EXISTS public.appointments (id bigserial PRIMARY KEY);
ALTER TABLE public.appointments
    ADD COLUMN IF NOT EXISTS company_id                    bigint,
    ADD COLUMN IF NOT EXISTS branch_id                     uuid,
    ADD COLUMN IF NOT EXISTS customer_id                   bigint,
    ADD COLUMN IF NOT EXISTS lead_id                       bigint,
    ADD COLUMN IF NOT EXISTS service_id                    bigint,
    ADD COLUMN IF NOT EXISTS staff_id                      uuid,
    ADD COLUMN IF NOT EXISTS call_id                       bigint,
    ADD COLUMN IF NOT EXISTS starts_at                     timestamptz,
    ADD COLUMN IF NOT EXISTS ends_at                       timestamptz,
    ADD COLUMN IF NOT EXISTS booking_timezone              text,
    ADD COLUMN IF NOT EXISTS status                        text,
    ADD COLUMN IF NOT EXISTS status_changed_at             timestamptz,
    ADD COLUMN IF NOT EXISTS source                        text,
    ADD COLUMN IF NOT EXISTS booking_source                text,
    ADD COLUMN IF NOT EXISTS created_by                    text,
    ADD COLUMN IF NOT EXISTS cancelled_at                  timestamptz,
    ADD COLUMN IF NOT EXISTS cancelled_by                  text,
    ADD COLUMN IF NOT EXISTS cancelled_by_user_id          bigint,
    ADD COLUMN IF NOT EXISTS cancellation_reason           text,
    ADD COLUMN IF NOT EXISTS rescheduled_at                timestamptz,
    ADD COLUMN IF NOT EXISTS rescheduled_by                text,
    ADD COLUMN IF NOT EXISTS rescheduled_by_user_id        bigint,
    ADD COLUMN IF NOT EXISTS rescheduled_from_id           bigint,
    ADD COLUMN IF NOT EXISTS provider                      text,
    ADD COLUMN IF NOT EXISTS calcom_v2_booking_id          text,
    ADD COLUMN IF NOT EXISTS external_id                   text,
    ADD COLUMN IF NOT EXISTS calcom_event_type_id          bigint,
    ADD COLUMN IF NOT EXISTS calcom_host_id                integer,
    ADD COLUMN IF NOT EXISTS ghl_appointment_id            text,
    ADD COLUMN IF NOT EXISTS calendly_invitee_uri          text,
    ADD COLUMN IF NOT EXISTS calendly_scheduled_event_uri  text,
    ADD COLUMN IF NOT EXISTS notes                         text,
    ADD COLUMN IF NOT EXISTS metadata                      jsonb,
    ADD COLUMN IF NOT EXISTS created_at                    timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN IF NOT EXISTS updated_at                    timestamptz NOT NULL DEFAULT now();

CREATE TABLE IF NOT EXISTS public.calcom_host_mappings (id bigserial PRIMARY KEY);
ALTER TABLE public.calcom_host_mappings
    ADD COLUMN IF NOT EXISTS staff_id          uuid,
    ADD COLUMN IF NOT EXISTS calcom_host_id    integer,
    ADD COLUMN IF NOT EXISTS calcom_name       text,
    ADD COLUMN IF NOT EXISTS calcom_email      text,
    ADD COLUMN IF NOT EXISTS calcom_username   text,
    ADD COLUMN IF NOT EXISTS calcom_timezone   text,
    ADD COLUMN IF NOT EXISTS mapping_source    text,
    ADD COLUMN IF NOT EXISTS confidence_score  smallint,
    ADD COLUMN IF NOT EXISTS last_synced_at    timestamptz,
    ADD COLUMN IF NOT EXISTS is_active         boolean NOT NULL DEFAULT true,
    ADD COLUMN IF NOT EXISTS metadata          jsonb,
    ADD COLUMN IF NOT EXISTS created_at        timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN IF NOT EXISTS updated_at        timestamptz NOT NULL DEFAULT now();

-- No foreign key to the mapping: the trail must survive the mapping's deletion.
CREATE TABLE IF NOT EXISTS public.calcom_host_mapping_audits (id bigserial PRIMARY KEY);
ALTER TABLE public.calcom_host_mapping_audits
    ADD COLUMN IF NOT EXISTS mapping_id  bigint,
    ADD COLUMN IF NOT EXISTS action      text,
    ADD COLUMN IF NOT EXISTS old_values  jsonb,
    ADD COLUMN IF NOT EXISTS new_values  jsonb,
    ADD COLUMN IF NOT EXISTS changed_by  bigint,
    ADD COLUMN IF NOT EXISTS changed_at  timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN IF NOT EXISTS reason      text,
    ADD COLUMN IF NOT EXISTS created_at  timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN IF NOT EXISTS updated_at  timestamptz NOT NULL DEFAULT now();

-- No foreign key to the appointment: history outlives a deleted appointment.
CREATE TABLE IF NOT EXISTS public.appointment_events (id bigserial PRIMARY KEY);
ALTER TABLE public.appointment_events
    ADD COLUMN IF NOT EXISTS appointment_id  bigint,
    ADD COLUMN IF NOT EXISTS lead_id         bigint,
    ADD COLUMN IF NOT EXISTS call_id         bigint,
    ADD COLUMN IF NOT EXISTS event           text,
    ADD COLUMN IF NOT EXISTS old_status      text,
    ADD COLUMN IF NOT EXISTS new_status      text,
    ADD COLUMN IF NOT EXISTS old_starts_at   timestamptz,
    ADD COLUMN IF NOT EXISTS new_starts_at   timestamptz,
    ADD COLUMN IF NOT EXISTS actor           text,
    ADD COLUMN IF NOT EXISTS source          text,
    ADD COLUMN IF NOT EXISTS user_id         bigint,
    ADD COLUMN IF NOT EXISTS occurred_at     timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN IF NOT EXISTS details         jsonb,
    ADD COLUMN IF NOT EXISTS created_at      timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN IF NOT EXISTS updated_at      timestamptz NOT NULL DEFAULT now();

-- Defaults for new rows only: SET DEFAULT after ADD COLUMN leaves existing
-- rows NULL ("not known") instead of claiming a status they never had.
ALTER TABLE public.calls
    ALTER COLUMN appointment_link_status SET DEFAULT 'unlinked',
    ALTER COLUMN customer_link_status SET DEFAULT 'unlinked';
ALTER TABLE public.appointments
    ALTER COLUMN status SET DEFAULT 'scheduled';

-- A new call gets its link statuses, and a new appointment its
-- status_changed_at, from column defaults: the values the rules would write,
-- so plain rows fire no PL/pgSQL. SET DEFAULT changes the catalog only: no
-- table is rewritten and existing rows keep their values.
ALTER TABLE public.calls
    ALTER COLUMN customer_link_status SET DEFAULT 'unlinked',
    ALTER COLUMN appointment_link_status SET DEFAULT 'unlinked';
ALTER TABLE public.appointments ALTER COLUMN status_changed_at SET DEFAULT now();
