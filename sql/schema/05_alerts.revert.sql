DROP TABLE IF EXISTS dbguard.data_consistency_alerts;
