"""Facts about this deployment recorded in its database, such as the canonical datum."""
