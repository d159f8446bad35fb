"""Hand-written fakes for the fast tiers: no broker, no database, no clock of the machine."""
