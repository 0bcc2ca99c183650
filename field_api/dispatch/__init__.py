"""Accident reports (报案), dispatches (派工) and the standard's service clock."""
