"""Checking entries before anyone prints them.

The error rules build shares, the warnings, and the report behind ``leaflets check``.
Never loads WeasyPrint.
"""
