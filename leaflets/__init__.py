"""leaflets: printable PDF patient leaflets from Markdown medicine entries."""

__version__ = "0.1.0"
