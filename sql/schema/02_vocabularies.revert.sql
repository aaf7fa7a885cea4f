DROP TABLE IF EXISTS dbguard.source_mappings;
DROP TABLE IF EXISTS dbguard.vocabularies;
