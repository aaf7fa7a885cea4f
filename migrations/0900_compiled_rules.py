"""The booking path's call rules are compiled into one trigger function per table and timing, each rule's mode compiled in; a mode change recompiles in its transaction."""
from dbguard import compiler, steps
from dbguard.resources import read_sql

step(*steps.schema("0900_compiled_rules"))
step(read_sql("functions/compile_rules.sql"), "SELECT 1")
step(compiler.install_sql(), compiler.uninstall_sql())
