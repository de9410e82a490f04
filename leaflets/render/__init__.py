"""One leaflet through every stage: entry -> sections -> HTML -> laid-out pages -> PDF bytes."""
