"""The provisioning coordinator: every deployment passes through it (plan, check, apply, record)."""
