"""The project: leaflets.toml settings, the folder with its templates and styles, and what a build is asked to make. Knows nothing of rendering."""
