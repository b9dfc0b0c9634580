"""The application: settings, the `briefing` command line and the Discord bot."""
