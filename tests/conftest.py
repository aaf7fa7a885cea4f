pytest_plugins = [
    "tests.plugins.dbserver",
    "tests.plugins.staff",
    "tests.plugins.operations",
    "tests.plugins.calls",
    "tests.plugins.lifecycle",
    "tests.plugins.hostile",
]
