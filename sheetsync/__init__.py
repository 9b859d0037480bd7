"""sheetsync: a Google Sheet as the source of truth for Stripe invoices."""

__version__ = "0.1.0"
