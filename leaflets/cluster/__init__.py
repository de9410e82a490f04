"""Building on a Dask cluster (``--dask``): the client in client.py, the worker side in worker.py, what travels in bundle.py."""
