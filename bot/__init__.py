"""troly core: settings, the channel-neutral message model, routing, dialog state, storage and the CLI.

Nothing in this package imports an adapter, a feature handler or a channel library; those are plugins
named in the settings and loaded by name at start-up.
"""
