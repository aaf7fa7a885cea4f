DROP TABLE IF EXISTS dbguard.resolver_writes;
