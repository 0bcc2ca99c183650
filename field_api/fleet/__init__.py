"""The fleet simulator: virtual surveyors driving to their sites and posting fixes through the HTTP API."""
