DROP TRIGGER IF EXISTS dbguard_lookup_functions ON dbguard.source_mappings;
DROP TRIGGER IF EXISTS dbguard_lookup_functions ON dbguard.vocabularies;
