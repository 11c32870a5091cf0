"""The customer-service bot: a seeded SQLite shop and the tools an agent uses to serve its customers."""
