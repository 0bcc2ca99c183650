"""The coordinators' board: duty roster (值班表), candidates, entrusted cases (委托查勘) and care callbacks (回访)."""
