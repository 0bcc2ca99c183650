"""Small factories per domain, writing through the real services and database."""
