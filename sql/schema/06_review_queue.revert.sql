DROP TABLE IF EXISTS dbguard.manual_review_queue;
