"""Stage 3, laid-out pages: WeasyPrint held once per process, the fetcher that keeps it offline, and the footer that sizes the bottom margin."""
