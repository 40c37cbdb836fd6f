"""Use cases. Each runs in one transaction, takes the acting staff member and a clock, checks
authority, writes the audit trail and returns plain data (services.views), never ORM rows."""
