"""``leaflets doctor``: whether this machine can build good leaflets."""
