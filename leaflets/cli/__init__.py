"""The ``leaflets`` command: a thin layer over the library API, and the progress it prints."""
