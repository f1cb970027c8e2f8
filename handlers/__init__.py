"""Channel-neutral features. Each module is a plugin (see bot.plugins) that registers its handlers."""
