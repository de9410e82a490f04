"""Many leaflets: the build loop, its cache, worker processes and atomic output. Imports render/ only inside workers, lazily."""
