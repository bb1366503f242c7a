"""Adapters to the user's mail servers: IMAP to read and file, SMTP to send."""
