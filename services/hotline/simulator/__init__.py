"""A local stand-in for a city's 12345 platform speaking the JSON protocol of
services/hotline/PROTOCOL.md, with a control API to make it misbehave. Standard library only."""
