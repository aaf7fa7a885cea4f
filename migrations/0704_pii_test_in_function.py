"""PII first test back in the function, WHEN clauses down to a NULL test or gone (a WHEN clause is parsed and planned again for every statement; issue 7)."""
from dbguard import steps

step(*steps.rule("pii_redaction", 5))
