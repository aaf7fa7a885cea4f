pytest_plugins = ["tests.plugins.dbserver"]
