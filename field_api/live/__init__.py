"""The coordinators' live map: the map feed, the event stream across workers, stream tickets and the page."""
