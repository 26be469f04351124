"""Command and event handlers, one module per area. ``bootstrap`` binds their dependencies."""
