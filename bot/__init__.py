"""Wiring: settings, the Application, the command line, polling, scheduled jobs, logging."""
