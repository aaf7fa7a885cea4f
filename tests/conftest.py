pytest_plugins = ["tests.plugins.dbserver", "tests.plugins.lifecycle"]
