-- The controlled vocabularies of DESIGN.md §1.2. One lookup table: a DBA
-- extends a vocabulary with a plain INSERT, and rules validate with one query.
CREATE TABLE IF NOT EXISTS dbguard.vocabularies (
    vocabulary   text NOT NULL,
    code         text NOT NULL,
    description  text,
    -- appointment_status only: whether an appointment in this status is live.
    is_active    boolean,
    PRIMARY KEY (vocabulary, code)
);

COMMENT ON TABLE dbguard.vocabularies IS
    'Allowed values per vocabulary (booking_source, actor, appointment_status, provider, call_direction, link_status, session_outcome, ...). Extend with INSERT.';

INSERT INTO dbguard.vocabularies (vocabulary, code, description) VALUES
    ('booking_source', 'retell_phone',          'phone AI agent booked during the call'),
    ('booking_source', 'retell_function_call',  'phone AI function call'),
    ('booking_source', 'retell_api',            'Retell API'),
    ('booking_source', 'retell_webhook',        'Retell webhook'),
    ('booking_source', 'cal.com_direct',        'booked directly on Cal.com'),
    ('booking_source', 'cal.com_webhook',       'Cal.com webhook'),
    ('booking_source', 'manual_admin',          'entered by an admin'),
    ('booking_source', 'manual_staff',          'entered by staff'),
    ('booking_source', 'api_external',          'external API client'),
    ('booking_source', 'widget_embed',          'booking widget'),
    ('booking_source', 'calendly_webhook',      'Calendly webhook'),
    ('booking_source', 'ghl_sync',              'GoHighLevel sync'),
    ('booking_source', 'reconcile_cron',        'dbguard reconciliation'),
    ('booking_source', 'backfill',              'dbguard backfill'),
    ('booking_source', 'migration',             'data migration'),
    ('booking_source', 'unknown',               'not known'),
    ('actor', 'retell_ai',         'phone AI agent'),
    ('actor', 'retell_api',        'Retell API'),
    ('actor', 'cal.com_webhook',   'Cal.com webhook'),
    ('actor', 'system_cron',       'scheduled job'),
    ('actor', 'system_migration',  'migration or backfill'),
    ('actor', 'customer_phone',    'customer by phone'),
    ('actor', 'customer_web',      'customer on the web'),
    ('actor', 'admin_user',        'admin user'),
    ('actor', 'staff_user',        'staff user'),
    ('actor', 'anonymous',         'anonymous'),
    ('actor', 'unknown',           'not known'),
    ('actor', 'system',            'the system'),
    ('provider', 'calcom',    'Cal.com'),
    ('provider', 'ghl',       'GoHighLevel'),
    ('provider', 'calendly',  'Calendly'),
    ('provider', 'manual',    'entered by hand'),
    ('call_direction', 'inbound',  'customer called in'),
    ('call_direction', 'outbound', 'we called out'),
    ('link_status', 'unlinked',        'no linked record'),
    ('link_status', 'linked',          'linked'),
    ('link_status', 'creation_failed', 'creating the linked record failed'),
    ('session_outcome', 'appointment_booked',   'an appointment was booked'),
    ('session_outcome', 'creation_failed',      'booking was attempted and failed'),
    ('session_outcome', 'no_appointment',       'call ended without a booking'),
    ('session_outcome', 'information_only',     'caller only wanted information'),
    ('session_outcome', 'callback_requested',   'caller asked for a callback'),
    ('session_outcome', 'appointment_cancelled','caller cancelled an appointment'),
    ('session_outcome', 'appointment_rescheduled','caller rescheduled an appointment'),
    ('session_outcome', 'transferred',          'call transferred to a person'),
    ('session_outcome', 'voicemail',            'reached voicemail'),
    ('session_outcome', 'abandoned',            'caller hung up'),
    ('session_outcome', 'other',                'anything else'),
    ('customer_link_method', 'phone_match', 'matched by phone number'),
    ('customer_link_method', 'email_match', 'matched by e-mail'),
    ('customer_link_method', 'name_match',  'matched by name'),
    ('customer_link_method', 'manual',      'linked by hand'),
    ('customer_link_method', 'created',     'customer created from the call'),
    ('mapping_source', 'auto_email', 'matched by exact e-mail'),
    ('mapping_source', 'auto_name',  'matched by full name'),
    ('mapping_source', 'manual',     'mapped by hand'),
    ('mapping_source', 'admin',      'mapped by an admin'),
    ('mapping_audit_action', 'created',         'mapping created'),
    ('mapping_audit_action', 'updated',         'mapping changed'),
    ('mapping_audit_action', 'deleted',         'mapping deleted'),
    ('mapping_audit_action', 'auto_matched',    'mapping created by the resolver'),
    ('mapping_audit_action', 'manual_override', 'mapping changed by an admin')
