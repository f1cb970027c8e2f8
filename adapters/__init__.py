"""Channel adapters: translate a channel's traffic to and from the core's message model."""
