-- Which transactions are inside dbguard.resolve_staff_for_host right now: the
-- host mapping audit labels a write 'auto_matched' only when its transaction
-- has a row here. The marker setting dbguard.resolver alone could be set by
-- any session (SET is unprivileged); this table only the owner writes (the
-- resolver runs as the owner), and each row lives for the one write it covers.
CREATE TABLE IF NOT EXISTS dbguard.resolver_writes (
    backend_pid  integer NOT NULL,
    xact         bigint  NOT NULL,
    PRIMARY KEY (backend_pid, xact)
);
