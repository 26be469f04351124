"""Thin entrypoints: the Flask app, its API blueprints, webhook receivers and the CLI."""
