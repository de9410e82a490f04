"""Many entries in one print-ready PDF: selection, chunks laid out in workers, cover and contents, stamped numbers, assembly, imposition."""
