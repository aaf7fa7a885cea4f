-- Which dbguard_audit views are installed, and the sha256 of the rendered
-- CREATE VIEW text: `dbguard migrate` re-creates a view only when it changed.
CREATE TABLE IF NOT EXISTS dbguard.installed_views (
    view_name     text PRIMARY KEY,
    sha256        text NOT NULL,
    installed_at  timestamptz NOT NULL DEFAULT now()
);
