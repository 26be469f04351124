"""The pure domain: aggregates, value objects, commands, events and domain errors.

Nothing here imports anything but the standard library (house rule 1), so every rule can be
unit-tested without a database, a network or a framework.
"""
