"""Provider webhook receivers: verify, deduplicate, apply in one transaction, then acknowledge."""
