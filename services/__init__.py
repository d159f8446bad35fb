"""Linli services: one package each, every one with its own database."""