ON CONFLICT (vocabulary, code) DO NOTHING;

INSERT INTO dbguard.vocabularies (vocabulary, code, description, is_active) VALUES
    ('appointment_status', 'scheduled',   'booked',                          true),
    ('appointment_status', 'confirmed',   'booked and confirmed',            true),
    ('appointment_status', 'cancelled',   'cancelled',                       false),
    ('appointment_status', 'rescheduled', 'replaced by a later appointment', false),
    ('appointment_status', 'completed',   'took place',                      false),
    ('appointment_status', 'no_show',     'customer did not come',           false)
ON CONFLICT (vocabulary, code) DO NOTHING;

-- How a legacy `appointments.source` value translates into the lifecycle
-- columns (DESIGN.md §1.3 and §3): used by creation_metadata and the backfill.
-- A mapping names only codes of their vocabularies (the foreign keys, through
-- the two constant columns): creation_metadata takes a mapped booking source
-- and actor without looking them up again, and a code cannot be deleted or
-- renamed while a mapping names it.
CREATE TABLE IF NOT EXISTS dbguard.source_mappings (
    source          text PRIMARY KEY,
    booking_source  text NOT NULL,
    created_by      text NOT NULL,
    booking_source_vocabulary text NOT NULL GENERATED ALWAYS AS ('booking_source') STORED,
    created_by_vocabulary     text NOT NULL GENERATED ALWAYS AS ('actor') STORED,
    CONSTRAINT source_mappings_booking_source_fk FOREIGN KEY (booking_source_vocabulary, booking_source)
        REFERENCES dbguard.vocabularies (vocabulary, code),
    CONSTRAINT source_mappings_created_by_fk FOREIGN KEY (created_by_vocabulary, created_by)
        REFERENCES dbguard.vocabularies (vocabulary, code)
);

INSERT INTO dbguard.source_mappings (source, booking_source, created_by) VALUES
    ('retell_webhook', 'retell_webhook', 'retell_ai'),
    ('cal.com',        'cal.com_direct', 'cal.com_webhook')
ON CONFLICT (source) DO NOTHING;
-- Every booking source also maps to itself, with actor 'unknown'.
INSERT INTO dbguard.source_mappings (source, booking_source, created_by)
SELECT v.code, v.code, 'unknown'
  FROM dbguard.vocabularies v
 WHERE v.vocabulary = 'booking_source'
ON CONFLICT (source) DO NOTHING;

-- Pinned codes are named by a trigger WHEN clause or a rule function's constant
-- list: the pinned-codes trigger (sql/schema/repeatable.sql) refuses to delete
-- or rename them, since rows holding a removed code would skip their rule's
-- vocabulary check. Pinning a code a DBA had removed brings it back.
ALTER TABLE dbguard.vocabularies ADD COLUMN IF NOT EXISTS pinned boolean NOT NULL DEFAULT false;

COMMENT ON COLUMN dbguard.vocabularies.pinned IS
    'Named by a trigger WHEN clause or a rule function''s constant list: cannot be deleted or renamed (SQLSTATE DG009).';

INSERT INTO dbguard.vocabularies AS v (vocabulary, code, description, pinned)
SELECT p.vocabulary, p.code, 'pinned by dbguard', true
  FROM (VALUES ('call_direction', 'inbound'), ('call_direction', 'outbound'),
               ('link_status', 'unlinked'), ('link_status', 'linked'),
               ('session_outcome', 'appointment_booked'),
               ('booking_source', 'retell_webhook'), ('booking_source', 'retell_phone'),
               ('booking_source', 'retell_function_call'), ('booking_source', 'retell_api'),
               ('booking_source', 'cal.com_webhook'), ('booking_source', 'unknown'),
               ('actor', 'retell_ai'), ('actor', 'retell_api'), ('actor', 'cal.com_webhook'),
               ('actor', 'system'), ('actor', 'unknown'))
       AS p (vocabulary, code)
ON CONFLICT (vocabulary, code) DO UPDATE SET pinned = true;
