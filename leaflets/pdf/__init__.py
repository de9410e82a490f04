"""Stage 4, PDF: the structure pass on the written objects and a streaming PDF writer."""
