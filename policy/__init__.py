"""Slipway's policy pack: the platform's guarantees as rules (see policy/rules.py)."""
