"""afterview: follow through after job interviews, from your own mailbox and calendars."""

__version__ = "0.1.0"
