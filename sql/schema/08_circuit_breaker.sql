-- Circuit breakers shared by every application server (DESIGN.md §2): one
-- row per protected dependency ("calcom", "retell", ...), changed only
-- through the dbguard.breaker_* functions, which lock the row.
CREATE TABLE IF NOT EXISTS dbguard.circuit_breaker_states (
    key                   text PRIMARY KEY CHECK (pg_catalog.btrim(key) <> ''),
    state                 text NOT NULL DEFAULT 'closed'
                          CHECK (state IN ('closed', 'open', 'half_open')),
    -- consecutive failures while closed
    failure_count         integer NOT NULL DEFAULT 0,
    -- successful trials since the breaker went half-open
    success_count         integer NOT NULL DEFAULT 0,
    failure_threshold     integer NOT NULL DEFAULT 3 CHECK (failure_threshold > 0),
    success_threshold     integer NOT NULL DEFAULT 2 CHECK (success_threshold > 0),
    cooldown              interval NOT NULL DEFAULT '30 seconds' CHECK (cooldown >= interval '0'),
    -- a half-open trial that has not reported back after this long is given
    -- to the next caller (its process died or hung)
    trial_timeout         interval NOT NULL DEFAULT '30 seconds' CHECK (trial_timeout > interval '0'),
    trial_started_at      timestamptz,
    opened_at             timestamptz,
    state_changed_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    last_failure_at       timestamptz,
    last_success_at       timestamptz,
    last_error            text,
    created_at            timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at            timestamptz NOT NULL DEFAULT pg_catalog.now()
);

COMMENT ON TABLE dbguard.circuit_breaker_states IS
    'Circuit breaker per key; change it through dbguard.breaker_allow/record_success/record_failure (thresholds: UPDATE or dbguard.breaker_configure)';

-- Every state change, kept so that time spent open and recovery time can be measured.
CREATE TABLE IF NOT EXISTS dbguard.circuit_breaker_transitions (
    id           bigserial PRIMARY KEY,
    key          text NOT NULL,
    from_state   text NOT NULL,
    to_state     text NOT NULL,
    reason       text NOT NULL,
    error        text,
    occurred_at  timestamptz NOT NULL
);

CREATE INDEX IF NOT EXISTS circuit_breaker_transitions_key_idx
    ON dbguard.circuit_breaker_transitions (key, occurred_at, id);
