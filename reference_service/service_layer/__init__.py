"""Use cases: command and event handlers, the message bus and the outbox relay."""
