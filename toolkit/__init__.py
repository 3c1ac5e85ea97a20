"""Coaching and assessment toolkit for anti-trafficking and anti-smuggling workshops."""

__version__ = "0.1.0"
