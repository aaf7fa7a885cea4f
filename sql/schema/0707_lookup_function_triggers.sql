-- Every statement that writes dbguard.vocabularies or dbguard.source_mappings
-- rewrites dbguard.in_vocabulary(), dbguard.code_is_active() and
-- dbguard.mapped_booking_source() (issue 7: lookups without a query). Statement-level: one rewrite per statement.
CREATE OR REPLACE TRIGGER dbguard_lookup_functions
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON dbguard.vocabularies
    FOR EACH STATEMENT
    EXECUTE FUNCTION dbguard.tg_lookup_tables__lookup_functions();

CREATE OR REPLACE TRIGGER dbguard_lookup_functions
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON dbguard.source_mappings
    FOR EACH STATEMENT
    EXECUTE FUNCTION dbguard.tg_lookup_tables__lookup_functions();

SELECT dbguard.write_lookup_functions();
